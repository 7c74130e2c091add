// The streaming Decoder's contract: chunks of any size, read() until null, feed only
// after that, sticky errors until reset(), oversize packets refused from the length
// header, views instead of copies, nothing but MqttErrors thrown.
import { describe, expect, it } from 'vitest';
import {
  CONNECT, Decoder, MAX_PACKET_SIZE, PINGRESP, PUBACK, PUBLISH, decodeAll, encode, isMqttError, setBufferPool,
} from '../../../src/codec/index';
import type { Packet, PublishPacket } from '../../../src/codec/index';
import { codeOf, h, pkt, props, str } from './helpers';

const PUBLISH_AB = '30 07 0003 612f62 6869'; // QoS 0 "a/b" payload "hi"
const PUBACK_1 = '40 02 0001';

function readAll(d: Decoder): Packet[] {
  const out: Packet[] = [];
  for (let p = d.read(); p !== null; p = d.read()) out.push(p);
  return out;
}

describe('Decoder streaming', () => {
  it('returns null before anything was fed', () => {
    const d = new Decoder();
    expect(d.read()).toBeNull();
    expect(d.read()).toBeNull();
  });

  it('decodes many packets fed in one chunk, in order, then returns null', () => {
    const d = new Decoder();
    d.feed(h(PUBLISH_AB + PUBACK_1 + 'd0 00' + PUBLISH_AB));
    const got = readAll(d);
    expect(got.map((p) => p.type)).toEqual([PUBLISH, PUBACK, PINGRESP, PUBLISH]);
    expect(d.read()).toBeNull();
  });

  it('accepts an empty chunk', () => {
    const d = new Decoder();
    d.feed(new Uint8Array(0));
    expect(d.read()).toBeNull();
    d.feed(h(PUBACK_1));
    expect(readAll(d)).toEqual([{ type: PUBACK, messageId: 1 }]);
  });

  it('resumes at every byte of a stream of packets of every size, chunked in sizes 1 to 9', () => {
    const packets: Packet[] = [];
    for (let i = 0; i < 40; i++) {
      packets.push({ type: PUBLISH, topic: 't/' + i, payload: new Uint8Array(i * 13).fill(i), qos: 1, messageId: i + 1, retain: false, dup: false });
      packets.push({ type: PUBACK, messageId: i + 1 });
    }
    const parts = packets.map((p) => encode(p, 5));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    for (let size = 1; size <= 9; size++) {
      const d = new Decoder({ protocolVersion: 5 });
      const got: Packet[] = [];
      for (let i = 0; i < all.length; i += size) {
        d.feed(all.slice(i, i + size));
        for (let p = d.read(); p !== null; p = d.read()) got.push(p);
      }
      expect(got.length, `chunk size ${size}`).toBe(packets.length);
      expect(got).toStrictEqual(packets.map((p) => (p.type === PUBLISH ? { ...p, payload: new Uint8Array(p.payload as Uint8Array) } : p)));
      expect(d.pending()).toBe(false);
    }
  });

  it('reports a packet in progress with pending()', () => {
    const d = new Decoder();
    const bytes = h(PUBLISH_AB);
    d.feed(bytes.subarray(0, 1));
    expect(d.read()).toBeNull();
    expect(d.pending()).toBe(true);
    d.feed(bytes.subarray(1, 5));
    expect(d.read()).toBeNull();
    expect(d.pending()).toBe(true);
    d.feed(bytes.subarray(5));
    expect(d.read()).not.toBeNull();
    expect(d.pending()).toBe(false);
  });

  it('decodes a CONNECT with the protocol level it carries and then decodes for that level', () => {
    const d = new Decoder(); // default 4
    expect(d.protocolVersion).toBe(4);
    const connect = encode({ type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, properties: { receiveMaximum: 5 } }, 5);
    const publish = h(pkt('30', str('t'), props('23 0002'), '00'));
    d.feed(connect);
    const c = d.read();
    expect(c).toMatchObject({ type: CONNECT, protocolVersion: 5, properties: { receiveMaximum: 5 } });
    expect(d.protocolVersion).toBe(5);
    expect(d.read()).toBeNull();
    d.feed(publish);
    expect(d.read()).toMatchObject({ type: PUBLISH, topic: 't', properties: { topicAlias: 2 } });
  });

  it('lets protocolVersion be changed between packets', () => {
    const d = new Decoder();
    d.feed(h('20 02 00 00'));
    expect(d.read()).toEqual({ type: 2, sessionPresent: false, reasonCode: 0 });
    expect(d.read()).toBeNull();
    d.protocolVersion = 5;
    d.feed(h('20 03 00 00 00'));
    expect(d.read()).toEqual({ type: 2, sessionPresent: false, reasonCode: 0 });
  });

  it('decodeAll() returns every packet of a buffer and refuses one that ends inside a packet', () => {
    expect(decodeAll(h(PUBACK_1 + PUBACK_1)).length).toBe(2);
    expect(codeOf(() => decodeAll(h(PUBACK_1 + '40 02 00')))).toBe(0x81);
  });
});

describe('Decoder misuse (local errors, code 0x83, not sticky)', () => {
  it('throws when fed before read() returned null, and keeps working', () => {
    const d = new Decoder();
    d.feed(h(PUBACK_1 + PUBACK_1));
    expect(codeOf(() => d.feed(h(PUBACK_1)))).toBe(0x83);
    expect(d.read()).toEqual({ type: PUBACK, messageId: 1 });
    // the last packet ended exactly at the end of the chunk: still not drained
    expect(d.read()).toEqual({ type: PUBACK, messageId: 1 });
    expect(codeOf(() => d.feed(h(PUBACK_1)))).toBe(0x83);
    expect(d.read()).toBeNull();
    d.feed(h(PUBACK_1));
    expect(readAll(d)).toEqual([{ type: PUBACK, messageId: 1 }]);
  });

  it('throws when fed something that is not a Uint8Array', () => {
    const d = new Decoder();
    expect(codeOf(() => d.feed('40020001' as unknown as Uint8Array))).toBe(0x83);
    expect(codeOf(() => d.feed([0x40, 2, 0, 1] as unknown as Uint8Array))).toBe(0x83);
    d.feed(h(PUBACK_1));
    expect(readAll(d)).toEqual([{ type: PUBACK, messageId: 1 }]);
  });
});

describe('Decoder errors are sticky', () => {
  it('throws the same error on every read() after a bad packet, ignores feeds, until reset()', () => {
    const d = new Decoder();
    d.feed(h(PUBACK_1 + '41 02 0001' + PUBACK_1));
    expect(d.read()).toEqual({ type: PUBACK, messageId: 1 });
    let first: unknown = null;
    try {
      d.read();
    } catch (e) {
      first = e;
    }
    expect(isMqttError(first)).toBe(true);
    expect((first as { code: number }).code).toBe(0x81);
    for (let i = 0; i < 3; i++) {
      let again: unknown = null;
      try {
        d.read();
      } catch (e) {
        again = e;
      }
      expect(again).toBe(first);
    }
    d.feed(h(PUBACK_1)); // dropped
    expect(codeOf(() => d.read())).toBe(0x81);
    d.reset();
    expect(d.read()).toBeNull();
    d.feed(h(PUBACK_1));
    expect(readAll(d)).toEqual([{ type: PUBACK, messageId: 1 }]);
  });

  it('forgets a partial packet on reset() and keeps protocolVersion and maxPacketSize', () => {
    const d = new Decoder({ protocolVersion: 5, maxPacketSize: 100 });
    d.feed(h('30 07 0003'));
    expect(d.read()).toBeNull();
    expect(d.pending()).toBe(true);
    d.reset();
    expect(d.pending()).toBe(false);
    expect(d.protocolVersion).toBe(5);
    expect(d.maxPacketSize).toBe(100);
    d.feed(h('40 03 0001 10'));
    expect(d.read()).toEqual({ type: PUBACK, messageId: 1, reasonCode: 0x10 });
  });

  it('is sticky for an error found in the fixed header, the length and the body alike', () => {
    for (const bad of ['00', '30 80 80 80 80', '40 02 0000']) {
      const d = new Decoder();
      const bytes = h(bad);
      let code: number | string = 'none';
      for (let i = 0; i < bytes.length && code === 'none'; i++) {
        d.feed(bytes.subarray(i, i + 1));
        try {
          while (d.read() !== null);
        } catch (e) {
          code = (e as { code: number }).code;
        }
      }
      expect(typeof code).toBe('number');
      expect(codeOf(() => d.read())).toBe(code);
    }
  });
});

describe('Decoder maxPacketSize', () => {
  it('defaults to the largest packet MQTT can frame', () => {
    expect(new Decoder().maxPacketSize).toBe(268435460);
    expect(MAX_PACKET_SIZE).toBe(268435460);
  });

  it('refuses a packet from its length header alone, before any of the body arrives', () => {
    const d = new Decoder({ maxPacketSize: 100 });
    // PUBLISH with Remaining Length 98: 1 + 1 + 98 = 100 bytes, the limit, is fine so far
    d.feed(h('30 62'));
    expect(d.read()).toBeNull();
    const e = new Decoder({ maxPacketSize: 100 });
    // Remaining Length 99: 101 bytes
    e.feed(h('30 63'));
    expect(codeOf(() => e.read())).toBe(0x95);
    expect(codeOf(() => e.read())).toBe(0x95);
  });

  it('refuses from a multi-byte length header fed one byte at a time', () => {
    const d = new Decoder({ maxPacketSize: 1000 });
    d.feed(h('30'));
    expect(d.read()).toBeNull();
    d.feed(h('ff'));
    expect(d.read()).toBeNull(); // still inside the Remaining Length
    d.feed(h('7f')); // 16383
    expect(codeOf(() => d.read())).toBe(0x95);
  });

  it('counts the fixed header: a packet of exactly maxPacketSize bytes is accepted', () => {
    const bytes = encode({ type: PUBLISH, topic: 't', payload: new Uint8Array(200), qos: 0, retain: false, dup: false }, 4);
    expect(bytes.length).toBe(206);
    const ok = new Decoder({ maxPacketSize: 206 });
    ok.feed(bytes);
    expect(ok.read()).not.toBeNull();
    const no = new Decoder({ maxPacketSize: 205 });
    no.feed(bytes);
    expect(codeOf(() => no.read())).toBe(0x95);
  });

  it('is settable after construction', () => {
    const d = new Decoder();
    d.maxPacketSize = 3;
    d.feed(h(PUBACK_1));
    expect(codeOf(() => d.read())).toBe(0x95);
  });
});

describe('Decoder buffers', () => {
  it('decodes a packet that lies in one chunk without copying: the payload is a view of the chunk', () => {
    const chunk = h(PUBACK_1 + PUBLISH_AB);
    const d = new Decoder();
    d.feed(chunk);
    d.read();
    const p = d.read() as PublishPacket;
    const payload = p.payload as Uint8Array;
    expect(payload.buffer).toBe(chunk.buffer);
    expect(payload.byteOffset).toBe(chunk.byteOffset + 4 + 7);
    chunk[chunk.length - 1] = 0x21; // callers must not reuse a fed chunk: the view sees it
    expect(payload[1]).toBe(0x21);
  });

  it('copies a packet that spans chunks once, into a buffer of its exact size', () => {
    const bytes = h(PUBLISH_AB);
    const d = new Decoder();
    const first = bytes.slice(0, 4);
    const second = bytes.slice(4);
    d.feed(first);
    expect(d.read()).toBeNull();
    d.feed(second);
    const p = d.read() as PublishPacket;
    const payload = p.payload as Uint8Array;
    expect(payload.buffer).not.toBe(first.buffer);
    expect(payload.buffer).not.toBe(second.buffer);
    expect(Array.from(payload)).toEqual([0x68, 0x69]);
    second[second.length - 1] = 0; // the copy does not see later changes to a chunk
    expect(payload[1]).toBe(0x69);
  });

  it('allocates the buffer for a spanning packet at the exact Remaining Length (no pool)', () => {
    setBufferPool(0);
    try {
      const d = new Decoder();
      const bytes = h(PUBLISH_AB);
      d.feed(bytes.slice(0, 3));
      expect(d.read()).toBeNull();
      d.feed(bytes.slice(3));
      const p = d.read() as PublishPacket;
      expect((p.payload as Uint8Array).buffer.byteLength).toBe(7);
    } finally {
      setBufferPool(65536);
    }
  });

  it('does not allocate a large declared body from its header: the buffer grows as bytes arrive', () => {
    setBufferPool(0);
    try {
      const d = new Decoder();
      d.feed(h('30 ff ff ff 7f 00')); // PUBLISH declaring 256 MiB, then one body byte
      expect(d.read()).toBeNull();
      expect(d.pending()).toBe(true);
      const held = (d as unknown as { partial: Uint8Array }).partial;
      expect(held.length).toBeLessThanOrEqual(65536);
    } finally {
      setBufferPool(65536);
    }
  });

  it('decodes a body larger than the first buffer, fed in uneven chunks, to the exact bytes', () => {
    setBufferPool(0);
    try {
      const payload = new Uint8Array(300000);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
      const bytes = encode({ type: PUBLISH, topic: 'big', payload, qos: 1, retain: false, dup: false, messageId: 3 }, 4);
      const d = new Decoder();
      let got: PublishPacket | null = null;
      for (let pos = 0, step = 1; pos < bytes.length; pos += step, step = ((step * 3 + 1) % 50000) || 1) {
        d.feed(bytes.subarray(pos, Math.min(pos + step, bytes.length)));
        const p = d.read();
        if (p !== null) got = p as PublishPacket;
      }
      expect(got).not.toBeNull();
      const out = got!.payload as Uint8Array;
      expect(out.length).toBe(payload.length);
      // grown to exactly the body (Remaining Length): the fixed header is 1 + 3 bytes
      expect(out.buffer.byteLength).toBe(bytes.length - 4);
      expect(Buffer.from(out).equals(Buffer.from(payload))).toBe(true);
    } finally {
      setBufferPool(65536);
    }
  });

  it('gives correlationData and a CONNECT password as views too', () => {
    const chunk = encode({ type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, username: 'u', password: new Uint8Array([9, 8]) }, 5);
    const d = new Decoder({ protocolVersion: 5 });
    d.feed(chunk);
    const c = d.read() as { password: Uint8Array };
    expect(c.password.buffer).toBe(chunk.buffer);
    expect(Array.from(c.password)).toEqual([9, 8]);
  });
});

describe('Decoder never throws anything but an MqttError', () => {
  it('on 3000 random byte strings and 3000 mutated valid packets (seeded)', () => {
    let seed = 0x2545f491;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    const valid = [
      h(PUBLISH_AB),
      encode({ type: CONNECT, protocolVersion: 5, clientId: 'id', clean: true, keepalive: 9, username: 'u', password: 'p', will: { topic: 'w', payload: 'x', qos: 1, retain: true, properties: { contentType: 'a', userProperties: [['k', 'v']] } }, properties: { sessionExpiryInterval: 5, authenticationMethod: 'm', authenticationData: new Uint8Array([1]) } }, 5),
      encode({ type: PUBLISH, topic: 'a/b', payload: new Uint8Array(40), qos: 2, messageId: 7, retain: false, dup: false, properties: { subscriptionIdentifier: [1, 300], correlationData: new Uint8Array(3), responseTopic: 'r' } }, 5),
      encode({ type: 8, messageId: 3, subscriptions: [{ topic: 'a/+', qos: 1, nl: true, rh: 1 }], properties: { subscriptionIdentifier: 4 } }, 5),
    ];
    for (let i = 0; i < 6000; i++) {
      let bytes: Uint8Array;
      if (i < 3000) {
        bytes = new Uint8Array(Math.floor(rand() * 40));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      } else {
        bytes = valid[i % valid.length].slice();
        const flips = 1 + Math.floor(rand() * 3);
        for (let k = 0; k < flips; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      }
      for (const v of [4, 5] as const) {
        const d = new Decoder({ protocolVersion: v, maxPacketSize: 1 << 16 });
        const step = 1 + (i % 5);
        try {
          for (let j = 0; j < bytes.length; j += step) {
            d.feed(bytes.subarray(j, j + step));
            while (d.read() !== null);
          }
        } catch (e) {
          if (!isMqttError(e)) throw new Error(`non-MqttError ${String(e)} for ${Buffer.from(bytes).toString('hex')} (v${v})`);
        }
      }
    }
  });
});
