// The MQTT 3.1.1 request/response envelope: byte layout, round trip, and refusal of
// anything malformed (never an exception).
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, isEnvelope } from '../../src/router/envelope';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('envelope', () => {
  it('lays out marker, version, response topic, correlation data, user properties, payload', () => {
    const b = encodeEnvelope('r/t', new Uint8Array([0xaa, 0xbb]), [['status', '200']], 'hi');
    expect(hex(b)).toBe(
      'fe01' + '0003' + Buffer.from('r/t').toString('hex') + '0002aabb' + '0001' +
      '0006' + Buffer.from('status').toString('hex') + '0003' + Buffer.from('200').toString('hex') +
      Buffer.from('hi').toString('hex'),
    );
  });

  it('round-trips strings, bytes, non-ASCII and empty fields', () => {
    const payload = new Uint8Array([0, 1, 0xfe, 0xff]);
    const env = decodeEnvelope(encodeEnvelope('antwort/ü', new Uint8Array([]), [['k', 'v'], ['k', 'w2 ✓']], payload));
    expect(env).not.toBeNull();
    expect(env?.responseTopic).toBe('antwort/ü');
    expect(env?.correlationData.length).toBe(0);
    expect(env?.userProperties).toEqual([['k', 'v'], ['k', 'w2 ✓']]);
    expect(Array.from(env?.payload ?? [])).toEqual([0, 1, 0xfe, 0xff]);
    const bare = decodeEnvelope(encodeEnvelope('', undefined, undefined, ''));
    expect(bare).toEqual({ responseTopic: '', correlationData: new Uint8Array(0), userProperties: [], payload: new Uint8Array(0) });
  });

  it('never takes UTF-8 text or JSON for an envelope (0xFE does not occur in UTF-8)', () => {
    expect(isEnvelope(Buffer.from('{"a":1}'))).toBe(false);
    expect(isEnvelope(Buffer.from('þ text'))).toBe(false); // U+00FE is C3 BE in UTF-8
    expect(isEnvelope(new Uint8Array([0xfe]))).toBe(false);
    expect(isEnvelope(new Uint8Array([0xfe, 0x02]))).toBe(false);
  });

  it('returns null for every truncation of a valid envelope and for bad UTF-8', () => {
    const b = encodeEnvelope('r/t', new Uint8Array([1, 2]), [['a', 'b']], '');
    for (let n = 0; n < b.length; n++) expect(decodeEnvelope(b.subarray(0, n))).toBeNull();
    expect(decodeEnvelope(b)).not.toBeNull();
    expect(decodeEnvelope(new Uint8Array([0xfe, 0x01, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00, 0x00]))).toBeNull();
    expect(decodeEnvelope(Buffer.from('plain'))).toBeNull();
  });
});
