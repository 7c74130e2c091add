// The MQTT.js-shaped surface: argument forms, callbacks, promises, message delivery.
import { describe, expect, it } from 'vitest';
import { connected, idOf, rig, text } from './harness';

describe('publish', () => {
  it('calls back for QoS 0 once handed to the transport, never from inside the call', () => {
    const r = connected();
    const calls: string[] = [];
    r.client.publish('t', 'x', (err) => calls.push(`cb:${err}`));
    calls.push('returned');
    expect(r.last().sent('publish')).toHaveLength(1);
    r.clock.settle();
    expect(calls).toEqual(['returned', 'cb:null']);
  });

  it('sends retain, QoS and MQTT 5 properties', () => {
    const r = connected({ protocolVersion: 5 });
    r.client.publish('s', 'online', { qos: 1, retain: true, properties: { contentType: 'text/plain', userProperties: [['k', 'v']] } });
    expect(r.last().sent('publish')[0]).toMatchObject({
      topic: 's', qos: 1, retain: true, properties: { contentType: 'text/plain', userProperties: { k: 'v' } },
    });
  });

  it('publishAsync resolves with the PUBACK', async () => {
    const r = connected();
    const p = r.client.publishAsync('t', new Uint8Array([1, 2, 3]), { qos: 1 });
    const sent = r.last().sent('publish')[0] as { payload: Buffer };
    expect([...sent.payload]).toEqual([1, 2, 3]);
    r.last().send({ cmd: 'puback', messageId: idOf(sent) });
    await expect(p).resolves.toMatchObject({ type: 4, messageId: idOf(sent) });
  });

  it('publishAsync rejects what the server said it will not accept, with the reason code', async () => {
    const r = rig({ protocolVersion: 5 });
    r.last().accept();
    r.last().connack(false, 0, { maximumQoS: 0 });
    const refused = r.client.publishAsync('t', 'x', { qos: 1 });
    const accepted = r.client.publishAsync('t', 'x', { qos: 0 });
    r.clock.settle();
    await expect(refused).rejects.toMatchObject({ code: 0x9b });
    await expect(accepted).resolves.toBeUndefined();
    expect(r.last().sent('publish')).toHaveLength(1);
  });

  it('rejects a refused QoS 1 message with the PUBACK reason code (MQTT 5)', async () => {
    const r = connected({ protocolVersion: 5 });
    const p = r.client.publishAsync('t', 'x', { qos: 1 });
    r.last().send({ cmd: 'puback', messageId: idOf(r.last().sent('publish')[0]), reasonCode: 0x87 });
    await expect(p).rejects.toMatchObject({ code: 0x87 });
  });
});

describe('subscribe', () => {
  it('accepts a topic with options and answers with the granted list', () => {
    const r = connected();
    let result: unknown;
    r.client.subscribe('a/+', { qos: 1 }, (err, granted) => {
      result = { err, granted };
    });
    const sub = r.last().sent('subscribe')[0] as { subscriptions: unknown[] };
    expect(sub.subscriptions).toEqual([expect.objectContaining({ topic: 'a/+', qos: 1 })]);
    r.last().send({ cmd: 'suback', messageId: idOf(sub), granted: [1] });
    expect(result).toEqual({ err: null, granted: [{ topic: 'a/+', qos: 1 }] });
  });

  it('accepts a list, and a map of topic to options, as MQTT.js does', () => {
    const r = connected();
    const grants: unknown[] = [];
    r.client.subscribe(['x', 'y'], (_err, granted) => grants.push(granted));
    r.client.subscribe({ p: { qos: 0 }, q: { qos: 2 } }, (_err, granted) => grants.push(granted));
    const [first, second] = r.last().sent('subscribe') as { subscriptions: { topic: string; qos: number }[] }[];
    expect(first.subscriptions.map((s) => `${s.topic}@${s.qos}`)).toEqual(['x@0', 'y@0']);
    expect(second.subscriptions.map((s) => `${s.topic}@${s.qos}`)).toEqual(['p@0', 'q@2']);
    r.last().send({ cmd: 'suback', messageId: idOf(first), granted: [0, 0x80] });
    r.last().send({ cmd: 'suback', messageId: idOf(second), granted: [0, 1] });
    expect(grants).toEqual([
      [{ topic: 'x', qos: 0 }, { topic: 'y', qos: 0x80 }],
      [{ topic: 'p', qos: 0 }, { topic: 'q', qos: 1 }],
    ]);
  });

  it('sends MQTT 5 subscription options and properties', () => {
    const r = connected({ protocolVersion: 5 });
    r.client.subscribe('cmd/#', { qos: 1, nl: true, rap: true, rh: 2, properties: { subscriptionIdentifier: 7 } });
    expect(r.last().sent('subscribe')[0]).toMatchObject({
      subscriptions: [{ topic: 'cmd/#', qos: 1, nl: true, rap: true, rh: 2 }],
      properties: { subscriptionIdentifier: 7 },
    });
  });

  it('subscribeAsync resolves with the granted list', async () => {
    const r = connected();
    const p = r.client.subscribeAsync('a', { qos: 2 });
    r.last().send({ cmd: 'suback', messageId: idOf(r.last().sent('subscribe')[0]), granted: [1] });
    await expect(p).resolves.toEqual([{ topic: 'a', qos: 1 }]);
  });

  it('waits for the connection when called offline', () => {
    const r = connected({ jitter: 0 });
    r.last().end();
    let granted: unknown;
    r.client.subscribe('late', (_err, g) => {
      granted = g;
    });
    r.clock.advance(r.clock.timerAt - r.clock.t);
    r.last().accept();
    r.last().connack(true);
    r.last().send({ cmd: 'suback', messageId: idOf(r.last().sent('subscribe')[0]), granted: [0] });
    expect(granted).toEqual([{ topic: 'late', qos: 0 }]);
  });
});

describe('unsubscribe', () => {
  it('sends one UNSUBSCRIBE for a topic or a list and calls back with the UNSUBACK', async () => {
    const r = connected();
    let packet: unknown;
    r.client.unsubscribe('a', (_err, p) => {
      packet = p;
    });
    const pa = r.client.unsubscribeAsync(['b', 'c']);
    const [one, two] = r.last().sent('unsubscribe') as { unsubscriptions: string[] }[];
    expect(one.unsubscriptions).toEqual(['a']);
    expect(two.unsubscriptions).toEqual(['b', 'c']);
    r.last().send({ cmd: 'unsuback', messageId: idOf(one) });
    r.last().send({ cmd: 'unsuback', messageId: idOf(two) });
    expect(packet).toMatchObject({ type: 11, messageId: idOf(one) });
    await expect(pa).resolves.toMatchObject({ type: 11 });
  });
});

describe('message', () => {
  it('delivers topic, payload bytes and the packet, after the automatic acknowledgement', () => {
    const r = connected();
    const t = r.last();
    const got: unknown[] = [];
    r.client.on('message', (topic, payload, packet) => {
      got.push([topic, text(payload), payload instanceof Uint8Array, packet.qos, t.sent('puback').length]);
    });
    t.send({ cmd: 'publish', topic: 'devices/1/cmd/led', payload: Buffer.from('on'), qos: 1, messageId: 9 });
    expect(got).toEqual([['devices/1/cmd/led', 'on', true, 1, 1]]);
  });

  it('hands payloads through the platform wrapper (Node makes them Buffers)', () => {
    const r = connected({}, { wrapPayload: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength) });
    let payload: unknown;
    let packetPayload: unknown;
    r.client.on('message', (_topic, p, packet) => {
      payload = p;
      packetPayload = packet.payload;
    });
    r.last().send({ cmd: 'publish', topic: 't', payload: Buffer.from('hello'), qos: 0 });
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect(String(payload)).toBe('hello');
    expect(packetPayload).toBe(payload);
  });

  it('delivers a QoS 2 message once, however often the server repeats it before PUBREL', () => {
    const r = connected();
    const t = r.last();
    let count = 0;
    r.client.on('message', () => count++);
    t.send({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, messageId: 5 });
    t.send({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, messageId: 5, dup: true });
    t.send({ cmd: 'pubrel', messageId: 5 });
    expect(count).toBe(1);
    expect(t.sent('pubrec')).toHaveLength(2);
    expect(t.sent('pubcomp')).toHaveLength(1);
  });

  it('with manualAcks, acknowledges only when ack() is called', () => {
    const r = connected({ manualAcks: true });
    const t = r.last();
    r.client.on('message', (_topic, _payload, packet) => {
      expect(t.sent('puback')).toHaveLength(0);
      r.client.ack(packet);
    });
    t.send({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 3 });
    expect(t.sent('puback')).toEqual([expect.objectContaining({ messageId: 3 })]);
  });
});
