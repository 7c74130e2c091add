// Helpers for the codec unit tests: hex fixtures written field by field.
//
// The byte fixtures are the source of truth. They are written as hex, with spaces
// between fields; where a field is a length-prefixed string or a length-prefixed list,
// these helpers build the hex from the readable value (with Node's Buffer, independent
// of the codec under test), so that a fixture reads like the packet diagram in the spec.
import { Decoder } from '../../../src/codec/index';
import type { Packet, ProtocolVersion } from '../../../src/codec/index';

/** Bytes from hex; spaces and newlines are ignored. A plain Uint8Array, never a Buffer. */
export function h(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A Variable Byte Integer, as hex. */
export function vbi(n: number): string {
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    out.push(d);
  } while (n > 0);
  return Buffer.from(out).toString('hex');
}

function joined(parts: string[]): string {
  return parts.join('').replace(/\s+/g, '');
}

/** An MQTT UTF-8 string (two-byte length, then the bytes), as hex. */
export function str(s: string): string {
  const b = Buffer.from(s, 'utf8');
  return Buffer.from([b.length >> 8, b.length & 0xff]).toString('hex') + b.toString('hex');
}

/** Binary Data (two-byte length, then the bytes) from hex. */
export function bin(hex: string): string {
  const b = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  return Buffer.from([b.length >> 8, b.length & 0xff]).toString('hex') + b.toString('hex');
}

/** A property list: Variable Byte Integer length, then the properties. */
export function props(...parts: string[]): string {
  const body = joined(parts);
  return vbi(body.length / 2) + body;
}

/** A whole packet: fixed header byte, Remaining Length, body. */
export function pkt(first: string, ...parts: string[]): string {
  const body = joined(parts);
  return first + vbi(body.length / 2) + body;
}

/** Every packet in `bytes`, fed as one chunk. */
export function decodeWhole(bytes: Uint8Array, v: ProtocolVersion): Packet[] {
  const d = new Decoder({ protocolVersion: v });
  d.feed(bytes);
  const out: Packet[] = [];
  for (let p = d.read(); p !== null; p = d.read()) out.push(p);
  if (d.pending()) throw new Error('stream ended inside a packet');
  return out;
}

/** Every packet in `bytes`, fed one byte at a time (each byte a chunk of its own). */
export function decodeBytewise(bytes: Uint8Array, v: ProtocolVersion): Packet[] {
  const d = new Decoder({ protocolVersion: v });
  const out: Packet[] = [];
  for (let i = 0; i < bytes.length; i++) {
    d.feed(bytes.slice(i, i + 1));
    for (let p = d.read(); p !== null; p = d.read()) out.push(p);
  }
  if (d.pending()) throw new Error('stream ended inside a packet');
  return out;
}

/** Every packet in `bytes`, fed as two chunks split at `at`. */
export function decodeSplit(bytes: Uint8Array, v: ProtocolVersion, at: number): Packet[] {
  const d = new Decoder({ protocolVersion: v });
  const out: Packet[] = [];
  for (const chunk of [bytes.slice(0, at), bytes.slice(at)]) {
    d.feed(chunk);
    for (let p = d.read(); p !== null; p = d.read()) out.push(p);
  }
  return out;
}

/** The MqttError code thrown by fn, or a description of what happened instead. */
export function codeOf(fn: () => unknown): number | string {
  try {
    fn();
  } catch (e) {
    const err = e as { name?: string; code?: unknown };
    if (err && err.name === 'MqttError' && typeof err.code === 'number') return err.code;
    return `threw a non-MqttError: ${String(e)}`;
  }
  return 'did not throw';
}
