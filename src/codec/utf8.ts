// UTF-8 for MQTT strings, without TextEncoder/TextDecoder (Espruino has neither).
//
// An MQTT "UTF-8 Encoded String" (MQTT 5.0 §1.5.4) must be well-formed UTF-8 and must
// not contain U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. Payloads and passwords given as JS
// strings are binary data, not MQTT strings: there a lone surrogate becomes U+FFFD, as
// TextEncoder and Node's Buffer do.
//
// Engines whose strings are not UTF-16. Node and XS strings are UTF-16, and this file
// works on them alone. Espruino strings are bytes: String.fromCharCode keeps only the
// low 8 bits, a string flagged UTF-8 (a non-ASCII literal, E.asUTF8) gives code points
// from charCodeAt (up to 0x10FFFF, no surrogates), and an unflagged one (e.g. after a
// concatenation) gives its raw bytes. The code below encodes any charCodeAt above
// 0xFFFF as the code point it is; for the rest such an engine installs its own
// conversions with setStringCodec() (targets/espruino: E.toUint8Array and E.asUTF8),
// which are then used for every string that is not plain ASCII. Without them, a
// non-ASCII string decodes to its raw UTF-8 bytes, one character per byte (what the
// engine's own binary strings look like), never to truncated characters.

/** Whether String.fromCharCode makes UTF-16 code units (Node, XS), not bytes (Espruino). */
const UTF16 = String.fromCharCode(0x20ac).charCodeAt(0) === 0x20ac;

/** The engine's conversions, if installed (setStringCodec). */
let engineToUtf8: ((s: string) => Uint8Array) | null = null;
let engineFromUtf8: ((bytes: Uint8Array) => string) | null = null;

/**
 * Installs the engine's own conversions between strings and UTF-8, used for every string
 * that is not plain ASCII: `toUtf8(s)` gives the bytes to send for `s`, `fromUtf8(b)`
 * the string for well-formed UTF-8 bytes `b` (already validated, not empty). For an
 * engine whose strings are not UTF-16, such as Espruino:
 *   setStringCodec(function (s) { return E.toUint8Array(s); },
 *                  function (b) { return E.asUTF8(E.toString(b)); })
 * Pass nulls to go back to the built-in code.
 */
export function setStringCodec(toUtf8: ((s: string) => Uint8Array) | null, fromUtf8: ((bytes: Uint8Array) => string) | null): void {
  engineToUtf8 = toUtf8;
  engineFromUtf8 = fromUtf8;
}

/** Index of the first character of `str` that is not ASCII, or str.length. */
function asciiPrefix(str: string): number {
  const n = str.length;
  let i = 0;
  while (i < n && str.charCodeAt(i) < 0x80) i++;
  return i;
}

/**
 * Byte length of `str` as an MQTT UTF-8 string, or -1 when it cannot be one: a lone
 * surrogate (not encodable as UTF-8), ill-formed engine bytes, or U+0000
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2].
 */
export function utf8LengthStrict(str: string): number {
  const n = str.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) return -1;
    } else if (engineToUtf8 !== null) {
      const b = engineToUtf8(str);
      return isWellFormed(b, 0, b.length) ? b.length : -1;
    } else if (c < 0x800) {
      len += 1;
    } else if (c < 0xd800 || (c > 0xdfff && c < 0x10000)) {
      len += 2;
    } else if (c > 0xffff) {
      len += 3; // a code point from an engine without UTF-16 strings
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
    if (engineToUtf8 !== null) return engineToUtf8(str).length;
    if (c < 0x800) {
      len += 1;
    } else if (c > 0xffff) {
      len += 3;
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
  if (engineToUtf8 !== null) {
    const a = asciiPrefix(str);
    if (a < n) {
      const b = engineToUtf8(str);
      for (let i = 0; i < b.length; i++) buf[pos + i] = b[i];
      return pos + b.length;
    }
  }
  for (let i = 0; i < n; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || (c > 0xdfff && c < 0x10000)) {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c < 0x10000) {
        const d = i + 1 < n ? str.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else {
          buf[pos++] = 0xef;
          buf[pos++] = 0xbf;
          buf[pos++] = 0xbd;
          continue;
        }
      }
      buf[pos++] = 0xf0 | (c >> 18);
      buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
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
  if (i === end) return ascii(buf, start, end);
  if (!UTF16 || engineFromUtf8 !== null) {
    // an engine that builds its own strings: validate here, build there
    if (!isWellFormed(buf, i, end)) return null;
    return engineFromUtf8 !== null ? engineFromUtf8(buf.subarray(start, end)) : ascii(buf, start, end);
  }
  return decodeMultiByte(buf, i, end, ascii(buf, start, i));
}

/**
 * buf[start, end) as a string of one character per byte: ASCII, or (on an engine
 * without UTF-16 strings) raw bytes. Eight at a time: fewer string pieces.
 */
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

/**
 * Steps over one UTF-8 sequence whose lead byte is at buf[i] (not ASCII) and returns its
 * code point, leaving the index after it in `seqEnd`; -1 if the sequence is ill-formed.
 * The allowed second bytes exclude overlongs (E0, F0), surrogates (ED) and code points
 * above U+10FFFF (F4): Unicode Table 3-7.
 */
let seqEnd = 0;
function sequence(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i++];
  let cp: number;
  let need: number;
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
    return -1; // continuation byte without a lead, C0/C1 overlong lead, F5..FF
  }
  if (end - i < need) return -1; // truncated
  let b = buf[i++];
  if (b < lo || b > hi) return -1;
  cp = (cp << 6) | (b & 0x3f);
  while (--need > 0) {
    b = buf[i++];
    if (b < 0x80 || b > 0xbf) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  seqEnd = i;
  return cp;
}

/** Whether buf[i, end) is well-formed UTF-8 without U+0000. */
function isWellFormed(buf: Uint8Array, i: number, end: number): boolean {
  while (i < end) {
    const c = buf[i];
    if (c < 0x80) {
      if (c === 0) return false;
      i++;
    } else {
      if (sequence(buf, i, end) < 0) return false;
      i = seqEnd;
    }
  }
  return true;
}

/** The rest of decodeUtf8 from the first non-ASCII byte (or NUL) on, on a UTF-16 engine. */
function decodeMultiByte(buf: Uint8Array, i: number, end: number, s: string): string | null {
  while (i < end) {
    const c = buf[i];
    if (c < 0x80) {
      if (c === 0) return null;
      s += String.fromCharCode(c);
      i++;
      continue;
    }
    let cp = sequence(buf, i, end);
    if (cp < 0) return null;
    i = seqEnd;
    if (cp < 0x10000) {
      s += String.fromCharCode(cp);
    } else {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    }
  }
  return s;
}
