// The compact codec: what an MQTT client sends and receives, written for bundle size on
// Espruino (src/codec is the fast, complete codec for Node, Moddable and servers).
// Encoders return one whole packet; decode() takes one whole packet from the server.
//
// Encoding runs a packet's body function twice (pkt): once with no buffer, to count the
// bytes, then into a buffer of exactly that size, so nothing is copied twice and a
// payload goes straight into the packet. MQTT 5 paths are guarded by the FIRMQTT_LITE
// test written out in each condition (src/flags.d.ts), so that the lite bundle drops them
// and the property table with them.
//
// Errors: one check, bad(), over src/codec/errors.ts's mqttError (the main core's maker): the
// code is the MQTT 5 reason code, 0x81 Malformed Packet or 0x82 Protocol Error.

import { mqttError, MALFORMED_PACKET } from '../codec/errors';

/**
 * MQTT 5 property wire types, bits 6..8 of a property table entry. A const enum, since
 * esbuild inlines its members where a module-level const stays a variable once bundled.
 * The fixed-size integers are numbered by their size (a boolean is a byte).
 */
const enum W {
  BOOL, // a Byte that must be 0 or 1, shown as a boolean
  BYTE,
  U16,
  VINT,
  U32,
  BIN,
  STR,
  PAIR,
}

/** Espruino's global, absent elsewhere. */
declare const E: { toUint8Array(s: string): Uint8Array; toString(b: Uint8Array): string; asUTF8?(s: string): string };
/** Not on Espruino, only used where E is absent (src/tsconfig.json's lib has neither). */
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
declare const TextDecoder: new (label: string, o: { ignoreBOM: boolean }) => { decode(u: Uint8Array): string };

// the Espruino bundles skip the test (FIRMQTT_ESPRUINO, src/flags.d.ts) and the fallbacks go
const ESP = typeof E != 'undefined';

export type Props = { [name: string]: any };
export interface WillFields { topic: string; payload: Uint8Array; qos: number; retain: boolean; properties?: Props }
export interface ConnectFields { clientId: string; keepalive: number; clean: boolean; username?: string; password?: Uint8Array; will?: WillFields; properties?: Props }
export interface Sub { topic: string; qos: number; nl?: boolean; rap?: boolean; rh?: number }

/**
 * A packet from the server, with mqtt-packet's field names. Only the fields that mean
 * something for the packet are set (see decode()).
 */
export interface InPacket {
  cmd: 'connack' | 'publish' | 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'suback' | 'unsuback' | 'pingresp' | 'disconnect' | 'auth';
  /** CONNACK */
  sessionPresent?: boolean;
  /** CONNACK, MQTT 3.1.1 */
  returnCode?: number;
  /** MQTT 5: CONNACK, PUBACK..PUBCOMP (0 when absent), DISCONNECT, AUTH */
  reasonCode?: number;
  /** PUBLISH */
  topic?: string;
  payload?: Uint8Array;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  /** PUBLISH with QoS > 0, PUBACK..PUBCOMP, SUBACK, UNSUBACK */
  messageId?: number;
  /** SUBACK; UNSUBACK in MQTT 5 */
  granted?: number[];
  /** MQTT 5, when the packet has any */
  properties?: Props;
}

/** Throws when c is truthy: an MqttError with `code` (0x81 Malformed Packet when not given). */
function bad(c: unknown, code?: number): void {
  if (c) throw mqttError(code = code || MALFORMED_PACKET, 'MQTT ' + code);
}

// ---------------------------------------------------------------------------------
// Writer: B is null while counting; P is the cursor.

let B: Uint8Array | null = null;
let P = 0;

function put(x: number): void {
  if (B) B[P] = x; // a Uint8Array keeps the low 8 bits
  P++;
}

function u16(x: number): void {
  put(x >> 8);
  put(x);
}

/** Variable Byte Integer (§1.5.5) */
function vi(x: number): void {
  do {
    put(x > 127 ? x | 128 : x);
    x >>>= 7;
  } while (x);
}

function bytes(u: Uint8Array): void {
  if (B) B.set(u, P);
  P += u.length;
}

/** Two-byte length, then the bytes (§1.5.6). */
function bin(u: Uint8Array): void {
  bad(u.length >> 16); // over 65535
  u16(u.length);
  bytes(u);
}

function str(s: string): void {
  bin(utf8(s));
}

/**
 * A whole packet: first byte h, Remaining Length, then the body f writes. f runs twice:
 * counting (the header counted after the body, whose length it holds), then writing into
 * a buffer of the size counted. The buffer is let go of at the end, so that the writer
 * does not keep the last packet alive.
 */
function pkt(h: number, f: () => void): Uint8Array {
  B = null;
  P = 0;
  f();
  const n = P;
  put(h);
  vi(n);
  const out = (B = new Uint8Array(P));
  P = 0;
  put(h);
  vi(n);
  f();
  B = null;
  return out;
}

/**
 * UTF-8 bytes of a JS string (lone surrogates -> U+FFFD). On Espruino a string is bytes
 * (or, on a Unicode build, flagged UTF-8), which E.toUint8Array gives as they are;
 * elsewhere (Node: tests, tools) TextEncoder does it.
 */
export function utf8(s: string): Uint8Array {
  return (typeof FIRMQTT_ESPRUINO !== 'undefined' && FIRMQTT_ESPRUINO) || ESP ? E.toUint8Array(s) : new TextEncoder().encode(s);
}

// ---------------------------------------------------------------------------------
// MQTT 5 properties (MQTT 5.0 §2.2.2.2, table 2-4): one table, by name. In the lite
// bundle nothing uses it, and esbuild drops it.
//
// An entry is identifier | wire type << 6 | packets << 9, where the packets are a bit
// mask: bit (1 << packet type), and bit 0 for the will properties. The numbers are
// written out because esbuild does not fold such expressions. Bits (names used in the
// comments): mW will 1, mC CONNECT 2, mCA CONNACK 4, mP PUBLISH 8, mACK PUBACK..PUBCOMP
// 0xf0, mS SUBSCRIBE 0x100, mSA SUBACK 0x200, mU UNSUBSCRIBE 0x400, mUA UNSUBACK 0x800,
// mD DISCONNECT 0x4000, mAU AUTH 0x8000. Wire types (W): BOOL 0, BYTE 1, U16 2, VINT 3,
// U32 4, BIN 5, STR 6, PAIR 7.
const PT: { [name: string]: number } = {
  payloadFormatIndicator: 0x1201, // 0x01 BOOL, mP | mW
  messageExpiryInterval: 0x1302, // 0x02 U32, mP | mW
  contentType: 0x1383, // 0x03 STR, mP | mW
  responseTopic: 0x1388, // 0x08 STR, mP | mW
  correlationData: 0x1349, // 0x09 BIN, mP | mW
  subscriptionIdentifier: 0x210cb, // 0x0b VINT, mP | mS
  sessionExpiryInterval: 0x800d11, // 0x11 U32, mC | mCA | mD
  assignedClientIdentifier: 0x992, // 0x12 STR, mCA
  serverKeepAlive: 0x893, // 0x13 U16, mCA
  authenticationMethod: 0x1000d95, // 0x15 STR, mC | mCA | mAU
  authenticationData: 0x1000d56, // 0x16 BIN, mC | mCA | mAU
  requestProblemInformation: 0x417, // 0x17 BOOL, mC
  willDelayInterval: 0x318, // 0x18 U32, mW
  requestResponseInformation: 0x419, // 0x19 BOOL, mC
  responseInformation: 0x99a, // 0x1a STR, mCA
  serverReference: 0x80099c, // 0x1c STR, mCA | mD
  reasonString: 0x195e99f, // 0x1f STR, mCA | mACK | mSA | mUA | mD | mAU
  receiveMaximum: 0xca1, // 0x21 U16, mC | mCA
  topicAliasMaximum: 0xca2, // 0x22 U16, mC | mCA
  topicAlias: 0x10a3, // 0x23 U16, mP
  maximumQoS: 0x864, // 0x24 BYTE, mCA
  retainAvailable: 0x825, // 0x25 BOOL, mCA
  userProperties: 0x19fffe6, // 0x26 PAIR, mC | mCA | mP | mW | mACK | mS | mSA | mU | mUA | mD | mAU
  maximumPacketSize: 0xd27, // 0x27 U32, mC | mCA
  wildcardSubscriptionAvailable: 0x828, // 0x28 BOOL, mCA
  subscriptionIdentifiersAvailable: 0x829, // 0x29 BOOL, mCA
  sharedSubscriptionAvailable: 0x82a, // 0x2a BOOL, mCA
};

/**
 * The entry of property `name` when packet t (0: will) may carry it; else throws (an
 * unknown name, undefined included, or one Object.prototype has, gives no number here).
 */
function pinfo(name: string | undefined, t: number): number {
  const x = PT[name as string];
  bad(!((x >> 9) & (1 << t)));
  return x;
}

/** Writes the properties of packet t (0: will), in the object's order. An array value repeats the property; userProperties is {name: value | value[]}. */
function wprops(t: number, o?: Props): void {
  for (const name in o) {
    const x = o[name];
    if (x != null) {
      const info = pinfo(name, t);
      const ty = (info >> 6) & 7;
      for (const k of ty == W.PAIR ? Object.keys(x) : [''])
        for (const y of ([] as any[]).concat(ty == W.PAIR ? x[k] : x)) {
          put(info & 63);
          if (ty == W.PAIR) str(k);
          if (ty == W.VINT) vi(y);
          // an integer of ty bytes, high byte first; a boolean: 1 byte, 1 when y is truthy
          else if (ty < W.BIN) for (let k = ty || 1; k--; ) put(ty ? y >>> (8 * k) : y ? 1 : 0);
          else if (ty == W.BIN) bin(typeof y == 'string' ? utf8(y) : y);
          else str('' + y);
        }
    }
  }
}

/** The length of the properties of packet t (0: will), counted without writing. */
function plen(t: number, o?: Props): number {
  const b = B;
  const p = P;
  B = null;
  wprops(t, o);
  const n = P - p;
  B = b;
  P = p;
  return n;
}

/** Property Length and properties of packet t (0: will). */
function pr(t: number, o?: Props): void {
  vi(plen(t, o));
  wprops(t, o);
}

/**
 * Reads the Property Length and properties of packet t into p.properties (set when there
 * are any). The reader's end is the properties' end meanwhile, so that a value past it
 * is malformed as one past the packet is.
 */
function rprops(t: number, p: InPacket): void {
  const n = rvi();
  const e = END;
  bad((END = Q + n) > e);
  const o: Props = {};
  while (Q < END) {
    const id = rb();
    let name: string | undefined;
    for (const k in PT) if ((PT[k] & 63) == id) name = k;
    const ty = (pinfo(name, t) >> 6) & 7;
    let x: any = ty == W.VINT ? rvi() : ty < W.BIN ? rn(ty || 1) : ty == W.BIN ? rbin() : rstr();
    if (!ty) {
      bad(x > 1, 0x82);
      x = !!x;
    }
    let obj = o;
    let key = name as string;
    if (ty == W.PAIR) {
      obj = o[key] || (o[key] = Object.create(null));
      key = x;
      x = rstr();
      // dropped, as mqtt-packet loses it: set on Espruino it corrupts the object (the
      // interpreter then fails an assertion)
      if (key == '__proto__') continue;
    } else bad(o[key] != null && id != 11, 0x82); // only a PUBLISH's Subscription Identifier repeats
    // a repeat: a value of the same type (or an array) is there already; anything else is
    // what Espruino's Object.create(null) still inherits (toString, __proto__, ...)
    const w = obj[key];
    obj[key] = w instanceof Array || typeof w == typeof x ? ([] as any[]).concat(w, x) : x;
  }
  END = e;
  if (n) p.properties = o;
}

/**
 * The MQTT 5 end of PUBACK..PUBCOMP, DISCONNECT and AUTH (packet t): the reason code and
 * the properties, left out when Success and none (§3.4.2.1, §3.14.2.1, §3.15.2.1); the
 * Property Length alone is left out when there are no properties (§3.4.2.2.1,
 * §3.14.2.2.1), except in an AUTH.
 */
function tail(t: number, rc?: number, o?: Props): void {
  const n = plen(t, o);
  if (rc || n) {
    put(rc || 0);
    if (n || t > 14) pr(t, o);
  }
}

// ---------------------------------------------------------------------------------
// Encoders

export function encConnect(v: number, c: ConnectFields): Uint8Array {
  const w = c.will;
  const u = c.username;
  const pw = c.password;
  return pkt(0x10, function () {
    str('MQTT');
    put(v);
    // booleans shift as 0 / 1
    put(((u != null) as any) << 7 | (!!pw as any) << 6 | (w ? 4 | (w.qos << 3) | ((w.retain as any) << 5) : 0) | ((c.clean as any) << 1));
    u16(c.keepalive);
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) pr(1, c.properties);
    str(c.clientId);
    if (w) {
      if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) pr(0, w.properties);
      str(w.topic);
      bin(w.payload);
    }
    if (u != null) str(u);
    if (pw) bin(pw);
  });
}

export function encPublish(v: number, topic: string, payload: Uint8Array, qos: number, retain: boolean, dup: boolean, id: number, properties?: Props): Uint8Array {
  return pkt(0x30 | ((dup as any) << 3) | (qos << 1) | (retain as any), function () {
    str(topic);
    if (qos) u16(id);
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) pr(3, properties);
    bytes(payload);
  });
}

/** PUBACK 4, PUBREC 5, PUBREL 6 (flags 0b0010), PUBCOMP 7. MQTT 5: reason code and properties are omitted when 0 / none (spec 3.4.2.1). */
export function encAck(v: number, type: number, id: number, reasonCode?: number, properties?: Props): Uint8Array {
  return pkt((type << 4) | (type == 6 ? 2 : 0), function () {
    u16(id);
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) tail(type, reasonCode, properties);
  });
}

export function encSubscribe(v: number, id: number, subs: Sub[], properties?: Props): Uint8Array {
  return pkt(0x82, function () {
    u16(id);
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) pr(8, properties);
    for (const s of subs) {
      str(s.topic);
      // Subscription Options (§3.8.3.1): QoS, No Local, Retain As Published, Retain Handling
      put(!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5 ? s.qos | ((s.nl as any) << 2) | ((s.rap as any) << 3) | ((s.rh as any) << 4) : s.qos);
    }
  });
}

export function encUnsubscribe(v: number, id: number, topics: string[], properties?: Props): Uint8Array {
  return pkt(0xa2, function () {
    u16(id);
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) pr(10, properties);
    for (const s of topics) str(s);
  });
}

/** C0 00 */
export function encPingreq(): Uint8Array {
  return new Uint8Array([0xc0, 0]);
}

/** MQTT 3.1.1: E0 00. MQTT 5: E0 00 when the reason code is 0 and there are no properties. */
export function encDisconnect(v: number, reasonCode?: number, properties?: Props): Uint8Array {
  return pkt(0xe0, function () {
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) tail(14, reasonCode, properties);
  });
}

/** AUTH (MQTT 5 only) */
export function encAuth(reasonCode: number, properties?: Props): Uint8Array {
  return pkt(0xf0, function () {
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) tail(15, reasonCode, properties);
  });
}

// ---------------------------------------------------------------------------------
// Reader: D the packet, Q the cursor, END the end.

let D: Uint8Array;
let Q = 0;
let END = 0;

function rb(): number {
  bad(Q >= END);
  return D[Q++];
}

/** A k-byte big-endian integer. */
function rn(k: number): number {
  // the k - 1 high bytes are read first
  return k ? rn(k - 1) * 256 + rb() : 0;
}

/** A Variable Byte Integer: at most 4 bytes, in the fewest bytes [MQTT-1.5.5-1]. */
function rvi(): number {
  let x = 0;
  let s = 0; // the shift of the next 7 bits; 28 bits at most, so x stays a positive int32
  let d: number;
  do {
    bad(s > 21);
    d = rb();
    x |= (d & 127) << s;
    s += 7;
  } while (d > 127);
  bad(!d && s > 7);
  return x;
}

function rbin(): Uint8Array {
  const n = rn(2);
  bad(Q + n > END);
  return D.subarray(Q, (Q += n));
}

/**
 * Whether u is an MQTT UTF-8 string (§1.5.4): 0 when it is not well formed, 1 when it is
 * ASCII, 2 when it has longer sequences. Each sequence read leniently into a code point c
 * must have n = its shortest length's continuation bytes (an overlong form, or a stray
 * continuation byte taken as a lead, has not), each of them 10xxxxxx (a missing one, past
 * the end, is undefined, which is not), and c must not be a surrogate, over U+10FFFF (as a
 * lead byte F5..FF gives) or U+0000. Espruino makes strings of any bytes, so what the
 * client sends is checked with this too.
 */
export function utf8Kind(u: Uint8Array): number {
  let kind = 1;
  for (let i = 0; i < u.length; ) {
    let c = u[i++];
    // (booleans add as 0 / 1)
    let n: number = ((c > 0xbf) as any) + (c > 0xdf) + (c > 0xef);
    const k = n;
    if (n) {
      c &= 127 >> n; // 4 bits of an F0..FF lead, so that F8..FF make c too large
      kind = 2;
    }
    while (n--) {
      if (u[i] >> 6 != 2) return 0;
      c = (c << 6) | (u[i++] & 63);
    }
    if (!c || c >> 11 == 27 || c > 0x10ffff || k != ((c > 0x7f) as any) + (c > 0x7ff) + (c > 0xffff)) return 0;
  }
  return kind;
}

/**
 * A UTF-8 string (§1.5.4), which must be well formed (utf8Kind). On Espruino the bytes
 * become a string flagged UTF-8 (E.asUTF8, where the firmware has it) when they are not
 * ASCII, so that 'café' received equals the literal 'café' and joins other strings as
 * text; elsewhere TextDecoder decodes them, a leading BOM kept [MQTT-1.5.4-3].
 */
function rstr(): string {
  const u = rbin();
  const kind = utf8Kind(u);
  bad(!kind);
  return (typeof FIRMQTT_ESPRUINO !== 'undefined' && FIRMQTT_ESPRUINO) || ESP ? (kind > 1 && E.asUTF8 ? E.asUTF8(E.toString(u)) : E.toString(u)) : new TextDecoder('utf-8', { ignoreBOM: true }).decode(u);
}

/** A packet identifier, not 0 [MQTT-2.2.1-3]. */
function rid(): number {
  const x = rn(2);
  bad(!x, 0x82);
  return x;
}

// the last two only in MQTT 5 (esbuild joins the literals)
/** packet names by type, as InPacket.cmd has them */
export const CMD = (',,connack,publish,puback,pubrec,pubrel,pubcomp,,suback,,unsuback,,pingresp' + (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) ? ',disconnect,auth' : '')).split(',');

/**
 * Total length (fixed header included) of the packet starting at b[pos], as soon as its
 * fixed header is in b[pos..end), so that the client can refuse it or allocate it once
 * before its body arrives; -1 while the fixed header is incomplete. Throws (code 0x81) on
 * a Remaining Length over 4 bytes.
 */
export function frameLength(b: Uint8Array, pos: number, end: number): number {
  D = b;
  Q = pos + 1;
  END = end;
  // rvi() once the last byte of the Remaining Length is there
  for (let i = Q; i < end && i < pos + 5; ) if (b[i++] < 128) return rvi() + Q - pos;
  bad(end - pos > 4);
  return -1;
}

/**
 * Decodes one whole packet (b is exactly that packet) that a server sends to a client:
 * CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP,
 * DISCONNECT (v5), AUTH (v5). Anything else, or anything malformed, throws an Error with
 * .code 0x81 (malformed) or 0x82 (protocol error). A PUBLISH payload is a view of b.
 */
export function decode(v: number, b: Uint8Array): InPacket {
  const t = b[0] >> 4;
  const f = b[0] & 15;
  D = b;
  Q = 1;
  END = b.length;
  // what a server sends: types 2..7, 9, 11, 13, and in MQTT 5 14 and 15
  bad(!(((!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5 ? 0xeafc : 0x2afc) >> t) & 1), 0x82);
  // reserved flags: 0b0010 in PUBREL, 0 in the others but PUBLISH [MQTT-2.2.2-1]
  bad(t != 3 && f != (t == 6 ? 2 : 0));
  bad(rvi() != END - Q);
  const p: InPacket = { cmd: CMD[t] as InPacket['cmd'] };
  let x: number;
  if (t == 2) {
    p.sessionPresent = !!(x = rb());
    bad(x > 1); // Connect Acknowledge Flags bits 7..1 are reserved [MQTT-3.2.2-1]
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) {
      p.reasonCode = rb();
      rprops(t, p);
    } else p.returnCode = rb();
  } else if (t == 3) {
    x = (f >> 1) & 3;
    bad(x > 2 || (!x && f & 8)); // QoS 3 [MQTT-3.3.1-4]; DUP on QoS 0 [MQTT-3.3.1-2]
    bad(/[+#]/.test((p.topic = rstr())), 0x82); // no wildcards in a Topic Name [MQTT-3.3.2-2]
    p.qos = x;
    p.retain = !!(f & 1);
    p.dup = f > 7;
    if (x) p.messageId = rid();
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) rprops(t, p);
    p.payload = b.subarray(Q, (Q = END));
  } else if (t != 13) {
    // PUBACK..PUBCOMP, SUBACK, UNSUBACK; DISCONNECT, AUTH
    if (t < 12) p.messageId = rid();
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5) {
      if (t < 8 || t > 13) p.reasonCode = Q < END ? rb() : 0;
      if (Q < END || (t > 8 && t < 12)) rprops(t, p);
    }
    // the rest as a plain array (Array slice works on any array-like, Espruino's too)
    if (t == 9 || (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v == 5 && t == 11)) p.granted = [].slice.call(D, Q, (Q = END));
  }
  bad(Q < END); // the packet is consumed exactly
  // the reader lets go of the packet: kept, it would hold a large one's memory until the
  // next packet (every way in sets D before reading)
  D = null!;
  return p;
}
