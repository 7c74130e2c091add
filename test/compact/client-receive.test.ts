// CompactClient incoming: PUBLISH QoS 0/1/2 with acks before delivery, QoS 2 once,
// subscribe / unsubscribe and resubscribe, MQTT 5 reason codes, DISCONNECT, aliases.
import { describe, expect, it } from 'vitest';
import { connected, idOf, reconnect, recorder } from './harness';

type Any = Record<string, any>;

describe.each([4, 5])('incoming PUBLISH (MQTT %i)', (v) => {
  it('QoS 0: delivers topic, payload and packet', () => {
    const r = connected({ protocolVersion: v });
    const got: Any[] = [];
    r.client.on('message', (topic, payload, packet) => got.push({ topic, payload: Buffer.from(payload).toString(), retain: (packet as Any).retain }));
    r.last().send({ cmd: 'publish', topic: 'a/b', payload: 'hi', qos: 0, retain: true });
    expect(got).toEqual([{ topic: 'a/b', payload: 'hi', retain: true }]);
    expect(r.last().received.filter((p) => p.cmd !== 'connect')).toEqual([]);
  });

  it('QoS 1: PUBACK goes out before the message event', () => {
    const r = connected({ protocolVersion: v });
    const seen: number[] = [];
    r.client.on('message', () => seen.push(r.last().sent('puback').length));
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x', qos: 1, messageId: 7 });
    expect(seen).toEqual([1]);
    expect(r.last().sent('puback').map(idOf)).toEqual([7]);
  });

  it('QoS 2: PUBREC goes out before the message event, PUBCOMP answers PUBREL', () => {
    const r = connected({ protocolVersion: v });
    const seen: number[] = [];
    r.client.on('message', () => seen.push(r.last().sent('pubrec').length));
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x', qos: 2, messageId: 9 });
    expect(seen).toEqual([1]);
    expect(r.last().sent('pubrec').map(idOf)).toEqual([9]);
    r.last().send({ cmd: 'pubrel', messageId: 9 });
    const comp = r.last().sent('pubcomp') as Any[];
    expect(comp.map(idOf)).toEqual([9]);
    if (v === 5) expect(comp[0].reasonCode ?? 0).toBe(0);
  });

  it('QoS 2: a repeated PUBLISH (DUP) before PUBREL is acknowledged again but delivered once', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x', qos: 2, messageId: 9 });
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x', qos: 2, messageId: 9, dup: true });
    expect(r.messages).toEqual(['t:x']);
    expect(r.last().sent('pubrec').map(idOf)).toEqual([9, 9]);
  });

  it('QoS 2: the repeat is suppressed across a reconnect too', () => {
    const r = connected({ protocolVersion: v, clean: false });
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x', qos: 2, messageId: 12 });
    const t = reconnect(r, true);
    t.send({ cmd: 'publish', topic: 't', payload: 'x', qos: 2, messageId: 12, dup: true });
    expect(r.messages).toEqual(['t:x']);
    expect(t.sent('pubrec').map(idOf)).toEqual([12]);
  });

  it('QoS 2: a reception awaiting PUBREL is forgotten when the server has no session, so a new message with that id is delivered', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'publish', topic: 't', payload: 'old', qos: 2, messageId: 4 });
    const t = reconnect(r, false);
    t.send({ cmd: 'publish', topic: 't', payload: 'new', qos: 2, messageId: 4 });
    expect(r.messages).toEqual(['t:old', 't:new']);
  });

  it('QoS 2: the same id after PUBREL is a new message', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'publish', topic: 't', payload: '1', qos: 2, messageId: 9 });
    r.last().send({ cmd: 'pubrel', messageId: 9 });
    r.last().send({ cmd: 'publish', topic: 't', payload: '2', qos: 2, messageId: 9 });
    expect(r.messages).toEqual(['t:1', 't:2']);
  });

  it('PUBREL for an unknown id is answered with PUBCOMP (MQTT 5: reason 0x92)', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'pubrel', messageId: 44 });
    const comp = r.last().sent('pubcomp') as Any[];
    expect(comp.map(idOf)).toEqual([44]);
    if (v === 5) expect(comp[0].reasonCode).toBe(0x92);
    expect(r.errors).toEqual([]);
  });

  it('delivers an empty payload', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'publish', topic: 't', payload: '', qos: 0 });
    expect(r.messages).toEqual(['t:']);
  });
});

describe.each([4, 5])('subscribe and unsubscribe (MQTT %i)', (v) => {
  it('sends SUBSCRIBE with the filters and QoS, and calls back with the grants', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.subscribe({ 'a/+': { qos: 1 }, 'b/#': { qos: 2 } }, rec.cb);
    const s = r.last().sent('subscribe')[0] as Any;
    expect(s.subscriptions.map((x: Any) => [x.topic, x.qos])).toEqual([['a/+', 1], ['b/#', 2]]);
    r.clock.settle();
    expect(rec.calls).toEqual([]);
    r.last().send({ cmd: 'suback', messageId: s.messageId, granted: [1, 0x80] });
    r.clock.settle();
    expect(rec.calls).toEqual([[null, [{ topic: 'a/+', qos: 1 }, { topic: 'b/#', qos: 0x80 }]]]);
  });

  it('subscribes a list with one QoS', () => {
    const r = connected({ protocolVersion: v });
    r.client.subscribe(['x', 'y'], { qos: 1 });
    const s = r.last().sent('subscribe')[0] as Any;
    expect(s.subscriptions.map((x: Any) => [x.topic, x.qos])).toEqual([['x', 1], ['y', 1]]);
  });

  it('refuses an empty filter and QoS 3 without sending', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.subscribe('', rec.cb);
    r.client.subscribe('t', { qos: 3 }, rec.cb);
    r.client.subscribe([], rec.cb);
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x8f, 0x8f, 0x8f]);
    expect(r.last().sent('subscribe')).toHaveLength(0);
  });

  it('sends UNSUBSCRIBE and calls back on UNSUBACK', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.unsubscribe(['a', 'b'], rec.cb);
    const u = r.last().sent('unsubscribe')[0] as Any;
    expect(u.unsubscriptions).toEqual(['a', 'b']);
    r.last().send(v === 5 ? { cmd: 'unsuback', messageId: u.messageId, granted: [0, 0x11] } : { cmd: 'unsuback', messageId: u.messageId });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null]);
  });

  it('resubscribes the granted filters after a reconnect without a session', () => {
    const r = connected({ protocolVersion: v });
    r.client.subscribe({ 'a/+': { qos: 1 }, 'b': { qos: 2 } });
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1, 0x80] });
    const t = reconnect(r, false);
    const s = t.sent('subscribe') as Any[];
    expect(s).toHaveLength(1);
    expect(s[0].subscriptions.map((x: Any) => [x.topic, x.qos])).toEqual([['a/+', 1]]);
  });

  it('the SUBACK to a resubscribe is taken quietly and the connection stays up', () => {
    const r = connected({ protocolVersion: v });
    r.client.subscribe('a', { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1] });
    const t = reconnect(r, false);
    const s = t.sent('subscribe')[0] as Any;
    t.send({ cmd: 'suback', messageId: s.messageId, granted: [1] });
    r.clock.settle();
    expect(r.errors).toEqual([]);
    expect(t.closeCalls).toBe(0);
    expect(r.client.connected).toBe(true);
  });

  it('resubscribes before the messages queued offline', () => {
    const r = connected({ protocolVersion: v });
    r.client.subscribe('a', { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1] });
    r.last().end();
    r.client.publish('t', 'x', { qos: 1 });
    const t = reconnect(r, false);
    expect(t.received.map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'publish']);
  });

  it('does not resubscribe when the server kept the session', () => {
    const r = connected({ protocolVersion: v, clean: false });
    r.client.subscribe('a', { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1] });
    const t = reconnect(r, true);
    expect(t.sent('subscribe')).toHaveLength(0);
  });

  it('does not resubscribe with resubscribe: false', () => {
    const r = connected({ protocolVersion: v, resubscribe: false });
    r.client.subscribe('a', { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1] });
    const t = reconnect(r, false);
    expect(t.sent('subscribe')).toHaveLength(0);
  });

  it('does not resubscribe a filter unsubscribed since', () => {
    const r = connected({ protocolVersion: v });
    r.client.subscribe(['a', 'b'], { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1, 1] });
    r.client.unsubscribe('a');
    r.last().send(v === 5 ? { cmd: 'unsuback', messageId: 2, granted: [0] } : { cmd: 'unsuback', messageId: 2 });
    const t = reconnect(r, false);
    const s = t.sent('subscribe') as Any[];
    expect(s[0].subscriptions.map((x: Any) => x.topic)).toEqual(['b']);
  });
  it('a filter unsubscribed before its SUBACK came is not resubscribed later', () => {
    const r = connected({ protocolVersion: v });
    r.client.subscribe('a', { qos: 1 });
    r.client.unsubscribe('a');
    const t = r.last();
    t.send({ cmd: 'suback', messageId: idOf(t.sent('subscribe')[0]), granted: [1] });
    t.send(v === 5 ? { cmd: 'unsuback', messageId: idOf(t.sent('unsubscribe')[0]), granted: [0] } : { cmd: 'unsuback', messageId: idOf(t.sent('unsubscribe')[0]) });
    expect(reconnect(r, false).sent('subscribe')).toHaveLength(0);
  });
});

describe('MQTT 5 subscribe options and properties', () => {
  it('sends No Local, Retain As Published, Retain Handling and the SUBSCRIBE properties', () => {
    const r = connected({ protocolVersion: 5 });
    r.client.subscribe('a', { qos: 1, nl: true, rap: true, rh: 2, properties: { subscriptionIdentifier: 5, userProperties: { k: 'v' } } });
    const s = r.last().sent('subscribe')[0] as Any;
    expect(s.subscriptions[0]).toMatchObject({ topic: 'a', qos: 1, nl: true, rap: true, rh: 2 });
    expect(s.properties).toMatchObject({ subscriptionIdentifier: 5, userProperties: { k: 'v' } });
  });

  it('resubscribes with the SUBSCRIBE properties each filter was subscribed with: one SUBSCRIBE per set', () => {
    const r = connected({ protocolVersion: 5 });
    r.client.subscribe(['a', 'b'], { qos: 1, properties: { subscriptionIdentifier: 7 } });
    r.client.subscribe('c', { qos: 0 });
    r.client.subscribe('d', { qos: 2, properties: { subscriptionIdentifier: 9 } });
    const subs = r.last().sent('subscribe') as Any[];
    r.last().send({ cmd: 'suback', messageId: subs[0].messageId, granted: [1, 1] });
    r.last().send({ cmd: 'suback', messageId: subs[1].messageId, granted: [0] });
    r.last().send({ cmd: 'suback', messageId: subs[2].messageId, granted: [2] });
    r.client.publish('t', 'queued', { qos: 1 });
    r.last().end();
    r.clock.settle();
    const t = reconnect(r, false);
    const again = t.sent('subscribe') as Any[];
    expect(again.map((x) => [x.subscriptions.map((f: Any) => `${f.topic}:${f.qos}`).join(','), x.properties?.subscriptionIdentifier])).toEqual([['a:1,b:1', 7], ['c:0', undefined], ['d:2', 9]]);
    // before the message queued meanwhile
    expect(t.received.map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'subscribe', 'subscribe', 'publish']);
  });

  it('a SUBACK failure reason code is reported per filter and the filter is not resubscribed', () => {
    const r = connected({ protocolVersion: 5 });
    const rec = recorder();
    r.client.subscribe(['ok', 'denied'], { qos: 1 }, rec.cb);
    r.last().send({ cmd: 'suback', messageId: 1, granted: [1, 0x87] });
    r.clock.settle();
    expect(rec.calls[0][1]).toEqual([{ topic: 'ok', qos: 1 }, { topic: 'denied', qos: 0x87 }]);
    const t = reconnect(r, false);
    expect((t.sent('subscribe')[0] as Any).subscriptions.map((x: Any) => x.topic)).toEqual(['ok']);
  });
});

describe('MQTT 5 reason codes on acknowledgements', () => {
  it('PUBACK with a reason >= 0x80 fails the callback with that code', () => {
    const r = connected({ protocolVersion: 5 });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 1 }, rec.cb);
    r.last().send({ cmd: 'puback', messageId: 1, reasonCode: 0x87 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x87]);
    expect(r.client.inflightCount).toBe(0);
  });

  it('PUBACK 0x10 (no matching subscribers) is a success', () => {
    const r = connected({ protocolVersion: 5 });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 1 }, rec.cb);
    r.last().send({ cmd: 'puback', messageId: 1, reasonCode: 0x10 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null]);
  });

  it('PUBREC with a reason >= 0x80 ends the flow with that error and sends no PUBREL', () => {
    const r = connected({ protocolVersion: 5 });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 2 }, rec.cb);
    r.last().send({ cmd: 'pubrec', messageId: 1, reasonCode: 0x97 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x97]);
    expect(r.last().sent('pubrel')).toHaveLength(0);
    expect(r.client.inflightCount).toBe(0);
  });

  it('PUBCOMP with a reason >= 0x80 fails the callback with that code', () => {
    const r = connected({ protocolVersion: 5 });
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 2 }, rec.cb);
    r.last().send({ cmd: 'pubrec', messageId: 1 });
    r.last().send({ cmd: 'pubcomp', messageId: 1, reasonCode: 0x83 });
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x83]);
  });

  it('a failed QoS 1 frees its window slot for the next message', () => {
    const r = connected({ protocolVersion: 5, maxInflight: 1 });
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b', { qos: 1 });
    r.last().send({ cmd: 'puback', messageId: 1, reasonCode: 0x80 });
    expect(r.last().sent('publish')).toHaveLength(2);
  });
});

describe('MQTT 5 server DISCONNECT', () => {
  it("emits 'disconnect' with the packet, then closes and reconnects", () => {
    const r = connected({ protocolVersion: 5 });
    const got: Any[] = [];
    r.client.on('disconnect', (p) => got.push(p as Any));
    r.last().send({ cmd: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'shutting down' } });
    expect(got).toHaveLength(1);
    expect(got[0].reasonCode).toBe(0x8b);
    expect(r.last().closeCalls).toBe(1);
    expect(r.last().sent('disconnect')).toHaveLength(0);
    r.last().end();
    r.clock.advance(1000);
    expect(r.transports).toHaveLength(2);
  });

  it('keeps unacknowledged messages and resends them on the next connection', () => {
    const r = connected({ protocolVersion: 5, clean: false });
    r.client.publish('t', 'a', { qos: 1 });
    r.last().send({ cmd: 'disconnect', reasonCode: 0x8b });
    const t = reconnect(r, true);
    expect((t.sent('publish') as Any[]).map((p) => [String(p.payload), p.dup])).toEqual([['a', true]]);
  });
});

describe('MQTT 5 incoming topic aliases', () => {
  it('resolves a topic alias set by an earlier PUBLISH', () => {
    const r = connected({ protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    r.last().send({ cmd: 'publish', topic: 'long/topic', payload: '1', qos: 0, properties: { topicAlias: 3 } });
    r.last().send({ cmd: 'publish', topic: '', payload: '2', qos: 0, properties: { topicAlias: 3 } });
    expect(r.messages).toEqual(['long/topic:1', 'long/topic:2']);
  });

  it('an alias can be remapped to another topic', () => {
    const r = connected({ protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    r.last().send({ cmd: 'publish', topic: 'a', payload: '1', qos: 0, properties: { topicAlias: 1 } });
    r.last().send({ cmd: 'publish', topic: 'b', payload: '2', qos: 0, properties: { topicAlias: 1 } });
    r.last().send({ cmd: 'publish', topic: '', payload: '3', qos: 0, properties: { topicAlias: 1 } });
    expect(r.messages).toEqual(['a:1', 'b:2', 'b:3']);
  });

  it('an unknown alias is a protocol error (0x82): DISCONNECT, close, no delivery', () => {
    const r = connected({ protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    r.last().send({ cmd: 'publish', topic: '', payload: 'x', qos: 1, messageId: 1, properties: { topicAlias: 2 } });
    expect(r.messages).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual([0x82]);
    expect((r.last().sent('disconnect')[0] as Any).reasonCode).toBe(0x82);
    expect(r.last().sent('puback')).toHaveLength(0);
    expect(r.last().closeCalls).toBe(1);
  });

  it('an alias above the Topic Alias Maximum the client announced is a protocol error (0x94)', () => {
    const r = connected({ protocolVersion: 5, properties: { topicAliasMaximum: 2 } });
    r.last().send({ cmd: 'publish', topic: 'a', payload: '1', qos: 0, properties: { topicAlias: 3 } });
    expect(r.messages).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual([0x94]);
    expect((r.last().sent('disconnect')[0] as Any).reasonCode).toBe(0x94);
  });

  it('aliases do not survive a reconnect', () => {
    const r = connected({ protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    r.last().send({ cmd: 'publish', topic: 'a', payload: '1', qos: 0, properties: { topicAlias: 1 } });
    const t = reconnect(r);
    t.send({ cmd: 'publish', topic: '', payload: '2', qos: 0, properties: { topicAlias: 1 } });
    expect(r.messages).toEqual(['a:1']);
    expect(r.errors.map((e) => e.code)).toEqual([0x82]);
  });
});
