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
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Decoder, encode } from '../../src/codec/index';
import { PACKET_TOO_LARGE, isMqttError } from '../../src/codec/errors';
import type { Packet } from '../../src/codec/packets';
import { Rng, canonicalKey, makeCorpus, seedFromEnv, type Version } from './corpus';

const SEED = seedFromEnv();
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS || 200000);
const ONLY = process.env.FUZZ_ONLY === undefined || process.env.FUZZ_ONLY === '' ? -1 : Number(process.env.FUZZ_ONLY);
console.log(`[fuzz] SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS}  (replay: SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS} npx vitest run test/codec/fuzz.test.ts)`);

// A gc() for the memory checks, where V8 lets us have one.
let gc: (() => void) | null = null;
try {
  v8.setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
} catch {
  gc = null;
}

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

const MAX_SIZES = [64, 300, 4096, 65536, 1 << 20];

interface Outcome {
  packets: number;
  errorCode: number; // -1: none
  failure: string | null;
}

function runOne(rng: Rng, input: Input, reused: Decoder | null): Outcome {
  const { v, bytes } = input;
  const d = reused !== null ? reused : new Decoder({ protocolVersion: v, maxPacketSize: rng.pick(MAX_SIZES) });
  const out: Outcome = { packets: 0, errorCode: -1, failure: null };
  let pos = 0;
  // a packet is at least 2 bytes; anything more means read() returned without progress
  const maxPackets = Math.floor(bytes.length / 2) + 1;
  while (pos < bytes.length || pos === 0) {
    const n = Math.min(bytes.length - pos, rng.chance(0.3) ? rng.range(1, 3) : rng.logRange(1, 2048));
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
        out.errorCode = e.code;
        // sticky until reset
        try {
          d.read();
          out.failure = `read() after an MqttError 0x${e.code.toString(16)} returned instead of throwing again`;
        } catch (e2) {
          if (!isMqttError(e2) || e2.code !== e.code) out.failure = `the error is not sticky: 0x${e.code.toString(16)} then ${String((e2 as Error).message)}`;
        }
        return out;
      }
      if (p === null) break;
      out.packets++;
      if (out.packets > maxPackets) {
        out.failure = `${out.packets} packets out of ${bytes.length} bytes`;
        return out;
      }
      const f = checkPacket(p, v);
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
function checkPacket(p: Packet, v: Version): string | null {
  if (typeof p !== 'object' || p === null || typeof p.type !== 'number' || p.type < 1 || p.type > 15) return `not a packet: ${String(p)}`;
  // an MQTT 3.1 CONNECT (protocol level 3) is decoded only, never encoded (packets.ts)
  if (p.type === 1 && p.protocolVersion === 3) return null;
  // The decoder accepts a QoS 0 PUBLISH with DUP set (as mqtt-packet does: the rule
  // [MQTT-3.3.1-2] binds the sender and names no receiver action), the encoder refuses
  // to send one (0x82). Re-encode it with DUP cleared; the rest must match.
  if (p.type === 3 && p.qos === 0 && p.dup) p = Object.assign({}, p, { dup: false });
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
  const a = canonicalKey(p, v);
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
      const d = reuse ? reusable[input.v] : null;
      let o: Outcome;
      try {
        o = runOne(rng, input, d);
      } catch (e) {
        o = { packets: 0, errorCode: -1, failure: `threw outside read(): ${(e as Error).stack || String(e)}` };
      }
      if (d !== null) d.reset();
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
  });
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
