// A small cache of decoded strings, for the strings a device hears over and over:
// topics, content types, response topics, user property names. In JavaScript, decoding
// UTF-8 and building a string costs far more than comparing a few bytes, so the decoder
// keeps recent strings with their bytes; a hit is one comparison and hands back the
// same string. (The encoder keeps its own topic cache, in encode.ts.)
//
// 2-way set associative. An entry's fingerprint comes from the length and three bytes
// (first, middle, last): no hash of the whole string, which would cost a pass of its
// own. Its low bits pick the set, and the whole fingerprint is compared before any
// bytes are. A new string is first only claimed; its bytes are copied in when it comes
// back while the claim still stands, so a stream of ever-different strings allocates
// nothing extra and does not push out the entries in use. Only strings the caller has
// validated are remembered, so a hit needs no checks.

/** A fingerprint from a string's length and its first, middle and last units (or bytes). */
export function fingerprint(n: number, first: number, mid: number, last: number): number {
  const h = n + 7 * first + 31 * mid + 127 * last;
  return h ^ (h >> 4);
}

export class StrCache {
  // entry = 2 * set + way
  private bytes: (Uint8Array | null)[];
  private strs: string[];
  private fps: number[];
  /** per set: the way hit or claimed last (the other one is replaced first) */
  private recent: Uint8Array;
  private mask: number;
  private max: number;
  /** fingerprint of the bytes of the last get(), for the put() that follows a miss */
  private fp: number;

  /** `sets` must be a power of two (two entries each); strings above `maxBytes` are not kept. */
  constructor(sets: number, maxBytes: number) {
    this.bytes = [];
    this.strs = [];
    this.fps = [];
    for (let i = 0; i < 2 * sets; i++) {
      this.bytes.push(null);
      this.strs.push('');
      this.fps.push(-1);
    }
    this.recent = new Uint8Array(sets);
    this.mask = sets - 1;
    this.max = maxBytes;
    this.fp = 0;
  }

  /** The string whose UTF-8 bytes are b[p, p + n), if it is cached; else null. n > 0. */
  get(b: Uint8Array, p: number, n: number): string | null {
    const fp = fingerprint(n, b[p], b[p + (n >> 1)], b[p + n - 1]);
    this.fp = fp;
    const e = 2 * (fp & this.mask);
    for (let way = 0; way < 2; way++) {
      const c = this.bytes[e + way];
      if (c === null || this.fps[e + way] !== fp || c.length !== n) continue;
      let k = 0;
      while (k < n && b[p + k] === c[k]) k++;
      if (k === n) {
        this.recent[e >> 1] = way;
        return this.strs[e + way];
      }
    }
    return null;
  }

  /** Remembers the valid string `s` decoded from b[p, p + n), right after get() missed it. */
  put(b: Uint8Array, p: number, n: number, s: string): void {
    if (n === 0 || n > this.max) return;
    const fp = this.fp;
    const set = fp & this.mask;
    const e = 2 * set;
    for (let way = 0; way < 2; way++) {
      if (this.bytes[e + way] === null && this.fps[e + way] === fp && this.strs[e + way] === s) {
        // back while its claim stands: keep its bytes now
        const copy = new Uint8Array(n);
        for (let k = 0; k < n; k++) copy[k] = b[p + k];
        this.bytes[e + way] = copy;
        this.recent[set] = way;
        return;
      }
    }
    // claim an entry without bytes (free, or only claimed) rather than one in use; if
    // both are in use, the one not used last
    const free0 = this.bytes[e] === null;
    const free1 = this.bytes[e + 1] === null;
    const way = free0 !== free1 ? (free0 ? 0 : 1) : this.recent[set] === 0 ? 1 : 0;
    this.strs[e + way] = s;
    this.fps[e + way] = fp;
    this.bytes[e + way] = null;
    this.recent[set] = way;
  }
}
