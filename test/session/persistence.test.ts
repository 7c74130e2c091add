import { describe, expect, it } from 'vitest';
import { Harness, messages } from './harness';
import { MemoryStore } from '../../src/store/store';
import type { Store } from '../../src/store/store';
import { PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL } from '../../src/codec/packets';
import type { Packet, PublishPacket } from '../../src/codec/packets';

function summary(packets: Packet[]): string[] {
  return packets.map((p) => {
    if (p.type === PUBLISH) {
      const pp = p as PublishPacket;
      return `PUBLISH ${pp.messageId ?? '-'} ${new TextDecoder().decode(pp.payload as Uint8Array)}${pp.dup ? ' dup' : ''}`;
    }
    if (p.type === PUBREL) return `PUBREL ${p.messageId}`;
    return 'type ' + p.type;
  });
}

describe('a store keeps unfinished messages across a restart', () => {
  it('messages published but never sent are sent by the next process, in order, with new ids', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store, clientId: 'c' });
    a.session.publish('t', 'one', { qos: 1 }, a.now);
    a.session.publish('t', 'two', { qos: 2 }, a.now);
    a.session.publish('t', 'zero', { qos: 0 }, a.now); // QoS 0 promises nothing across restarts
    const b = new Harness({ store: store, clientId: 'c' });
    expect(b.session.queuedCount).toBe(2);
    b.connect();
    expect(summary(b.sent())).toEqual(['PUBLISH 1 one', 'PUBLISH 2 two']);
  });

  it('messages sent and unacknowledged keep their packet id and go out with DUP', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store, clean: false });
    a.connect();
    a.session.publish('t', 'x', { qos: 1 }, a.now);
    a.session.publish('t', 'y', { qos: 2 }, a.now);
    a.session.publish('t', 'z', { qos: 2 }, a.now);
    a.sent();
    a.serverSends({ type: PUBREC, messageId: 3 });
    a.sent();
    // the process dies here
    const b = new Harness({ store: store, clean: false });
    b.connect(true);
    expect(summary(b.sent())).toEqual(['PUBLISH 1 x dup', 'PUBLISH 2 y dup', 'PUBREL 3']);
    b.serverSends({ type: PUBCOMP, messageId: 3 });
    b.session.publish('t', 'new', { qos: 1 }, b.now);
    expect(summary(b.sent())).toEqual(['PUBLISH 4 new']);
  });

  it('finished messages leave nothing behind', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store });
    a.connect();
    a.session.publish('t', 'x', { qos: 2 }, a.now);
    a.sent();
    a.serverSends({ type: PUBREC, messageId: 1 });
    a.serverSends({ type: PUBCOMP, messageId: 1 });
    expect(store.keys('')).toEqual([]);
  });

  it('incoming QoS 2 ids awaiting PUBREL survive, so a redelivery after restart is not delivered twice', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store, clean: false });
    a.connect();
    a.serverSends({ type: PUBLISH, topic: 't', payload: 'once', qos: 2, retain: false, dup: false, messageId: 9 });
    expect(messages(a.events())).toEqual(['t=once']);
    const b = new Harness({ store: store, clean: false });
    b.connect(true);
    b.serverSends({ type: PUBLISH, topic: 't', payload: 'once', qos: 2, retain: false, dup: true, messageId: 9 });
    expect(b.events()).toEqual([]);
    expect(b.sent()).toEqual([{ type: PUBREC, messageId: 9 }]);
    b.serverSends({ type: PUBREL, messageId: 9 });
    expect(store.keys('')).toEqual([]);
  });

  it('separate prefixes keep two sessions apart in one store', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store, storePrefix: 'a' });
    a.session.publish('t', 'for-a', { qos: 1 }, a.now);
    const b = new Harness({ store: store, storePrefix: 'b' });
    expect(b.session.queuedCount).toBe(0);
    expect(new Harness({ store: store, storePrefix: 'a' }).session.queuedCount).toBe(1);
  });

  it('a store that fails to write fails the publish and keeps nothing', () => {
    const failing: Store = {
      get: () => undefined,
      set: () => { throw new Error('flash full'); },
      delete: () => undefined,
      keys: () => [],
    };
    const h = new Harness({ store: failing });
    h.connect();
    expect(() => h.session.publish('t', 'x', { qos: 1 }, h.now)).toThrow('flash full');
    expect(h.session.queuedCount).toBe(0);
    expect(h.sent()).toEqual([]);
    h.session.publish('t', 'q0 needs no store', { qos: 0 }, h.now);
    expect(h.sent()).toHaveLength(1);
  });
  it('restarting writes nothing: a power cut during a restart can neither duplicate nor lose a message', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store, clientId: 'c', clean: false });
    a.connect();
    a.session.publish('t', 'sent', { qos: 1 }, a.now);
    a.sent();
    a.drop();
    a.session.publish('t', 'one', { qos: 2 }, a.now);
    a.session.publish('t', 'two', { qos: 2 }, a.now);
    const before = store.keys('');
    // a store on which any write or delete is a power cut
    const cut = (): never => { throw new Error('power cut'); };
    const readOnly: Store = { get: (k) => store.get(k), set: cut, delete: cut, keys: (p) => store.keys(p) };
    const b = new Harness({ store: readOnly, clientId: 'c', clean: false });
    expect(b.session.queuedCount).toBe(3);
    expect(store.keys('')).toEqual(before);
    // the next process, on the real store, sends each message once, in order; new ones go after them
    const c = new Harness({ store: store, clientId: 'c', clean: false });
    c.session.publish('t', 'three', { qos: 1 }, c.now);
    c.connect(true);
    expect(summary(c.sent())).toEqual(['PUBLISH 1 sent dup', 'PUBLISH 2 one', 'PUBLISH 3 two', 'PUBLISH 4 three']);
    const d = new Harness({ store: store, clientId: 'c', clean: false });
    d.connect(true);
    expect(summary(d.sent())).toEqual(['PUBLISH 1 sent dup', 'PUBLISH 2 one dup', 'PUBLISH 3 two dup', 'PUBLISH 4 three dup']);
  });

  it('a message taken back from the store is dropped from it under its old key once acknowledged, its PUBREC state kept there too', () => {
    const store = new MemoryStore();
    const a = new Harness({ store: store, clientId: 'c', clean: false });
    a.session.publish('t', 'one', { qos: 1 }, a.now);
    a.session.publish('t', 'two', { qos: 2 }, a.now);
    const b = new Harness({ store: store, clientId: 'c', clean: false });
    b.connect(true);
    const [p1, p2] = b.sent() as PublishPacket[];
    b.serverSends({ type: PUBREC, messageId: p2.messageId as number });
    expect(store.keys('').length).toBe(2);
    b.serverSends({ type: PUBACK, messageId: p1.messageId as number });
    expect(store.keys('').length).toBe(1);
    const c = new Harness({ store: store, clientId: 'c', clean: false });
    c.connect(true);
    expect(summary(c.sent())).toEqual([`PUBREL ${p2.messageId}`]);
    c.serverSends({ type: PUBCOMP, messageId: p2.messageId as number });
    expect(store.keys('')).toEqual([]);
  });
});
