// MQTT 5 properties (MQTT 5.0 §2.2.2): one table of identifier, name, wire type and the
// packets that may carry each, and the code that measures, writes and reads a property
// list. Property lists exist only in MQTT 5; the encoder and decoder never call these
// for 3.1 / 3.1.1.
//
// Packets are named by a bit mask: bit (1 << packet type) for a packet, and bit 0 (packet
// type 0 is reserved, so the bit is free) for the will properties inside a CONNECT.
import type { Properties, UserProperties } from './packets';
import {
  CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK,
  UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH,
} from './packets';
import { mqttError, MALFORMED_PACKET, PROTOCOL_ERROR, TOPIC_ALIAS_INVALID } from './errors';
import { Reader, malformed, readU32, readVarInt, readString, readBinary } from './reader';
import { MAX_VARINT, varIntLength, writeVarInt, writeU16, writeU32, writeString, writeBinary } from './primitives';
import { utf8LengthStrict } from './utf8';
import { isValidTopicName } from './validate';

/** Bit for the will properties of a CONNECT. */
export const WILL_PROPERTIES = 1;

const W = WILL_PROPERTIES;
const C = 1 << CONNECT;
const CA = 1 << CONNACK;
const P = 1 << PUBLISH;
const ACKS = (1 << PUBACK) | (1 << PUBREC) | (1 << PUBREL) | (1 << PUBCOMP);
const S = 1 << SUBSCRIBE;
const SA = 1 << SUBACK;
const U = 1 << UNSUBSCRIBE;
const UA = 1 << UNSUBACK;
const D = 1 << DISCONNECT;
const AU = 1 << AUTH;

// Wire types (§2.2.2.2). BOOL is a Byte that may only be 0 or 1 and is shown as a boolean.
const T_BOOL = 1;
const T_BYTE = 2;
const T_U16 = 3;
const T_U32 = 4;
const T_VARINT = 5;
const T_STRING = 6;
const T_BINARY = 7;
const T_PAIR = 8;

/** [identifier, name, wire type, packets that may carry it] (MQTT 5.0 Table 2-4). */
const TABLE: [number, string, number, number][] = [
  [0x01, 'payloadFormatIndicator', T_BOOL, P | W],
  [0x02, 'messageExpiryInterval', T_U32, P | W],
  [0x03, 'contentType', T_STRING, P | W],
  [0x08, 'responseTopic', T_STRING, P | W],
  [0x09, 'correlationData', T_BINARY, P | W],
  [0x0b, 'subscriptionIdentifier', T_VARINT, P | S],
  [0x11, 'sessionExpiryInterval', T_U32, C | CA | D],
  [0x12, 'assignedClientIdentifier', T_STRING, CA],
  [0x13, 'serverKeepAlive', T_U16, CA],
  [0x15, 'authenticationMethod', T_STRING, C | CA | AU],
  [0x16, 'authenticationData', T_BINARY, C | CA | AU],
  [0x17, 'requestProblemInformation', T_BOOL, C],
  [0x18, 'willDelayInterval', T_U32, W],
  [0x19, 'requestResponseInformation', T_BOOL, C],
  [0x1a, 'responseInformation', T_STRING, CA],
  [0x1c, 'serverReference', T_STRING, CA | D],
  [0x1f, 'reasonString', T_STRING, CA | ACKS | SA | UA | D | AU],
  [0x21, 'receiveMaximum', T_U16, C | CA],
  [0x22, 'topicAliasMaximum', T_U16, C | CA],
  [0x23, 'topicAlias', T_U16, P],
  [0x24, 'maximumQoS', T_BYTE, CA],
  [0x25, 'retainAvailable', T_BOOL, CA],
  [0x26, 'userProperties', T_PAIR, C | CA | P | W | ACKS | S | SA | U | UA | D | AU],
  [0x27, 'maximumPacketSize', T_U32, C | CA],
  [0x28, 'wildcardSubscriptionAvailable', T_BOOL, CA],
  [0x29, 'subscriptionIdentifiersAvailable', T_BOOL, CA],
  [0x2a, 'sharedSubscriptionAvailable', T_BOOL, CA],
];

const N_IDS = 0x2b;
/** identifier -> wire type (0 = no such property) */
const TYPE = new Uint8Array(N_IDS);
/** identifier -> packets that may carry it */
const MASK = new Uint16Array(N_IDS);
/** identifier -> name */
const NAME: string[] = [];
for (let i = 0; i < N_IDS; i++) NAME.push('');

/**
 * name -> identifier. Filled from TABLE in table order (a literal would repeat every
 * name: ~700 bytes in a device bundle); inherited names ('constructor', ...) are not
 * numbers and are skipped by the callers' typeof check.
 */
export const PROPERTY_ID: { [name: string]: number } = {};

for (let i = 0; i < TABLE.length; i++) {
  TYPE[TABLE[i][0]] = TABLE[i][2];
  MASK[TABLE[i][0]] = TABLE[i][3];
  NAME[TABLE[i][0]] = TABLE[i][1];
  PROPERTY_ID[TABLE[i][1]] = TABLE[i][0];
}

/** Whether property `id` may appear in the packet(s) named by `bit`. */
export function isPropertyAllowed(id: number, bit: number): boolean {
  return id > 0 && id < N_IDS && (MASK[id] & bit) !== 0;
}

function invalid(name: string, why: string): Error {
  return mqttError(PROTOCOL_ERROR, 'Protocol Error: property ' + name + ' ' + why);
}

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && v >= min && v <= max && v % 1 === 0;
}

// ---------------------------------------------------------------------------------
// Encoding

/** Byte length of an MQTT string value, or throws (lone surrogate, U+0000, > 65535 bytes). */
function stringLength(name: string, v: unknown): number {
  if (typeof v !== 'string') throw invalid(name, 'must be a string');
  const n = utf8LengthStrict(v);
  if (n < 0) throw mqttError(MALFORMED_PACKET, 'Malformed Packet: ' + name + ' has a lone surrogate or U+0000');
  if (n > 0xffff) throw mqttError(MALFORMED_PACKET, 'Malformed Packet: ' + name + ' is longer than 65535 bytes');
  return n;
}

function binaryLength(name: string, v: unknown): number {
  if (typeof v === 'string') return stringLength(name, v);
  if (!(v instanceof Uint8Array)) throw invalid(name, 'must be a Uint8Array');
  if (v.length > 0xffff) throw mqttError(MALFORMED_PACKET, 'Malformed Packet: ' + name + ' is longer than 65535 bytes');
  return v.length;
}

function userPropertiesLength(v: unknown): number {
  if (!(v instanceof Array)) throw invalid('userProperties', 'must be an array of [key, value] pairs');
  let len = 0;
  for (let i = 0; i < v.length; i++) {
    const kv = v[i];
    if (!(kv instanceof Array) || kv.length !== 2) throw invalid('userProperties', 'must be an array of [key, value] pairs');
    len += 5 + stringLength('userProperties', kv[0]) + stringLength('userProperties', kv[1]);
  }
  return len;
}

/**
 * Bytes of a property list on the wire, without its length prefix (0 for none), for the
 * packet named by `bit`. Validates every property: allowed in this packet (else 0x81
 * Malformed, §2.2.2.2), a value of its type and range (else 0x82 Protocol Error; a
 * Topic Alias of 0 is 0x94). Names that are not MQTT 5 properties and undefined values
 * are skipped.
 */
export function propertiesLength(props: Properties | undefined, bit: number): number {
  if (props === undefined || props === null) return 0;
  const o = props as unknown as { [name: string]: unknown };
  let len = 0;
  for (const name in o) {
    const v = o[name];
    if (v === undefined) continue;
    const id = PROPERTY_ID[name];
    if (typeof id !== 'number') continue;
    if ((MASK[id] & bit) === 0) throw mqttError(MALFORMED_PACKET, 'Malformed Packet: property ' + name + ' is not allowed in this packet');
    switch (TYPE[id]) {
      case T_BOOL:
        if (v !== true && v !== false && v !== 0 && v !== 1) throw invalid(name, 'must be a boolean');
        len += 2;
        break;
      case T_BYTE: // maximumQoS: 0 or 1 (§3.2.2.3.4)
        if (v !== 0 && v !== 1) throw invalid(name, 'must be 0 or 1');
        len += 2;
        break;
      case T_U16:
        // Receive Maximum and Topic Alias 0 are Protocol Errors (§3.1.2.11.3, §3.3.2.3.4)
        if (!isInt(v, id === 0x21 || id === 0x23 ? 1 : 0, 0xffff)) {
          if (id === 0x23) throw mqttError(TOPIC_ALIAS_INVALID, 'Topic Alias invalid: must be 1..65535');
          throw invalid(name, 'out of range');
        }
        len += 3;
        break;
      case T_U32:
        // Maximum Packet Size 0 is a Protocol Error (§3.1.2.11.4)
        if (!isInt(v, id === 0x27 ? 1 : 0, 0xffffffff)) throw invalid(name, 'out of range');
        len += 5;
        break;
      case T_VARINT: // subscriptionIdentifier, 1..268435455 (§3.3.2.3.8)
        if (v instanceof Array) {
          // several only in a PUBLISH (§3.3.4); at most one in a SUBSCRIBE (§3.8.2.1.2)
          if (v.length > 1 && bit !== P) throw invalid(name, 'may appear only once in this packet');
          for (let i = 0; i < v.length; i++) {
            if (!isInt(v[i], 1, MAX_VARINT)) throw invalid(name, 'must be 1..268435455');
            len += 1 + varIntLength(v[i]);
          }
        } else {
          if (!isInt(v, 1, MAX_VARINT)) throw invalid(name, 'must be 1..268435455');
          len += 1 + varIntLength(v as number);
        }
        break;
      case T_STRING:
        // a Response Topic is a Topic Name: no wildcards (§3.3.2.3.5)
        if (id === 0x08 && typeof v === 'string' && !isValidTopicName(v)) throw invalid(name, 'must not contain wildcards');
        len += 3 + stringLength(name, v);
        break;
      case T_BINARY:
        len += 3 + binaryLength(name, v);
        break;
      default: // T_PAIR
        len += userPropertiesLength(v);
    }
  }
  // Authentication Data without an Authentication Method is a Protocol Error (§3.1.2.11.10)
  if (o.authenticationData !== undefined && o.authenticationMethod === undefined) throw invalid('authenticationData', 'needs authenticationMethod');
  return len;
}

/**
 * Writes a property list measured by propertiesLength() (`len`, the same `props`): the
 * Variable Byte Integer length, then each property in the object's key order.
 */
export function writeProperties(buf: Uint8Array, pos: number, props: Properties | undefined, len: number): number {
  pos = writeVarInt(buf, pos, len);
  if (len === 0 || props === undefined) return pos;
  const o = props as unknown as { [name: string]: unknown };
  for (const name in o) {
    const v = o[name];
    if (v === undefined) continue;
    const id = PROPERTY_ID[name];
    if (typeof id !== 'number') continue;
    switch (TYPE[id]) {
      case T_BOOL:
      case T_BYTE:
        buf[pos] = id;
        buf[pos + 1] = v === true || v === 1 ? 1 : 0;
        pos += 2;
        break;
      case T_U16:
        buf[pos] = id;
        pos = writeU16(buf, pos + 1, v as number);
        break;
      case T_U32:
        buf[pos] = id;
        pos = writeU32(buf, pos + 1, v as number);
        break;
      case T_VARINT:
        if (v instanceof Array) {
          for (let i = 0; i < v.length; i++) {
            buf[pos] = id;
            pos = writeVarInt(buf, pos + 1, v[i]);
          }
        } else {
          buf[pos] = id;
          pos = writeVarInt(buf, pos + 1, v as number);
        }
        break;
      case T_STRING:
        buf[pos] = id;
        pos = writeString(buf, pos + 1, v as string);
        break;
      case T_BINARY:
        buf[pos] = id;
        pos = writeBinary(buf, pos + 1, v as Uint8Array | string);
        break;
      default: {
        const pairs = v as UserProperties;
        for (let i = 0; i < pairs.length; i++) {
          buf[pos] = id;
          pos = writeString(buf, pos + 1, pairs[i][0]);
          pos = writeString(buf, pos, pairs[i][1]);
        }
      }
    }
  }
  return pos;
}

// ---------------------------------------------------------------------------------
// Decoding

function duplicate(id: number): Error {
  return invalid(NAME[id], 'appears more than once');
}

function readBool(r: Reader, id: number): boolean {
  const b = r.u8();
  if (b > 1) throw invalid(NAME[id], 'must be 0 or 1');
  return b === 1;
}

/**
 * Reads a property list (its Variable Byte Integer length, then the properties) for the
 * packet named by `bit`; undefined when the list is empty. Rejects: a length crossing the
 * packet end, an unknown identifier or one not allowed in this packet (0x81, §2.2.2.2),
 * a repeated property other than User Property and a PUBLISH's Subscription Identifier,
 * and invalid values (0x82; Topic Alias 0 is 0x94).
 */
export function readProperties(r: Reader, bit: number): Properties | undefined {
  const len = readVarInt(r);
  if (len === 0) return undefined;
  const end = r.pos + len;
  const outer = r.end;
  if (end > outer) throw malformed('property length crosses the end of the packet');
  r.end = end; // no property may read past its list
  const p: Properties = {};
  const o = p as unknown as { [name: string]: unknown };
  while (r.pos < end) {
    // The identifier is a Variable Byte Integer; every defined one is below 0x80, so a
    // byte with the top bit set is an unknown identifier too.
    const id = r.buf[r.pos++];
    if (id >= N_IDS || TYPE[id] === 0) throw malformed('unknown property identifier 0x' + id.toString(16));
    if ((MASK[id] & bit) === 0) throw malformed('property ' + NAME[id] + ' is not allowed in this packet');
    const name = NAME[id];
    const type = TYPE[id];
    if (type === T_PAIR) { // userProperties: repeats allowed, kept in order
      const k = readString(r);
      const v = readString(r);
      if (p.userProperties === undefined) p.userProperties = [[k, v]];
      else p.userProperties.push([k, v]);
      continue;
    }
    if (type === T_VARINT) { // subscriptionIdentifier
      const n = readVarInt(r);
      if (n === 0) throw invalid(name, 'must not be 0'); // §3.3.2.3.8
      const prev = p.subscriptionIdentifier;
      if (prev === undefined) {
        p.subscriptionIdentifier = n;
      } else {
        if (bit !== P) throw duplicate(id); // a SUBSCRIBE carries at most one (§3.8.2.1.2)
        if (typeof prev === 'number') p.subscriptionIdentifier = [prev, n];
        else prev.push(n);
      }
      continue;
    }
    if (o[name] !== undefined) throw duplicate(id);
    let v: unknown;
    switch (type) {
      case T_BOOL:
        v = readBool(r, id);
        break;
      case T_BYTE: { // maximumQoS (§3.2.2.3.4)
        const n = r.u8();
        if (n > 1) throw invalid(name, 'must be 0 or 1');
        v = n;
        break;
      }
      case T_U16: {
        const n = r.u16();
        if (n === 0 && id === 0x21) throw invalid(name, 'must not be 0'); // receiveMaximum: §3.1.2.11.3, §3.2.2.3.3
        if (n === 0 && id === 0x23) throw mqttError(TOPIC_ALIAS_INVALID, 'Topic Alias invalid: 0'); // §3.3.2.3.4
        v = n;
        break;
      }
      case T_U32: {
        const n = readU32(r);
        if (n === 0 && id === 0x27) throw invalid(name, 'must not be 0'); // maximumPacketSize: §3.1.2.11.4, §3.2.2.3.6
        v = n;
        break;
      }
      case T_STRING: {
        const t = readString(r);
        if (id === 0x08 && !isValidTopicName(t)) throw invalid(name, 'must not contain wildcards'); // responseTopic (§3.3.2.3.5)
        v = t;
        break;
      }
      default: // T_BINARY
        v = readBinary(r);
    }
    o[name] = v;
  }
  r.end = outer;
  // Authentication Data without an Authentication Method is a Protocol Error (§3.1.2.11.10)
  if (p.authenticationData !== undefined && p.authenticationMethod === undefined) throw invalid('authenticationData', 'needs authenticationMethod');
  return p;
}
