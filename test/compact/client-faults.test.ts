// CompactClient on bad input from the server: malformed packets and protocol errors
// close the connection with an error code (MQTT 5: DISCONNECT with that reason), keep
// what is queued, and reconnect. Stream framing: any split of the bytes gives the same.
import { describe, expect, it } from 'vitest';
import * as mqttPacket from 'mqtt-packet';
import { connected, idOf, payloads, reconnect, rig } from './harness';
import type { Rig } from './harness';

type Any = Record<string, any>;

const faults: [string, number[], number][] = [
  ['a Remaining Length over 4 bytes', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 0x81],
  ['a Remaining Length that disagrees with the packet (PINGRESP of 1)', [0xd0, 0x01, 0x00], 0x81],
  ['reserved flags set on a PUBACK', [0x42, 0x02, 0x00, 0x01], 0x81],
  ['reserved flags wrong on a PUBREL', [0x60, 0x02, 0x00, 0x01], 0x81],
  ['a PUBLISH with QoS 3', [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], 0x81],
  ['a CONNECT sent to the client', [...mqttPacket.generate({ cmd: 'connect', clientId: 'x', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0 } as any)], 0x82],
  ['a SUBSCRIBE sent to the client', [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00], 0x82],
  ['a second CONNACK', [0x20, 0x02, 0x00, 0x00], 0x82],
  ['a PUBLISH with packet id 0', [0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x00], 0x82],
];

/** A v5 CONNACK is longer (properties length); the fault list is byte-exact for both except where the packet has MQTT 5 fields. */
function bytesFor(v: number, bytes: number[]): Uint8Array {
  if (v === 5 && bytes[0] === 0x20) return new Uint8Array([0x20, 0x03, 0x00, 0x00, 0x00]);
  if (v === 5 && bytes[0] === 0x32 && bytes.length === 7) return new Uint8Array([0x32, 0x06, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00]);
  return new Uint8Array(bytes);
}

describe.each([4, 5])('malformed input from the server (MQTT %i)', (v) => {
  for (const [what, bytes, code] of faults) {
    it(`${what}: error ${code.toString(16)}, connection closed${v === 5 ? ', DISCONNECT with that reason' : ''}`, () => {
      const r = connected({ protocolVersion: v });
      r.last().sendBytes(bytesFor(v, bytes));
      expect(r.errors.map((e) => e.code)).toEqual([code]);
      expect(r.last().closeCalls).toBe(1);
      const d = r.last().sent('disconnect') as Any[];
      if (v === 5) expect(d.map((p) => p.reasonCode)).toEqual([code]);
      else expect(d).toHaveLength(0);
      expect(r.client.connected).toBe(true); // until the transport reports the close
      r.last().end();
      expect(r.client.connected).toBe(false);
    });
  }

  // AUTH is MQTT 5 only (in 3.1.1 type 15 is refused by the codec like the packets above)
  if (v === 5) it('an AUTH from the server is a protocol error (0x82): the client sent no Authentication Method', () => {
    const r = connected({ protocolVersion: v });
    r.last().send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } });
    expect(r.errors.map((e) => e.code)).toEqual([0x82]);
    expect((r.last().sent('disconnect') as Any[]).map((p) => p.reasonCode)).toEqual([0x82]);
    expect(r.last().closeCalls).toBe(1);
  });

  it('a PUBLISH before CONNACK is a protocol error (0x82) and the connection is closed', () => {
    const r = rig({ protocolVersion: v });
    r.last().accept();
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x', qos: 0 });
    expect(r.errors.map((e) => e.code)).toEqual([0x82]);
    expect(r.messages).toEqual([]);
    expect(r.last().closeCalls).toBe(1);
    expect(r.client.connected).toBe(false);
  });

  it('keeps unacknowledged and queued messages through the fault and resends them after reconnecting', () => {
    const r = connected({ protocolVersion: v, clean: false, maxInflight: 1 });
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b', { qos: 2 });
    r.client.publish('t', 'c', { qos: 0 });
    r.last().sendBytes(new Uint8Array([0x42, 0x02, 0x00, 0x01]));
    const t = reconnect(r, true);
    expect(payloads(t)).toEqual(['a']);
    t.send({ cmd: 'puback', messageId: 1 });
    expect(payloads(t)).toEqual(['a', 'b', 'c']);
  });

  it('ignores the rest of the bytes after a malformed packet', () => {
    const r = connected({ protocolVersion: v });
    const bad = new Uint8Array([0x42, 0x02, 0x00, 0x01]);
    const good = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 3, retain: false, dup: false } as any, { protocolVersion: v });
    r.last().sendBytes(new Uint8Array([...bad, ...good]));
    expect(r.messages).toEqual([]);
    expect(r.last().sent('puback')).toHaveLength(0);
  });

  it('ignores data arriving after a protocol error, before the transport reports the close', () => {
    const r = connected({ protocolVersion: v });
    r.last().sendBytes(new Uint8Array([0x42, 0x02, 0x00, 0x01]));
    r.last().send({ cmd: 'publish', topic: 't', payload: 'late', qos: 1, messageId: 3 });
    expect(r.messages).toEqual([]);
    expect(r.last().sent('puback')).toHaveLength(0);
  });
});

describe('incoming packet size (maxIncomingPacketSize; MQTT 5 Maximum Packet Size of the client)', () => {
  /** A QoS 0 PUBLISH on topic 't' whose whole packet is `size` bytes (3 bytes of Remaining Length from 128 B up). */
  function publishOf(v: number, size: number): Any {
    const overhead = (v === 5 ? 6 : 5) + (size > 129 ? 1 : 0) + (size > 16386 ? 1 : 0);
    return { cmd: 'publish', topic: 't', payload: Buffer.alloc(size - overhead, 0x61), qos: 0 };
  }

  it.each([4, 5])('MQTT %i: a packet of maxIncomingPacketSize is delivered, one byte more is refused with 0x95 and the client reconnects', (v) => {
    const r = connected({ protocolVersion: v, maxIncomingPacketSize: 300, reconnectPeriod: 100 });
    const ok = publishOf(v, 300);
    expect(mqttPacket.generate(ok as mqttPacket.Packet, { protocolVersion: v }).length).toBe(300);
    r.last().send(ok);
    expect(r.messages).toHaveLength(1);
    const big = publishOf(v, 301);
    expect(mqttPacket.generate(big as mqttPacket.Packet, { protocolVersion: v }).length).toBe(301);
    r.last().send(big);
    expect(r.messages).toHaveLength(1);
    expect(r.errors.map((e) => e.code)).toEqual([0x95]);
    expect(r.last().closeCalls).toBe(1);
    expect((r.last().sent('disconnect') as Any[]).map((p) => p.reasonCode)).toEqual(v === 5 ? [0x95] : []);
    reconnect(r);
    expect(r.client.connected).toBe(true);
  });

  it('is refused from the fixed header, before the rest arrives: nothing is buffered for it', () => {
    const r = connected({ maxIncomingPacketSize: 1000 });
    // PUBLISH with a Remaining Length of 2,000,000 and no more bytes
    r.last().sendBytes(new Uint8Array([0x30, 0x80, 0x89, 0x7a]));
    expect(r.errors.map((e) => e.code)).toEqual([0x95]);
    expect(r.last().closeCalls).toBe(1);
  });

  it('defaults to 8192 bytes', () => {
    const r = connected({ reconnectPeriod: 0 });
    r.last().send(publishOf(4, 8192));
    expect(r.errors).toEqual([]);
    r.last().send(publishOf(4, 8193));
    expect(r.errors.map((e) => e.code)).toEqual([0x95]);
    expect(r.messages).toHaveLength(1);
  });

  it('MQTT 5: CONNECT announces the limit as Maximum Packet Size (default 8192), the caller\'s options untouched', () => {
    const options = { protocolVersion: 5, properties: { sessionExpiryInterval: 60 } };
    const a = rig(options);
    a.last().accept();
    expect((a.last().sent('connect')[0] as Any).properties).toEqual({ sessionExpiryInterval: 60, maximumPacketSize: 8192 });
    expect(options.properties).toEqual({ sessionExpiryInterval: 60 });
    const b = rig({ protocolVersion: 5, maxIncomingPacketSize: 1000 });
    b.last().accept();
    expect((b.last().sent('connect')[0] as Any).properties).toEqual({ maximumPacketSize: 1000 });
  });

  it('MQTT 5: properties.maximumPacketSize wins over maxIncomingPacketSize, announced and enforced', () => {
    const r = connected({ protocolVersion: 5, maxIncomingPacketSize: 1000, properties: { maximumPacketSize: 64 } });
    expect((r.last().sent('connect')[0] as Any).properties).toEqual({ maximumPacketSize: 64 });
    r.last().send({ cmd: 'publish', topic: 't', payload: 'x'.repeat(100), qos: 0 });
    expect(r.messages).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual([0x95]);
    expect((r.last().sent('disconnect')[0] as Any).reasonCode).toBe(0x95);
  });

  it('MQTT 3.1.1: CONNECT has no properties to announce it in', () => {
    const r = rig({ maxIncomingPacketSize: 1000 });
    r.last().accept();
    const c = r.last().sent('connect')[0] as Any;
    expect(c.protocolVersion).toBe(4);
    expect(c.properties).toBeUndefined();
  });
});

// ---- framing --------------------------------------------------------------------------

function serverStream(v: number): Uint8Array {
  const packets: Record<string, unknown>[] = [
    { cmd: 'connack', sessionPresent: false, ...(v === 5 ? { reasonCode: 0, properties: { receiveMaximum: 10 } } : { returnCode: 0 }) },
    { cmd: 'publish', topic: 'a', payload: Buffer.from('zero'), qos: 0, retain: false, dup: false },
    { cmd: 'publish', topic: 'b/c', payload: Buffer.from('one'), qos: 1, messageId: 5, retain: false, dup: false },
    { cmd: 'publish', topic: 'long', payload: Buffer.alloc(300, 0x61), qos: 2, messageId: 6, retain: true, dup: false },
    { cmd: 'pubrel', messageId: 6 },
    { cmd: 'suback', messageId: 1, granted: [1] },
    { cmd: 'puback', messageId: 2 },
    { cmd: 'pingresp' },
    { cmd: 'publish', topic: 'e', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false },
  ];
  return new Uint8Array(Buffer.concat(packets.map((p) => mqttPacket.generate(p as any, { protocolVersion: v }))));
}

/** Runs the stream through a fresh client in the given chunks; returns what the application and the server saw. */
function play(v: number, chunks: Uint8Array[]): { events: string[]; sent: string[] } {
  const r: Rig = rig({ protocolVersion: v });
  const events: string[] = [];
  r.client.on('message', (topic, payload) => events.push(`message ${topic} ${Buffer.from(payload).length}`));
  r.client.on('connect', () => events.push('connect'));
  r.client.on('error', (e) => events.push(`error ${(e as Any).code}`));
  r.last().accept();
  r.client.subscribe('s', { qos: 1 }, (_e, g) => events.push(`suback ${JSON.stringify(g)}`));
  r.client.publish('p', 'x', { qos: 1 }, (e) => events.push(`puback ${e}`));
  for (const c of chunks) r.last().sendBytes(c);
  r.clock.settle();
  const sent = r.last().received.map((p) => `${p.cmd}${idOf(p) ? ' ' + idOf(p) : ''}`);
  return { events, sent };
}

describe.each([4, 5])('stream framing (MQTT %i)', (v) => {
  const stream = serverStream(v);
  const whole = play(v, [stream]);

  it('the whole stream in one chunk gives the expected events', () => {
    expect(whole.events).toEqual([
      'connect', 'message a 4', 'message b/c 3', 'message long 300', 'message e 0',
      'suback [{"topic":"s","qos":1}]', 'puback null',
    ]);
    expect(whole.sent).toEqual(['connect', 'subscribe 1', 'publish 2', 'puback 5', 'pubrec 6', 'pubcomp 6']);
  });

  it('one byte at a time gives the same events', () => {
    const chunks = Array.from(stream, (b) => new Uint8Array([b]));
    expect(play(v, chunks)).toEqual(whole);
  });

  it('split in two at every position gives the same events', () => {
    for (let i = 1; i < stream.length; i++) {
      const got = play(v, [stream.slice(0, i), stream.slice(i)]);
      expect(got, `split at ${i}`).toEqual(whole);
    }
  });

  it('split in three at many positions gives the same events', () => {
    for (let i = 1; i < stream.length; i += 7) {
      for (let j = i + 1; j < stream.length; j += 11) {
        const got = play(v, [stream.slice(0, i), stream.slice(i, j), stream.slice(j)]);
        expect(got, `split at ${i}, ${j}`).toEqual(whole);
      }
    }
  });
});
