// Wire primitives (MQTT 5.0 §1.5): Variable Byte Integer, two- and four-byte integers,
// length-prefixed strings and binary data. Writers are shaped write*(buf, pos, ...) -> pos
// and assume the caller measured first, so they never check for room.
import { utf8Length, writeUtf8 } from './utf8';

/** The largest Variable Byte Integer, and so the largest Remaining Length (§1.5.5). */
export const MAX_VARINT = 268435455;

/** Bytes a Variable Byte Integer takes (1..4); n is 0..MAX_VARINT. */
export function varIntLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** Writes n (0..MAX_VARINT) as a minimal Variable Byte Integer [MQTT-1.5.5-1]. */
export function writeVarInt(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

export function writeU16(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = n >> 8;
  buf[pos + 1] = n;
  return pos + 2;
}

export function writeU32(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = n >>> 24;
  buf[pos + 1] = n >>> 16;
  buf[pos + 2] = n >>> 8;
  buf[pos + 3] = n;
  return pos + 4;
}

/**
 * Writes a UTF-8 Encoded String: the bytes go straight after a two-byte length that is
 * filled in afterwards, so the string is scanned once here (the size pass measured it).
 * The caller checked that it fits in 65535 bytes.
 */
export function writeString(buf: Uint8Array, pos: number, str: string): number {
  const end = writeUtf8(buf, pos + 2, str);
  const len = end - pos - 2;
  buf[pos] = len >> 8;
  buf[pos + 1] = len;
  return end;
}

/** Writes Binary Data (§1.5.6): two-byte length then the bytes; a string is UTF-8 encoded. */
export function writeBinary(buf: Uint8Array, pos: number, data: Uint8Array | string): number {
  if (typeof data === 'string') return writeString(buf, pos, data);
  const n = data.length;
  buf[pos] = n >> 8;
  buf[pos + 1] = n;
  return writeBytes(buf, pos + 2, data);
}

/** Copies bytes at pos; a short run is copied by hand (cheaper than set() for a few bytes). */
export function writeBytes(buf: Uint8Array, pos: number, data: Uint8Array): number {
  const n = data.length;
  if (n < 32) {
    for (let i = 0; i < n; i++) buf[pos + i] = data[i];
  } else {
    buf.set(data, pos);
  }
  return pos + n;
}

/** Byte length of Bytes as written without a prefix (a string is UTF-8, lone surrogates as U+FFFD). */
export function bytesLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? utf8Length(data) : data.length;
}

/** Writes Bytes without a length prefix (a PUBLISH payload). */
export function writeBytesOrString(buf: Uint8Array, pos: number, data: Uint8Array | string): number {
  return typeof data === 'string' ? writeUtf8(buf, pos, data) : writeBytes(buf, pos, data);
}
