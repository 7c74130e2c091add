// Payload helpers shared by routes and request/response: bytes -> text (lenient UTF-8:
// a payload is application data, not an MQTT string, so a bad sequence becomes U+FFFD
// instead of an error), and an application value -> what publish() takes.
import type { Bytes } from '../codec/packets';

const REPLACEMENT = 0xfffd;

/** Decodes UTF-8, replacing each malformed sequence with U+FFFD (as TextDecoder does by default). */
export function bytesToText(b: Uint8Array): string {
  const n = b.length;
  let s = '';
  let i = 0;
  // ASCII runs, eight characters per concatenation.
  while (i < n) {
    if (n - i >= 8 && (b[i] | b[i + 1] | b[i + 2] | b[i + 3] | b[i + 4] | b[i + 5] | b[i + 6] | b[i + 7]) < 0x80) {
      s += String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
      i += 8;
      continue;
    }
    const c = b[i];
    if (c < 0x80) {
      s += String.fromCharCode(c);
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      s += String.fromCharCode(REPLACEMENT);
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && j <= i + need && (b[j] & 0xc0) === 0x80) {
      cp = (cp << 6) | (b[j] & 0x3f);
      j++;
    }
    if (j !== i + need + 1 || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      s += String.fromCharCode(REPLACEMENT);
      i = j > i + 1 ? j : i + 1;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      s += String.fromCharCode(cp);
    }
    i = j;
  }
  return s;
}

/** What an application value becomes on the wire: bytes and strings as they are, undefined/null empty, anything else JSON. */
export function toPayload(value: unknown): Bytes {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}

/** Whether toPayload(value) is JSON text. */
export function isJsonValue(value: unknown): boolean {
  return value !== undefined && value !== null && typeof value !== 'string' && !(value instanceof Uint8Array);
}

/** A Promise-like: what a handler returns when it finishes later. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}
