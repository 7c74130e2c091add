// The encoder's entry points beyond the fixtures: encodeInto's "does not fit" result,
// encodedLength, the topic caches of encoder and decoder, and the buffer pool.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONNECT, Decoder, PUBACK, PUBLISH, SUBSCRIBE, encode, encodeInto, encodedLength, setBufferPool,
} from '../../../src/codec/index';
import type { Packet, PublishPacket } from '../../../src/codec/index';
import { toHex } from './helpers';

function publish(topic: string, payload: Uint8Array | string = new Uint8Array([1, 2, 3])): Packet {
  return { type: PUBLISH, topic, payload, qos: 1, messageId: 9, retain: false, dup: false };
}

/** What an independent encoder writes for a QoS 1 PUBLISH (topic as UTF-8 via Buffer). */
function expectedPublish(topic: string, payload: number[]): string {
  const t = Buffer.from(topic, 'utf8');
  const rem = 2 + t.length + 2 + payload.length;
  const len: number[] = [];
  let n = rem;
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    len.push(d);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x32]), Buffer.from(len), Buffer.from([t.length >> 8, t.length & 255]), t, Buffer.from([0, 9]), Buffer.from(payload)]).toString('hex');
}

const SAMPLES: Packet[] = [
  publish('a/b'),
  publish('é/😀/x'),
  { type: PUBACK, messageId: 1 },
  { type: PUBACK, messageId: 1, reasonCode: 0x10, properties: { reasonString: 'r' } },
  { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 5, will: { topic: 'w', payload: 'x', qos: 1, retain: false }, properties: { userProperties: [['a', 'b']] } },
  { type: SUBSCRIBE, messageId: 2, subscriptions: [{ topic: 'a/+', qos: 1 }] },
];

describe('encodeInto', () => {
  it('returns -1 and writes nothing when the buffer is one byte too small, at any offset', () => {
    for (const p of SAMPLES) {
      const n = encodedLength(p, 5);
      for (const pos of [0, 3]) {
        const buf = new Uint8Array(pos + n - 1).fill(0xee);
        expect(encodeInto(p, 5, buf, pos)).toBe(-1);
        expect(buf.every((x) => x === 0xee)).toBe(true);
      }
    }
  });

  it('returns -1 for a position outside the buffer or negative', () => {
    const buf = new Uint8Array(100);
    expect(encodeInto({ type: PUBACK, messageId: 1 }, 4, buf, 97)).toBe(-1);
    expect(encodeInto({ type: PUBACK, messageId: 1 }, 4, buf, 100)).toBe(-1);
    expect(encodeInto({ type: PUBACK, messageId: 1 }, 4, buf, -1)).toBe(-1);
  });

  it('fills a buffer exactly and returns its length; packets follow each other at the returned positions', () => {
    for (const p of SAMPLES) {
      const want = encode(p, 5);
      const buf = new Uint8Array(want.length);
      expect(encodeInto(p, 5, buf, 0)).toBe(want.length);
      expect(toHex(buf)).toBe(toHex(want));
    }
    const buf = new Uint8Array(64);
    let pos = 0;
    pos = encodeInto({ type: PUBACK, messageId: 1 }, 4, buf, pos);
    pos = encodeInto(publish('t'), 4, buf, pos);
    pos = encodeInto({ type: PUBACK, messageId: 2 }, 4, buf, pos);
    const d = new Decoder();
    d.feed(buf.subarray(0, pos));
    expect([d.read(), d.read(), d.read(), d.read()].map((x) => (x === null ? null : x.type))).toEqual([PUBACK, PUBLISH, PUBACK, null]);
  });

  it('returns -1 for a non-ASCII topic that fits when counted as ASCII but not once encoded', () => {
    const p = publish('ééé'); // 3 characters, 6 bytes
    const n = encodedLength(p, 4);
    const buf = new Uint8Array(n - 1);
    expect(encodeInto(p, 4, buf, 0)).toBe(-1);
    const ok = new Uint8Array(n);
    expect(encodeInto(p, 4, ok, 0)).toBe(n);
    expect(toHex(ok)).toBe(expectedPublish('ééé', [1, 2, 3]));
  });
});

describe('encodedLength', () => {
  it('is the length encode() writes, for every sample and both versions', () => {
    for (const p of SAMPLES) {
      expect(encodedLength(p, 5)).toBe(encode(p, 5).length);
      if (p.type !== CONNECT) expect(encodedLength(p, 4)).toBe(encode(p, 4).length);
    }
  });
});

describe('encoder topic cache', () => {
  it('encodes the same topic the same way the first, second and later times', () => {
    for (const topic of ['sensors/t1', 'dom/température', '😀', 'a'.repeat(64), 'b'.repeat(65)]) {
      const want = expectedPublish(topic, [1, 2, 3]);
      for (let i = 0; i < 4; i++) expect(toHex(encode(publish(topic), 4)), `${topic} #${i}`).toBe(want);
    }
  });

  it('keeps topics of one slot apart: same length, same last and middle characters', () => {
    // equal length, same last char and same middle char: the same slot
    const a = 'x1yyy/z';
    const b = 'x2yyy/z';
    for (let i = 0; i < 6; i++) {
      const t = i % 3 === 2 ? b : a;
      expect(toHex(encode(publish(t), 4))).toBe(expectedPublish(t, [1, 2, 3]));
    }
  });

  it('encodes a topic built at run time (a rope string) like the same literal', () => {
    const built = ['devices', String(42), 'telemetry'].join('/');
    expect(toHex(encode(publish(built), 4))).toBe(expectedPublish('devices/42/telemetry', [1, 2, 3]));
    expect(toHex(encode(publish('devices/42/telemetry'), 4))).toBe(expectedPublish('devices/42/telemetry', [1, 2, 3]));
  });

  it('still refuses a bad topic after a good one of the same slot was cached', () => {
    const good = 'ab/c';
    for (let i = 0; i < 3; i++) encode(publish(good), 4);
    expect(() => encode(publish('ab/+'), 4)).toThrow();
    expect(() => encode(publish('ab\u0000c'), 4)).toThrow();
    expect(toHex(encode(publish(good), 4))).toBe(expectedPublish(good, [1, 2, 3]));
  });

  it('measures a cached topic the same way in encodedLength()', () => {
    const t = 'cache/len/ü';
    for (let i = 0; i < 3; i++) expect(encodedLength(publish(t), 4)).toBe(expectedPublish(t, [1, 2, 3]).length / 2);
  });

  it('alternates between MQTT 3.1.1 and 5 encodings of a cached topic', () => {
    const t = 'v/mix';
    for (let i = 0; i < 4; i++) {
      const v = i % 2 === 0 ? 4 : 5;
      const d = new Decoder({ protocolVersion: v });
      d.feed(encode(publish(t), v));
      expect((d.read() as PublishPacket).topic).toBe(t);
    }
  });
});

describe('decoder topic cache', () => {
  it('decodes the same topic bytes to the same string each time, and different bytes of one slot apart', () => {
    const d = new Decoder();
    const topics = ['x1yyy/z', 'x1yyy/z', 'x2yyy/z', 'x1yyy/z', 'x1yyy/z', 'x2yyy/z', 'é/ü', 'é/ü', 'é/ü'];
    for (const t of topics) {
      d.feed(encode(publish(t), 4));
      expect((d.read() as PublishPacket).topic).toBe(t);
      expect(d.read()).toBeNull();
    }
  });

  it('does not let a changed chunk change a cached topic', () => {
    const d = new Decoder();
    const bytes = encode(publish('room/1'), 4);
    for (let i = 0; i < 3; i++) {
      const chunk = bytes.slice();
      d.feed(chunk);
      expect((d.read() as PublishPacket).topic).toBe('room/1');
      expect(d.read()).toBeNull();
      chunk[4 + 5] = 0x32; // "room/2" in the fed chunk, after decoding
    }
    const two = bytes.slice();
    two[4 + 5] = 0x32;
    d.feed(two);
    expect((d.read() as PublishPacket).topic).toBe('room/2');
  });

  it('still refuses a wildcard topic after valid ones of the same length', () => {
    const d = new Decoder();
    for (let i = 0; i < 3; i++) {
      d.feed(encode(publish('ab/c'), 4));
      d.read();
      d.read();
    }
    const bad = encode(publish('ab/c'), 4);
    bad[4 + 3] = 0x2b; // "ab/+"
    d.feed(bad);
    expect(() => d.read()).toThrow();
  });
});

describe('buffer pool', () => {
  afterEach(() => setBufferPool(65536));

  it('gives every encode() its own bytes: changing one result changes no other', () => {
    const a = encode(publish('a'), 4);
    const b = encode(publish('a'), 4);
    const copyB = b.slice();
    a.fill(0);
    expect(toHex(b)).toBe(toHex(copyB));
  });

  it('allocates exact-size buffers when pooling is off', () => {
    setBufferPool(0);
    const a = encode(publish('a'), 4);
    expect(a.buffer.byteLength).toBe(a.length);
    expect(a.byteOffset).toBe(0);
  });

  it('allocates packets above an eighth of the slab on their own', () => {
    setBufferPool(1024);
    const big = encode(publish('a', new Uint8Array(200)), 4);
    expect(big.buffer.byteLength).toBe(big.length);
    const small = encode(publish('a'), 4);
    expect(small.buffer.byteLength).toBe(1024);
  });

  it('starts a new slab when the current one is full, leaving earlier buffers intact', () => {
    setBufferPool(256);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) out.push(encode({ type: PUBACK, messageId: i + 1 }, 4));
    for (let i = 0; i < 40; i++) expect(toHex(out[i])).toBe('4002' + (i + 1).toString(16).padStart(4, '0'));
    expect(new Set(out.map((x) => x.buffer)).size).toBeGreaterThan(1);
  });
});

describe('string payloads', () => {
  it('encodes a multi-byte string payload without a length prefix', () => {
    expect(toHex(encode(publish('t', 'é😀'), 4))).toBe(expectedPublish('t', [0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]));
  });

  it('accepts a missing payload as empty', () => {
    const p = { type: PUBLISH, topic: 't', qos: 0, retain: false, dup: false } as unknown as Packet;
    expect(toHex(encode(p, 4))).toBe('3003000174');
  });
});
