// The request/response envelope for MQTT 3.1.1, which has no Response Topic,
// Correlation Data or user properties. On 3.1.1 a request and its reply carry those
// in front of the payload:
//
//   offset  size  field
//   0       1     0xFE  marker: a byte that never occurs in UTF-8, so text and JSON
//                       payloads are never taken for an envelope
//   1       1     0x01  envelope version
//   2       2+n   response topic: big-endian u16 length, then UTF-8 ("" in a reply)
//   ..      2+n   correlation data: u16 length, then bytes
//   ..      2     number of user properties, u16
//   ..            each user property: u16 length + UTF-8 key, u16 length + UTF-8 value
//   ..            the payload: every byte left
//
// The string and length layout is MQTT's own (MQTT 5.0 §1.5.4, §1.5.6), so a device
// firmware in C can read it with the helpers it already has. On MQTT 5 the same values
// travel as the PUBLISH properties and no envelope is used.
import type { Bytes, UserProperties } from '../codec/packets';
import { decodeUtf8, utf8Length, writeUtf8 } from '../codec/utf8';

export const ENVELOPE_MARKER = 0xfe;
export const ENVELOPE_VERSION = 1;

export interface Envelope {
  responseTopic: string;
  correlationData: Uint8Array;
  userProperties: UserProperties;
  payload: Uint8Array;
}

function strLen(s: string): number {
  return 2 + utf8Length(s);
}

function putLength(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = n >> 8;
  buf[pos + 1] = n & 0xff;
  return pos + 2;
}

function putString(buf: Uint8Array, pos: number, s: string): number {
  const end = writeUtf8(buf, pos + 2, s);
  if (end - pos - 2 > 0xffff) throw new Error('envelope: a string is longer than 65535 bytes');
  putLength(buf, pos, end - pos - 2);
  return end;
}

/** Wraps `payload` in an envelope (size first, one allocation). */
export function encodeEnvelope(responseTopic: string, correlationData: Uint8Array | undefined, userProperties: UserProperties | undefined,
  payload: Bytes): Uint8Array {
  const cd = correlationData === undefined ? 0 : correlationData.length;
  const props = userProperties === undefined ? 0 : userProperties.length;
  const body = typeof payload === 'string' ? utf8Length(payload) : payload.length;
  let size = 2 + strLen(responseTopic) + 2 + cd + 2 + body;
  for (let i = 0; i < props; i++) {
    const p = (userProperties as UserProperties)[i];
    size += strLen(p[0]) + strLen(p[1]);
  }
  if (cd > 0xffff || props > 0xffff) throw new Error('envelope: correlation data or user properties too long');
  const buf = new Uint8Array(size);
  buf[0] = ENVELOPE_MARKER;
  buf[1] = ENVELOPE_VERSION;
  let pos = putString(buf, 2, responseTopic);
  pos = putLength(buf, pos, cd);
  if (cd > 0) {
    buf.set(correlationData as Uint8Array, pos);
    pos += cd;
  }
  pos = putLength(buf, pos, props);
  for (let i = 0; i < props; i++) {
    const p = (userProperties as UserProperties)[i];
    pos = putString(buf, pos, p[0]);
    pos = putString(buf, pos, p[1]);
  }
  if (typeof payload === 'string') writeUtf8(buf, pos, payload);
  else buf.set(payload, pos);
  return buf;
}

/** Whether `bytes` starts like an envelope. */
export function isEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === ENVELOPE_MARKER && bytes[1] === ENVELOPE_VERSION;
}

/**
 * Reads an envelope. Returns null when `bytes` is not one or is malformed (a length past
 * the end, invalid UTF-8). The payload and correlation data are views, not copies.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | null {
  if (!isEnvelope(bytes)) return null;
  const n = bytes.length;
  let pos = 2;
  if (pos + 2 > n) return null;
  let len = (bytes[pos] << 8) | bytes[pos + 1];
  pos += 2;
  if (pos + len > n) return null;
  const responseTopic = decodeUtf8(bytes, pos, pos + len);
  if (responseTopic === null) return null;
  pos += len;
  if (pos + 2 > n) return null;
  len = (bytes[pos] << 8) | bytes[pos + 1];
  pos += 2;
  if (pos + len > n) return null;
  const correlationData = bytes.subarray(pos, pos + len);
  pos += len;
  if (pos + 2 > n) return null;
  const count = (bytes[pos] << 8) | bytes[pos + 1];
  pos += 2;
  const userProperties: UserProperties = [];
  for (let i = 0; i < count; i++) {
    const key = readString(bytes, pos);
    if (key === null) return null;
    pos += 2 + ((bytes[pos] << 8) | bytes[pos + 1]);
    const value = readString(bytes, pos);
    if (value === null) return null;
    pos += 2 + ((bytes[pos] << 8) | bytes[pos + 1]);
    userProperties.push([key, value]);
  }
  return { responseTopic, correlationData, userProperties, payload: bytes.subarray(pos) };
}

function readString(bytes: Uint8Array, pos: number): string | null {
  if (pos + 2 > bytes.length) return null;
  const len = (bytes[pos] << 8) | bytes[pos + 1];
  if (pos + 2 + len > bytes.length) return null;
  return decodeUtf8(bytes, pos + 2, pos + 2 + len);
}
