// Fragmentation: the whole corpus (corpus.ts), encoded by firmqtt and concatenated into
// one stream per protocol version, decodes to the corpus, packet for packet, however
// the stream is cut: as one buffer, 1 byte at a time (a UART), in seeded random chunk
// sizes (TCP reads), and through one reused receive buffer.
//
// Replay a run: SEED=<n> npx vitest run test/codec/fragmentation.test.ts
import { describe, expect, it } from 'vitest';
import { Decoder, encode } from '../../src/codec/index';
import type { Packet } from '../../src/codec/packets';
import { CORPUS_PER_VERSION, Rng, canonicalKey, makeCorpus, seedFromEnv, type Version } from './corpus';

const SEED = seedFromEnv();
console.log(`[fragmentation] SEED=${SEED}  (replay: SEED=${SEED} npx vitest run test/codec/fragmentation.test.ts)`);
const corpus = makeCorpus(SEED, CORPUS_PER_VERSION);

interface Stream {
  bytes: Uint8Array;
  /** canonical key of each packet, in order */
  want: string[];
  /** where each packet starts in `bytes` */
  starts: number[];
}

function buildStream(packets: Packet[], v: Version): Stream {
  const parts = packets.map((p) => encode(p, v));
  let total = 0;
  for (const b of parts) total += b.length;
  const bytes = new Uint8Array(total);
  const starts: number[] = [];
  let pos = 0;
  for (const b of parts) {
    starts.push(pos);
    bytes.set(b, pos);
    pos += b.length;
  }
  return { bytes, want: packets.map((p) => canonicalKey(p, v)), starts };
}

/**
 * Feeds `s` to a fresh Decoder in chunks of the sizes `next()` gives, reading until null
 * after each one, and compares every packet with the corpus as it comes out (a packet
 * may be a view into the chunk just fed, so it is compared before the next feed). With
 * `reuse`, every chunk is copied into the same receive buffer, which is scribbled over
 * once its packets are read and then refilled (a transport that reads into one buffer):
 * the decoder must have copied the part of a packet it keeps across chunks.
 */
function decodeChunked(s: Stream, v: Version, next: () => number, reuse = false): string[] {
  const fails: string[] = [];
  const d = new Decoder({ protocolVersion: v });
  const rx = new Uint8Array(65536);
  let got = 0;
  let pos = 0;
  let chunks = 0;
  while (pos < s.bytes.length && fails.length < 3) {
    const n = Math.min(next(), s.bytes.length - pos, reuse ? rx.length : Infinity);
    let chunk = s.bytes.subarray(pos, pos + n);
    if (reuse) {
      rx.set(chunk);
      chunk = rx.subarray(0, n);
    }
    pos += n;
    chunks++;
    d.feed(chunk);
    for (let p = d.read(); p !== null; p = d.read()) {
      const key = canonicalKey(p, v);
      if (got >= s.want.length) fails.push(`extra packet after the last one: ${key.slice(0, 200)}`);
      else if (key !== s.want[got]) {
        fails.push(`packet #${got} (stream offset ${s.starts[got]}, chunk ${chunks} ending at ${pos}):\n  want ${s.want[got].slice(0, 300)}\n  got  ${key.slice(0, 300)}`);
      }
      got++;
    }
    if (reuse) rx.fill(0xee, 0, n);
  }
  if (fails.length === 0 && got !== s.want.length) fails.push(`decoded ${got} packets of ${s.want.length}`);
  return fails.map((f) => `v${v} SEED=${SEED}: ${f}`);
}

for (const v of [4, 5] as Version[]) {
  describe(`MQTT ${v === 4 ? '3.1.1' : '5.0'}: the corpus as one stream`, () => {
    const s = buildStream(v === 4 ? corpus.v4 : corpus.v5, v);

    it(`is ${CORPUS_PER_VERSION} packets that decode the same fed as one buffer`, () => {
      console.log(`[fragmentation] v${v}: ${s.want.length} packets, ${s.bytes.length} bytes`);
      expect(s.want.length).toBe(CORPUS_PER_VERSION);
      expect(decodeChunked(s, v, () => s.bytes.length)).toEqual([]);
    });

    it('decodes the same fed 1 byte at a time', () => {
      expect(decodeChunked(s, v, () => 1)).toEqual([]);
    });

    it('decodes the same fed in seeded random chunk sizes', () => {
      const rng = new Rng(SEED + v);
      // small (a UART's FIFO), around a TCP segment, and large reads, mixed
      const next = (): number => {
        const r = rng.float();
        if (r < 0.3) return rng.range(1, 8);
        if (r < 0.6) return rng.range(1, 200);
        if (r < 0.9) return rng.range(1, 1460);
        return rng.logRange(1, 200000);
      };
      expect(decodeChunked(s, v, next)).toEqual([]);
    });

    it('decodes the same when every chunk arrives in one reused receive buffer', () => {
      const rng = new Rng(SEED + v + 100);
      expect(decodeChunked(s, v, () => rng.logRange(1, 4096), true)).toEqual([]);
    });

    it('decodes the same cut exactly at every packet boundary and one byte either side', () => {
      // chunk ends at start-1, start, start+1 of each packet, cycling
      let k = 0;
      let pos = 0;
      let i = 1;
      const next = (): number => {
        while (i < s.starts.length && s.starts[i] + ((k % 3) - 1) <= pos) i++;
        const end = i < s.starts.length ? s.starts[i] + ((k % 3) - 1) : s.bytes.length;
        k++;
        const n = Math.max(1, end - pos);
        pos += n;
        return n;
      };
      expect(decodeChunked(s, v, next)).toEqual([]);
    });
  });
}
