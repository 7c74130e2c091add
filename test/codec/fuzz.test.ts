// Fuzzing the streaming Decoder.
//
// Inputs: corpus encodings (corpus.ts) mutated with bit flips, byte sets, inserts,
// deletes, truncation, edits of the remaining-length field, splices of two packets and
// repeats of a range; short streams of valid packets with one mutated; and pure random
// bytes, with and without a plausible first byte. Each input goes to a Decoder (fresh,
// or reused after reset()) in random chunk sizes, with a random maxPacketSize.
//
// Invariant (h11's fuzz/afl-server.py, STYLE.md §4): only packets or MqttErrors come
// out: isMqttError(e) with a reason code 0x80..0xFF, the same error again on the next
// read() (sticky until reset), never any other exception, never more packets than the
// bytes allow (no loop without progress). Every packet that comes out re-encodes, and
// decodes again to the same packet. Memory stays bounded over the run.
//
// FUZZ_ITERATIONS raises the count (default 200,000). SEED replays a run;
// FUZZ_ONLY=<i> replays one iteration of it.
import { describe, expect, it } from 'vitest';
import { Decoder, encode } from '../../src/codec/index';
import { PACKET_TOO_LARGE, isMqttError } from '../../src/codec/errors';
import type { Packet } from '../../src/codec/packets';
import { Rng, canonicalKey, makeCorpus, seedFromEnv, type Version } from './corpus';
import { exposeGc } from '../../tools/lib/gc';

const SEED = seedFromEnv();
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS || 200000);
const ONLY = process.env.FUZZ_ONLY === undefined || process.env.FUZZ_ONLY === '' ? -1 : Number(process.env.FUZZ_ONLY);
console.log(`[fuzz] SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS}  (replay: SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS} npx vitest run test/codec/fuzz.test.ts)`);

// A gc() for the memory checks, where V8 lets us have one.
const gc = exposeGc();

function heapUsed(): number {
  if (gc !== null) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

// ---------------------------------------------------------------------------------
// Seeds: encodings of a corpus, small ones (the mutation work is per byte)

const seedCorpus = makeCorpus(SEED ^ 0x5eed, 1500, false);
const seeds: Record<Version, Uint8Array[]> = { 4: [], 5: [] };
for (const v of [4, 5] as Version[]) {
  for (const p of v === 4 ? seedCorpus.v4 : seedCorpus.v5) {
    const b = encode(p, v);
    if (b.length <= 2048) seeds[v].push(b);
  }
}

// ---------------------------------------------------------------------------------
// Mutations

function varInt(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Where the remaining-length field of the packet at `at` ends (or -1). */
function lengthFieldEnd(b: Uint8Array, at: number): number {
  for (let i = at + 1; i < b.length && i < at + 5; i++) if ((b[i] & 0x80) === 0) return i + 1;
  return -1;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xff, 0xfe, 0x26, 0x0b, 0x23, 0x1f];

function mutateOnce(rng: Rng, b: number[], v: Version): void {
  const n = b.length;
  switch (rng.int(11)) {
    case 0: // bit flip
      if (n > 0) b[rng.int(n)] ^= 1 << rng.int(8);
      break;
    case 1: // byte set
      if (n > 0) b[rng.int(n)] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(256);
      break;
    case 2: {
      // insert 1..8 bytes
      const at = rng.int(n + 1);
      const k = rng.range(1, 8);
      const ins: number[] = [];
      for (let i = 0; i < k; i++) ins.push(rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(256));
      b.splice(at, 0, ...ins);
      break;
    }
    case 3: // delete 1..8 bytes
      if (n > 0) b.splice(rng.int(n), rng.range(1, 8));
      break;
    case 4: // truncate
      b.length = rng.int(n + 1);
      break;
    case 5: {
      // remaining length: +-1..3, random, huge, or a non-minimal / over-long encoding
      const end = lengthFieldEnd(Uint8Array.from(b), 0);
      if (end < 0) break;
      let len = 0;
      let mul = 1;
      for (let i = 1; i < end; i++) {
        len += (b[i] & 0x7f) * mul;
        mul *= 128;
      }
      let field: number[];
      const r = rng.int(6);
      if (r === 0) field = varInt(Math.max(0, len + rng.range(-3, 3)));
      else if (r === 1) field = varInt(rng.int(300));
      else if (r === 2) field = varInt(rng.range(0, 268435455));
      else if (r === 3) field = varInt(len).map((x) => x | 0x80).concat([0x00]); // non-minimal
      else if (r === 4) field = [0xff, 0xff, 0xff, 0xff, 0x7f]; // 5 bytes
      else field = [0xff, 0xff, 0xff, 0x7f]; // the maximum, 268,435,455
      b.splice(1, end - 1, ...field);
      break;
    }
    case 6: {
      // splice: this packet's head with another's tail
      const other = rng.pick(seeds[v]);
      const cutA = rng.int(n + 1);
      const cutB = rng.int(other.length + 1);
      b.length = cutA;
      for (let i = cutB; i < other.length; i++) b.push(other[i]);
      break;
    }
    case 7: {
      // repeat a range
      if (n === 0) break;
      const from = rng.int(n);
      const len = rng.range(1, Math.min(32, n - from));
      b.splice(rng.int(n + 1), 0, ...b.slice(from, from + len));
      break;
    }
    case 8: // first byte: another type and/or flags
      if (n > 0) b[0] = rng.chance(0.5) ? (rng.int(16) << 4) | (b[0] & 0x0f) : (b[0] & 0xf0) | rng.int(16);
      break;
    case 9: {
      // a 16-bit length somewhere: make it point past the end, or zero
      if (n < 4) break;
      const at = rng.range(2, n - 2);
      const x = rng.pick([0, 1, 0x7fff, 0xffff, n, n + 1]);
      b[at] = x >> 8;
      b[at + 1] = x & 0xff;
      break;
    }
    default: // byte at a random spot set to a small number, often a property id or length
      if (n > 0) b[rng.int(n)] = rng.int(0x2b);
  }
}

type Input = { v: Version; bytes: Uint8Array; kind: string };

function randomBytes(rng: Rng, n: number): Uint8Array {
  return rng.bytes(n);
}

function makeInput(rng: Rng): Input {
  const v: Version = rng.chance(0.5) ? 4 : 5;
  const r = rng.float();
  if (r < 0.1) return { v, bytes: randomBytes(rng, rng.logRange(0, 600)), kind: 'random' };
  if (r < 0.2) {
    // a plausible header, then random bytes
    const len = rng.logRange(0, 400);
    const head = [(rng.range(1, 15) << 4) | rng.pick([0, 0, 2, rng.int(16)])].concat(varInt(rng.chance(0.8) ? len : rng.range(0, 268435455)));
    const body = randomBytes(rng, rng.chance(0.8) ? len : rng.logRange(0, 600));
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return { v, bytes: out, kind: 'header+random' };
  }
  if (r < 0.85) {
    const b = Array.from(rng.pick(seeds[v]));
    const k = rng.chance(0.6) ? 1 : rng.range(2, 6);
    for (let i = 0; i < k; i++) mutateOnce(rng, b, v);
    return { v, bytes: Uint8Array.from(b), kind: `mutated x${k}` };
  }
  // a few valid packets with one mutated among them
  const parts: number[] = [];
  const count = rng.range(2, 5);
  const bad = rng.int(count);
  for (let i = 0; i < count; i++) {
    const b = Array.from(rng.pick(seeds[v]));
    if (i === bad) mutateOnce(rng, b, v);
    for (const x of b) parts.push(x);
  }
  return { v, bytes: Uint8Array.from(parts), kind: 'stream' };
}

// ---------------------------------------------------------------------------------

/**
 * Decoder.read() turns any exception from inside the decoder into MqttError 0x81 with
 * the original message ("Malformed Packet: " + e.message), so a TypeError from a decoder
 * bug would pass for a malformed packet. These are V8's messages for such errors; a
 * decoder error that carries one is a failure. (Message text is the only trace left.)
 */
const ENGINE_ERROR =
  /Cannot (read|set) propert|is not a function|is not iterable|is not defined|is not a constructor|Invalid (typed )?array length|Invalid string length|out of range|outside the bounds|Maximum call stack|allocation failed|should be a multiple of|Cannot convert|undefined|null/;

const MAX_SIZES = [64, 300, 4096, 65536, 1 << 20];

interface Outcome {
  packets: number;
  /** canonical keys of the packets, in order */
  keys: string[];
  errorCode: number; // -1: none
  failure: string | null;
}

/**
 * Feeds `input` to `d` in chunks of the sizes `next()` gives, reading until null after
 * each, and checks every read() against the invariant.
 */
function runOne(input: Input, d: Decoder, next: () => number): Outcome {
  const { v, bytes } = input;
  const out: Outcome = { packets: 0, keys: [], errorCode: -1, failure: null };
  let pos = 0;
  // a packet is at least 2 bytes; anything more means read() returned without progress
  const maxPackets = Math.floor(bytes.length / 2) + 1;
  while (pos < bytes.length || pos === 0) {
    const n = Math.min(bytes.length - pos, next());
    d.feed(bytes.subarray(pos, pos + n));
    pos += n;
    let p: Packet | null;
    for (;;) {
      try {
        p = d.read();
      } catch (e) {
        if (!isMqttError(e)) {
          out.failure = `read() threw a non-MqttError: ${(e as Error).stack || String(e)}`;
          return out;
        }
        if (typeof e.code !== 'number' || e.code < 0x80 || e.code > 0xff) {
          out.failure = `MqttError with code ${String(e.code)} (${e.message})`;
          return out;
        }
        if (ENGINE_ERROR.test(e.message)) {
          out.failure = `an engine error dressed as MqttError 0x${e.code.toString(16)}: ${e.message}`;
          return out;
        }
        out.errorCode = e.code;
        // sticky until reset, also across feed()
        for (let again = 0; again < 3 && out.failure === null; again++) {
          if (again === 2) d.feed(Uint8Array.of(0xc0, 0x00));
          try {
            d.read();
            out.failure = `read() #${again + 2} after an MqttError 0x${e.code.toString(16)} returned instead of throwing again`;
          } catch (e2) {
            if (!isMqttError(e2) || e2.code !== e.code) out.failure = `the error is not sticky: 0x${e.code.toString(16)} then ${String((e2 as Error).message)}`;
          }
        }
        return out;
      }
      if (p === null) break;
      out.packets++;
      if (out.packets > maxPackets) {
        out.failure = `${out.packets} packets out of ${bytes.length} bytes`;
        return out;
      }
      const key = canonicalKey(p, v);
      out.keys.push(key);
      const f = checkPacket(p, v, key);
      if (f !== null) {
        out.failure = f;
        return out;
      }
    }
    if (bytes.length === 0) break;
  }
  return out;
}

/** A decoded packet is a packet: it re-encodes, and that decodes to the same packet. */
function checkPacket(p: Packet, v: Version, key: string): string | null {
  if (typeof p !== 'object' || p === null || typeof p.type !== 'number' || p.type < 1 || p.type > 15) return `not a packet: ${String(p)}`;
  // an MQTT 3.1 CONNECT (protocol level 3) is decoded only, never encoded (packets.ts)
  if (p.type === 1 && p.protocolVersion === 3) return null;
  // The decoder accepts a QoS 0 PUBLISH with DUP set (as mqtt-packet does: the rule
  // [MQTT-3.3.1-2] binds the sender and names no receiver action), the encoder refuses
  // to send one (0x82). Re-encode it with DUP cleared; the rest must match.
  let a = key;
  if (p.type === 3 && p.qos === 0 && p.dup) {
    p = Object.assign({}, p, { dup: false });
    a = canonicalKey(p, v);
  }
  let bytes: Uint8Array;
  try {
    bytes = encode(p, v);
  } catch (e) {
    return `a decoded packet does not re-encode: ${isMqttError(e) ? 'MqttError 0x' + e.code.toString(16) + ' ' : ''}${(e as Error).message}: ${canonicalKey(p, v).slice(0, 300)}`;
  }
  const d = new Decoder({ protocolVersion: v });
  d.feed(bytes);
  let again: Packet | null;
  try {
    again = d.read();
  } catch (e) {
    return `a re-encoded packet does not decode: ${(e as Error).message}: ${canonicalKey(p, v).slice(0, 300)}`;
  }
  const b = again === null ? 'null' : canonicalKey(again, v);
  return a === b ? null : `decode(encode(p)) differs:\n  ${a.slice(0, 300)}\n  ${b.slice(0, 300)}`;
}

function iterationRng(i: number): Rng {
  return new Rng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
}

function hex(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return h.length > 400 ? h.slice(0, 400) + `...(${b.length} bytes)` : h;
}

describe('Decoder fuzz', () => {
  it(`${ITERATIONS} random and mutated inputs: only packets or MqttErrors, bounded memory (SEED=${SEED})`, () => {
    const failures: string[] = [];
    const codes: Record<string, number> = {};
    const kinds: Record<string, number> = {};
    let packets = 0;
    let errors = 0;
    const reusable: Record<Version, Decoder> = {
      4: new Decoder({ protocolVersion: 4, maxPacketSize: 65536 }),
      5: new Decoder({ protocolVersion: 5, maxPacketSize: 65536 }),
    };
    const t0 = Date.now();
    const heap0 = heapUsed();
    let heapMax = heap0;
    const from = ONLY >= 0 ? ONLY : 0;
    const to = ONLY >= 0 ? ONLY + 1 : ITERATIONS;
    for (let i = from; i < to && failures.length < 5; i++) {
      const rng = iterationRng(i);
      const input = makeInput(rng);
      const reuse = rng.chance(0.5);
      const maxPacketSize = reuse ? 65536 : rng.pick(MAX_SIZES);
      const d = reuse ? reusable[input.v] : new Decoder({ protocolVersion: input.v, maxPacketSize });
      const chunk = (): number => (rng.chance(0.3) ? rng.range(1, 3) : rng.logRange(1, 2048));
      let o: Outcome;
      try {
        o = runOne(input, d, chunk);
        // the same input whole (and now and then 1 byte at a time) gives the same packets
        // and the same error: where a stream is cut never changes what it means
        if (o.failure === null) {
          const one = rng.chance(0.1);
          const w = runOne(input, new Decoder({ protocolVersion: input.v, maxPacketSize }), one ? () => 1 : () => input.bytes.length);
          if (w.failure !== null) o.failure = w.failure;
          else if (w.errorCode !== o.errorCode || w.keys.join('\n') !== o.keys.join('\n')) {
            o.failure = `fed ${one ? '1 byte at a time' : 'whole'}: ${w.packets} packets then error ${w.errorCode}; in random chunks: ${o.packets} packets then error ${o.errorCode}`;
          }
        }
      } catch (e) {
        o = { packets: 0, keys: [], errorCode: -1, failure: `threw outside read(): ${(e as Error).stack || String(e)}` };
      }
      if (reuse) d.reset();
      if (o.failure !== null) {
        failures.push(`iteration ${i} (FUZZ_ONLY=${i} SEED=${SEED}), ${input.kind}, v${input.v}, ${input.bytes.length} bytes ${hex(input.bytes)}:\n  ${o.failure}`);
      }
      packets += o.packets;
      kinds[input.kind.split(' ')[0]] = (kinds[input.kind.split(' ')[0]] || 0) + 1;
      if (o.errorCode >= 0) {
        errors++;
        const k = '0x' + o.errorCode.toString(16);
        codes[k] = (codes[k] || 0) + 1;
      }
      if ((i & 16383) === 16383) heapMax = Math.max(heapMax, heapUsed());
    }
    const heap1 = heapUsed();
    heapMax = Math.max(heapMax, heap1);
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `[fuzz] ${to - from} inputs in ${seconds.toFixed(1)} s: ${packets} packets, ${errors} MqttErrors ${JSON.stringify(codes)}; ` +
        `inputs ${JSON.stringify(kinds)}; heap ${(heap0 / 1048576).toFixed(1)} -> max ${(heapMax / 1048576).toFixed(1)} MB${gc === null ? ' (no gc)' : ''}`,
    );
    expect(failures).toEqual([]);
    // both outcomes happen a lot, or the fuzzer is not reaching the decoder
    if (ONLY < 0) {
      expect(packets).toBeGreaterThan(ITERATIONS / 10);
      expect(errors).toBeGreaterThan(ITERATIONS / 10);
    }
    // no input is ever buffered beyond its packet: the heap does not grow with the run
    expect(heapMax - heap0).toBeLessThan(64 * 1048576);
    // a hang inside read() ends here, at the test timeout: about 50 us per input is 10x
    // what a loaded 2-core machine needs
  }, 30000 + ITERATIONS * 0.05);
});

describe('Decoder limits', () => {
  // 200 MiB = 209,715,200 as a variable byte integer
  const HUGE = [0x80, 0x80, 0x80, 0x64];

  it('rejects a PUBLISH declaring 200 MiB with 0x95 as soon as the length is read, one byte at a time', () => {
    const d = new Decoder({ protocolVersion: 5, maxPacketSize: 1 << 20 });
    const head = [0x30].concat(HUGE);
    for (let i = 0; i < head.length - 1; i++) {
      d.feed(Uint8Array.of(head[i]));
      expect(d.read()).toBeNull();
    }
    d.feed(Uint8Array.of(head[head.length - 1]));
    let code = -1;
    try {
      d.read();
    } catch (e) {
      code = isMqttError(e) ? e.code : -2;
    }
    expect(code).toBe(PACKET_TOO_LARGE);
  });

  it('does not buffer what follows the rejected header: 200 MiB fed after it leaves the heap flat', () => {
    const d = new Decoder({ protocolVersion: 4, maxPacketSize: 65536 });
    const chunk = new Uint8Array(1 << 20).fill(0x41);
    const head = Uint8Array.from([0x30].concat(HUGE, [0x00, 0x01, 0x74]));
    const heap0 = heapUsed();
    d.feed(head);
    const codes = new Set<number>();
    for (let i = 0; i < 200; i++) {
      try {
        d.read();
        codes.add(-1);
      } catch (e) {
        codes.add(isMqttError(e) ? e.code : -2);
      }
      d.feed(chunk);
    }
    expect([...codes]).toEqual([PACKET_TOO_LARGE]);
    expect(heapUsed() - heap0).toBeLessThan(32 * 1048576);
    // and reset() makes it usable again
    d.reset();
    d.feed(Uint8Array.of(0xc0, 0x00));
    expect(d.read()).toEqual({ type: 12 });
  });

  it('rejects the declared length before waiting for the body: header and 1 MiB of it in one chunk', () => {
    const d = new Decoder({ protocolVersion: 5, maxPacketSize: 1000 });
    const b = new Uint8Array(1 + 4 + (1 << 20));
    b.set([0x30].concat(HUGE));
    d.feed(b);
    expect(() => d.read()).toThrow(expect.objectContaining({ code: PACKET_TOO_LARGE }));
  });

  it('counts maxPacketSize over the whole packet, fixed header included (MQTT 5 §3.1.2.11.4)', () => {
    // PUBLISH QoS 0, topic "t", 100-byte payload: 2 (fixed header) + 3 (topic) + 100 = 105 bytes (v4)
    const p: Packet = { type: 3, topic: 't', payload: new Uint8Array(100), qos: 0, retain: false, dup: false };
    const bytes = encode(p, 4);
    expect(bytes.length).toBe(105);
    const ok = new Decoder({ protocolVersion: 4, maxPacketSize: 105 });
    ok.feed(bytes);
    expect(ok.read()).not.toBeNull();
    const tooSmall = new Decoder({ protocolVersion: 4, maxPacketSize: 104 });
    tooSmall.feed(bytes);
    expect(() => tooSmall.read()).toThrow(expect.objectContaining({ code: PACKET_TOO_LARGE }));
  });
});

describe('Decoder rejections the fuzzer relies on, fed whole and 1 byte at a time', () => {
  // [name, protocol version, bad hex, reason code, a good twin that decodes (or '')]: the
  // twin differs only in the fault, so the code is for the reason named
  const cases: [string, Version, string, number, string][] = [
    ['reserved packet type 0 [MQTT-2.2.2-2]', 4, '0000', 0x81, 'c000'],
    ['PUBLISH with QoS 3 [MQTT-3.3.1-4]', 4, '36050001610001', 0x81, '32050001610001'],
    ['PUBREL with flags 0 [MQTT-3.6.1-1]', 4, '60020001', 0x81, '62020001'],
    ['SUBSCRIBE with flags 0 [MQTT-3.8.1-1]', 4, '8006000100016100', 0x81, '8206000100016100'],
    ['AUTH before MQTT 5', 4, 'f000', 0x81, ''],
    ['non-minimal Remaining Length [MQTT-1.5.5-1]', 4, 'c08000', 0x81, 'c000'],
    ['5-byte Remaining Length', 4, '30ffffffff7f', 0x81, ''],
    ['string crossing the end of the packet', 4, '3003000561', 0x81, '3003000161'],
    ['ill-formed UTF-8 in a topic [MQTT-1.5.4-1]', 4, '30040002c328', 0x81, '30040002c3a9'],
    ['U+0000 in a topic [MQTT-1.5.4-2]', 4, '300400026100', 0x81, '300400026162'],
    ['wildcard in a PUBLISH topic [MQTT-3.3.2-2]', 4, '30050003612f23', 0x90, '30050003612f62'],
    ['packet identifier 0 [MQTT-2.2.1-3]', 4, '40020000', 0x82, '40020001'],
    ['unknown property identifier', 5, '40050001000' + '17f', 0x81, '400400010000'],
    ['property list crossing the end of the packet', 5, '4004000100' + '05', 0x81, '400400010000'],
    ['a property twice (Reason String)', 5, '400a000100' + '061f00001f0000', 0x82, '4007000100' + '031f0000'],
    ['Subscription Identifier 0 (§3.8.2.1.2)', 5, '8209000102' + '0b00' + '000161' + '00', 0x82, '8209000102' + '0b01' + '000161' + '00'],
  ];
  function outcome(v: Version, hex: string, one: boolean): { code: number; packets: number } {
    const bytes = Buffer.from(hex, 'hex');
    const d = new Decoder({ protocolVersion: v });
    const chunks = one ? Array.from(bytes, (b) => Uint8Array.of(b)) : [bytes];
    let packets = 0;
    for (const ch of chunks) {
      d.feed(ch);
      try {
        while (d.read() !== null) packets++;
      } catch (e) {
        return { code: isMqttError(e) ? e.code : -2, packets };
      }
    }
    return { code: -1, packets };
  }
  for (const c of cases) {
    it(`${c[0]}: 0x${c[3].toString(16)}`, () => {
      for (const one of [false, true]) {
        expect(outcome(c[1], c[2], one), one ? '1 byte at a time' : 'whole').toEqual({ code: c[3], packets: 0 });
        if (c[4] !== '') expect(outcome(c[1], c[4], one), 'the good twin').toEqual({ code: -1, packets: 1 });
      }
    });
  }
});
