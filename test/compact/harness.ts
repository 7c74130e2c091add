// Drives a CompactClient on fake I/O: test/client/harness.ts's fake clock and fake
// transports (the far end speaks through mqtt-packet, an independent codec), wired to
// the compact client's constructor.
import { CompactClient } from '../../src/compact/client';
import type { CompactOptions } from '../../src/compact/client';
import { withEvents } from '../../src/compact/emitter';
import { FakeClock, FakeTransport } from '../client/harness';

export { FakeClock, FakeTransport, idOf, text } from '../client/harness';

withEvents(CompactClient.prototype);

export interface Rig {
  client: CompactClient;
  clock: FakeClock;
  /** every transport the client made, in order */
  transports: FakeTransport[];
  /** client events in order, as 'name' or 'name:detail' */
  log: string[];
  /** errors emitted, in order */
  errors: (Error & { code?: number })[];
  /** messages delivered: topic and payload text */
  messages: string[];
  /** the newest transport */
  last(): FakeTransport;
}

const LOGGED = ['connect', 'message', 'reconnect', 'offline', 'close', 'disconnect', 'error', 'end'];

/** A compact client on fake I/O (clientId 'test' unless given). Every event is logged. */
export function rig(options: CompactOptions = {}, clock = new FakeClock()): Rig {
  const transports: FakeTransport[] = [];
  const version = options.protocolVersion ?? 4;
  const client = new CompactClient({
    transport: () => {
      const t = new FakeTransport(version);
      transports.push(t);
      return t;
    },
    clock,
  }, { clientId: 'test', ...options });
  const log: string[] = [];
  const errors: (Error & { code?: number })[] = [];
  const messages: string[] = [];
  for (const name of LOGGED) {
    client.on(name as 'close', ((a: unknown, b: unknown) => {
      if (name === 'error') {
        errors.push(a as Error);
        log.push(`error:${(a as { code?: number }).code}`);
      } else if (name === 'message') {
        messages.push(`${a as string}:${Buffer.from(b as Uint8Array).toString()}`);
        log.push(`message:${a as string}`);
      } else log.push(name);
    }) as never);
  }
  return { client, clock, transports, log, errors, messages, last: () => transports[transports.length - 1] };
}

/** A rig whose first connection is accepted and acknowledged; the log is cleared. */
export function connected(options: CompactOptions = {}, connack: { sessionPresent?: boolean; properties?: Record<string, unknown> } = {}, clock?: FakeClock): Rig {
  const r = rig(options, clock);
  r.last().accept();
  r.last().connack(connack.sessionPresent ?? false, 0, connack.properties);
  r.clock.settle();
  r.log.length = 0;
  return r;
}

/** The connection drops (network failure); then the reconnect timer fires and the new connection is accepted and acknowledged. */
export function reconnect(r: Rig, sessionPresent = false, properties?: Record<string, unknown>): FakeTransport {
  const before = r.transports.length;
  if (!r.last().ended) r.last().end();
  r.clock.advance(r.client.options.reconnectPeriod ?? 1000);
  if (r.transports.length !== before + 1) throw new Error('the client did not dial again');
  const t = r.last();
  t.accept();
  t.connack(sessionPresent, 0, properties);
  return t;
}

/** Payload texts of the PUBLISH packets a transport received. */
export function payloads(t: FakeTransport): string[] {
  return (t.sent('publish') as unknown as { payload: Buffer }[]).map((p) => Buffer.from(p.payload).toString());
}

/** A callback recorder: calls as [error code or null, result]. */
export function recorder(): { cb: (e: Error | null, r?: unknown) => void; calls: [number | null, unknown][] } {
  const calls: [number | null, unknown][] = [];
  return { cb: (e, r) => calls.push([e === null ? null : ((e as { code?: number }).code ?? -1), r]), calls };
}
