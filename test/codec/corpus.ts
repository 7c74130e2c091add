// A seeded generator of valid MQTT packets (firmqtt shapes), for the differential,
// fragmentation and fuzz tests and the codec benchmark.
//
// "Valid" means what a conforming peer may put on the wire, so that every receiver
// check the codec makes (DESIGN.md "codec") passes: packet ids 1..65535, no QoS 3,
// no wildcard in a topic name, well-formed topic filters, UTF-8 without U+0000 (and,
// to stay clear of the spec's "SHOULD NOT" ranges, without C0/C1 controls or
// non-characters), each MQTT 5 property only on a packet that may carry it (MQTT 5.0
// §2.2.2.2 table 2-4) with a legal value, at most one of each except User Property and
// a PUBLISH's Subscription Identifiers, Authentication Data only next to an
// Authentication Method, Session Present 0 when the CONNACK refuses, a will payload in
// UTF-8 when its Payload Format Indicator says so.
//
// Everything comes from one PRNG seeded with a 32-bit integer; print the seed and
// replay a run with SEED=<n>.
import type {
  AckPacket,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  Properties,
  PublishPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from '../../src/codec/packets';
import {
  AUTH,
  CONNACK,
  CONNECT,
  DISCONNECT,
  PINGREQ,
  PINGRESP,
  PUBACK,
  PUBCOMP,
  PUBLISH,
  PUBREC,
  PUBREL,
  SUBACK,
  SUBSCRIBE,
  UNSUBACK,
  UNSUBSCRIBE,
} from '../../src/codec/packets';
import { Rng } from '../../tools/lib/prng';

export type Version = 4 | 5;

// The PRNG (sfc32 seeded through splitmix32) is tools/lib/prng.ts, shared with the
// benchmarks; re-exported here for the codec tests.
export { Rng };

/** The seed from the environment variable `name` (decimal or 0x hex), else a fresh one. */
export function seedFromEnv(name = 'SEED'): number {
  const text = process.env[name];
  if (text !== undefined && text !== '') {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`${name} must be a 32-bit unsigned integer, got ${text}`);
    return n;
  }
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 0x100000000)) >>> 0;
}

// ---------------------------------------------------------------------------------
// Strings

/** Code point classes by UTF-8 width. Excluded: U+0000, C0 and C1 controls, DEL,
 * surrogates, non-characters (U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF). */
function codePoint(rng: Rng, width: number): number {
  switch (width) {
    case 1:
      return rng.range(0x20, 0x7e);
    case 2:
      return rng.range(0xa0, 0x7ff);
    case 3: {
      for (;;) {
        const c = rng.chance(0.5) ? rng.range(0x800, 0xd7ff) : rng.range(0xe000, 0xfffd);
        if (c < 0xfdd0 || c > 0xfdef) return c;
      }
    }
    default: {
      for (;;) {
        const c = rng.chance(0.5) ? rng.range(0x1f300, 0x1faff) : rng.range(0x10000, 0x10fffd);
        if ((c & 0xfffe) !== 0xfffe) return c;
      }
    }
  }
}

const EXCLUDED_IN_TEXT = [0x2f /* / */, 0x2b /* + */, 0x23 /* # */];

/**
 * A random well-formed string of `n` code points. `mix`: 0 = ASCII only, 1 = mostly
 * ASCII with some multi-byte, 2 = every width (including 4-byte UTF-8) equally.
 * `noTopicChars` leaves out '/', '+' and '#'.
 */
export function randomString(rng: Rng, n: number, mix: number, noTopicChars = false): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    let width = 1;
    if (mix === 1) width = rng.chance(0.85) ? 1 : rng.range(2, 4);
    else if (mix === 2) width = rng.range(1, 4);
    let c = codePoint(rng, width);
    while (noTopicChars && EXCLUDED_IN_TEXT.indexOf(c) >= 0) c = codePoint(rng, 1);
    s += String.fromCodePoint(c);
  }
  return s;
}

function text(rng: Rng, maxLen: number): string {
  const r = rng.float();
  const n = r < 0.08 ? 0 : r < 0.9 ? rng.range(1, Math.min(maxLen, 24)) : rng.logRange(1, maxLen);
  return randomString(rng, n, rng.pick([0, 0, 1, 2]));
}

const WORDS = ['sensors', 'home', 'a', 'temp', 'état', 'дом', '温度', '😀', '𝄞', 'x y', '$SYS', 'dev-7', 'ǅ', 'ü'];

function level(rng: Rng): string {
  const r = rng.float();
  if (r < 0.5) return rng.pick(WORDS);
  if (r < 0.6) return '';
  return randomString(rng, rng.range(1, 12), rng.pick([0, 1, 2]), true);
}

/** A topic name (no wildcards), at least one character. */
export function topicName(rng: Rng): string {
  if (rng.chance(0.03)) {
    // long: a 2-byte string length and a remaining length over 127
    const parts: string[] = [];
    const n = rng.range(20, 120);
    for (let i = 0; i < n; i++) parts.push(randomString(rng, rng.range(1, 10), 2, true));
    return parts.join('/');
  }
  const n = rng.range(1, 6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(level(rng));
  let t = parts.join('/');
  if (t === '') t = rng.pick(WORDS);
  return t;
}

/**
 * Topics that come back again and again, as on a real device, so that a codec's topic
 * caches see hits, misses, evictions and near-misses: same length and same first, middle
 * and last characters but different elsewhere; same UTF-16 length, different UTF-8
 * length; same UTF-8 bytes length, different bytes; lengths around 64.
 */
export const TOPIC_POOL: readonly string[] = (() => {
  const out = [
    'sensors/1/temp', 'sensorz/1/temp', 'sensors/2/temp', 'sensors/1/tem\u00e9', 's\u00e9nsors/1/temp',
    'a', 'b', '\u00e4', 'ab', '\u20ac', '\u{1F600}', 'x/\u{1F600}', 'x/\u{1F601}', 'x/ab', 'x/\u00e4',
    'home/kitchen/light/state', 'home/kitchen/light/stat\u00e9', 'home/kitchen/lighT/state',
    'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(63) + 'b', 'b' + 'a'.repeat(63),
    '\u{1F600}'.repeat(32), '\u{1F600}'.repeat(31) + '\u{1F601}', '\u00e9'.repeat(64),
  ];
  const r = new Rng(0x70b1c);
  for (let i = 0; i < 24; i++) out.push(topicName(r));
  return out;
})();

/** A well-formed topic filter: '+' is a whole level, '#' only a whole last level. */
export function topicFilter(rng: Rng, version: Version): string {
  const n = rng.range(1, 6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.float();
    if (i === n - 1 && r < 0.2) parts.push('#');
    else if (r < 0.35) parts.push('+');
    else parts.push(level(rng));
  }
  let f = parts.join('/');
  if (f === '') f = '#';
  if (version === 5 && rng.chance(0.08)) {
    f = '$share/' + randomString(rng, rng.range(1, 8), 1, true) + '/' + f;
  }
  return f;
}

function binary(rng: Rng, maxLen: number): Uint8Array {
  const r = rng.float();
  const n = r < 0.1 ? 0 : r < 0.9 ? rng.range(1, 32) : rng.logRange(1, maxLen);
  return rng.bytes(n);
}

function packetId(rng: Rng): number {
  return rng.chance(0.1) ? rng.pick([1, 2, 127, 128, 255, 256, 32767, 32768, 65534, 65535]) : rng.range(1, 65535);
}

function qos(rng: Rng): QoS {
  return rng.int(3) as QoS;
}

function u16(rng: Rng, min: number): number {
  return rng.chance(0.2) ? rng.pick([min, min + 1, 127, 128, 255, 256, 65535]) : rng.range(min, 65535);
}

function u32(rng: Rng, min: number): number {
  if (rng.chance(0.2)) return rng.pick([min, min + 1, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff]);
  const n = rng.chance(0.5) ? rng.u32() : rng.logRange(0, 0xffffffff);
  return n < min ? min : n;
}

/** A Subscription Identifier: 1..268435455, every var-int width. */
function subscriptionId(rng: Rng): number {
  switch (rng.int(5)) {
    case 0:
      return rng.range(1, 127);
    case 1:
      return rng.range(128, 16383);
    case 2:
      return rng.range(16384, 2097151);
    case 3:
      return rng.range(2097152, 268435455);
    default:
      return rng.pick([1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455]);
  }
}

// ---------------------------------------------------------------------------------
// Properties

/** Property names that may appear on each packet (MQTT 5.0 table 2-4); WILL = will properties. */
export const WILL = 0;
export const ALLOWED: Record<number, (keyof Properties)[]> = {
  [CONNECT]: [
    'sessionExpiryInterval', 'receiveMaximum', 'maximumPacketSize', 'topicAliasMaximum',
    'requestResponseInformation', 'requestProblemInformation', 'userProperties',
    'authenticationMethod', 'authenticationData',
  ],
  [WILL]: [
    'willDelayInterval', 'payloadFormatIndicator', 'messageExpiryInterval', 'contentType',
    'responseTopic', 'correlationData', 'userProperties',
  ],
  [CONNACK]: [
    'sessionExpiryInterval', 'receiveMaximum', 'maximumQoS', 'retainAvailable', 'maximumPacketSize',
    'assignedClientIdentifier', 'topicAliasMaximum', 'reasonString', 'userProperties',
    'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable',
    'serverKeepAlive', 'responseInformation', 'serverReference', 'authenticationMethod',
    'authenticationData',
  ],
  [PUBLISH]: [
    'payloadFormatIndicator', 'messageExpiryInterval', 'topicAlias', 'responseTopic',
    'correlationData', 'userProperties', 'subscriptionIdentifier', 'contentType',
  ],
  [PUBACK]: ['reasonString', 'userProperties'],
  [PUBREC]: ['reasonString', 'userProperties'],
  [PUBREL]: ['reasonString', 'userProperties'],
  [PUBCOMP]: ['reasonString', 'userProperties'],
  [SUBSCRIBE]: ['subscriptionIdentifier', 'userProperties'],
  [SUBACK]: ['reasonString', 'userProperties'],
  [UNSUBSCRIBE]: ['userProperties'],
  [UNSUBACK]: ['reasonString', 'userProperties'],
  [DISCONNECT]: ['sessionExpiryInterval', 'reasonString', 'serverReference', 'userProperties'],
  [AUTH]: ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties'],
};

/** MQTT 5 property identifiers (MQTT 5.0 §2.2.2.2). */
export const PROPERTY_IDS: Record<keyof Properties, number> = {
  payloadFormatIndicator: 0x01,
  messageExpiryInterval: 0x02,
  contentType: 0x03,
  responseTopic: 0x08,
  correlationData: 0x09,
  subscriptionIdentifier: 0x0b,
  sessionExpiryInterval: 0x11,
  assignedClientIdentifier: 0x12,
  serverKeepAlive: 0x13,
  authenticationMethod: 0x15,
  authenticationData: 0x16,
  requestProblemInformation: 0x17,
  willDelayInterval: 0x18,
  requestResponseInformation: 0x19,
  responseInformation: 0x1a,
  serverReference: 0x1c,
  reasonString: 0x1f,
  receiveMaximum: 0x21,
  topicAliasMaximum: 0x22,
  topicAlias: 0x23,
  maximumQoS: 0x24,
  retainAvailable: 0x25,
  userProperties: 0x26,
  maximumPacketSize: 0x27,
  wildcardSubscriptionAvailable: 0x28,
  subscriptionIdentifiersAvailable: 0x29,
  sharedSubscriptionAvailable: 0x2a,
};

// Keys drawn from a small pool so that repeats are common; some are awkward for
// implementations that store user properties in a plain object.
const USER_KEYS = ['region', 'k', 'trace-id', 'ü', '日本', '😀', '', 'a b', '__proto__', 'constructor', '7', 'toString'];

function userProperties(rng: Rng): [string, string][] {
  const n = rng.chance(0.15) ? rng.range(6, 40) : rng.range(1, 5);
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.75) ? rng.pick(USER_KEYS) : text(rng, 40);
    const value = rng.chance(0.1) ? '' : text(rng, 200);
    out.push([key, value]);
  }
  return out;
}

function propertyValue(rng: Rng, name: keyof Properties, type: number): Properties[keyof Properties] {
  switch (name) {
    case 'payloadFormatIndicator':
    case 'requestProblemInformation':
    case 'requestResponseInformation':
    case 'retainAvailable':
    case 'wildcardSubscriptionAvailable':
    case 'subscriptionIdentifiersAvailable':
    case 'sharedSubscriptionAvailable':
      return rng.chance(0.5);
    case 'messageExpiryInterval':
    case 'sessionExpiryInterval':
    case 'willDelayInterval':
      return u32(rng, 0);
    case 'maximumPacketSize':
      return u32(rng, 1);
    case 'receiveMaximum':
    case 'topicAlias':
      return u16(rng, 1);
    case 'topicAliasMaximum':
    case 'serverKeepAlive':
      return u16(rng, 0);
    case 'maximumQoS':
      return rng.int(2);
    case 'responseTopic':
      return topicName(rng);
    case 'correlationData':
    case 'authenticationData':
      return binary(rng, 600);
    case 'subscriptionIdentifier': {
      if (type !== PUBLISH) return subscriptionId(rng);
      const r = rng.float();
      if (r < 0.55) return subscriptionId(rng);
      if (r < 0.6) return [subscriptionId(rng)];
      const n = rng.range(2, 6);
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(subscriptionId(rng));
      return ids;
    }
    case 'userProperties':
      return userProperties(rng);
    default:
      // contentType, assignedClientIdentifier, authenticationMethod, responseInformation,
      // serverReference, reasonString
      return text(rng, 300);
  }
}

/** Random properties for a packet `type` (or WILL); undefined sometimes. */
export function properties(rng: Rng, type: number, density = 0.35): Properties | undefined {
  if (rng.chance(0.15)) return undefined;
  const names = ALLOWED[type];
  const props: Properties = {};
  // insertion order varies, so that an encoder that writes in object order and one
  // that writes in table order are both exercised
  const order = names.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (const name of order) {
    if (name === 'authenticationData') continue; // only next to a method, below
    if (!rng.chance(name === 'userProperties' ? 0.45 : density)) continue;
    // now and then an empty user property list, which means none
    (props as Record<string, unknown>)[name] = name === 'userProperties' && rng.chance(0.03) ? [] : propertyValue(rng, name, type);
    if (name === 'authenticationMethod' && rng.chance(0.6)) props.authenticationData = binary(rng, 600);
  }
  return props;
}

// ---------------------------------------------------------------------------------
// Payloads

export function payloadLength(rng: Rng): number {
  const r = rng.float();
  if (r < 0.1) return 0;
  if (r < 0.5) return rng.range(1, 127);
  if (r < 0.94) return rng.range(128, 1000);
  if (r < 0.99) return rng.logRange(1001, 16383);
  return rng.range(16384, 40000);
}

function utf8Payload(rng: Rng, bytes: number): string {
  // about `bytes` bytes of mixed-width text
  let s = '';
  let n = 0;
  while (n < bytes) {
    const width = rng.chance(0.7) ? 1 : rng.range(2, 4);
    s += String.fromCodePoint(codePoint(rng, width));
    n += width;
  }
  return s;
}

/** Bytes or, sometimes, a string the encoder must UTF-8 encode itself. */
function payload(rng: Rng, len: number, utf8: boolean): Uint8Array | string {
  if (utf8 || rng.chance(0.1)) {
    const s = utf8Payload(rng, len);
    return rng.chance(0.5) ? s : new Uint8Array(Buffer.from(s, 'utf8'));
  }
  return rng.bytes(len);
}

// ---------------------------------------------------------------------------------
// Packets

const CONNACK_V4_CODES = [0, 0, 0, 1, 2, 3, 4, 5];
const CONNACK_V5_CODES = [
  0x00, 0x00, 0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90,
  0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
];
const PUBACK_CODES = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_CODES = [0x00, 0x92];
const SUBACK_V4_CODES = [0, 1, 2, 0x80];
const SUBACK_V5_CODES = [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2];
const UNSUBACK_CODES = [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91];
const DISCONNECT_CODES = [
  0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95,
  0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
];
const AUTH_CODES = [0x00, 0x18, 0x19];

export const TYPES_V4 = [CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT];
export const TYPES_V5 = TYPES_V4.concat([AUTH]);

function connect(rng: Rng, v: Version): ConnectPacket {
  const clean = rng.chance(0.6);
  // MQTT 3.1.1 [MQTT-3.1.3-7]: a zero-byte ClientId needs CleanSession = 1
  const emptyId = rng.chance(0.1) && (v === 5 || clean);
  const p: ConnectPacket = {
    type: CONNECT,
    protocolVersion: v,
    clientId: emptyId ? '' : rng.chance(0.05) ? randomString(rng, rng.range(24, 200), 2) : text(rng, 23) || 'c',
    clean,
    keepalive: rng.chance(0.2) ? rng.pick([0, 1, 60, 65535]) : rng.range(0, 65535),
  };
  if (rng.chance(0.5)) p.username = text(rng, 100);
  // MQTT 3.1.1 [MQTT-3.1.2-22]: no password without a user name; MQTT 5 allows it
  if ((p.username !== undefined || v === 5) && rng.chance(0.5)) {
    p.password = rng.chance(0.3) ? text(rng, 60) : binary(rng, 300);
  }
  if (rng.chance(0.7)) {
    const props = v === 5 ? properties(rng, WILL, 0.7) : undefined;
    const utf8 = props !== undefined && props.payloadFormatIndicator === true;
    const will: Will = {
      topic: topicName(rng),
      payload: payload(rng, rng.chance(0.9) ? rng.range(0, 200) : rng.range(128, 3000), utf8),
      qos: qos(rng),
      retain: rng.chance(0.5),
    };
    if (props !== undefined) will.properties = props;
    p.will = will;
  }
  if (v === 5) {
    const props = properties(rng, CONNECT, 0.6);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

function connack(rng: Rng, v: Version): ConnackPacket {
  const reasonCode = rng.pick(v === 5 ? CONNACK_V5_CODES : CONNACK_V4_CODES);
  // [MQTT-3.2.2-4] / [MQTT-3.2.2-6]: Session Present is 0 on a refusal
  const p: ConnackPacket = { type: CONNACK, sessionPresent: reasonCode === 0 && rng.chance(0.5), reasonCode };
  if (v === 5) {
    const props = properties(rng, CONNACK, 0.6);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

export function publish(rng: Rng, v: Version, payloadLen?: number): PublishPacket {
  const q = qos(rng);
  const props = v === 5 ? properties(rng, PUBLISH) : undefined;
  // MQTT 5 §3.3.2.1: a zero-length topic name is allowed when a Topic Alias is given
  const topic = props !== undefined && props.topicAlias !== undefined && rng.chance(0.4) ? '' : rng.chance(0.35) ? rng.pick(TOPIC_POOL) : topicName(rng);
  const utf8 = props !== undefined && props.payloadFormatIndicator === true;
  const p: PublishPacket = {
    type: PUBLISH,
    topic,
    payload: payload(rng, payloadLen === undefined ? payloadLength(rng) : payloadLen, utf8),
    qos: q,
    retain: rng.chance(0.3),
    // [MQTT-3.3.1-2]: DUP is 0 at QoS 0
    dup: q > 0 && rng.chance(0.3),
  };
  if (q > 0) p.messageId = packetId(rng);
  if (props !== undefined) p.properties = props;
  return p;
}

function ack(rng: Rng, v: Version, type: AckPacket['type']): AckPacket {
  const p: AckPacket = { type, messageId: packetId(rng) };
  if (v === 5) {
    const r = rng.float();
    // absent reason code, explicit Success, or a code of this packet type
    if (r >= 0.25) p.reasonCode = r < 0.45 ? 0 : rng.pick(type === PUBACK || type === PUBREC ? PUBACK_CODES : PUBREL_CODES);
    if (rng.chance(0.5)) {
      const props = properties(rng, type, 0.6);
      if (props !== undefined) p.properties = props;
    }
  }
  return p;
}

function subscribe(rng: Rng, v: Version): SubscribePacket {
  const n = rng.chance(0.1) ? rng.range(10, 60) : rng.range(1, 4);
  const subscriptions: Subscription[] = [];
  for (let i = 0; i < n; i++) {
    const s: Subscription = { topic: topicFilter(rng, v), qos: qos(rng) };
    if (v === 5) {
      // options absent (= false, false, 0) or given
      if (rng.chance(0.7)) s.nl = rng.chance(0.5);
      if (rng.chance(0.7)) s.rap = rng.chance(0.5);
      if (rng.chance(0.7)) s.rh = rng.int(3);
      // [MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error
      if (s.topic.startsWith('$share/')) s.nl = false;
    }
    subscriptions.push(s);
  }
  const p: SubscribePacket = { type: SUBSCRIBE, messageId: packetId(rng), subscriptions };
  if (v === 5) {
    const props = properties(rng, SUBSCRIBE, 0.5);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

function suback(rng: Rng, v: Version): SubackPacket {
  const n = rng.chance(0.1) ? rng.range(10, 200) : rng.range(1, 4);
  const granted: number[] = [];
  for (let i = 0; i < n; i++) granted.push(rng.pick(v === 5 ? SUBACK_V5_CODES : SUBACK_V4_CODES));
  const p: SubackPacket = { type: SUBACK, messageId: packetId(rng), granted };
  if (v === 5) {
    const props = properties(rng, SUBACK, 0.5);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

function unsubscribe(rng: Rng, v: Version): UnsubscribePacket {
  const n = rng.chance(0.1) ? rng.range(10, 60) : rng.range(1, 4);
  const unsubscriptions: string[] = [];
  for (let i = 0; i < n; i++) unsubscriptions.push(topicFilter(rng, v));
  const p: UnsubscribePacket = { type: UNSUBSCRIBE, messageId: packetId(rng), unsubscriptions };
  if (v === 5) {
    const props = properties(rng, UNSUBSCRIBE, 0.5);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

function unsuback(rng: Rng, v: Version): UnsubackPacket {
  const p: UnsubackPacket = { type: UNSUBACK, messageId: packetId(rng) };
  if (v === 5) {
    const n = rng.chance(0.1) ? rng.range(10, 200) : rng.range(1, 4);
    const granted: number[] = [];
    for (let i = 0; i < n; i++) granted.push(rng.pick(UNSUBACK_CODES));
    p.granted = granted;
    const props = properties(rng, UNSUBACK, 0.5);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

function disconnect(rng: Rng, v: Version): DisconnectPacket {
  const p: DisconnectPacket = { type: DISCONNECT };
  if (v === 5) {
    const r = rng.float();
    if (r >= 0.25) p.reasonCode = r < 0.45 ? 0 : rng.pick(DISCONNECT_CODES);
    if (rng.chance(0.5)) {
      const props = properties(rng, DISCONNECT, 0.5);
      if (props !== undefined) p.properties = props;
    }
  }
  return p;
}

function auth(rng: Rng): AuthPacket {
  const p: AuthPacket = { type: AUTH };
  const r = rng.float();
  if (r >= 0.2) p.reasonCode = r < 0.35 ? 0 : rng.pick(AUTH_CODES);
  if (rng.chance(0.7)) {
    const props = properties(rng, AUTH, 0.5);
    if (props !== undefined) p.properties = props;
  }
  return p;
}

/** One valid packet of `type` for protocol version `v`. */
export function packetOfType(rng: Rng, type: number, v: Version): Packet {
  switch (type) {
    case CONNECT:
      return connect(rng, v);
    case CONNACK:
      return connack(rng, v);
    case PUBLISH:
      return publish(rng, v);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      return ack(rng, v, type);
    case SUBSCRIBE:
      return subscribe(rng, v);
    case SUBACK:
      return suback(rng, v);
    case UNSUBSCRIBE:
      return unsubscribe(rng, v);
    case UNSUBACK:
      return unsuback(rng, v);
    case PINGREQ:
      return { type: PINGREQ };
    case PINGRESP:
      return { type: PINGRESP };
    case DISCONNECT:
      return disconnect(rng, v);
    case AUTH:
      if (v !== 5) throw new Error('AUTH exists only in MQTT 5');
      return auth(rng);
    default:
      throw new Error(`no packet type ${type}`);
  }
}

/** A random valid packet: PUBLISH about a third of the time, the other types evenly. */
export function randomPacket(rng: Rng, v: Version): Packet {
  if (rng.chance(0.3)) return publish(rng, v);
  const types = v === 5 ? TYPES_V5 : TYPES_V4;
  return packetOfType(rng, rng.pick(types), v);
}

/** 2,097,152 bytes: the smallest payload whose PUBLISH needs a 4-byte remaining length. */
export const FOUR_BYTE_VARINT_PAYLOAD = 2097152;

/** Packets per protocol version in the corpus the differential and fragmentation tests share. */
export const CORPUS_PER_VERSION = 6000;

export interface Corpus {
  seed: number;
  v4: Packet[];
  v5: Packet[];
}

/**
 * `perVersion` packets for each of MQTT 3.1.1 and 5.0. Each list starts with one packet
 * of every type and holds one PUBLISH whose payload needs a 4-byte remaining length
 * (`withHuge`, default true).
 */
export function makeCorpus(seed: number, perVersion: number, withHuge = true): Corpus {
  const out: Corpus = { seed, v4: [], v5: [] };
  const versions: Version[] = [4, 5];
  for (const v of versions) {
    const rng = new Rng((seed ^ (v * 0x9e3779b1)) >>> 0);
    const list = v === 4 ? out.v4 : out.v5;
    const types = v === 5 ? TYPES_V5 : TYPES_V4;
    for (const t of types) list.push(packetOfType(rng, t, v));
    const hugeAt = withHuge ? rng.range(list.length, perVersion - 1) : -1;
    while (list.length < perVersion) {
      list.push(list.length === hugeAt ? publish(rng, v, FOUR_BYTE_VARINT_PAYLOAD) : randomPacket(rng, v));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Canonical form: what "the same packet" means when comparing two packet objects.

export interface CanonicalOptions {
  /**
   * Compare user properties as mqtt-packet can represent them: an object keyed by name,
   * so the order across names is lost (and integer-like names sort first), but the
   * order of the values of one name is kept. Default: exact order of the pairs.
   */
  groupUserProperties?: boolean;
}

const utf8Encoder = new TextEncoder();

function hex(b: Uint8Array | string): string {
  const bytes = typeof b === 'string' ? utf8Encoder.encode(b) : b;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function canonicalUserProperties(pairs: [string, string][], group: boolean): unknown {
  if (!group) return pairs.map((kv) => [kv[0], kv[1]]);
  const names: string[] = [];
  const values: string[][] = [];
  for (const kv of pairs) {
    let i = names.indexOf(kv[0]);
    if (i < 0) {
      i = names.length;
      names.push(kv[0]);
      values.push([]);
    }
    values[i].push(kv[1]);
  }
  const out = names.map((n, i) => [n, values[i]] as [string, string[]]);
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}

function canonicalProperties(p: Properties | undefined, o: CanonicalOptions): unknown {
  if (p === undefined || p === null) return undefined;
  const out: [string, unknown][] = [];
  const names = Object.keys(p) as (keyof Properties)[];
  names.sort((a, b) => PROPERTY_IDS[a] - PROPERTY_IDS[b]);
  for (const name of names) {
    let v: unknown = p[name];
    if (v === undefined) continue;
    if (PROPERTY_IDS[name] === undefined) {
      out.push(['UNKNOWN ' + name, v]);
      continue;
    }
    if (name === 'userProperties') {
      const pairs = v as [string, string][];
      if (pairs.length === 0) continue;
      v = canonicalUserProperties(pairs, o.groupUserProperties === true);
    } else if (name === 'subscriptionIdentifier') {
      if (Array.isArray(v) && v.length === 1) v = v[0];
    } else if (v instanceof Uint8Array) {
      v = 'hex:' + hex(v);
    }
    out.push([name, v]);
  }
  return out.length === 0 ? undefined : out;
}

/**
 * A plain, JSON-comparable form of a packet. It collapses only representations that
 * mean the same on the wire: bytes given as a string or a Uint8Array, an absent reason
 * code and Success (0) on acknowledgements, DISCONNECT and AUTH (packets.ts: "absent
 * means Success"; an MQTT 3.1.1 packet has none), absent and empty properties, absent and false/0 subscription options,
 * a single Subscription Identifier as n or [n], an MQTT 3.1.1 UNSUBACK's absent or empty
 * reason list. Keys are sorted, so field order does not matter either.
 */
export function canonical(p: Packet, v: Version, o: CanonicalOptions = {}): unknown {
  const src = p as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src).sort()) {
    const value = src[key];
    if (value === undefined) continue;
    switch (key) {
      case 'properties':
        out.properties = canonicalProperties(value as Properties, o);
        break;
      case 'payload':
      case 'password':
        out[key] = hex(value as Uint8Array | string);
        break;
      case 'will': {
        const w = value as Will;
        out.will = {
          topic: w.topic,
          payload: hex(w.payload),
          qos: w.qos,
          retain: w.retain,
          properties: canonicalProperties(w.properties, o),
        };
        break;
      }
      case 'subscriptions':
        out.subscriptions = (value as Subscription[]).map((s) => ({
          topic: s.topic,
          qos: s.qos,
          nl: s.nl === undefined ? false : s.nl,
          rap: s.rap === undefined ? false : s.rap,
          rh: s.rh === undefined ? 0 : s.rh,
        }));
        break;
      case 'granted':
        if (p.type === UNSUBACK && v === 4 && (value as number[]).length === 0) break;
        out.granted = (value as number[]).slice();
        break;
      default:
        out[key] = value;
    }
  }
  if ((p.type >= PUBACK && p.type <= PUBCOMP) || p.type === DISCONNECT || p.type === AUTH) {
    if (out.reasonCode === undefined) out.reasonCode = 0;
  }
  if (out.properties === undefined) delete out.properties;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key];
  return sorted;
}

/** canonical() as a string, for fast equality over many packets. */
export function canonicalKey(p: Packet, v: Version, o: CanonicalOptions = {}): string {
  return JSON.stringify(canonical(p, v, o));
}
