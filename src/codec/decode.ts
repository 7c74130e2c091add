// The streaming decoder: bytes in chunks of any size -> packet objects.
//
//   const d = new Decoder({ protocolVersion: 5, maxPacketSize: 65536 });
//   d.feed(chunk);
//   for (let p = d.read(); p !== null; p = d.read()) handle(p);
//
// Resumable at every byte: an integer state (fixed header byte, Remaining Length, body)
// plus counters survive any chunk boundary (Moddable mqtt.js received(), coreMQTT
// MQTTNeedMoreBytes). read() returns null when it needs more bytes; only then may the
// next chunk be fed, so the decoder never holds more than one partial packet.
//
// No copy when a packet's body lies within the chunk: the packet is decoded from the
// chunk itself, and a payload, correlationData, authenticationData or password is a
// subarray VIEW of the fed chunk. So a caller must not reuse (overwrite) a chunk's
// buffer after feeding it, for as long as it keeps the decoded packets. A body that
// spans chunks is copied into one buffer of its exact size, allocated when the Remaining
// Length is known (up to 64 KiB; a larger body's buffer grows as its bytes arrive, so a
// header alone never makes the decoder allocate what it declares); its views point into
// that buffer.
//
// Errors (MqttError with an MQTT 5 reason code; tests assert codes):
//   0x81 Malformed Packet       reserved header flags [MQTT-2.2.2-2], QoS 3 [MQTT-3.3.1-4],
//                               reserved packet type 0 (and 15 before MQTT 5), a
//                               Variable Byte Integer longer than 4 bytes or not minimal
//                               [MQTT-1.5.5-1], a field crossing the end of the packet or
//                               of its property list, bytes left over, ill-formed UTF-8 or
//                               U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2], an unknown property or
//                               one not allowed in the packet (§2.2.2.2), CONNECT reserved
//                               flag [MQTT-3.1.2-3] or inconsistent will flags
//                               [MQTT-3.1.2-11] [MQTT-3.1.2-12] [MQTT-3.1.2-13], password
//                               without user name in 3.1.1 [MQTT-3.1.2-22], CONNACK reserved
//                               flags [MQTT-3.2.2-1], SUBSCRIBE reserved option bits
//                               [MQTT-3.8.3-5] or QoS 3
//   0x82 Protocol Error         packet id 0 [MQTT-2.2.1-3], a repeated property, an invalid
//                               property value, a reason code not allowed in the packet,
//                               empty SUBSCRIBE / UNSUBSCRIBE / SUBACK / v5 UNSUBACK
//                               [MQTT-3.8.3-2] [MQTT-3.10.3-2], Retain Handling 3, No Local
//                               on a shared subscription [MQTT-3.8.3-4], an empty topic
//                               without a Topic Alias, Session Present on a refusal
//   0x84 Unsupported Protocol Version   CONNECT protocol name or level
//   0x8F Topic Filter invalid   in SUBSCRIBE / UNSUBSCRIBE [MQTT-4.7.1-1] [MQTT-4.7.1-2]
//   0x90 Topic Name invalid     a wildcard in a PUBLISH or will topic [MQTT-3.3.2-2]
//   0x94 Topic Alias invalid    Topic Alias 0
//   0x95 Packet too large       fixed header + Remaining Length above maxPacketSize,
//                               raised from the length header alone
//   0x83 (local misuse)         feed() before read() returned null, or a chunk that is
//                               not a Uint8Array; not sticky
// After read() throws, the error is sticky: every read() throws it again, and feed()
// drops its chunk, until reset().
//
// Decoded objects carry exactly the fields present on the wire: no `properties` without
// properties, no `messageId` at QoS 0, no `reasonCode` on an MQTT 5 ack / DISCONNECT /
// AUTH in its short form (absent means Success, packets.ts). A CONNECT sets
// `protocolVersion` from its protocol level.
import type {
  Packet, ProtocolVersion, QoS, PublishPacket, ConnectPacket, ConnackPacket, AckPacket, SubscribePacket,
  SubackPacket, UnsubscribePacket, UnsubackPacket, DisconnectPacket, AuthPacket, Subscription, Will,
} from './packets';
import {
  CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE,
  UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH,
} from './packets';
import type { MqttError } from './errors';
import {
  mqttError, isMqttError, MALFORMED_PACKET, PROTOCOL_ERROR, IMPLEMENTATION_SPECIFIC_ERROR,
  PACKET_TOO_LARGE, TOPIC_NAME_INVALID, TOPIC_FILTER_INVALID, UNSUPPORTED_PROTOCOL_VERSION,
} from './errors';
import { Reader, malformed, readString, readStringIn, readBinary } from './reader';
import { readProperties, WILL_PROPERTIES } from './properties';
import { isReasonCodeAllowed } from './reason-codes';
import { isValidTopicName, isValidTopicFilter, isSharedFilter } from './validate';
import { allocBytes } from './alloc';
import { StrCache } from './strcache';

/** The largest packet MQTT can frame: 1 + 4 + 268435455. */
export const MAX_PACKET_SIZE = 268435460;

// Decoder states
const S_HEADER = 0; // waiting for the fixed header byte
const S_LENGTH = 1; // inside the Remaining Length
/** A body spanning chunks is buffered in one piece up to this size; a larger one grows as it arrives. */
const FIRST_BODY_BUFFER = 65536;
const S_BODY = 2; // copying a body that spans chunks into `partial`

/**
 * Fixed header flags each packet type must carry [MQTT-2.2.2-1] [MQTT-2.2.2-2]; index =
 * type. -1: PUBLISH, whose flags are DUP / QoS / RETAIN (QoS 3 is malformed). -2: type 0,
 * reserved.
 */
const HEADER_FLAGS = [-2, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

function protocolError(msg: string): Error {
  return mqttError(PROTOCOL_ERROR, 'Protocol Error: ' + msg);
}

function checkHeader(h: number, v: ProtocolVersion): void {
  const type = h >> 4;
  const want = HEADER_FLAGS[type];
  if (want === -1) {
    if ((h & 6) === 6) throw malformed('PUBLISH with QoS 3'); // [MQTT-3.3.1-4]
  } else if (want === -2 || (type === AUTH && v !== 5)) {
    throw malformed('reserved packet type ' + type);
  } else if ((h & 15) !== want) {
    throw malformed('reserved flags of packet type ' + type + ' are not 0x' + want.toString(16)); // [MQTT-2.2.2-2]
  }
}

/**
 * A packet only a client sends, refused by client-only builds (FIRMQTT_CLIENT_ONLY,
 * src/flags.d.ts) with the Protocol Error the session would raise on receiving it.
 */
function clientOnly(type: number): Error {
  return protocolError('a server does not send packet type ' + type);
}

function packetId(r: Reader): number {
  const id = r.u16();
  if (id === 0) throw protocolError('packet identifier 0'); // [MQTT-2.2.1-3]
  return id;
}

function expectEnd(r: Reader): void {
  if (r.pos !== r.end) throw malformed('bytes left over after the last field');
}

function checkReason(code: number, type: number): void {
  if (!isReasonCodeAllowed(code, type)) throw protocolError('reason code 0x' + code.toString(16) + ' in packet type ' + type);
}

// ---------------------------------------------------------------------------------
// Bodies. Each gets a Reader over exactly the Remaining Length.

// Recently received Topic Names (strcache.ts): a device hears the same few topics over
// and over. 8 sets of 2 topics of up to 64 bytes, so at most about 1 KB.
const TOPICS = new StrCache(8, 64);

/** A PUBLISH Topic Name: a UTF-8 string without wildcards [MQTT-3.3.2-2]. */
function readTopic(r: Reader): string {
  return readStringIn(r, TOPICS, checkTopicName);
}

function checkTopicName(topic: string): void {
  if (!isValidTopicName(topic)) throw mqttError(TOPIC_NAME_INVALID, 'Topic Name invalid: wildcard in a PUBLISH topic');
}

function decodePublish(r: Reader, h: number, v: ProtocolVersion): PublishPacket {
  const qos = ((h >> 1) & 3) as QoS;
  const topic = readTopic(r);
  const id = qos > 0 ? packetId(r) : 0;
  const props = v === 5 ? readProperties(r, 1 << PUBLISH) : undefined;
  // a Topic Name has at least one character [MQTT-4.7.3-1], unless a v5 Topic Alias stands in (§3.3.2.3.4)
  if (topic.length === 0 && (props === undefined || props.topicAlias === undefined)) throw protocolError('empty topic without a Topic Alias');
  const p: PublishPacket = { type: PUBLISH, topic, payload: r.rest(), qos, retain: (h & 1) !== 0, dup: (h & 8) !== 0 };
  if (qos > 0) p.messageId = id;
  if (props !== undefined) p.properties = props;
  return p;
}

/** Reads the protocol name and level; returns the level (3, 4, 5) or throws 0x84. */
function protocolLevel(r: Reader): ProtocolVersion {
  const name = readBinary(r);
  const level = r.u8();
  // §3.1.2.1 / §3.1.2.2: "MQTT" level 4 or 5; MQTT 3.1 is "MQIsdp" level 3
  if (name.length === 4 && name[0] === 0x4d && name[1] === 0x51 && name[2] === 0x54 && name[3] === 0x54) {
    if (level === 4 || level === 5) return level;
  } else if (name.length === 6 && name[0] === 0x4d && name[1] === 0x51 && name[2] === 0x49 && name[3] === 0x73 && name[4] === 0x64 && name[5] === 0x70) {
    if (level === 3) return level;
  }
  throw mqttError(UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported Protocol Version: protocol name or level');
}

function decodeConnect(r: Reader): ConnectPacket {
  const v = protocolLevel(r);
  const flags = r.u8();
  if (flags & 1) throw malformed('CONNECT reserved flag set'); // [MQTT-3.1.2-3]
  const hasWill = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 3;
  const willRetain = (flags & 0x20) !== 0;
  if (willQos === 3) throw malformed('will QoS 3'); // [MQTT-3.1.2-12]
  if (!hasWill && (willQos !== 0 || willRetain)) throw malformed('will QoS or retain without a will'); // [MQTT-3.1.2-11] [MQTT-3.1.2-13]
  const hasPassword = (flags & 0x40) !== 0;
  const hasUsername = (flags & 0x80) !== 0;
  if (v !== 5 && hasPassword && !hasUsername) throw malformed('password without user name'); // 3.1.1 [MQTT-3.1.2-22]
  const keepalive = r.u16();
  const props = v === 5 ? readProperties(r, 1 << CONNECT) : undefined;
  const clientId = readString(r);
  let will: Will | undefined;
  if (hasWill) {
    const willProps = v === 5 ? readProperties(r, WILL_PROPERTIES) : undefined;
    const topic = readString(r);
    if (topic.length === 0 || !isValidTopicName(topic)) throw mqttError(TOPIC_NAME_INVALID, 'Topic Name invalid: will topic');
    will = { topic, payload: readBinary(r), qos: willQos as QoS, retain: willRetain };
    if (willProps !== undefined) will.properties = willProps;
  }
  const username = hasUsername ? readString(r) : undefined;
  const password = hasPassword ? readBinary(r) : undefined;
  expectEnd(r);
  const p: ConnectPacket = { type: CONNECT, protocolVersion: v, clientId, clean: (flags & 0x02) !== 0, keepalive };
  if (username !== undefined) p.username = username;
  if (password !== undefined) p.password = password;
  if (will !== undefined) p.will = will;
  if (props !== undefined) p.properties = props;
  return p;
}

function decodeConnack(r: Reader, v: ProtocolVersion): ConnackPacket {
  const flags = r.u8();
  if (flags & 0xfe) throw malformed('CONNACK reserved flags set'); // [MQTT-3.2.2-1]
  const rc = r.u8();
  if (v === 5) checkReason(rc, CONNACK);
  else if (rc > 5) throw protocolError('CONNACK return code ' + rc); // 3.1.1 §3.2.2.3: 6..255 reserved
  // [MQTT-3.2.2-4] (3.1.1), [MQTT-3.2.2-6] (5): Session Present is 0 on a refusal
  if (flags === 1 && rc !== 0) throw protocolError('Session Present with a refusal');
  const props = v === 5 ? readProperties(r, 1 << CONNACK) : undefined;
  expectEnd(r);
  const p: ConnackPacket = { type: CONNACK, sessionPresent: flags === 1, reasonCode: rc };
  if (props !== undefined) p.properties = props;
  return p;
}

function decodeAck(r: Reader, type: AckPacket['type'], v: ProtocolVersion): AckPacket {
  const p: AckPacket = { type, messageId: packetId(r) };
  // MQTT 5 §3.4.2.1: the reason code may be left out (Success), and the property length
  // too when the Remaining Length is below 4 (§3.4.2.2.1)
  if (v === 5) readReasonAndProperties(r, p, type);
  expectEnd(r);
  return p;
}

/**
 * The MQTT 5 tail shared by acks, DISCONNECT and AUTH: a reason code that may be left
 * out (Success), then properties whose length may be left out too.
 */
function readReasonAndProperties(r: Reader, p: AckPacket | DisconnectPacket | AuthPacket, type: number): void {
  if (r.pos >= r.end) return;
  const rc = r.u8();
  checkReason(rc, type);
  p.reasonCode = rc;
  if (r.pos < r.end) {
    const props = readProperties(r, 1 << type);
    if (props !== undefined) p.properties = props;
  }
}

function decodeSubscribe(r: Reader, v: ProtocolVersion): SubscribePacket {
  const id = packetId(r);
  const props = v === 5 ? readProperties(r, 1 << SUBSCRIBE) : undefined;
  if (r.pos >= r.end) throw protocolError('SUBSCRIBE without a topic filter'); // [MQTT-3.8.3-2]
  const subs: Subscription[] = [];
  while (r.pos < r.end) {
    const topic = readString(r);
    const o = r.u8();
    const qos = o & 3;
    if (qos === 3) throw malformed('subscription QoS 3'); // [MQTT-3-8.3-4] (3.1.1), §3.8.3.1
    if (!isValidTopicFilter(topic, v === 5)) throw mqttError(TOPIC_FILTER_INVALID, 'Topic Filter invalid');
    if (v === 5) {
      if (o & 0xc0) throw malformed('subscription options reserved bits set'); // [MQTT-3.8.3-5]
      const rh = (o >> 4) & 3;
      if (rh === 3) throw protocolError('Retain Handling 3'); // §3.8.3.1
      const nl = (o & 4) !== 0;
      if (nl && isSharedFilter(topic)) throw protocolError('No Local on a shared subscription'); // [MQTT-3.8.3-4]
      subs.push({ topic, qos: qos as QoS, nl, rap: (o & 8) !== 0, rh });
    } else {
      if (o & 0xfc) throw malformed('subscription reserved bits set'); // 3.1.1 [MQTT-3-8.3-4]
      subs.push({ topic, qos: qos as QoS });
    }
  }
  const p: SubscribePacket = { type: SUBSCRIBE, messageId: id, subscriptions: subs };
  if (props !== undefined) p.properties = props;
  return p;
}

function decodeSuback(r: Reader, v: ProtocolVersion): SubackPacket {
  const id = packetId(r);
  const props = v === 5 ? readProperties(r, 1 << SUBACK) : undefined;
  if (r.pos >= r.end) throw protocolError('SUBACK without a reason code');
  const granted: number[] = [];
  while (r.pos < r.end) {
    const c = r.buf[r.pos++];
    if (v === 5) checkReason(c, SUBACK);
    else if (c > 2 && c !== 0x80) throw protocolError('SUBACK return code 0x' + c.toString(16)); // 3.1.1 §3.9.3
    granted.push(c);
  }
  const p: SubackPacket = { type: SUBACK, messageId: id, granted };
  if (props !== undefined) p.properties = props;
  return p;
}

function decodeUnsubscribe(r: Reader, v: ProtocolVersion): UnsubscribePacket {
  const id = packetId(r);
  const props = v === 5 ? readProperties(r, 1 << UNSUBSCRIBE) : undefined;
  if (r.pos >= r.end) throw protocolError('UNSUBSCRIBE without a topic filter'); // [MQTT-3.10.3-2]
  const list: string[] = [];
  while (r.pos < r.end) {
    const f = readString(r);
    if (!isValidTopicFilter(f, v === 5)) throw mqttError(TOPIC_FILTER_INVALID, 'Topic Filter invalid');
    list.push(f);
  }
  const p: UnsubscribePacket = { type: UNSUBSCRIBE, messageId: id, unsubscriptions: list };
  if (props !== undefined) p.properties = props;
  return p;
}

function decodeUnsuback(r: Reader, v: ProtocolVersion): UnsubackPacket {
  const id = packetId(r);
  if (v !== 5) {
    expectEnd(r);
    return { type: UNSUBACK, messageId: id };
  }
  const props = readProperties(r, 1 << UNSUBACK);
  if (r.pos >= r.end) throw protocolError('UNSUBACK without a reason code'); // §3.11.3
  const granted: number[] = [];
  while (r.pos < r.end) {
    const c = r.buf[r.pos++];
    checkReason(c, UNSUBACK);
    granted.push(c);
  }
  const p: UnsubackPacket = { type: UNSUBACK, messageId: id, granted };
  if (props !== undefined) p.properties = props;
  return p;
}

/** DISCONNECT and AUTH: an optional reason code, then optional properties (§3.14.2, §3.15.2). */
function decodeReasonOnly(r: Reader, type: typeof DISCONNECT | typeof AUTH, v: ProtocolVersion): DisconnectPacket | AuthPacket {
  const p: DisconnectPacket | AuthPacket = { type };
  // A Remaining Length of 1 means no property length (§3.14.2.2.1). AUTH has no such
  // rule in §3.15.2.2.1 but is read the same way (be liberal in what you accept).
  if (v === 5) readReasonAndProperties(r, p, type);
  expectEnd(r);
  return p;
}

/** Decodes one packet body, buf[start, end), with fixed header byte h. */
function decodeBody(r: Reader, h: number, v: ProtocolVersion, buf: Uint8Array, start: number, end: number): Packet {
  r.reset(buf, start, end);
  const type = h >> 4;
  switch (type) {
    case PUBLISH:
      return decodePublish(r, h, v);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      return decodeAck(r, type, v);
    case CONNECT:
      if (!(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) return decodeConnect(r);
      throw clientOnly(type);
    case CONNACK:
      return decodeConnack(r, v);
    case SUBSCRIBE:
      if (!(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) return decodeSubscribe(r, v);
      throw clientOnly(type);
    case SUBACK:
      return decodeSuback(r, v);
    case UNSUBSCRIBE:
      if (!(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) return decodeUnsubscribe(r, v);
      throw clientOnly(type);
    case UNSUBACK:
      return decodeUnsuback(r, v);
    case PINGREQ:
    case PINGRESP:
      if (type === PINGREQ && (typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)) throw clientOnly(type);
      expectEnd(r);
      return { type };
    default: // DISCONNECT, AUTH (type 0 and, before MQTT 5, 15 were refused with the header)
      return decodeReasonOnly(r, type as typeof DISCONNECT | typeof AUTH, v);
  }
}

export interface DecoderOptions {
  /** 3, 4 (default) or 5; a decoded CONNECT sets it from its protocol level */
  protocolVersion?: ProtocolVersion;
  /** largest packet accepted, fixed header included; default 268435460 (MQTT's own limit) */
  maxPacketSize?: number;
}

export class Decoder {
  /** Protocol version the next packets are decoded for; settable (e.g. from the CONNECT sent). */
  protocolVersion: ProtocolVersion;
  /** Largest packet accepted (whole packet, fixed header included); settable. */
  maxPacketSize: number;
  private chunk: Uint8Array | null;
  private pos: number;
  private state: number;
  private header: number;
  private length: number;
  private lengthBytes: number;
  private partial: Uint8Array | null;
  private filled: number;
  private error: MqttError | null;
  private reader: Reader;

  constructor(options?: DecoderOptions) {
    const o = options === undefined || options === null ? {} : options;
    this.protocolVersion = o.protocolVersion === undefined ? 4 : o.protocolVersion;
    this.maxPacketSize = o.maxPacketSize === undefined ? MAX_PACKET_SIZE : o.maxPacketSize;
    this.chunk = null;
    this.pos = 0;
    this.state = S_HEADER;
    this.header = 0;
    this.length = 0;
    this.lengthBytes = 0;
    this.partial = null;
    this.filled = 0;
    this.error = null;
    this.reader = new Reader();
  }

  /**
   * Hands the decoder the next chunk (any size, 0 included). Allowed only once read()
   * has returned null for the previous chunk; else throws MqttError 0x83. The decoder may
   * keep views of the chunk in decoded packets: do not reuse its buffer afterwards.
   * After a decoding error the chunk is dropped (read() keeps throwing the error).
   */
  feed(chunk: Uint8Array): void {
    if (this.error !== null) return;
    if (this.chunk !== null) throw mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'feed() called before read() returned null');
    if (!(chunk instanceof Uint8Array)) throw mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'feed() needs a Uint8Array');
    this.chunk = chunk;
    this.pos = 0;
  }

  /**
   * The next whole packet, or null when the fed bytes are used up (feed the next chunk).
   * Throws an MqttError for a bad packet, and the same error on every call after that,
   * until reset().
   */
  read(): Packet | null {
    if (this.error !== null) throw this.error;
    const chunk = this.chunk;
    if (chunk === null) return null;
    try {
      return this.step(chunk);
    } catch (e) {
      const err = isMqttError(e) ? e : mqttError(MALFORMED_PACKET, 'Malformed Packet: ' + (e instanceof Error ? e.message : String(e)));
      this.error = err;
      this.chunk = null;
      this.partial = null;
      this.reader.release();
      throw err;
    }
  }

  /** Whether bytes of an unfinished packet are held (the stream must not end here). */
  pending(): boolean {
    return this.state !== S_HEADER;
  }

  /** Forgets everything (partial packet, chunk, sticky error); keeps protocolVersion and maxPacketSize. */
  reset(): void {
    this.chunk = null;
    this.pos = 0;
    this.state = S_HEADER;
    this.header = 0;
    this.length = 0;
    this.lengthBytes = 0;
    this.partial = null;
    this.filled = 0;
    this.error = null;
    this.reader.release();
  }

  private step(chunk: Uint8Array): Packet | null {
    const end = chunk.length;
    let pos = this.pos;
    if (this.state === S_HEADER) {
      if (pos >= end) return this.drained();
      const h = chunk[pos++];
      checkHeader(h, this.protocolVersion);
      this.header = h;
      this.length = 0;
      this.lengthBytes = 0;
      this.state = S_LENGTH;
    }
    if (this.state === S_LENGTH) {
      // Remaining Length: a Variable Byte Integer of at most 4 bytes, minimal [MQTT-1.5.5-1]
      let n = this.length;
      let k = this.lengthBytes;
      for (;;) {
        if (pos >= end) {
          this.length = n;
          this.lengthBytes = k;
          return this.drained();
        }
        const c = chunk[pos++];
        n |= (c & 0x7f) << (7 * k);
        k++;
        if (c < 0x80) {
          if (c === 0 && k > 1) throw malformed('Remaining Length not minimally encoded');
          break;
        }
        if (k === 4) throw malformed('Remaining Length longer than 4 bytes');
      }
      this.length = n;
      this.lengthBytes = k;
      // Known from the header alone: refuse before buffering any of the body
      if (1 + k + n > this.maxPacketSize) throw mqttError(PACKET_TOO_LARGE, 'Packet too large: ' + (1 + k + n) + ' bytes');
      if (end - pos >= n) {
        // the whole body is in this chunk: decode it in place
        this.state = S_HEADER;
        this.pos = pos + n;
        return this.finish(chunk, pos, pos + n);
      }
      // A large body gets its buffer as its bytes arrive, not from the header: six bytes
      // claiming 256 MiB must not allocate 256 MiB.
      this.partial = allocBytes(n < FIRST_BODY_BUFFER ? n : FIRST_BODY_BUFFER);
      this.filled = 0;
      this.state = S_BODY;
    }
    // S_BODY: copy what this chunk has of the body
    const filled = this.filled;
    const need = this.length - filled;
    const take = end - pos < need ? end - pos : need;
    let partial = this.partial as Uint8Array;
    if (filled + take > partial.length) partial = this.growPartial(filled + take);
    if (take < 16) {
      for (let i = 0; i < take; i++) partial[filled + i] = chunk[pos + i];
    } else {
      partial.set(chunk.subarray(pos, pos + take), filled);
    }
    pos += take;
    if (take < need) {
      this.filled = filled + take;
      return this.drained();
    }
    this.partial = null;
    this.state = S_HEADER;
    this.pos = pos;
    return this.finish(partial, 0, partial.length);
  }

  /** Doubles the body buffer (at least to `min`, at most to the body's length). */
  private growPartial(min: number): Uint8Array {
    const old = this.partial as Uint8Array;
    let size = old.length * 2;
    if (size < min) size = min;
    if (size > this.length) size = this.length;
    const grown = allocBytes(size);
    grown.set(old.subarray(0, this.filled));
    this.partial = grown;
    return grown;
  }

  /** The chunk is used up: read() returns null and the next feed() is allowed. */
  private drained(): null {
    this.chunk = null;
    this.pos = 0;
    return null;
  }

  private finish(buf: Uint8Array, start: number, end: number): Packet {
    const r = this.reader;
    const p = decodeBody(r, this.header, this.protocolVersion, buf, start, end);
    r.release();
    if (p.type === CONNECT) this.protocolVersion = p.protocolVersion;
    return p;
  }
}

/** Convenience for tests and tools: every packet in `bytes` (whole packets only). */
export function decodeAll(bytes: Uint8Array, options?: DecoderOptions): Packet[] {
  const d = new Decoder(options);
  d.feed(bytes);
  const out: Packet[] = [];
  for (let p = d.read(); p !== null; p = d.read()) out.push(p);
  if (d.pending()) throw malformed('bytes end inside a packet');
  return out;
}
