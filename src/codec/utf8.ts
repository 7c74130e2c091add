// UTF-8 for MQTT strings, without TextEncoder/TextDecoder (Espruino has neither).
//
// An MQTT "UTF-8 Encoded String" (MQTT 5.0 §1.5.4) must be well-formed UTF-8 and must
// not contain U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. Payloads and passwords given as JS
// strings are binary data, not MQTT strings: there a lone surrogate becomes U+FFFD, as
// TextEncoder and Node's Buffer do.

/**
 * Byte length of `str` as an MQTT UTF-8 string, or -1 when it cannot be one: a lone
 * surrogate (not encodable as UTF-8) or U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2].
 */
export function utf8LengthStrict(str: string): number {
  const n = str.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) return -1;
    } else if (c < 0x800) {
      len += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      len += 2;
    } else if (c < 0xdc00 && i + 1 < n) {
      const d = str.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return -1;
      // two UTF-16 units -> four bytes
      len += 2;
      i++;
    } else {
      return -1;
    }
  }
  return len;
}

/** Byte length of `str` as UTF-8, counting a lone surrogate as U+FFFD (3 bytes). For payloads. */
export function utf8Length(str: string): number {
  const n = str.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      len += 1;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      len += 2;
    } else {
      len += 2;
    }
  }
  return len;
}

/**
 * Writes `str` as UTF-8 at `pos` and returns the end position. The caller has made room
 * (measured with utf8Length / utf8LengthStrict). A lone surrogate is written as U+FFFD.
 */
export function writeUtf8(buf: Uint8Array, pos: number, str: string): number {
  const n = str.length;
  for (let i = 0; i < n; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      const d = i + 1 < n ? str.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (c >> 18);
        buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else {
        buf[pos++] = 0xef;
        buf[pos++] = 0xbf;
        buf[pos++] = 0xbd;
      }
    }
  }
  return pos;
}

/**
 * Decodes buf[start, end) as an MQTT UTF-8 string. Returns null when the bytes are not
 * well-formed UTF-8 (overlong forms, UTF-16 surrogates, code points above U+10FFFF,
 * stray continuation bytes, a truncated sequence) or contain U+0000
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2]. The caller guarantees start <= end <= buf.length.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string | null {
  let i = start;
  while (i < end) {
    const c = buf[i];
    if (c === 0 || c > 0x7f) break;
    i++;
  }
  const s = ascii(buf, start, i);
  return i === end ? s : decodeMultiByte(buf, i, end, s);
}

/** buf[start, end) as a string, all bytes known to be ASCII. Eight at a time: fewer string pieces. */
function ascii(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  let i = start;
  while (end - i >= 8) {
    s += String.fromCharCode(buf[i], buf[i + 1], buf[i + 2], buf[i + 3], buf[i + 4], buf[i + 5], buf[i + 6], buf[i + 7]);
    i += 8;
  }
  while (i < end) s += String.fromCharCode(buf[i++]);
  return s;
}

/** The rest of decodeUtf8 from the first non-ASCII byte (or NUL) on. */
function decodeMultiByte(buf: Uint8Array, i: number, end: number, s: string): string | null {
  while (i < end) {
    const c = buf[i++];
    if (c < 0x80) {
      if (c === 0) return null;
      s += String.fromCharCode(c);
      continue;
    }
    let cp: number;
    let need: number;
    // Smallest and largest allowed second byte: excludes overlongs (E0, F0),
    // surrogates (ED) and code points above U+10FFFF (F4). Unicode Table 3-7.
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else {
      return null; // continuation byte without a lead, C0/C1 overlong lead, F5..FF
    }
    if (end - i < need) return null; // truncated
    let b = buf[i++];
    if (b < lo || b > hi) return null;
    cp = (cp << 6) | (b & 0x3f);
    while (--need > 0) {
      b = buf[i++];
      if (b < 0x80 || b > 0xbf) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < 0x10000) {
      s += String.fromCharCode(cp);
    } else {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    }
  }
  return s;
}
