// The compact codec (src/compact/codec.ts) against mqtt-packet, the oracle:
// - every encoder, both versions, on packets from the corpus generator (test/codec/
//   corpus.ts): byte for byte what mqtt-packet's generate() writes for the same packet
//   object, except the documented shortest forms (see expectedBytes);
// - every server -> client packet, both versions, as mqtt-packet generates it: decoded to
//   the packet object mqtt-packet was given;
// - one test per rejection, each with its code; a seeded fuzz of mutations; frameLength
//   at every split point of a stream; and the lite build without the MQTT 5 code.
//
// SEED replays a run (printed below).
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  decode,
  encAck,
  encAuth,
  encConnect,
  encDisconnect,
  encPingreq,
  encPublish,
  encSubscribe,
  encUnsubscribe,
  frameLength,
  utf8,
  utf8Kind,
  type InPacket,
  type Props,
  type Sub,
} from '../../src/compact/codec';
import { AUTH, CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from '../../src/codec/packets';
import { Rng, packetOfType, seedFromEnv, type Version } from '../codec/corpus';
import { mqttPacketParse, toMqttPacket, type MqttPacketObject } from '../codec/mqtt-packet-shape';

const SEED = seedFromEnv();
console.log(`[compact codec] SEED=${SEED}  (replay: SEED=${SEED} npx vitest run test/compact/codec.test.ts)`);

const VERSIONS: Version[] = [4, 5];
/** packets per type and version */
const PER_TYPE = 300;
const FUZZ = 20000;

const CLIENT_TYPES_V4 = [CONNECT, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT];
const SERVER_TYPES_V4 = [CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP];

function clientTypes(v: Version): number[] {
  return v === 5 ? CLIENT_TYPES_V4.concat([AUTH]) : CLIENT_TYPES_V4;
}
function serverTypes(v: Version): number[] {
  return v === 5 ? SERVER_TYPES_V4.concat([DISCONNECT, AUTH]) : SERVER_TYPES_V4;
}

function hex(b: Uint8Array, max = 120): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return s.length > max ? s.slice(0, max) + '...' : s;
}

function bytesOf(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** mqtt-packet objects for `n` packets of each type, from one seeded generator. */
function mqttPacketObjects(seed: number, v: Version, types: number[], n: number): MqttPacketObject[] {
  const rng = new Rng((seed ^ (v * 0x9e3779b1)) >>> 0);
  const out: MqttPacketObject[] = [];
  for (const t of types) for (let i = 0; i < n; i++) out.push(toMqttPacket(packetOfType(rng, t, v), v));
  return out;
}

/** Our encoder on an mqtt-packet object (the same property objects, so the same order). */
function encodeOurs(o: MqttPacketObject, v: Version): Uint8Array {
  const props = o.properties as Props | undefined;
  switch (o.cmd) {
    case 'connect': {
      const w = o.will as { topic: string; payload: Uint8Array; qos: number; retain: boolean; properties?: Props } | undefined;
      return encConnect(v, {
        clientId: o.clientId as string,
        keepalive: o.keepalive as number,
        clean: o.clean as boolean,
        username: o.username as string | undefined,
        password: o.password as Uint8Array | undefined,
        will: w,
        properties: props,
      });
    }
    case 'publish':
      return encPublish(v, o.topic as string, o.payload as Uint8Array, o.qos as number, o.retain as boolean, o.dup as boolean, (o.messageId as number) || 0, props);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return encAck(v, ['puback', 'pubrec', 'pubrel', 'pubcomp'].indexOf(o.cmd) + 4, o.messageId as number, o.reasonCode as number | undefined, props);
    case 'subscribe':
      return encSubscribe(v, o.messageId as number, o.subscriptions as Sub[], props);
    case 'unsubscribe':
      return encUnsubscribe(v, o.messageId as number, o.unsubscriptions as string[], props);
    case 'pingreq':
      return encPingreq();
    case 'disconnect':
      return encDisconnect(v, o.reasonCode as number | undefined, props);
    case 'auth':
      return encAuth(o.reasonCode as number, props);
    default:
      throw new Error('not a client packet: ' + o.cmd);
  }
}

function hasProps(o: MqttPacketObject): boolean {
  const p = o.properties as Props | undefined;
  if (!p) return false;
  for (const k of Object.keys(p)) if (p[k] !== undefined) return true;
  return false;
}

/**
 * What we must write where it differs from mqtt-packet (null: the same bytes). All are
 * valid MQTT 5 and the shortest form, as in the main codec (test/codec/differential.test.ts
 * D1-D5): an ack, DISCONNECT or AUTH with Success and no properties leaves out the reason
 * code and the Property Length (§3.4.2.1, §3.14.2.1, §3.15.2.1: `t 02 id id`, `E0 00`,
 * `F0 00`); an ack or DISCONNECT with another reason code and no properties leaves out
 * the Property Length (§3.4.2.2.1, §3.14.2.2.1: `t 03 id id rc`, `E0 01 rc`); an empty
 * properties object is no properties. mqtt-packet always writes `rc 00` there.
 */
function expectedBytes(o: MqttPacketObject, v: Version, mp: Uint8Array): Uint8Array | null {
  if (v !== 5 || hasProps(o)) return null;
  const rc = (o.reasonCode as number | undefined) || 0;
  if (o.cmd === 'disconnect') return rc ? Uint8Array.of(0xe0, 1, rc) : Uint8Array.of(0xe0, 0);
  if (o.cmd === 'auth') return rc ? null : Uint8Array.of(0xf0, 0);
  if (/^pub(ack|rec|rel|comp)$/.test(o.cmd)) return rc ? Uint8Array.of(mp[0], 3, mp[2], mp[3], rc) : Uint8Array.of(mp[0], 2, mp[2], mp[3]);
  return null;
}

/**
 * mqtt-packet 9.0.2 applies MQTT 3.1.1's client rules to MQTT 5 CONNECT too and refuses a
 * password without a user name and an empty Client Identifier with Clean Start 0
 * (test/codec/differential.test.ts mqttPacketCannotGenerate); MQTT 5 allows both. For
 * these we parse our bytes back with mqtt-packet instead.
 */
function cannotGenerate(o: MqttPacketObject, v: Version): boolean {
  return v === 5 && o.cmd === 'connect' && ((o.password !== undefined && o.username === undefined) || (o.clientId === '' && !o.clean));
}

/**
 * Buffers -> Uint8Array copies, recursively; drops undefined values, empty property
 * objects and a user property named '__proto__' (the decoder drops it, as mqtt-packet
 * does); one-element subscriptionIdentifier arrays -> the number (one property on the
 * wire). An emptied userProperties object is dropped too.
 */
function norm(x: unknown): unknown {
  if (x instanceof Uint8Array) return new Uint8Array(x);
  if (Array.isArray(x)) return x.map(norm);
  if (x === null || typeof x !== 'object') return x;
  const out: Record<string, unknown> = Object.getPrototypeOf(x) === null ? Object.create(null) : {};
  for (const k of Object.keys(x)) {
    let y = (x as Record<string, unknown>)[k];
    if (y === undefined) continue;
    if (k === 'properties' && Object.keys(y as object).every((n) => (y as Record<string, unknown>)[n] === undefined)) continue;
    if (k === 'subscriptionIdentifier' && Array.isArray(y) && y.length === 1) y = y[0];
    if (k === '__proto__') continue; // a user property name the decoder drops (see rprops)
    const n = norm(y);
    if (k === 'userProperties' && Object.keys(n as object).length === 0) continue;
    out[k] = n;
  }
  return out;
}

function codeOf(f: () => unknown): number | string {
  try {
    f();
  } catch (e) {
    const m = e as { code?: number; name?: string };
    if (!(e instanceof Error) || m.name !== 'MqttError') return 'not an MqttError: ' + String(e);
    return m.code === undefined ? 'no code' : m.code;
  }
  return 'no throw';
}

function expectNone(fails: string[], total: number): void {
  if (fails.length > 0) expect.fail(`${fails.length} of ${total} failed (SEED=${SEED}):\n${fails.slice(0, 8).join('\n')}`);
}

// ---------------------------------------------------------------------------------

for (const v of VERSIONS) {
  describe(`MQTT ${v === 4 ? '3.1.1' : '5.0'}`, () => {
    it(`every encoder writes what mqtt-packet generates (${PER_TYPE} packets of each client type)`, () => {
      const list = mqttPacketObjects(SEED, v, clientTypes(v), PER_TYPE);
      const fails: string[] = [];
      let shortForms = 0;
      let parsedBack = 0;
      for (let i = 0; i < list.length; i++) {
        const o = list[i];
        const ours = encodeOurs(o, v);
        if (cannotGenerate(o, v)) {
          const r = mqttPacketParse(ours, v);
          const got = r.packets[0];
          if (r.error || r.packets.length !== 1 || r.remaining !== 0 || got.clientId !== o.clientId || got.clean !== o.clean || (o.password !== undefined && !same(got.password as Uint8Array, o.password as Uint8Array))) {
            fails.push(`#${i} ${o.cmd}: mqtt-packet does not parse ours back: ${r.error ? r.error.message : ''} ${hex(ours)}`);
          }
          parsedBack++;
          continue;
        }
        const mp = mqttPacket.generate(o as unknown as mqttPacket.Packet, { protocolVersion: v });
        const want = expectedBytes(o, v, mp) || mp;
        if (!same(want, mp)) shortForms++;
        if (!same(ours, want)) fails.push(`#${i} ${o.cmd}:\n  want ${hex(want)}\n  got  ${hex(ours)}`);
      }
      expectNone(fails, list.length);
      // the exceptions stay exceptions
      expect(shortForms + parsedBack).toBeLessThan(list.length * 0.35);
    });

    it(`decode reads what mqtt-packet generates (${PER_TYPE} packets of each server type)`, () => {
      const list = mqttPacketObjects(SEED + 1, v, serverTypes(v), PER_TYPE);
      const fails: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const o = list[i];
        const bytes = new Uint8Array(mqttPacket.generate(o as unknown as mqttPacket.Packet, { protocolVersion: v }));
        let got: InPacket;
        try {
          got = decode(v, bytes);
        } catch (e) {
          fails.push(`#${i} ${o.cmd}: threw ${(e as Error).message} on ${hex(bytes)}`);
          continue;
        }
        try {
          expect(norm(got)).toEqual(norm(o));
        } catch (e) {
          fails.push(`#${i} ${o.cmd}: ${hex(bytes)}\n${(e as Error).message.slice(0, 600)}`);
        }
      }
      expectNone(fails, list.length);
    });

    it('decode reads our own encoding of a PUBLISH and its acks (the types both sides send)', () => {
      const list = mqttPacketObjects(SEED + 2, v, [PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP], 100);
      if (v === 5) list.push(...mqttPacketObjects(SEED + 3, v, [DISCONNECT, AUTH], 100));
      for (const o of list) {
        const got = decode(v, encodeOurs(o, v));
        const want = norm(o) as Record<string, unknown>;
        if (v === 5 && want.reasonCode === undefined && o.cmd !== 'publish') want.reasonCode = 0;
        expect(norm(got)).toEqual(want);
      }
    });

    it('frameLength gives the length of each packet at every split point once its fixed header is there, -1 before', () => {
      const list = mqttPacketObjects(SEED + 4, v, serverTypes(v), 12);
      const packets: Uint8Array[] = list.map((o) => new Uint8Array(mqttPacket.generate(o as unknown as mqttPacket.Packet, { protocolVersion: v })));
      // one with a 3-byte Remaining Length
      packets.push(encPublish(v, 't', new Uint8Array(20000), 0, false, false, 0));
      const total = packets.reduce((n, p) => n + p.length, 0);
      const stream = new Uint8Array(total + 5);
      let at = 0;
      for (const p of packets) {
        stream.set(p, at);
        at += p.length;
      }
      at = 0;
      for (const p of packets) {
        // the fixed header: the type byte and the Remaining Length up to its last byte (< 0x80)
        let header = 2;
        while (p[header - 1] >= 0x80) header++;
        for (let end = at; end < at + header; end++) expect(frameLength(stream, at, end)).toBe(-1);
        for (let end = at + header; end < at + p.length; end++) expect(frameLength(stream, at, end)).toBe(p.length);
        expect(frameLength(stream, at, at + p.length)).toBe(p.length);
        expect(frameLength(stream, at, stream.length)).toBe(p.length);
        expect(decode(v, new Uint8Array(stream.subarray(at, at + p.length))).cmd).toBeTypeOf('string');
        at += p.length;
      }
    });
  });
}

describe('encoders: fixed forms', () => {
  it('PINGREQ is C0 00; DISCONNECT is E0 00 in 3.1.1 and, with Success and no properties, in 5', () => {
    expect(hex(encPingreq())).toBe('c000');
    expect(hex(encDisconnect(4))).toBe('e000');
    expect(hex(encDisconnect(4, 0x8e, { reasonString: 'x' }))).toBe('e000');
    expect(hex(encDisconnect(5))).toBe('e000');
    expect(hex(encDisconnect(5, 0, {}))).toBe('e000');
    expect(hex(encDisconnect(5, 0x04))).toBe('e00104');
    expect(hex(encDisconnect(5, 0, { sessionExpiryInterval: 1 }))).toBe('e00700051100000001');
  });

  it('acks: t 02 id id; PUBREL has flags 0b0010; MQTT 5 adds a reason code, then properties, only when needed', () => {
    expect(hex(encAck(4, 4, 0x1234))).toBe('40021234');
    expect(hex(encAck(4, 6, 1))).toBe('62020001');
    expect(hex(encAck(5, 5, 1, 0))).toBe('50020001');
    expect(hex(encAck(5, 7, 1, 0x92))).toBe('7003000192');
    expect(hex(encAck(5, 4, 1, 0, { reasonString: 'a' }))).toBe('400800010004 1f0001 61'.replace(/ /g, ''));
  });

  it('AUTH: F0 00 for Success without properties, else reason code and property length', () => {
    expect(hex(encAuth(0))).toBe('f000');
    expect(hex(encAuth(0x18))).toBe('f0021800');
  });

  it('a user property value that is not a string is written as its string; a repeated name in order', () => {
    const b = encAck(5, 4, 1, 0, { userProperties: { k: ['1', 2], n: 3 } });
    expect(decode(5, b).properties).toEqual({ userProperties: Object.assign(Object.create(null), { k: ['1', '2'], n: '3' }) });
  });

  it('a property the packet may not carry, or an unknown one, is refused', () => {
    expect(codeOf(() => encPublish(5, 't', new Uint8Array(0), 0, false, false, 0, { sessionExpiryInterval: 1 }))).toBe(0x81);
    expect(codeOf(() => encAck(5, 4, 1, 0, { bogus: 1 }))).toBe(0x81);
    // names an object has from Object.prototype are no properties either
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) expect(codeOf(() => encAck(5, 4, 1, 0, { [name]: 1 }))).toBe(0x81);
    expect(codeOf(() => encConnect(5, { clientId: 'c', keepalive: 0, clean: true, will: { topic: 't', payload: new Uint8Array(0), qos: 0, retain: false, properties: { receiveMaximum: 1 } } }))).toBe(0x81);
  });

  it('a string over 65535 bytes is refused', () => {
    expect(codeOf(() => encPublish(4, 'x'.repeat(65536), new Uint8Array(0), 0, false, false, 0))).toBe(0x81);
    expect(encPublish(4, 'x'.repeat(65535), new Uint8Array(0), 0, false, false, 0).length).toBe(65541);
  });

  it('a 4-byte Remaining Length', () => {
    const b = encPublish(4, 't', new Uint8Array(2097152), 0, false, false, 0);
    expect(hex(b.subarray(0, 5))).toBe('3083808001');
    expect(frameLength(b, 0, b.length)).toBe(b.length);
    expect(decode(4, b).payload!.length).toBe(2097152);
  });
});

describe('utf8', () => {
  it('matches Buffer for random strings, astral characters included', () => {
    const rng = new Rng(SEED);
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const n = rng.int(20);
      for (let j = 0; j < n; j++) {
        const r = rng.int(4);
        s += String.fromCodePoint(r === 0 ? rng.range(1, 0x7f) : r === 1 ? rng.range(0x80, 0x7ff) : r === 2 ? rng.pick([rng.range(0x800, 0xd7ff), rng.range(0xe000, 0xffff)]) : rng.range(0x10000, 0x10ffff));
      }
      expect(hex(utf8(s), 1e6)).toBe(Buffer.from(s, 'utf8').toString('hex'));
    }
  });

  it('turns lone surrogates into U+FFFD, as Buffer does', () => {
    for (const s of ['\ud800', '\udc00', 'a\ud800b', '\udc00\ud800', '\ud83d\ude00\ud83d', 'x\udfff']) {
      expect(hex(utf8(s))).toBe(Buffer.from(s, 'utf8').toString('hex'));
    }
  });
});

// ---------------------------------------------------------------------------------
// Rejections: one each, with the code

describe('UTF-8 strings', () => {
  it('a topic is accepted exactly when it is well-formed UTF-8 without U+0000 (against TextDecoder fatal)', () => {
    const rng = new Rng(SEED ^ 0x0f8);
    // bytes near the edges of the lead and continuation ranges, and ASCII
    const pool = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff];
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const fails: string[] = [];
    let good = 0;
    for (let i = 0; i < 20000; i++) {
      const t = new Uint8Array(1 + rng.int(6));
      for (let j = 0; j < t.length; j++) t[j] = rng.pick(pool);
      let want: string | undefined;
      try {
        want = strict.decode(t);
        if (want.includes('\0')) want = undefined;
      } catch {
        want = undefined;
      }
      const b = new Uint8Array(4 + t.length);
      b.set([0x30, 2 + t.length, 0, t.length]);
      b.set(t, 4);
      let got: string | number | undefined;
      try {
        got = decode(4, b).topic;
      } catch (e) {
        got = (e as { code?: number }).code;
      }
      if (want === undefined ? got !== 0x81 : got !== want) fails.push(`${hex(t)}: ${String(got)}, expected ${want === undefined ? '0x81' : JSON.stringify(want)}`);
      else if (want !== undefined) good++;
      // the check the client makes of its own topics: 0 refused, 1 ASCII, 2 longer sequences
      const kind = want === undefined ? 0 : t.every((x) => x < 0x80) ? 1 : 2;
      if (utf8Kind(t) !== kind) fails.push(`${hex(t)}: utf8Kind ${utf8Kind(t)}, expected ${kind}`);
    }
    expectNone(fails, 20000);
    expect(good).toBeGreaterThan(200);
  });
});

describe('decode rejects', () => {
  const cases: [string, Version, string, number][] = [
    ['a truncated packet (Remaining Length past the end)', 4, '30 05 00 01 74', 0x81],
    ['a truncated string', 4, '30 03 00 05 74', 0x81],
    ['a truncated packet identifier', 4, '40 01 00', 0x81],
    ['a 5-byte Remaining Length', 4, '30 ff ff ff ff 7f', 0x81],
    ['a Remaining Length not in the fewest bytes', 4, 'd0 80 00', 0x81],
    ['bad reserved flags (PUBACK 0b0001)', 4, '41 02 00 01', 0x81],
    ['bad reserved flags (PUBREL 0b0000)', 4, '60 02 00 01', 0x81],
    ['bad reserved flags (PINGRESP 0b1000)', 4, 'd8 00', 0x81],
    ['CONNACK flags other than Session Present', 4, '20 02 02 00', 0x81],
    ['PUBLISH with QoS 3', 4, '36 05 00 01 74 00 01', 0x81],
    ['PUBLISH QoS 0 with DUP', 4, '38 03 00 01 74', 0x81],
    ['packet identifier 0', 4, '40 02 00 00', 0x82],
    ['a wildcard in a PUBLISH topic', 4, '30 03 00 01 23', 0x82],
    ['U+0000 in a topic', 4, '30 03 00 01 00', 0x81],
    ['an overlong encoding (C0 80)', 4, '30 04 00 02 c0 80', 0x81],
    ['an overlong encoding (E0 80 AF)', 4, '30 05 00 03 e0 80 af', 0x81],
    ['an encoded surrogate (ED A0 80)', 4, '30 05 00 03 ed a0 80', 0x81],
    ['a code point over U+10FFFF (F4 90 80 80)', 4, '30 06 00 04 f4 90 80 80', 0x81],
    ['a byte FF', 4, '30 03 00 01 ff', 0x81],
    ['a stray continuation byte', 4, '30 03 00 01 80', 0x81],
    ['a missing continuation byte', 4, '30 04 00 02 e2 82', 0x81],
    ['a lead byte followed by an ASCII byte', 4, '30 05 00 03 e2 41 ac', 0x81],
    ['a lead byte F8 (a 5-byte form)', 4, '30 07 00 05 f8 88 80 80 80', 0x81],
    ['an overlong encoding (F0 8F BF BF)', 4, '30 06 00 04 f0 8f bf bf', 0x81],
    ['trailing bytes (PUBACK)', 4, '40 03 00 01 00', 0x81],
    ['trailing bytes (PINGRESP)', 4, 'd0 01 00', 0x81],
    ['trailing bytes (UNSUBACK 3.1.1)', 4, 'b0 03 00 01 00', 0x81],
    ['a Remaining Length short of the bytes given', 4, '40 02 00 01 00', 0x81],
    ['CONNECT (client to server only)', 4, '10 0c 00 04 4d 51 54 54 04 02 00 00 00 00', 0x82],
    ['SUBSCRIBE (client to server only)', 4, '82 06 00 01 00 01 74 00', 0x82],
    ['UNSUBSCRIBE (client to server only)', 4, 'a2 05 00 01 00 01 74', 0x82],
    ['PINGREQ (client to server only)', 4, 'c0 00', 0x82],
    ['packet type 0', 4, '00 00', 0x82],
    ['DISCONNECT in 3.1.1', 4, 'e0 00', 0x82],
    ['AUTH in 3.1.1', 4, 'f0 00', 0x82],
    ['a property the packet may not carry (Session Expiry in a PUBLISH)', 5, '30 09 00 01 74 05 11 00 00 00 01', 0x81],
    ['an unknown property identifier', 5, '40 05 00 01 00 01 7f', 0x81],
    ['a repeated property (Topic Alias)', 5, '30 0a 00 01 74 06 23 00 01 23 00 01', 0x82],
    ['a boolean property that is not 0 or 1', 5, '20 05 00 00 02 25 02', 0x82],
    ['a property length past the end', 5, '40 05 00 01 00 05 1f', 0x81],
    ['a property value past the property length', 5, '40 08 00 01 00 02 1f 00 01 61', 0x81],
    ['bad UTF-8 in a property', 5, '40 08 00 01 00 04 1f 00 01 ff', 0x81],
    ['a CONNACK without a property length', 5, '20 02 00 00', 0x81],
    ['a SUBACK without a property length', 5, '90 02 00 01', 0x81],
  ];
  for (const [what, v, h, code] of cases) {
    it(`${what}: 0x${code.toString(16)}`, () => {
      expect(codeOf(() => decode(v, bytesOf(h)))).toBe(code);
    });
  }

  it('drops a user property named __proto__ (as mqtt-packet loses it; on Espruino it would corrupt the object), keeps constructor and toString', () => {
    const b = encAck(5, 4, 1, 0, { userProperties: Object.assign(Object.create(null), { __proto__: 'x', constructor: 'c', toString: ['t', 'u'], k: 'v' }) });
    const p = decode(5, b);
    const u = p.properties!.userProperties;
    expect(Object.getPrototypeOf(u)).toBe(null);
    expect(Object.keys(u)).toEqual(['constructor', 'toString', 'k']);
    expect(u.constructor).toBe('c');
    expect(u.toString).toEqual(['t', 'u']);
  });

  it('accepts what those cases are near to (the checks are not too strict)', () => {
    expect(decode(4, bytesOf('d0 00'))).toEqual({ cmd: 'pingresp' });
    expect(decode(4, bytesOf('62 02 00 01'))).toEqual({ cmd: 'pubrel', messageId: 1 });
    expect(decode(5, bytesOf('e0 00'))).toEqual({ cmd: 'disconnect', reasonCode: 0 });
    expect(decode(5, bytesOf('f0 00'))).toEqual({ cmd: 'auth', reasonCode: 0 });
    expect(decode(5, bytesOf('40 03 00 01 10'))).toEqual({ cmd: 'puback', messageId: 1, reasonCode: 0x10 });
    expect(decode(5, bytesOf('30 0c 00 01 74 07 0b 01 0b 02 0b 83 01 78'))).toEqual({
      cmd: 'publish', topic: 't', qos: 0, retain: false, dup: false, payload: bytesOf('78'), properties: { subscriptionIdentifier: [1, 2, 131] },
    });
    // Variable Byte Integers at their largest (4 bytes) and at the smallest 4-byte value
    expect(decode(5, bytesOf('30 09 00 01 74 05 0b ff ff ff 7f')).properties).toEqual({ subscriptionIdentifier: 268435455 });
    expect(decode(5, bytesOf('30 09 00 01 74 05 0b 80 80 80 01')).properties).toEqual({ subscriptionIdentifier: 2097152 });
    // the edges of the ranges: U+D7FF, U+E000, U+FFFF, U+10FFFF, U+0080, U+07FF; a leading BOM is kept [MQTT-1.5.4-3]
    const e = decode(4, bytesOf('30 16 00 14 ed 9f bf ee 80 80 ef bf bf f4 8f bf bf c2 80 df bf ef bb bf'));
    expect(e.topic).toBe('\ud7ff\ue000\uffff\udbff\udfff\u0080\u07ff\ufeff');
    expect(decode(4, bytesOf('30 05 00 03 ef bb bf')).topic).toBe('\ufeff');
    const q = decode(4, bytesOf('3b 0d 00 07 e2 82 ac f0 9f 98 80 00 07 01 02'));
    expect(q).toEqual({ cmd: 'publish', topic: '€😀', qos: 1, retain: true, dup: true, messageId: 7, payload: bytesOf('0102') });
  });

  it('frameLength throws on a 5-byte Remaining Length, once 4 bytes of it are there', () => {
    const b = bytesOf('30 ff ff ff ff 7f');
    expect(frameLength(b, 0, 4)).toBe(-1);
    expect(codeOf(() => frameLength(b, 0, 5))).toBe(0x81);
    expect(codeOf(() => frameLength(b, 0, 6))).toBe(0x81);
    expect(frameLength(b, 0, 1)).toBe(-1);
    expect(frameLength(b, 0, 0)).toBe(-1);
  });
});

// ---------------------------------------------------------------------------------

describe('fuzz', () => {
  it(`${FUZZ} mutations of valid server packets: decode returns a packet or throws an MqttError 0x81/0x82, nothing else`, () => {
    const rng = new Rng(SEED ^ 0xf022);
    const seeds: Record<number, Uint8Array[]> = { 4: [], 5: [] };
    for (const v of VERSIONS) {
      for (const o of mqttPacketObjects(SEED ^ 0x5eed, v, serverTypes(v), 40)) {
        const b = new Uint8Array(mqttPacket.generate(o as unknown as mqttPacket.Packet, { protocolVersion: v }));
        if (b.length <= 600) seeds[v].push(b);
      }
    }
    const counts = { ok: 0, 0x81: 0, 0x82: 0 } as Record<string, number>;
    const fails: string[] = [];
    for (let i = 0; i < FUZZ; i++) {
      const v = rng.pick(VERSIONS);
      const src = rng.pick(seeds[v]);
      let b: Uint8Array = src.slice();
      const kind = rng.int(6);
      const n = 1 + rng.int(4);
      for (let k = 0; k < n; k++) {
        if (kind === 0 || b.length === 0) b[rng.int(Math.max(1, b.length))] ^= 1 << rng.int(8);
        else if (kind === 1) b[rng.int(b.length)] = rng.pick([0, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0xf4, rng.int(256)]);
        else if (kind === 2) b = b.subarray(0, rng.int(b.length + 1));
        else if (kind === 3) {
          const at = rng.int(b.length + 1);
          const ins = rng.bytes(1 + rng.int(4));
          const c = new Uint8Array(b.length + ins.length);
          c.set(b.subarray(0, at));
          c.set(ins, at);
          c.set(b.subarray(at), at + ins.length);
          b = c;
        } else if (kind === 4) b[0] = rng.int(256);
        else b = rng.bytes(rng.int(40));
      }
      try {
        const fl = b.length === 0 ? -1 : frameLength(b, 0, b.length);
        // -1, or a whole length: the 2 to 5 header bytes and at most 268,435,455 more
        if (fl !== -1 && !(fl >= 2 && fl <= 268435460)) fails.push(`#${i}: frameLength ${fl}`);
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (!(e instanceof Error) || (e as Error).name !== 'MqttError' || code !== 0x81) fails.push(`#${i}: frameLength threw ${String(e)}`);
      }
      try {
        const p = decode(v, b);
        if (typeof p.cmd !== 'string') fails.push(`#${i}: no cmd`);
        counts.ok++;
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (!(e instanceof Error) || (e as Error).name !== 'MqttError' || (code !== 0x81 && code !== 0x82)) {
          fails.push(`#${i} v${v} ${hex(b)}: threw ${String(e)}`);
        } else counts[code]++;
      }
    }
    expectNone(fails, FUZZ);
    // the mutations reach both outcomes
    expect(counts.ok).toBeGreaterThan(FUZZ / 50);
    expect(counts[0x81]).toBeGreaterThan(FUZZ / 10);
    expect(counts[0x82]).toBeGreaterThan(FUZZ / 200);
  });
});

// ---------------------------------------------------------------------------------

describe('the lite build', () => {
  const entry = fileURLToPath(new URL('../../src/compact/codec.ts', import.meta.url));
  async function bundle(lite: boolean): Promise<string> {
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2017',
      write: false,
      define: { FIRMQTT_LITE: lite ? 'true' : 'false' },
    });
    return r.outputFiles[0].text;
  }

  it('drops every MQTT 5 property name (dead-code elimination of the MQTT 5 paths)', async () => {
    const lite = await bundle(true);
    const full = await bundle(false);
    const names = ['sessionExpiryInterval', 'userProperties', 'subscriptionIdentifier', 'authenticationMethod', 'reasonString', 'topicAlias', 'payloadFormatIndicator'];
    for (const n of names) {
      expect(full).toContain(n);
      expect(lite).not.toContain(n);
    }
    // the lite build is smaller by at least the property table
    expect(full.length - lite.length).toBeGreaterThan(1500);
    console.log(`[compact codec] minified: lite ${lite.length} B, full ${full.length} B`);
  });
});
