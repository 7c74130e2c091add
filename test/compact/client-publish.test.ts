// CompactClient outgoing: PUBLISH QoS 0/1/2 flows, refusals, the in-flight window,
// resend after a reconnect, packet ids.
import { describe, expect, it } from 'vitest';
import { connected, idOf, payloads, reconnect, recorder, rig } from './harness';

type Any = Record<string, any>;

describe.each([4, 5])('publish flows (MQTT %i)', (v) => {
  it('QoS 0: sends the PUBLISH and calls back once written', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('a/b', 'hello', rec.cb);
    const p = r.last().sent('publish')[0] as Any;
    expect(p).toMatchObject({ topic: 'a/b', qos: 0, retain: false, dup: false });
    expect(payloads(r.last())).toEqual(['hello']);
    r.clock.settle();
    expect(rec.calls).toEqual([[null, undefined]]);
  });

  it('sends a binary payload and the retain flag', () => {
    const r = connected({ protocolVersion: v });
    r.client.publish('t', new Uint8Array([0, 255, 7]), { retain: true });
    const p = r.last().sent('publish')[0] as Any;
    expect([...p.payload]).toEqual([0, 255, 7]);
    expect(p.retain).toBe(true);
  });

  it('QoS 1: calls back on PUBACK, not before', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 1 }, rec.cb);
    const p = r.last().sent('publish')[0] as Any;
    expect(p.qos).toBe(1);
    expect(p.dup).toBe(false);
    r.clock.settle();
    expect(rec.calls).toEqual([]);
    r.last().send({ cmd: 'puback', messageId: p.messageId });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null]);
    expect(r.client.inflightCount).toBe(0);
  });

  it('QoS 2: PUBREC is answered with PUBREL, and the callback waits for PUBCOMP', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 2 }, rec.cb);
    const id = idOf(r.last().sent('publish')[0]);
    r.last().send({ cmd: 'pubrec', messageId: id });
    expect(r.last().sent('pubrel').map(idOf)).toEqual([id]);
    r.clock.settle();
    expect(rec.calls).toEqual([]);
    r.last().send({ cmd: 'pubcomp', messageId: id });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null]);
    expect(r.client.inflightCount).toBe(0);
  });

  it('never calls a callback from inside publish(), even for a refusal', () => {
    const r = connected({ protocolVersion: v });
    const order: string[] = [];
    r.client.publish('t', 'x', () => order.push('qos0'));
    r.client.publish('bad/#', 'x', () => order.push('refused'));
    order.push('returned');
    r.clock.settle();
    expect(order).toEqual(['returned', 'qos0', 'refused']);
  });

  it('a PUBACK for an id not in flight changes nothing', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 1 }, rec.cb);
    r.last().send({ cmd: 'puback', messageId: 999 });
    r.clock.settle();
    expect(rec.calls).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.client.inflightCount).toBe(1);
  });

  it('a PUBCOMP for a message still waiting for PUBREC is ignored', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 2 }, rec.cb);
    const id = idOf(r.last().sent('publish')[0]);
    r.last().send({ cmd: 'pubcomp', messageId: id });
    r.clock.settle();
    expect(rec.calls).toEqual([]);
    expect(r.client.inflightCount).toBe(1);
  });

  it('a PUBREC for an unknown id is answered with PUBREL so the server can finish', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'pubrec', messageId: 77 });
    const rel = r.last().sent('pubrel') as Any[];
    expect(rel.map(idOf)).toEqual([77]);
    if (v === 5) expect(rel[0].reasonCode).toBe(0x92);
  });
  it('a repeated PUBREC, for a message already at PUBREL, gets the same PUBREL again (no 0x92)', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'a', { qos: 2 }, rec.cb);
    const id = idOf(r.last().sent('publish')[0]);
    r.last().send({ cmd: 'pubrec', messageId: id });
    r.last().send({ cmd: 'pubrec', messageId: id });
    const rels = r.last().sent('pubrel') as Any[];
    expect(rels.map((p) => [p.messageId, p.reasonCode ?? 0])).toEqual([[id, 0], [id, 0]]);
    r.last().send({ cmd: 'pubcomp', messageId: id });
    r.clock.settle();
    expect(rec.calls).toEqual([[null, expect.objectContaining({ cmd: 'pubcomp' })]]);
  });
});

describe.each([4, 5])('publish refusals: the call fails with a code and nothing is sent (MQTT %i)', (v) => {
  const cases: [string, (c: any, cb: any) => void, number][] = [
    ['an empty topic', (c, cb) => c.publish('', 'x', cb), 0x90],
    ['a + wildcard in the topic', (c, cb) => c.publish('a/+/b', 'x', cb), 0x90],
    ['a # wildcard in the topic', (c, cb) => c.publish('a/#', 'x', cb), 0x90],
    // [MQTT-1.5.4-2]; on Espruino, where strings may hold any bytes, also what is not UTF-8
    ['U+0000 in the topic', (c, cb) => c.publish('a\u0000b', 'x', cb), 0x90],
    ['U+0000 in a subscription', (c, cb) => c.subscribe('a\u0000b', cb), 0x8f],
    ['QoS 3', (c, cb) => c.publish('t', 'x', { qos: 3 }, cb), 0x9b],
    // no throw out of publish(): bad arguments reach the callback
    ['a payload that is a number', (c, cb) => c.publish('t', 42, cb), 0x82],
    ['a payload that is an object', (c, cb) => c.publish('t', { a: 1 }, cb), 0x82],
    ['a filter with # before its last level', (c, cb) => c.subscribe('a/#/b', cb), 0x8f],
    ['a filter with + inside a level', (c, cb) => c.subscribe('a+', cb), 0x8f],
    ['a filter with # inside a level', (c, cb) => c.unsubscribe('a/b#', cb), 0x8f],
  ];
  for (const [what, call, code] of cases) {
    it(`refuses ${what}`, () => {
      const r = connected({ protocolVersion: v });
      const rec = recorder();
      call(r.client, rec.cb);
      r.clock.settle();
      expect(rec.calls.map((c) => c[0])).toEqual([code]);
      expect(r.last().sent('publish')).toHaveLength(0);
    });
  }

  it('refuses past maxQueued (messages waiting offline) and keeps the ones queued', () => {
    const r = rig({ protocolVersion: v, maxQueued: 2 });
    const rec = recorder();
    r.client.publish('t', '1', { qos: 1 });
    r.client.publish('t', '2', { qos: 1 });
    r.client.publish('t', '3', { qos: 1 }, rec.cb);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x97]);
    r.last().accept();
    r.last().connack();
    expect(payloads(r.last())).toEqual(['1', '2']);
  });

  it('a refused publish takes no packet id', () => {
    const r = connected({ protocolVersion: v });
    r.client.publish('a/#', 'x', { qos: 1 });
    r.client.publish('t', 'x', { qos: 1 });
    expect(r.last().sent('publish').map(idOf)).toEqual([1]);
  });
});

describe('publish refusals from the server limits (MQTT 5)', () => {
  it('refuses retain when the server said Retain Available 0', () => {
    const r = connected({ protocolVersion: 5 }, { properties: { retainAvailable: false } });
    const rec = recorder();
    r.client.publish('t', 'x', { retain: true }, rec.cb);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x9a]);
    expect(r.last().sent('publish')).toHaveLength(0);
    r.client.publish('t', 'y');
    expect(payloads(r.last())).toEqual(['y']);
  });

  it('refuses a QoS above the server Maximum QoS', () => {
    const r = connected({ protocolVersion: 5 }, { properties: { maximumQoS: 1 } });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 2 }, rec.cb);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x9b]);
    expect(r.last().sent('publish')).toHaveLength(0);
  });

  it('refuses a PUBLISH larger than the server Maximum Packet Size, counted over the whole packet', () => {
    const r = connected({ protocolVersion: 5 }, { properties: { maximumPacketSize: 20 } });
    const rec = recorder();
    // fixed header 2 + topic 2+1 + properties length 1 = 6: a 14-byte payload makes 20, 15 makes 21
    r.client.publish('t', 'x'.repeat(14), rec.cb);
    r.client.publish('t', 'x'.repeat(15), rec.cb);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null, 0x95]);
    expect(payloads(r.last())).toEqual(['x'.repeat(14)]);
  });

  it('refuses a SUBSCRIBE or UNSUBSCRIBE larger than the server Maximum Packet Size (0x95), sending neither', () => {
    const r = connected({ protocolVersion: 5 }, { properties: { maximumPacketSize: 20 } });
    const rec = recorder();
    // SUBSCRIBE: fixed header 2 + id 2 + properties length 1 + topic 2+n + options 1 = 8 + n
    r.client.subscribe('x'.repeat(12), rec.cb);
    r.client.subscribe('x'.repeat(13), rec.cb);
    // UNSUBSCRIBE: 2 + 2 + 1 + 2+n = 7 + n
    r.client.unsubscribe('y'.repeat(14), rec.cb);
    r.last().send({ cmd: 'suback', messageId: idOf(r.last().sent('subscribe')[0]), granted: [0] });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x95, 0x95, null]);
    expect(r.last().sent('subscribe').map((p: Any) => p.subscriptions[0].topic)).toEqual(['x'.repeat(12)]);
    expect(r.last().sent('unsubscribe')).toHaveLength(0);
  });

  it('what was queued before the CONNACK meets its limits when sent: refused to its callback (0x95, 0x9b, 0x9a), the rest goes out', () => {
    const r = rig({ protocolVersion: 5 });
    const rec = recorder();
    r.client.publish('t', 'x'.repeat(200), { qos: 1 }, rec.cb);
    r.client.publish('t', 'two', { qos: 2 }, rec.cb);
    r.client.publish('t', 'kept', { qos: 1, retain: true }, rec.cb);
    r.client.subscribe('s'.repeat(120), rec.cb);
    r.client.publish('t', 'ok', { qos: 1 }, rec.cb);
    r.last().accept();
    r.last().connack(false, 0, { maximumPacketSize: 100, maximumQoS: 1, retainAvailable: false, receiveMaximum: 1 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x95, 0x9b, 0x9a, 0x95]);
    expect(payloads(r.last())).toEqual(['ok']);
    expect(r.last().sent('subscribe')).toHaveLength(0);
    expect(r.last().writes.every((w) => w.length <= 100)).toBe(true);
    r.last().send({ cmd: 'puback', messageId: idOf(r.last().sent('publish')[0]) });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x95, 0x9b, 0x9a, 0x95, null]);
  });

  it('a message queued under one CONNACK and refused by the next is dropped there, not resent forever', () => {
    const r = connected({ protocolVersion: 5 }, { properties: { receiveMaximum: 1 } });
    const rec = recorder();
    r.client.publish('t', 'first', { qos: 1 }, rec.cb);
    r.client.publish('t', 'x'.repeat(200), { qos: 1 }, rec.cb);
    r.client.publish('t', 'last', { qos: 1 }, rec.cb);
    expect(payloads(r.last())).toEqual(['first']);
    const t = reconnect(r, true, { maximumPacketSize: 100 });
    expect(payloads(t)).toEqual(['first', 'last']);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x95]);
  });

  it('refuses, to the callback: a property PUBLISH cannot carry (0x81), a topic alias (0x94: none outgoing here), Retain Handling 3 and No Local on a shared subscription (0x8f)', () => {
    const r = connected({ protocolVersion: 5 });
    const rec = recorder();
    expect(() => r.client.publish('t', 'x', { properties: { sessionExpiryInterval: 60 } }, rec.cb)).not.toThrow();
    r.client.publish('t', 'x', { properties: { topicAlias: 1 } }, rec.cb);
    r.client.subscribe('a', { rh: 3 } as Any, rec.cb);
    r.client.subscribe('$share/g/a', { nl: true }, rec.cb);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x81, 0x94, 0x8f, 0x8f]);
    expect(r.last().sent('publish')).toHaveLength(0);
    expect(r.last().sent('subscribe')).toHaveLength(0);
  });

  it('sends the PUBLISH properties', () => {
    const r = connected({ protocolVersion: 5 });
    r.client.publish('t', 'x', { properties: { contentType: 'text/plain', messageExpiryInterval: 60, userProperties: { k: 'v' } } });
    const p = r.last().sent('publish')[0] as Any;
    expect(p.properties).toMatchObject({ contentType: 'text/plain', messageExpiryInterval: 60, userProperties: { k: 'v' } });
  });
});

describe.each([4, 5])('in-flight window (MQTT %i)', (v) => {
  it('sends at most maxInflight QoS 1/2 messages; the rest go out in order as acks come', () => {
    const r = connected({ protocolVersion: v, maxInflight: 2 });
    for (let i = 1; i <= 5; i++) r.client.publish('t', String(i), { qos: 1 });
    expect(payloads(r.last())).toEqual(['1', '2']);
    r.last().send({ cmd: 'puback', messageId: 1 });
    expect(payloads(r.last())).toEqual(['1', '2', '3']);
    r.last().send({ cmd: 'puback', messageId: 3 });
    r.last().send({ cmd: 'puback', messageId: 2 });
    expect(payloads(r.last())).toEqual(['1', '2', '3', '4', '5']);
  });

  it('a QoS 0 message queued behind a full window waits its turn (order kept)', () => {
    const r = connected({ protocolVersion: v, maxInflight: 1 });
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b', { qos: 1 });
    r.client.publish('t', 'c');
    expect(payloads(r.last())).toEqual(['a']);
    r.last().send({ cmd: 'puback', messageId: 1 });
    expect(payloads(r.last())).toEqual(['a', 'b', 'c']);
  });

  it('a QoS 2 message holds its window slot until PUBCOMP', () => {
    const r = connected({ protocolVersion: v, maxInflight: 1 });
    r.client.publish('t', 'a', { qos: 2 });
    r.client.publish('t', 'b', { qos: 2 });
    r.last().send({ cmd: 'pubrec', messageId: 1 });
    expect(payloads(r.last())).toEqual(['a']);
    r.last().send({ cmd: 'pubcomp', messageId: 1 });
    expect(payloads(r.last())).toEqual(['a', 'b']);
  });

  it('after a reconnect, a QoS 2 message awaiting PUBCOMP still holds its window slot', () => {
    const r = connected({ protocolVersion: v, maxInflight: 1, clean: false });
    r.client.publish('t', 'a', { qos: 2 });
    r.client.publish('t', 'b', { qos: 2 });
    r.last().send({ cmd: 'pubrec', messageId: 1 });
    const t = reconnect(r, true);
    expect(t.sent('pubrel').map(idOf)).toEqual([1]);
    expect(payloads(t)).toEqual([]);
    t.send({ cmd: 'pubcomp', messageId: 1 });
    expect(payloads(t)).toEqual(['b']);
  });
});

describe('in-flight window (MQTT 5 Receive Maximum)', () => {
  it('sends no more than the server Receive Maximum when it is below maxInflight', () => {
    const r = connected({ protocolVersion: 5, maxInflight: 10 }, { properties: { receiveMaximum: 2 } });
    for (let i = 1; i <= 4; i++) r.client.publish('t', String(i), { qos: 1 });
    expect(payloads(r.last())).toEqual(['1', '2']);
    r.last().send({ cmd: 'puback', messageId: 1 });
    expect(payloads(r.last())).toEqual(['1', '2', '3']);
  });

  it('QoS 0 is not held by the Receive Maximum', () => {
    const r = connected({ protocolVersion: 5 }, { properties: { receiveMaximum: 1 } });
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b');
    expect(payloads(r.last())).toEqual(['a', 'b']);
  });
});

describe.each([4, 5])('resend after a reconnect (MQTT %i)', (v) => {
  it('resends every unacknowledged QoS 1/2 PUBLISH with DUP, in the original order', () => {
    const r = connected({ protocolVersion: v, clean: false });
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b', { qos: 2 });
    r.client.publish('t', 'c', { qos: 1 });
    r.last().send({ cmd: 'puback', messageId: 1 });
    const t = reconnect(r, true);
    const sent = t.sent('publish') as Any[];
    expect(sent.map((p) => [String(p.payload), p.messageId, p.qos, p.dup])).toEqual([
      ['b', 2, 2, true],
      ['c', 3, 1, true],
    ]);
  });

  it('resends after several reconnects until acknowledged, and calls back once', () => {
    const r = connected({ protocolVersion: v, clean: false });
    const rec = recorder();
    r.client.publish('t', 'a', { qos: 1 }, rec.cb);
    reconnect(r, true);
    const t = reconnect(r, true);
    expect(payloads(t)).toEqual(['a']);
    t.send({ cmd: 'puback', messageId: 1 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null]);
  });

  it('QoS 2 after PUBREC resends PUBREL, not the PUBLISH', () => {
    const r = connected({ protocolVersion: v, clean: false });
    const rec = recorder();
    r.client.publish('t', 'a', { qos: 2 }, rec.cb);
    r.last().send({ cmd: 'pubrec', messageId: 1 });
    const t = reconnect(r, true);
    expect(t.sent('publish')).toHaveLength(0);
    expect(t.sent('pubrel').map(idOf)).toEqual([1]);
    t.send({ cmd: 'pubcomp', messageId: 1 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null]);
  });

  it('QoS 1/2 published while offline go out after the resends, without DUP', () => {
    const r = connected({ protocolVersion: v, clean: false });
    r.client.publish('t', 'a', { qos: 1 });
    r.last().end();
    r.client.publish('t', 'b', { qos: 1 });
    const t = reconnect(r, true);
    expect((t.sent('publish') as Any[]).map((p) => [String(p.payload), p.dup])).toEqual([['a', true], ['b', false]]);
  });

  it('resends a pending SUBSCRIBE and UNSUBSCRIBE', () => {
    const r = connected({ protocolVersion: v, clean: false });
    const sub = recorder();
    const unsub = recorder();
    r.client.subscribe('s/1', { qos: 1 }, sub.cb);
    r.client.unsubscribe('s/2', unsub.cb);
    const t = reconnect(r, true);
    const s = t.sent('subscribe') as Any[];
    expect(s.map((p) => p.subscriptions[0].topic)).toEqual(['s/1']);
    expect((t.sent('unsubscribe') as Any[]).map((p) => p.unsubscriptions)).toEqual([['s/2']]);
    t.send({ cmd: 'suback', messageId: idOf(s[0]), granted: [1] });
    t.send(v === 5 ? { cmd: 'unsuback', messageId: 2, granted: [0] } : { cmd: 'unsuback', messageId: 2 });
    r.clock.settle();
    expect(sub.calls.map((c) => c[0])).toEqual([null]);
    expect(unsub.calls.map((c) => c[0])).toEqual([null]);
  });

  it('an ack from the old connection is not taken for the new one', () => {
    const r = connected({ protocolVersion: v, clean: false });
    const rec = recorder();
    r.client.publish('t', 'a', { qos: 1 }, rec.cb);
    const old = r.last();
    old.end();
    r.clock.advance(1000);
    old.handler!.onData(new Uint8Array([0x40, 2, 0, 1]));
    r.clock.settle();
    expect(rec.calls).toEqual([]);
  });
});

describe('the first PUBLISH goes out without DUP', () => {
  it('even when the transport keeps a reference to the bytes until it sends them', () => {
    // The Transport contract lets write() keep the array until sent (Node's socket does
    // while corked or when the kernel buffer is full); the client must not modify it.
    const r = connected({ protocolVersion: 4 });
    const t = r.last();
    const kept: Uint8Array[] = [];
    const write = t.write.bind(t);
    t.write = (bytes: Uint8Array) => {
      kept.push(bytes);
      return write(bytes);
    };
    r.client.publish('t', 'x', { qos: 1 });
    expect(kept).toHaveLength(1);
    expect(kept[0][0] & 0x08).toBe(0);
  });
});

describe('packet identifiers', () => {
  it('are sequential from 1 across publish, subscribe and unsubscribe', () => {
    const r = connected();
    r.client.publish('t', 'x', { qos: 1 });
    r.client.subscribe('s');
    r.client.publish('t', 'x', { qos: 2 });
    r.client.unsubscribe('s');
    const ids = r.last().received.filter((p) => p.cmd !== 'connect').map(idOf);
    expect(ids).toEqual([1, 2, 3, 4]);
  });

  it('QoS 0 takes no id', () => {
    const r = connected();
    r.client.publish('t', 'x');
    r.client.publish('t', 'x', { qos: 1 });
    expect(r.last().sent('publish').map(idOf)).toEqual([undefined, 1]);
  });

  it('continue after an acknowledged id instead of reusing it', () => {
    const r = connected();
    r.client.publish('t', 'x', { qos: 1 });
    r.last().send({ cmd: 'puback', messageId: 1 });
    r.client.publish('t', 'y', { qos: 1 });
    expect(r.last().sent('publish').map(idOf)).toEqual([1, 2]);
  });

  it('wrap at 65535 to 1, skipping ids still in use', () => {
    const r = connected({ maxInflight: 65535, maxQueued: 70000 });
    const t = r.last();
    // id 1 and 2 stay in flight; 3..65535 are acknowledged
    r.client.publish('t', 'x', { qos: 1 });
    r.client.publish('t', 'x', { qos: 1 });
    for (let id = 3; id <= 65535; id++) {
      r.client.publish('t', 'x', { qos: 1 });
      t.send({ cmd: 'puback', messageId: id });
    }
    r.client.publish('t', 'x', { qos: 1 });
    const ids = t.sent('publish').map(idOf);
    expect(ids[ids.length - 2]).toBe(65535);
    expect(ids[ids.length - 1]).toBe(3);
  });
});
