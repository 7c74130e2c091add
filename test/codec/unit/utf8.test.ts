// The codec's own UTF-8 (no TextEncoder/TextDecoder on Espruino): lengths, writing, and
// decoding that accepts exactly well-formed UTF-8 without U+0000 (MQTT 5.0 §1.5.4).
import { describe, expect, it } from 'vitest';
import { Decoder, PUBLISH, decodeUtf8, encode, setStringCodec, utf8Length, utf8LengthStrict, writeUtf8 } from '../../../src/codec/index';
import type { Packet } from '../../../src/codec/index';
import { h, pkt, props, str, toHex } from './helpers';

const BOUNDARIES = [
  0x01, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff,
];

describe('UTF-8 encoding', () => {
  it('writes every boundary code point as Buffer does, and measures it', () => {
    for (const cp of BOUNDARIES) {
      const s = 'a' + String.fromCodePoint(cp) + 'z';
      const want = Buffer.from(s, 'utf8');
      const buf = new Uint8Array(want.length + 2);
      expect(writeUtf8(buf, 1, s), `U+${cp.toString(16)}`).toBe(1 + want.length);
      expect(toHex(buf.subarray(1, 1 + want.length))).toBe(want.toString('hex'));
      expect(utf8Length(s)).toBe(want.length);
      expect(utf8LengthStrict(s)).toBe(want.length);
    }
  });

  it('counts a string that MQTT cannot carry as -1 in strict mode: U+0000 and lone surrogates', () => {
    expect(utf8LengthStrict('a\u0000')).toBe(-1);
    expect(utf8LengthStrict('\ud800')).toBe(-1);
    expect(utf8LengthStrict('\ud800x')).toBe(-1);
    expect(utf8LengthStrict('x\udc00')).toBe(-1);
    expect(utf8LengthStrict('\udc00\ud800')).toBe(-1);
    expect(utf8LengthStrict('')).toBe(0);
  });

  it('writes a lone surrogate as U+FFFD in lenient mode (payloads), as TextEncoder does', () => {
    for (const s of ['\ud800', 'a\udc00b', '\ud800\ud800', '\udbff']) {
      const want = Buffer.from(s, 'utf8'); // Buffer also writes EF BF BD
      const buf = new Uint8Array(want.length);
      expect(writeUtf8(buf, 0, s)).toBe(want.length);
      expect(toHex(buf)).toBe(want.toString('hex'));
      expect(utf8Length(s)).toBe(want.length);
    }
  });
});

describe('UTF-8 decoding', () => {
  it('decodes every boundary code point, alone and between ASCII', () => {
    for (const cp of BOUNDARIES) {
      const s = String.fromCodePoint(cp);
      const b = new Uint8Array(Buffer.from('ab' + s + 'cdefghijk', 'utf8'));
      expect(decodeUtf8(b, 0, b.length), `U+${cp.toString(16)}`).toBe('ab' + s + 'cdefghijk');
      const alone = new Uint8Array(Buffer.from(s, 'utf8'));
      expect(decodeUtf8(alone, 0, alone.length)).toBe(s);
    }
  });

  it('decodes a range inside a larger buffer, long ASCII runs included', () => {
    const text = 'sensors/building-7/floor-3/room-12/temperature/ünïcødé/😀';
    const b = new Uint8Array(Buffer.from('xx' + text + 'yy', 'utf8'));
    expect(decodeUtf8(b, 2, b.length - 2)).toBe(text);
    expect(decodeUtf8(b, 2, 2)).toBe('');
  });

  it('keeps U+FEFF (a BOM) and does not skip it [MQTT-1.5.4-3]', () => {
    expect(decodeUtf8(h('efbbbf 61'), 0, 4)).toBe('\ufeffa');
  });

  const INVALID: [string, string][] = [
    ['U+0000', '00'],
    ['U+0000 after ASCII', '6100'],
    ['U+0000 after a multi-byte character', 'c3a900'],
    ['a continuation byte alone', '80'],
    ['a continuation byte after ASCII', '61bf'],
    ['overlong 2-byte C0', 'c0af'],
    ['overlong 2-byte C1', 'c1bf'],
    ['overlong 3-byte', 'e09fbf'],
    ['overlong 4-byte', 'f08fbfbf'],
    ['a surrogate D800', 'eda080'],
    ['a surrogate DFFF', 'edbfbf'],
    ['above U+10FFFF (F4 90)', 'f4908080'],
    ['lead byte F5', 'f5808080'],
    ['lead byte FF', 'ff'],
    ['a 2-byte sequence cut short', 'c3'],
    ['a 3-byte sequence cut short', 'e282'],
    ['a 4-byte sequence cut short', 'f09f98'],
    ['a lead byte followed by ASCII', 'e26161'],
    ['a 4-byte sequence with a bad last byte', 'f09f9841'],
  ];
  for (const [name, hex] of INVALID) {
    it(`refuses ${name}`, () => {
      const b = h(hex);
      expect(decodeUtf8(b, 0, b.length)).toBeNull();
    });
  }

  it('refuses a sequence cut by the end of the range even when the buffer goes on', () => {
    const b = h('61 e282ac');
    expect(decodeUtf8(b, 0, 3)).toBeNull();
    expect(decodeUtf8(b, 0, 4)).toBe('a€');
  });
});

/** A string as an engine without UTF-16 strings shows it: charCodeAt gives code points (Espruino UTF-8 strings). */
function codePointString(cps: number[]): string {
  return { length: cps.length, charCodeAt: (i: number) => cps[i] } as unknown as string;
}

describe('engines whose strings are not UTF-16', () => {
  it('encode a charCodeAt above 0xFFFF as the 4-byte code point it is', () => {
    const s = codePointString([0x61, 0x1f600, 0xe9, 0x20ac, 0x10ffff]);
    const want = Buffer.from('a\u{1f600}é€\u{10ffff}', 'utf8');
    expect(utf8Length(s)).toBe(want.length);
    expect(utf8LengthStrict(s)).toBe(want.length);
    const buf = new Uint8Array(want.length);
    expect(writeUtf8(buf, 0, s)).toBe(want.length);
    expect(toHex(buf)).toBe(want.toString('hex'));
  });

  it('use the installed engine conversions for every string that is not plain ASCII', () => {
    const seen: string[] = [];
    setStringCodec(
      (s) => {
        seen.push('to ' + s);
        return new Uint8Array(Buffer.from(s, 'utf8'));
      },
      (b) => {
        seen.push('from ' + b.length);
        return Buffer.from(b).toString('utf8');
      },
    );
    try {
      const packet: Packet = { type: PUBLISH, topic: 'dom/température', payload: 'é', qos: 0, retain: false, dup: false, properties: { contentType: 'ü' } };
      const bytes = encode(packet, 5);
      expect(seen.filter((x) => x.startsWith('to ')).length).toBeGreaterThan(0);
      expect(toHex(bytes)).toBe(toHex(h(pkt('30', str('dom/température'), props('03' + str('ü')), 'c3a9'))));
      // ASCII strings never reach the engine
      seen.length = 0;
      encode({ type: PUBLISH, topic: 'plain', payload: 'ascii', qos: 0, retain: false, dup: false }, 4);
      expect(seen).toEqual([]);
      const d = new Decoder({ protocolVersion: 5 });
      d.feed(h(pkt('30', str('über/x'), props(), '00')));
      expect((d.read() as { topic: string }).topic).toBe('über/x');
      expect(seen).toContain('from 7');
      // ill-formed bytes are refused before the engine sees them
      seen.length = 0;
      expect(decodeUtf8(h('c3'), 0, 1)).toBeNull();
      expect(seen).toEqual([]);
      // the engine's bytes for an MQTT string are checked too
      setStringCodec(() => h('ff'), null);
      expect(utf8LengthStrict('é')).toBe(-1);
    } finally {
      setStringCodec(null, null);
    }
  });
});
