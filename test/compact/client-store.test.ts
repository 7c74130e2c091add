// CompactClient with a Store: unacknowledged QoS 1/2 messages (and PUBREL state) and
// QoS 2 receptions awaiting PUBREL survive into a new client on the same store.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/store';
import { connected, idOf, payloads, recorder } from './harness';

type Any = Record<string, any>;

describe.each([4, 5])('store (MQTT %i)', (v) => {
  it('numbers the store keys from 0 again once nothing is stored, so they stay short', () => {
    const store = new MemoryStore();
    const r = connected({ protocolVersion: v, store });
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b', { qos: 1 });
    expect(store.keys('')).toEqual(['fq/o0', 'fq/o1']);
    r.last().send({ cmd: 'puback', messageId: 1 });
    r.client.publish('t', 'c', { qos: 1 });
    expect(store.keys('')).toEqual(['fq/o1', 'fq/o2']);
    r.last().send({ cmd: 'puback', messageId: 2 });
    r.last().send({ cmd: 'puback', messageId: 3 });
    expect(store.keys('')).toEqual([]);
    r.client.publish('t', 'd', { qos: 1 });
    expect(store.keys('')).toEqual(['fq/o0']);
  });

  it('a message the store cannot keep (flash full) fails its callback, is not sent, and publish() does not throw', () => {
    const store = new MemoryStore();
    const full = Object.assign(Object.create(MemoryStore.prototype), store, {
      set() {
        throw new Error('Unable to find or create file');
      },
    });
    const r = connected({ protocolVersion: v, store: full });
    const rec = recorder();
    expect(() => r.client.publish('t', 'x', { qos: 1 }, rec.cb)).not.toThrow();
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([-1]);
    expect(r.last().sent('publish')).toHaveLength(0);
    r.client.publish('t', 'q0 needs no store', { qos: 0 });
    expect(payloads(r.last())).toEqual(['q0 needs no store']);
  });

  it('a QoS 2 reception the store cannot keep (flash full) is not marked: the resend is delivered', () => {
    const store = new MemoryStore();
    let full = true;
    const flaky = Object.assign(Object.create(MemoryStore.prototype), store, {
      set(key: string, value: Uint8Array) {
        if (full && key.includes('/i')) throw new Error('Unable to find or create file');
        store.set(key, value);
      },
    });
    const r = connected({ protocolVersion: v, store: flaky, reconnectPeriod: 100 });
    r.last().send({ cmd: 'publish', topic: 'cmd', payload: Buffer.from('once'), qos: 2, messageId: 9 });
    expect(r.errors.map((e) => e.message)).toEqual(['Unable to find or create file']);
    expect(r.messages).toEqual([]);
    full = false;
    r.last().end();
    r.clock.advance(200);
    r.last().accept();
    r.last().connack(true);
    r.last().send({ cmd: 'publish', topic: 'cmd', payload: Buffer.from('once'), qos: 2, messageId: 9, dup: true });
    expect(r.messages).toEqual(['cmd:once']);
  });

  it('unacknowledged QoS 1/2 messages are sent first by a new client, in order, with DUP', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store, clean: false, maxInflight: 2 });
    a.client.publish('t', '1', { qos: 1 });
    a.client.publish('t', '2', { qos: 2 });
    a.client.publish('t', '3', { qos: 1 }); // beyond the window: never sent
    a.client.publish('t', '4', { qos: 1 });
    a.last().send({ cmd: 'puback', messageId: 1 });
    a.client.end(true);
    a.last().end();

    const b = connected({ protocolVersion: v, store, clean: false, maxInflight: 10 }, { sessionPresent: true });
    const sent = b.last().sent('publish') as Any[];
    expect(sent.map((p) => [String(p.payload), p.messageId, p.qos, p.dup])).toEqual([
      ['2', 2, 2, true],
      ['3', 3, 1, true],
      ['4', 4, 1, true],
    ]);
  });

  it('a new client queues its own messages after the restored ones, with fresh ids', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store, clean: false });
    a.client.publish('t', 'old', { qos: 1 });
    a.client.end(true);
    a.last().end();

    const b = connected({ protocolVersion: v, store, clean: false });
    b.client.publish('t', 'new', { qos: 1 });
    expect(payloads(b.last())).toEqual(['old', 'new']);
    const ids = b.last().sent('publish').map(idOf);
    expect(new Set(ids).size).toBe(2);
  });

  it('a QoS 2 message past PUBREC is restored as PUBREL', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store, clean: false });
    a.client.publish('t', 'x', { qos: 2 });
    a.last().send({ cmd: 'pubrec', messageId: 1 });
    a.client.end(true);
    a.last().end();

    const b = connected({ protocolVersion: v, store, clean: false }, { sessionPresent: true });
    expect(b.last().sent('publish')).toHaveLength(0);
    expect(b.last().sent('pubrel').map(idOf)).toEqual([1]);
    b.last().send({ cmd: 'pubcomp', messageId: 1 });
    expect(store.keys('')).toEqual([]);
  });

  it('acknowledged messages are deleted from the store', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store });
    a.client.publish('t', '1', { qos: 1 });
    a.client.publish('t', '2', { qos: 2 });
    expect(store.keys('')).toHaveLength(2);
    a.last().send({ cmd: 'puback', messageId: 1 });
    a.last().send({ cmd: 'pubrec', messageId: 2 });
    expect(store.keys('')).toHaveLength(1);
    a.last().send({ cmd: 'pubcomp', messageId: 2 });
    expect(store.keys('')).toEqual([]);
  });

  it('QoS 0 messages and subscriptions are not stored', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store });
    a.client.publish('t', '0');
    a.client.subscribe('s', { qos: 1 });
    a.client.end(true);
    expect(store.keys('')).toEqual([]);
  });

  it('a message is in the store when publish() returns, before it is sent', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store, maxInflight: 1 });
    a.client.publish('t', '1', { qos: 1 });
    a.client.publish('t', '2', { qos: 1 });
    expect(store.keys('')).toHaveLength(2);
  });

  for (const id of [1, 12, 300]) {
    it(`an inbound QoS 2 id (${id}) awaiting PUBREL survives a restart: the repeat is not delivered again`, () => {
      const store = new MemoryStore();
      const a = connected({ protocolVersion: v, store, clean: false });
      a.last().send({ cmd: 'publish', topic: 't', payload: 'once', qos: 2, messageId: id });
      expect(a.messages).toEqual(['t:once']);
      a.client.end(true);
      a.last().end();

      const b = connected({ protocolVersion: v, store, clean: false }, { sessionPresent: true });
      b.last().send({ cmd: 'publish', topic: 't', payload: 'once', qos: 2, messageId: id, dup: true });
      expect(b.messages).toEqual([]);
      expect(b.last().sent('pubrec').map(idOf)).toEqual([id]);
      b.last().send({ cmd: 'pubrel', messageId: id });
      const comp = b.last().sent('pubcomp') as Any[];
      expect(comp.map(idOf)).toEqual([id]);
      if (v === 5) expect(comp[0].reasonCode ?? 0).toBe(0);
      expect(store.keys('')).toEqual([]);
    });
  }

  it('storePrefix keeps two clients on one store apart', () => {
    const store = new MemoryStore();
    const a = connected({ protocolVersion: v, store, storePrefix: 'a' });
    const b = connected({ protocolVersion: v, store, storePrefix: 'b' });
    a.client.publish('t', 'from-a', { qos: 1 });
    b.client.publish('t', 'from-b', { qos: 1 });
    a.client.end(true);
    b.client.end(true);
    const a2 = connected({ protocolVersion: v, store, storePrefix: 'a' }, { sessionPresent: true });
    expect(payloads(a2.last())).toEqual(['from-a']);
  });
});
