// Shared by the router and rpc unit tests: a client on the scripted fake transport
// (test/client/harness.ts) with the broker side's SUBACKs on demand.
import type { Packet } from 'mqtt-packet';
import type { FakeTransport } from '../client/harness';

/** Answers every SUBSCRIBE / UNSUBSCRIBE not answered yet: granted as asked, or `code` for each filter. */
export function answerSubscriptions(t: FakeTransport, code?: number): void {
  const answered = answeredBy(t);
  for (const p of t.received) {
    const id = (p as { messageId?: number }).messageId as number;
    if (p.cmd === 'subscribe' && !answered.has(`s${id}`)) {
      answered.add(`s${id}`);
      const subs = (p as unknown as { subscriptions: { qos: number }[] }).subscriptions;
      t.send({ cmd: 'suback', messageId: id, granted: subs.map((s) => (code === undefined ? s.qos : code)) });
    } else if (p.cmd === 'unsubscribe' && !answered.has(`u${id}`)) {
      answered.add(`u${id}`);
      const n = (p as unknown as { unsubscriptions: string[] }).unsubscriptions.length;
      t.send({ cmd: 'unsuback', messageId: id, granted: new Array<number>(n).fill(0) });
    }
  }
}

const answeredSets = new WeakMap<FakeTransport, Set<string>>();
function answeredBy(t: FakeTransport): Set<string> {
  let s = answeredSets.get(t);
  if (s === undefined) {
    s = new Set();
    answeredSets.set(t, s);
  }
  return s;
}

/** The filters of every SUBSCRIBE the client sent, in order. */
export function subscribedFilters(t: FakeTransport): string[] {
  const out: string[] = [];
  for (const p of t.sent('subscribe')) {
    for (const s of (p as unknown as { subscriptions: { topic: string }[] }).subscriptions) out.push(s.topic);
  }
  return out;
}

/** Lets pending Promise callbacks run (handlers, middleware, acknowledgements). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function ids(packets: Packet[]): number[] {
  return packets.map((p) => (p as { messageId: number }).messageId);
}

/** A Promise with its resolve/reject, for handlers that finish when a test says so. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
