// The encoder: packet object -> bytes. Stateless between calls.
//
// Size first, then write once (coreMQTT MQTT_GetPublishPacketSize / MQTT_SerializePublish):
// measure() validates the packet and returns its Remaining Length, scanning each string
// once for its UTF-8 length; the caller then has an exact buffer (allocated, or its own)
// and write() fills it with a pos cursor. Strings go into the buffer as UTF-8 directly
// (writeString fills in the length prefix afterwards), so nothing is encoded twice. A
// PUBLISH topic, the one string in the hot path, is not even scanned twice: see the
// topic cache and the ASCII guess below.
//
// A packet that cannot be encoded validly throws an MqttError (before anything is
// written, but for one encodeInto() case documented there):
//   0x81 Malformed Packet   QoS not 0..2, a string > 65535 bytes or with a lone
//                           surrogate or U+0000, binary data > 65535 bytes, a property
//                           not allowed in the packet type
//   0x82 Protocol Error     packet id missing / not 1..65535, DUP on QoS 0, empty topic
//                           without a Topic Alias, invalid property value, reason code not
//                           allowed in the packet type, empty SUBSCRIBE / UNSUBSCRIBE /
//                           SUBACK / v5 UNSUBACK, Retain Handling 3, No Local on a shared
//                           subscription, password without user name (3.1 / 3.1.1),
//                           Session Present with a refusal, AUTH before MQTT 5,
//                           CONNECT.protocolVersion not the version asked for, unknown type
//   0x8F Topic Filter invalid   in SUBSCRIBE / UNSUBSCRIBE
//   0x90 Topic Name invalid     a wildcard in a PUBLISH or will topic, an empty will topic
//   0x94 Topic Alias invalid    topicAlias 0
//   0x95 Packet too large       Remaining Length above 268435455
import type {
  Packet, ProtocolVersion, PublishPacket, ConnectPacket, ConnackPacket, AckPacket, SubscribePacket,
  SubackPacket, UnsubscribePacket, UnsubackPacket, DisconnectPacket, AuthPacket, Bytes,
} from './packets';
import {
  CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE,
  UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH,
} from './packets';
import {
  mqttError, MALFORMED_PACKET, PROTOCOL_ERROR, PACKET_TOO_LARGE, TOPIC_NAME_INVALID, TOPIC_FILTER_INVALID,
} from './errors';
import {
  MAX_VARINT, varIntLength, writeVarInt, writeU16, writeString, writeBinary, writeBytes, bytesLength, writeBytesOrString,
} from './primitives';
import { utf8LengthStrict } from './utf8';
import { propertiesLength, writeProperties, WILL_PROPERTIES } from './properties';
import { isReasonCodeAllowed } from './reason-codes';
import { isValidTopicName, isValidTopicFilter, isSharedFilter } from './validate';
import { allocBytes } from './alloc';
import { fingerprint } from './strcache';

// Property list lengths found by measure(), used by write() in the same call.
let propsLen = 0;
let willPropsLen = 0;

function protocolError(msg: string): Error {
  return mqttError(PROTOCOL_ERROR, 'Protocol Error: ' + msg);
}

function malformed(msg: string): Error {
  return mqttError(MALFORMED_PACKET, 'Malformed Packet: ' + msg);
}

/** A packet only a server sends, refused by client-only builds (FIRMQTT_CLIENT_ONLY, src/flags.d.ts). */
function serverOnly(type: number): Error {
  return protocolError('packet type ' + type + ' is sent by a server only');
}

function checkPacketId(id: unknown): void {
  // [MQTT-2.2.1-3]: a non-zero 16-bit Packet Identifier
  if (typeof id !== 'number' || id < 1 || id > 0xffff || id % 1 !== 0) throw protocolError('messageId must be 1..65535');
}

function checkQos(qos: unknown): number {
  if (qos === undefined) return 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw malformed('QoS must be 0, 1 or 2'); // [MQTT-3.3.1-4]
  return qos;
}

/** UTF-8 length of an MQTT string field; throws 0x81 for a lone surrogate, U+0000 or > 65535 bytes. */
function stringLength(s: unknown, what: string): number {
  if (typeof s !== 'string') throw protocolError(what + ' must be a string');
  const n = utf8LengthStrict(s);
  if (n < 0) throw malformed(what + ' has a lone surrogate or U+0000'); // [MQTT-1.5.4-1] [MQTT-1.5.4-2]
  if (n > 0xffff) throw malformed(what + ' is longer than 65535 bytes');
  return n;
}

/** Length of Binary Data (string or bytes; undefined = empty); throws 0x81 above 65535 bytes. */
function binaryLength(b: Bytes | undefined, what: string): number {
  const n = payloadLength(b, what);
  if (n > 0xffff) throw malformed(what + ' is longer than 65535 bytes');
  return n;
}

function payloadLength(b: Bytes | undefined, what: string): number {
  if (b === undefined || b === null) return 0;
  if (typeof b !== 'string' && !(b instanceof Uint8Array)) throw protocolError(what + ' must be a string or a Uint8Array');
  return bytesLength(b);
}

function checkReason(code: number, type: number): void {
  if (!isReasonCodeAllowed(code, type)) throw protocolError('reason code 0x' + code.toString(16) + ' is not allowed in packet type ' + type);
}

function propertyListSize(len: number): number {
  return varIntLength(len) + len;
}

// ---------------------------------------------------------------------------------
// Size pass: validate, return the Remaining Length

// Recently published topics and their UTF-8 bytes: a device publishes to a few topics
// over and over, and scanning a 40-character topic twice (measure, then write) costs
// more than the rest of a small PUBLISH; a hit skips both scans and the validation.
// Direct-mapped by a fingerprint of the length and three characters (no hash of the
// whole string, which would scan it again), 16 topics of up to 64 UTF-16 units: at most
// a few KB, usually a few hundred bytes. A topic's bytes are kept only when it comes
// back to its slot while it still holds it, so ever-new topics allocate nothing. Kept
// inline rather than in a class: this is the path of every PUBLISH to a new topic.
const TOPIC_SLOTS = 16;
const TOPIC_CACHE_MAX = 64;
const topicStr: string[] = [];
const topicFp: number[] = [];
const topicBytes: (Uint8Array | null)[] = [];
for (let i = 0; i < TOPIC_SLOTS; i++) {
  topicStr.push('');
  topicFp.push(-1);
  topicBytes.push(null);
}
/** The cached bytes of the topic measured last, or null on a miss. */
let topicHit: Uint8Array | null = null;
/** Slot in which writeTopic() should keep the topic's bytes, or -1. */
let topicFill = -1;

/**
 * Whether measure() may guess that a PUBLISH topic missing from the cache is ASCII (one
 * byte per UTF-16 unit) and without U+0000, instead of scanning it: writeTopic() then
 * checks while copying and returns -1 if the guess was wrong, and the caller measures
 * again exactly (which refuses a U+0000). This
 * saves a whole pass over the topic, which is most of the cost of a small PUBLISH to a
 * new topic. encodedLength() never guesses.
 */
let guessAscii = false;
/** The topic measured last (a PUBLISH's: measureTopic's only caller) was guessed to be ASCII. */
let topicGuessed = false;

/** Measures and validates a PUBLISH Topic Name (or finds it in the cache); returns its byte length. */
function measureTopic(topic: string): number {
  if (typeof topic !== 'string') throw protocolError('topic must be a string');
  topicFill = -1;
  topicHit = null;
  const units = topic.length;
  const fp = units === 0 ? -1 : fingerprint(units, topic.charCodeAt(0), topic.charCodeAt(units >> 1), topic.charCodeAt(units - 1));
  const slot = fp & (TOPIC_SLOTS - 1);
  const seen = units !== 0 && topicFp[slot] === fp && topicStr[slot] === topic;
  if (seen && topicBytes[slot] !== null) {
    topicHit = topicBytes[slot];
    return (topicHit as Uint8Array).length;
  }
  let n: number;
  if (guessAscii) {
    // U+0000 is caught by writeTopic() too (an Espruino indexOf('\u0000') cannot be trusted)
    n = units;
    if (n > 0xffff) throw malformed('topic is longer than 65535 bytes');
    topicGuessed = true;
  } else {
    n = stringLength(topic, 'topic');
  }
  if (!isValidTopicName(topic)) throw mqttError(TOPIC_NAME_INVALID, 'Topic Name invalid: wildcard in a PUBLISH topic'); // [MQTT-3.3.2-2]
  if (seen) {
    topicFill = slot; // back while it holds the slot: keep its bytes this time
  } else if (units !== 0 && units <= TOPIC_CACHE_MAX) {
    topicStr[slot] = topic;
    topicFp[slot] = fp;
    topicBytes[slot] = null;
  }
  return n;
}

/** Writes the PUBLISH topic measured last, from the cache or into it; -1 if guessed ASCII and it is not. */
function writeTopic(buf: Uint8Array, pos: number, topic: string): number {
  const hit = topicHit;
  if (hit !== null) {
    const n = hit.length;
    buf[pos] = n >> 8;
    buf[pos + 1] = n;
    return writeBytes(buf, pos + 2, hit);
  }
  let end: number;
  if (topicGuessed) {
    const n = topic.length;
    const start = pos + 2;
    for (let i = 0; i < n; i++) {
      const c = topic.charCodeAt(i);
      if (c >= 0x80 || c === 0) return -1; // not ASCII, or U+0000: measure exactly (and refuse)
      buf[start + i] = c;
    }
    buf[pos] = n >> 8;
    buf[pos + 1] = n;
    end = start + n;
  } else {
    end = writeString(buf, pos, topic);
  }
  if (topicFill >= 0) {
    const copy = new Uint8Array(end - pos - 2);
    for (let i = 0; i < copy.length; i++) copy[i] = buf[pos + 2 + i];
    topicBytes[topicFill] = copy;
    topicFill = -1;
  }
  return end;
}

function measurePublish(p: PublishPacket, v: ProtocolVersion): number {
  const qos = checkQos(p.qos);
  const topicLen = measureTopic(p.topic);
  let len = 2 + topicLen;
  if (qos > 0) {
    checkPacketId(p.messageId);
    len += 2;
  } else if (p.dup) {
    throw protocolError('DUP must be 0 on QoS 0'); // [MQTT-3.3.1-2]
  }
  if (v === 5) {
    propsLen = propertiesLength(p.properties, 1 << PUBLISH);
    len += propertyListSize(propsLen);
    // §3.3.2.3.4: a zero-length Topic Name needs a Topic Alias
    if (topicLen === 0 && (p.properties === undefined || p.properties.topicAlias === undefined)) throw protocolError('empty topic without a topicAlias');
  } else if (topicLen === 0) {
    throw protocolError('empty topic'); // [MQTT-4.7.3-1]
  }
  return len + payloadLength(p.payload, 'payload');
}

function measureConnect(p: ConnectPacket, v: ProtocolVersion): number {
  if (p.protocolVersion !== undefined && p.protocolVersion !== v) throw protocolError('CONNECT protocolVersion differs from the version to encode');
  const ka = p.keepalive === undefined ? 0 : p.keepalive;
  if (typeof ka !== 'number' || ka < 0 || ka > 0xffff || ka % 1 !== 0) throw protocolError('keepalive must be 0..65535');
  // protocol name ("MQIsdp" for 3.1, "MQTT") with its length, level, flags, keep alive
  let len = (v === 3 ? 8 : 6) + 4;
  if (v === 5) {
    propsLen = propertiesLength(p.properties, 1 << CONNECT);
    len += propertyListSize(propsLen);
  }
  len += 2 + stringLength(p.clientId === undefined ? '' : p.clientId, 'clientId');
  const will = p.will;
  if (will !== undefined && will !== null) {
    checkQos(will.qos);
    if (v === 5) {
      willPropsLen = propertiesLength(will.properties, WILL_PROPERTIES);
      len += propertyListSize(willPropsLen);
    }
    const t = stringLength(will.topic, 'will topic');
    if (t === 0 || !isValidTopicName(will.topic)) throw mqttError(TOPIC_NAME_INVALID, 'Topic Name invalid: will topic empty or with a wildcard');
    len += 4 + t + binaryLength(will.payload, 'will payload');
  }
  if (p.username !== undefined) len += 2 + stringLength(p.username, 'username');
  if (p.password !== undefined) {
    // [MQTT-3.1.2-22] (3.1.1): no password without a user name; MQTT 5 allows it
    if (v !== 5 && p.username === undefined) throw protocolError('password without username');
    len += 2 + binaryLength(p.password, 'password');
  }
  return len;
}

function measureConnack(p: ConnackPacket, v: ProtocolVersion): number {
  const rc = p.reasonCode === undefined ? 0 : p.reasonCode;
  if (v === 5) checkReason(rc, CONNACK);
  else if (!(rc >= 0 && rc <= 5 && rc % 1 === 0)) throw protocolError('CONNACK return code must be 0..5'); // 3.1.1 §3.2.2.3
  // [MQTT-3.2.2-4] (3.1.1), [MQTT-3.2.2-6] (5): Session Present is 0 on a refusal
  if (p.sessionPresent && rc !== 0) throw protocolError('sessionPresent with a non-zero reason code');
  if (v !== 5) return 2;
  propsLen = propertiesLength(p.properties, 1 << CONNACK);
  return 2 + propertyListSize(propsLen);
}

function measureAck(p: AckPacket, v: ProtocolVersion): number {
  checkPacketId(p.messageId);
  if (v !== 5) return 2;
  const rc = p.reasonCode === undefined ? 0 : p.reasonCode;
  checkReason(rc, p.type);
  propsLen = propertiesLength(p.properties, 1 << p.type);
  // §3.4.2.1, §3.4.2.2.1: Success without properties is just the packet id; a reason
  // code without properties needs no property length
  if (propsLen === 0) return rc === 0 ? 2 : 3;
  return 3 + propertyListSize(propsLen);
}

function measureSubscribe(p: SubscribePacket, v: ProtocolVersion): number {
  checkPacketId(p.messageId);
  const subs = p.subscriptions;
  if (!(subs instanceof Array) || subs.length === 0) throw protocolError('SUBSCRIBE needs at least one subscription'); // [MQTT-3.8.3-2]
  let len = 2;
  if (v === 5) {
    propsLen = propertiesLength(p.properties, 1 << SUBSCRIBE);
    len += propertyListSize(propsLen);
  }
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i];
    len += 3 + stringLength(s.topic, 'topic filter');
    if (!isValidTopicFilter(s.topic, v === 5)) throw mqttError(TOPIC_FILTER_INVALID, 'Topic Filter invalid: ' + s.topic);
    checkQos(s.qos);
    if (v === 5) {
      if (s.rh !== undefined && s.rh !== 0 && s.rh !== 1 && s.rh !== 2) throw protocolError('Retain Handling must be 0, 1 or 2'); // §3.8.3.1
      if (s.nl && isSharedFilter(s.topic)) throw protocolError('No Local on a shared subscription'); // [MQTT-3.8.3-4]
    }
  }
  return len;
}

function measureSuback(p: SubackPacket, v: ProtocolVersion): number {
  checkPacketId(p.messageId);
  const g = p.granted;
  if (!(g instanceof Array) || g.length === 0) throw protocolError('SUBACK needs at least one reason code');
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (v === 5) checkReason(c, SUBACK);
    else if (c !== 0 && c !== 1 && c !== 2 && c !== 0x80) throw protocolError('SUBACK return code must be 0, 1, 2 or 0x80'); // 3.1.1 §3.9.3
  }
  let len = 2 + g.length;
  if (v === 5) {
    propsLen = propertiesLength(p.properties, 1 << SUBACK);
    len += propertyListSize(propsLen);
  }
  return len;
}

function measureUnsubscribe(p: UnsubscribePacket, v: ProtocolVersion): number {
  checkPacketId(p.messageId);
  const list = p.unsubscriptions;
  if (!(list instanceof Array) || list.length === 0) throw protocolError('UNSUBSCRIBE needs at least one topic filter'); // [MQTT-3.10.3-2]
  let len = 2;
  if (v === 5) {
    propsLen = propertiesLength(p.properties, 1 << UNSUBSCRIBE);
    len += propertyListSize(propsLen);
  }
  for (let i = 0; i < list.length; i++) {
    len += 2 + stringLength(list[i], 'topic filter');
    if (!isValidTopicFilter(list[i], v === 5)) throw mqttError(TOPIC_FILTER_INVALID, 'Topic Filter invalid: ' + list[i]);
  }
  return len;
}

function measureUnsuback(p: UnsubackPacket, v: ProtocolVersion): number {
  checkPacketId(p.messageId);
  if (v !== 5) return 2;
  const g = p.granted;
  if (!(g instanceof Array) || g.length === 0) throw protocolError('MQTT 5 UNSUBACK needs at least one reason code');
  for (let i = 0; i < g.length; i++) checkReason(g[i], UNSUBACK);
  propsLen = propertiesLength(p.properties, 1 << UNSUBACK);
  return 2 + propertyListSize(propsLen) + g.length;
}

function measureDisconnect(p: DisconnectPacket, v: ProtocolVersion): number {
  if (v !== 5) return 0;
  const rc = p.reasonCode === undefined ? 0 : p.reasonCode;
  checkReason(rc, DISCONNECT);
  propsLen = propertiesLength(p.properties, 1 << DISCONNECT);
  // §3.14.2.1: Normal disconnection without properties is `E0 00`; §3.14.2.2.1: a
  // reason code alone needs no property length
  if (propsLen === 0) return rc === 0 ? 0 : 1;
  return 1 + propertyListSize(propsLen);
}

function measureAuth(p: AuthPacket, v: ProtocolVersion): number {
  if (v !== 5) throw protocolError('AUTH exists only in MQTT 5');
  const rc = p.reasonCode === undefined ? 0 : p.reasonCode;
  checkReason(rc, AUTH);
  propsLen = propertiesLength(p.properties, 1 << AUTH);
  // §3.15.2.1: Success without properties is `F0 00`. Otherwise the property length is
  // written even when 0: unlike DISCONNECT (§3.14.2.2.1) and the acks (§3.4.2.2.1),
  // §3.15.2.2.1 does not let it be omitted. (The decoder accepts the 1-byte form.)
  if (propsLen === 0 && rc === 0) return 0;
  return 1 + propertyListSize(propsLen);
}

/** Validates `p` and returns its Remaining Length; leaves property lengths for write(). */
function measure(p: Packet, v: ProtocolVersion): number {
  if (v !== 3 && v !== 4 && v !== 5) throw protocolError('protocolVersion must be 3, 4 or 5');
  if (p === null || typeof p !== 'object') throw protocolError('not a packet');
  topicGuessed = false;
  let len: number;
  switch (p.type) {
    case PUBLISH:
      len = measurePublish(p, v);
      break;
    case CONNECT:
      len = measureConnect(p, v);
      break;
    case CONNACK:
      if (!(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) {
        len = measureConnack(p, v);
        break;
      }
      throw serverOnly(p.type);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      len = measureAck(p, v);
      break;
    case SUBSCRIBE:
      len = measureSubscribe(p, v);
      break;
    case SUBACK:
      if (!(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) {
        len = measureSuback(p, v);
        break;
      }
      throw serverOnly(p.type);
    case UNSUBSCRIBE:
      len = measureUnsubscribe(p, v);
      break;
    case UNSUBACK:
      if (!(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) {
        len = measureUnsuback(p, v);
        break;
      }
      throw serverOnly(p.type);
    case PINGRESP:
      if ((typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) throw serverOnly(p.type);
      len = 0;
      break;
    case PINGREQ:
      len = 0;
      break;
    case DISCONNECT:
      len = measureDisconnect(p, v);
      break;
    case AUTH:
      len = measureAuth(p, v);
      break;
    default:
      throw protocolError('unknown packet type ' + (p as { type: unknown }).type);
  }
  if (len > MAX_VARINT) throw mqttError(PACKET_TOO_LARGE, 'Packet too large: Remaining Length above 268435455');
  return len;
}

// ---------------------------------------------------------------------------------
// Write pass: the buffer has room for exactly the measured packet from pos on

function writePublish(buf: Uint8Array, pos: number, p: PublishPacket, v: ProtocolVersion, rem: number): number {
  const qos = p.qos === undefined ? 0 : p.qos;
  buf[pos] = 0x30 | (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  pos = writeVarInt(buf, pos + 1, rem);
  pos = writeTopic(buf, pos, p.topic);
  if (pos < 0) return -1;
  if (qos > 0) pos = writeU16(buf, pos, p.messageId as number);
  if (v === 5) pos = writeProperties(buf, pos, p.properties, propsLen);
  const payload = p.payload;
  return payload === undefined || payload === null ? pos : writeBytesOrString(buf, pos, payload);
}

function writeConnect(buf: Uint8Array, pos: number, p: ConnectPacket, v: ProtocolVersion, rem: number): number {
  buf[pos] = CONNECT << 4;
  pos = writeVarInt(buf, pos + 1, rem);
  // Protocol Name (§3.1.2.1) and Level
  if (v === 3) {
    pos = writeString(buf, pos, 'MQIsdp');
  } else {
    buf[pos] = 0;
    buf[pos + 1] = 4;
    buf[pos + 2] = 0x4d; // M
    buf[pos + 3] = 0x51; // Q
    buf[pos + 4] = 0x54; // T
    buf[pos + 5] = 0x54; // T
    pos += 6;
  }
  buf[pos++] = v;
  const will = p.will === null ? undefined : p.will;
  let flags = p.clean === false ? 0 : 0x02;
  if (will !== undefined) flags |= 0x04 | ((will.qos === undefined ? 0 : will.qos) << 3) | (will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  buf[pos++] = flags;
  pos = writeU16(buf, pos, p.keepalive === undefined ? 0 : p.keepalive);
  if (v === 5) pos = writeProperties(buf, pos, p.properties, propsLen);
  pos = writeString(buf, pos, p.clientId === undefined ? '' : p.clientId);
  if (will !== undefined) {
    if (v === 5) pos = writeProperties(buf, pos, will.properties, willPropsLen);
    pos = writeString(buf, pos, will.topic);
    pos = writeBinary(buf, pos, will.payload === undefined || will.payload === null ? EMPTY : will.payload);
  }
  if (p.username !== undefined) pos = writeString(buf, pos, p.username);
  if (p.password !== undefined) pos = writeBinary(buf, pos, p.password);
  return pos;
}

const EMPTY = new Uint8Array(0);

/** Writes a measured packet; returns the end position. */
function write(buf: Uint8Array, pos: number, p: Packet, v: ProtocolVersion, rem: number): number {
  switch (p.type) {
    case PUBLISH:
      return writePublish(buf, pos, p, v, rem);
    case CONNECT:
      return writeConnect(buf, pos, p, v, rem);
    case CONNACK:
      if ((typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) throw serverOnly(p.type); // refused by measure() already
      buf[pos] = CONNACK << 4;
      pos = writeVarInt(buf, pos + 1, rem);
      buf[pos] = p.sessionPresent ? 1 : 0;
      buf[pos + 1] = p.reasonCode === undefined ? 0 : p.reasonCode;
      pos += 2;
      return v === 5 ? writeProperties(buf, pos, p.properties, propsLen) : pos;
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      // PUBREL's reserved flags are 0b0010 [MQTT-3.6.1-1]
      buf[pos] = (p.type << 4) | (p.type === PUBREL ? 2 : 0);
      pos = writeVarInt(buf, pos + 1, rem);
      pos = writeU16(buf, pos, p.messageId);
      if (rem === 2) return pos;
      buf[pos++] = p.reasonCode === undefined ? 0 : p.reasonCode;
      return rem === 3 ? pos : writeProperties(buf, pos, p.properties, propsLen);
    case SUBSCRIBE: {
      buf[pos] = (SUBSCRIBE << 4) | 2; // [MQTT-3.8.1-1]
      pos = writeVarInt(buf, pos + 1, rem);
      pos = writeU16(buf, pos, p.messageId);
      if (v === 5) pos = writeProperties(buf, pos, p.properties, propsLen);
      const subs = p.subscriptions;
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i];
        pos = writeString(buf, pos, s.topic);
        let o = s.qos === undefined ? 0 : s.qos;
        // §3.8.3.1 Subscription Options: No Local (bit 2), Retain As Published (bit 3),
        // Retain Handling (bits 4-5); MQTT 3.1.1 has the QoS only
        if (v === 5) o |= (s.nl ? 4 : 0) | (s.rap ? 8 : 0) | ((s.rh === undefined ? 0 : s.rh) << 4);
        buf[pos++] = o;
      }
      return pos;
    }
    case SUBACK: {
      if ((typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) throw serverOnly(p.type); // refused by measure() already
      buf[pos] = SUBACK << 4;
      pos = writeVarInt(buf, pos + 1, rem);
      pos = writeU16(buf, pos, p.messageId);
      if (v === 5) pos = writeProperties(buf, pos, p.properties, propsLen);
      const g = p.granted;
      for (let i = 0; i < g.length; i++) buf[pos++] = g[i];
      return pos;
    }
    case UNSUBSCRIBE: {
      buf[pos] = (UNSUBSCRIBE << 4) | 2; // [MQTT-3.10.1-1]
      pos = writeVarInt(buf, pos + 1, rem);
      pos = writeU16(buf, pos, p.messageId);
      if (v === 5) pos = writeProperties(buf, pos, p.properties, propsLen);
      const list = p.unsubscriptions;
      for (let i = 0; i < list.length; i++) pos = writeString(buf, pos, list[i]);
      return pos;
    }
    case UNSUBACK: {
      if ((typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) throw serverOnly(p.type); // refused by measure() already
      buf[pos] = UNSUBACK << 4;
      pos = writeVarInt(buf, pos + 1, rem);
      pos = writeU16(buf, pos, p.messageId);
      if (v !== 5) return pos;
      pos = writeProperties(buf, pos, p.properties, propsLen);
      const g = p.granted as number[];
      for (let i = 0; i < g.length; i++) buf[pos++] = g[i];
      return pos;
    }
    case PINGREQ:
    case PINGRESP:
      buf[pos] = p.type << 4;
      buf[pos + 1] = 0;
      return pos + 2;
    default: {
      // DISCONNECT, AUTH: reason code, then properties, each only if there is room for it
      buf[pos] = p.type << 4;
      pos = writeVarInt(buf, pos + 1, rem);
      if (rem === 0) return pos;
      const q = p as DisconnectPacket | AuthPacket;
      buf[pos++] = q.reasonCode === undefined ? 0 : q.reasonCode;
      return rem === 1 ? pos : writeProperties(buf, pos, q.properties, propsLen);
    }
  }
}

// ---------------------------------------------------------------------------------
// Public entry points

/**
 * The whole packet's size in bytes (fixed header included), as encode() would write it.
 * Throws an MqttError for a packet that cannot be encoded (see the top of this file).
 */
export function encodedLength(packet: Packet, protocolVersion: ProtocolVersion): number {
  guessAscii = false;
  const rem = measure(packet, protocolVersion);
  return 1 + varIntLength(rem) + rem;
}

/**
 * Encodes `packet` into `buf` from `pos` on and returns the end position, or -1 when the
 * packet does not fit: a result, not a throw (coreMQTT MQTTNoMemory), and nothing is
 * written. Throws an MqttError for a packet that cannot be encoded; that is found before
 * anything is written, except for a PUBLISH topic with U+0000, a lone surrogate or more
 * than 65535 bytes once encoded, found while the topic is copied (it was guessed plain
 * ASCII), after part of the packet was written. Never writes outside
 * buf[pos, pos + size of the packet).
 */
export function encodeInto(packet: Packet, protocolVersion: ProtocolVersion, buf: Uint8Array, pos: number): number {
  guessAscii = true;
  let rem = measure(packet, protocolVersion);
  // A topic guessed ASCII may be up to 2 bytes per UTF-16 unit longer (and the Remaining
  // Length up to 3 bytes longer): guess only when even that fits, so that a wrong guess
  // never leaves a partial packet behind a -1.
  if (topicGuessed && !(pos >= 0 && pos + 4 + varIntLength(rem) + rem + 2 * (packet as PublishPacket).topic.length <= buf.length)) {
    guessAscii = false;
    rem = measure(packet, protocolVersion);
  }
  if (!(pos >= 0) || pos + 1 + varIntLength(rem) + rem > buf.length) return -1;
  const end = write(buf, pos, packet, protocolVersion, rem);
  if (end >= 0) return end;
  guessAscii = false; // the topic was not ASCII: measure it exactly, write again (it fits)
  rem = measure(packet, protocolVersion);
  return write(buf, pos, packet, protocolVersion, rem);
}

/**
 * Encodes `packet` for `protocolVersion` (3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0) into a new
 * buffer of exactly its size. Properties are written for MQTT 5 only (ignored before).
 * Throws an MqttError for a packet that cannot be encoded (see the top of this file).
 */
export function encode(packet: Packet, protocolVersion: ProtocolVersion): Uint8Array {
  guessAscii = true;
  let rem = measure(packet, protocolVersion);
  for (;;) {
    const buf = allocBytes(1 + varIntLength(rem) + rem);
    if (write(buf, 0, packet, protocolVersion, rem) >= 0) return buf;
    guessAscii = false; // the topic was not ASCII: measure it exactly, write again
    rem = measure(packet, protocolVersion);
  }
}
