// Drives an MqttClient with no sockets and no sleeps: a fake clock whose time moves only
// when a test says so, and fake transports whose far end is a scripted server speaking
// through mqtt-packet (an independent codec, so these tests do not trust our own).
import * as mqttPacket from 'mqtt-packet';
import { MqttClient } from '../../src/client/client';
import type { ClientEvents, ClientOptions, Platform } from '../../src/client/client';
import type { Clock } from '../../src/client/clock';
import type { Transport, TransportHandler } from '../../src/client/transport';

export class FakeClock implements Clock {
  t = 0;
  timerAt = -1;
  private fn: (() => void) | null = null;
  /** how many times the timer was (re)armed */
  arms = 0;

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): void {
    if (ms < 0) throw new Error(`setTimer(${ms})`);
    this.timerAt = this.t + ms;
    this.fn = fn;
    this.arms++;
  }

  clearTimer(): void {
    this.timerAt = -1;
    this.fn = null;
  }

  /** Moves time forward by `ms`, firing the timer each time it falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.timerAt >= 0 && this.timerAt <= end) {
      this.t = this.timerAt;
      const fn = this.fn as () => void;
      this.timerAt = -1;
      this.fn = null;
      fn();
    }
    this.t = end;
  }

  /** Fires what is due now (the client delivers callbacks and events from a 0 ms timer). */
  settle(): void {
    this.advance(0);
  }
}

/** One connection attempt, seen from the server side. */
export class FakeTransport implements Transport {
  handler: TransportHandler | null = null;
  /** client bytes as written, one entry per write() */
  writes: Uint8Array[] = [];
  /** client packets, decoded by mqtt-packet */
  received: mqttPacket.Packet[] = [];
  flushes = 0;
  closeCalls = 0;
  /** the transport reported onClose */
  ended = false;
  /** write() returns false while set (the high-water mark is passed) */
  full = false;
  private readonly version: number;
  private parser: ReturnType<typeof mqttPacket.parser> | null = null;

  constructor(version: number) {
    this.version = version;
  }

  open(handler: TransportHandler): void {
    this.handler = handler;
  }

  write(bytes: Uint8Array): boolean {
    if (this.ended) return false;
    this.writes.push(bytes.slice());
    this.decoder().parse(Buffer.from(bytes));
    return !this.full;
  }

  flush(): void {
    this.flushes++;
  }

  close(): void {
    this.closeCalls++;
  }

  // ---- the server's side ------------------------------------------------------------

  /** The connection is up. */
  accept(): void {
    this.h().onOpen();
  }

  /** Sends a packet (mqtt-packet shape) to the client. */
  send(packet: Record<string, unknown>): void {
    this.sendBytes(mqttPacket.generate(packet as unknown as mqttPacket.Packet, { protocolVersion: this.version }));
  }

  sendBytes(bytes: Uint8Array): void {
    this.h().onData(new Uint8Array(bytes));
  }

  connack(sessionPresent = false, code = 0, properties?: Record<string, unknown>): void {
    const p: Record<string, unknown> = { cmd: 'connack', sessionPresent };
    if (this.version === 5) {
      p.reasonCode = code;
      if (properties) p.properties = properties;
    } else {
      p.returnCode = code;
    }
    this.send(p);
  }

  /** The connection ends (the peer closed it, the network failed, or after close()). */
  end(error: Error | null = null): void {
    if (this.ended) throw new Error('onClose twice');
    this.ended = true;
    this.h().onClose(error);
  }

  drain(): void {
    this.full = false;
    this.h().onDrain();
  }

  /** Client packets of one kind ('publish', 'subscribe', ...). */
  sent(cmd: string): mqttPacket.Packet[] {
    return this.received.filter((p) => p.cmd === cmd);
  }

  private h(): TransportHandler {
    if (!this.handler) throw new Error('transport not opened');
    return this.handler;
  }

  private decoder(): ReturnType<typeof mqttPacket.parser> {
    if (!this.parser) {
      this.parser = mqttPacket.parser({ protocolVersion: this.version });
      this.parser.on('packet', (p: mqttPacket.Packet) => this.received.push(p));
      this.parser.on('error', (e: Error) => {
        throw e;
      });
    }
    return this.parser;
  }
}

export interface Rig {
  client: MqttClient;
  clock: FakeClock;
  /** every transport the client made, in order */
  transports: FakeTransport[];
  /** the clock time at which each transport was made */
  openedAt: number[];
  /** client events in order, as 'name' or 'name:detail' */
  log: string[];
  /** the newest transport */
  last(): FakeTransport;
}

const LOGGED: (keyof ClientEvents)[] = ['connect', 'message', 'reconnect', 'offline', 'close', 'disconnect', 'auth', 'error', 'end'];

/** A client on fake I/O. Every event is logged; 'error' is listened to so it never throws. */
export function rig(options: ClientOptions = {}, platform: Partial<Platform> = {}): Rig {
  const clock = new FakeClock();
  const transports: FakeTransport[] = [];
  const openedAt: number[] = [];
  const version = options.protocolVersion ?? 4;
  const client = new MqttClient({
    transport: () => {
      const t = new FakeTransport(version);
      transports.push(t);
      openedAt.push(clock.t);
      return t;
    },
    clock,
    ...platform,
  }, { clientId: 'test', ...options });
  const log: string[] = [];
  for (const name of LOGGED) {
    client.on(name, ((a: unknown) => {
      if (name === 'error') log.push(`error:${(a as Error).message}`);
      else if (name === 'message') log.push(`message:${a as string}`);
      else log.push(name);
    }) as never);
  }
  return { client, clock, transports, openedAt, log, last: () => transports[transports.length - 1] };
}

/** A rig whose first connection is accepted and acknowledged (CONNACK success). */
export function connected(options: ClientOptions = {}, platform: Partial<Platform> = {}): Rig {
  const r = rig(options, platform);
  r.last().accept();
  r.last().connack();
  r.log.length = 0;
  return r;
}

export function text(bytes: Uint8Array | Buffer | string | undefined): string {
  if (bytes === undefined) return '';
  return typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString();
}

/** The packet identifier of a decoded client packet. */
export function idOf(packet: unknown): number {
  return (packet as { messageId: number }).messageId;
}
