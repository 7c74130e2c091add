// A bounds-checked cursor over one packet body. Every read is checked against `end`
// (the frame end, or a tighter bound such as the end of a property list), so a
// length-prefixed field that crosses it is a Malformed Packet (0x81), never an
// out-of-range read (rumqttc read_mqtt_bytes "BoundaryCrossed").
import { mqttError, MALFORMED_PACKET } from './errors';
import { decodeUtf8 } from './utf8';
import { StrCache } from './strcache';

const EMPTY = new Uint8Array(0);

/**
 * Recently decoded short strings other than PUBLISH topics (strcache.ts): content types,
 * response topics, user property names and values, client ids. 16 sets of 2 strings of
 * up to 32 bytes, so about 1 KB at most.
 */
const STRINGS = /* @__PURE__ */ new StrCache(16, 32);

export function malformed(what: string): Error {
  return mqttError(MALFORMED_PACKET, 'Malformed Packet: ' + what);
}

export class Reader {
  buf: Uint8Array;
  pos: number;
  end: number;

  constructor() {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
  }

  /** Points the reader at buf[start, end); drops any previous buffer. */
  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Drops the reference to the last packet's bytes. */
  release(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
  }

  u8(): number {
    if (this.pos >= this.end) throw malformed('packet ends inside a byte field');
    return this.buf[this.pos++];
  }

  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw malformed('packet ends inside a two-byte integer');
    this.pos = p + 2;
    return (this.buf[p] << 8) | this.buf[p + 1];
  }

  /** The rest of the field as a view (a PUBLISH payload). */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }
}

// The reads only MQTT 5 properties and server-bound packets need, as functions rather
// than methods so that a bundle without those readers (client-only, src/flags.d.ts) drops them.

export function readU32(r: Reader): number {
  const p = r.pos;
  if (p + 4 > r.end) throw malformed('packet ends inside a four-byte integer');
  r.pos = p + 4;
  const b = r.buf;
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** A Variable Byte Integer: at most 4 bytes, minimally encoded [MQTT-1.5.5-1]. */
export function readVarInt(r: Reader): number {
  const b = r.buf;
  let n = 0;
  for (let i = 0; i < 4; i++) {
    if (r.pos >= r.end) throw malformed('packet ends inside a variable byte integer');
    const c = b[r.pos++];
    n |= (c & 0x7f) << (7 * i);
    if (c < 0x80) {
      if (c === 0 && i > 0) throw malformed('variable byte integer not minimally encoded');
      return n;
    }
  }
  throw malformed('variable byte integer longer than 4 bytes');
}

/** A UTF-8 Encoded String (§1.5.4): well-formed, without U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
export function readString(r: Reader): string {
  return readStringIn(r, STRINGS);
}

/**
 * readString() over its own cache (`cache`: strings recently read from the same kind of
 * field). `check`, when given, throws for a string the field must not hold; it runs when
 * the string is decoded, before it is cached, so a cached string has passed it.
 */
export function readStringIn(r: Reader, cache: StrCache, check?: (s: string) => void): string {
  const n = r.u16();
  const p = r.pos;
  if (p + n > r.end) throw malformed('string crosses the end of its field');
  r.pos = p + n;
  if (n === 0) return '';
  const b = r.buf;
  const hit = cache.get(b, p, n);
  if (hit !== null) return hit;
  const s = decodeUtf8(b, p, p + n);
  if (s === null) throw malformed('ill-formed UTF-8 or U+0000 in a string');
  if (check !== undefined) check(s);
  cache.put(b, p, n, s);
  return s;
}

/** Binary Data (§1.5.6): a view into the packet's buffer, no copy. */
export function readBinary(r: Reader): Uint8Array {
  const n = r.u16();
  const p = r.pos;
  if (p + n > r.end) throw malformed('binary data crosses the end of its field');
  r.pos = p + n;
  return r.buf.subarray(p, p + n);
}
