// Conversion between firmqtt packet objects and mqtt-packet's, both ways, so that the
// differential tests (through test/codec/mqtt-packet-shape.ts, which re-exports this
// module) and the codec benchmark can hand the same packet to both codecs.
//
// The shapes differ in four ways:
// - `type` is an integer (1..15) in firmqtt, `cmd` a string in mqtt-packet;
// - user properties are ordered [key, value] pairs in firmqtt (as on the wire, repeats
//   allowed) and an object {key: value | value[]} in mqtt-packet. That is a deliberate
//   difference (packets.ts): the object loses the order across keys (and JavaScript
//   puts integer-like keys first), so pairs -> object groups the values of one key in
//   order, and object -> pairs lists keys in the object's order;
// - CONNACK's code is `returnCode` in MQTT 3.1.1 and `reasonCode` in MQTT 5 there, always
//   `reasonCode` here;
// - mqtt-packet wants Buffers (it calls buf.copy()), firmqtt gives and takes Uint8Array.
//   Buffers are made as views, without copying.
import { Buffer } from 'node:buffer';
import * as mqttPacket from 'mqtt-packet';
import type {
  AckPacket,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  Properties,
  PublishPacket,
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

/** MQTT 3.1.1 (4) or 5 */
type Version = 4 | 5;

/** An mqtt-packet packet object: `cmd` plus fields, loosely typed on purpose. */
export interface MqttPacketObject {
  cmd: string;
  [field: string]: unknown;
}

export const CMD_NAMES = [
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
];

function toBuffer(b: Uint8Array | string): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function toBytes(b: unknown): Uint8Array {
  if (typeof b === 'string') return new Uint8Array(Buffer.from(b, 'utf8'));
  if (!(b instanceof Uint8Array)) throw new Error(`expected bytes, got ${typeof b}`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** User property pairs -> {key: value | value[]} (null prototype: '__proto__' is a fine key). */
export function pairsToObject(pairs: [string, string][]): Record<string, string | string[]> {
  const o = Object.create(null) as Record<string, string | string[]>;
  for (const kv of pairs) {
    const k = kv[0];
    const prev = o[k];
    if (prev === undefined) o[k] = kv[1];
    else if (Array.isArray(prev)) prev.push(kv[1]);
    else o[k] = [prev, kv[1]];
  }
  return o;
}

/** {key: value | value[]} -> pairs, keys in the object's own order. */
export function objectToPairs(o: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const k of Object.getOwnPropertyNames(o)) {
    const v = o[k];
    if (Array.isArray(v)) for (const x of v) out.push([k, String(x)]);
    else out.push([k, String(v)]);
  }
  return out;
}

/**
 * firmqtt Properties -> mqtt-packet properties. mqtt-packet writes properties in its
 * object's key order, so `order` (property names) decides the wire order; names not in
 * it follow in the firmqtt object's order.
 */
export function propertiesToMqttPacket(p: Properties, order?: readonly (keyof Properties)[], keepEmptyUserProperties = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(p) as (keyof Properties)[];
  if (order !== undefined) {
    names.sort((a, b) => {
      const ia = order.indexOf(a);
      const ib = order.indexOf(b);
      return (ia < 0 ? 1000 : ia) - (ib < 0 ? 1000 : ib);
    });
  }
  for (const name of names) {
    const v = p[name];
    if (v === undefined) continue;
    if (name === 'userProperties') {
      if ((v as unknown[]).length > 0 || keepEmptyUserProperties) out.userProperties = pairsToObject(v as [string, string][]);
    } else if (v instanceof Uint8Array) out[name] = toBuffer(v);
    else if (Array.isArray(v)) out[name] = v.slice();
    else out[name] = v;
  }
  return out;
}

/** mqtt-packet properties -> firmqtt Properties (Buffers become Uint8Array views). */
export function propertiesFromMqttPacket(p: Record<string, unknown>): Properties {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(p)) {
    const v = p[name];
    if (v === undefined) continue;
    if (name === 'userProperties') out.userProperties = objectToPairs(v as Record<string, unknown>);
    else if (v instanceof Uint8Array) out[name] = toBytes(v);
    else out[name] = v;
  }
  return out as Properties;
}

export interface ToMqttPacketOptions {
  /** the wire order of properties (see propertiesToMqttPacket) */
  propertyOrder?: readonly (keyof Properties)[];
  /**
   * Pass an empty userProperties list on as an empty object. Off by default: mqtt-packet
   * 9.0.2's generate() then returns an empty Buffer, silently (getProperties() takes the
   * 0 length of the empty object for a failure), so the conversion leaves it out; an
   * empty list means no user properties, in firmqtt as on the wire.
   */
  keepEmptyUserProperties?: boolean;
}

/** A firmqtt packet as mqtt-packet's generate() takes it, for protocol version `v`. */
export function toMqttPacket(packet: Packet, v: Version, o: ToMqttPacketOptions = {}): MqttPacketObject {
  const order = o.propertyOrder;
  const out: MqttPacketObject = { cmd: CMD_NAMES[packet.type] };
  const props = (packet as { properties?: Properties }).properties;
  switch (packet.type) {
    case CONNECT: {
      const p = packet as ConnectPacket;
      out.protocolId = 'MQTT';
      out.protocolVersion = v;
      out.clientId = p.clientId;
      out.clean = p.clean;
      out.keepalive = p.keepalive;
      if (p.username !== undefined) out.username = p.username;
      if (p.password !== undefined) out.password = toBuffer(p.password);
      if (p.will !== undefined) {
        const w: Record<string, unknown> = {
          topic: p.will.topic,
          payload: toBuffer(p.will.payload),
          qos: p.will.qos,
          retain: p.will.retain,
        };
        if (p.will.properties !== undefined) w.properties = propertiesToMqttPacket(p.will.properties, order, o.keepEmptyUserProperties);
        out.will = w;
      }
      break;
    }
    case CONNACK: {
      const p = packet as ConnackPacket;
      out.sessionPresent = p.sessionPresent;
      if (v === 5) out.reasonCode = p.reasonCode;
      else out.returnCode = p.reasonCode;
      break;
    }
    case PUBLISH: {
      const p = packet as PublishPacket;
      out.topic = p.topic;
      out.payload = toBuffer(p.payload);
      out.qos = p.qos;
      out.retain = p.retain;
      out.dup = p.dup;
      if (p.qos > 0) out.messageId = p.messageId;
      break;
    }
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP: {
      const p = packet as AckPacket;
      out.messageId = p.messageId;
      // mqtt-packet writes `reasonCode` as given: undefined would become a 0 byte after a
      // length that counts it, so pass Success explicitly
      if (v === 5) out.reasonCode = p.reasonCode === undefined ? 0 : p.reasonCode;
      break;
    }
    case SUBSCRIBE: {
      const p = packet as SubscribePacket;
      out.messageId = p.messageId;
      out.subscriptions = p.subscriptions.map((s) => {
        const sub: Record<string, unknown> = { topic: s.topic, qos: s.qos };
        if (v === 5) {
          sub.nl = s.nl === true;
          sub.rap = s.rap === true;
          sub.rh = s.rh === undefined ? 0 : s.rh;
        }
        return sub;
      });
      break;
    }
    case SUBACK: {
      const p = packet as SubackPacket;
      out.messageId = p.messageId;
      out.granted = p.granted.slice();
      break;
    }
    case UNSUBSCRIBE: {
      const p = packet as UnsubscribePacket;
      out.messageId = p.messageId;
      out.unsubscriptions = p.unsubscriptions.slice();
      break;
    }
    case UNSUBACK: {
      const p = packet as UnsubackPacket;
      out.messageId = p.messageId;
      if (v === 5) out.granted = (p.granted || []).slice();
      break;
    }
    case PINGREQ:
    case PINGRESP:
      break;
    case DISCONNECT:
    case AUTH: {
      const p = packet as DisconnectPacket | AuthPacket;
      if (v === 5) out.reasonCode = p.reasonCode === undefined ? 0 : p.reasonCode;
      break;
    }
    default:
      throw new Error(`no packet type ${(packet as Packet).type}`);
  }
  if (v === 5 && props !== undefined) out.properties = propertiesToMqttPacket(props, order, o.keepEmptyUserProperties);
  return out;
}

function str(o: MqttPacketObject, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`mqtt-packet ${o.cmd}.${k} is ${typeof v}, not a string`);
  return v;
}

function num(o: MqttPacketObject, k: string): number {
  const v = o[k];
  if (typeof v !== 'number') throw new Error(`mqtt-packet ${o.cmd}.${k} is ${typeof v}, not a number`);
  return v;
}

/** An mqtt-packet packet object (as its parser emits it) as a firmqtt packet. */
export function fromMqttPacket(o: MqttPacketObject, v: Version): Packet {
  const type = CMD_NAMES.indexOf(o.cmd);
  if (type < 1) throw new Error(`mqtt-packet cmd ${String(o.cmd)}`);
  const rawProps = o.properties as Record<string, unknown> | undefined;
  const props = rawProps === undefined || rawProps === null ? undefined : propertiesFromMqttPacket(rawProps);
  let out: Packet;
  switch (type) {
    case CONNECT: {
      if (o.protocolId !== 'MQTT') throw new Error(`mqtt-packet protocolId ${String(o.protocolId)}`);
      const p: ConnectPacket = {
        type: CONNECT,
        protocolVersion: num(o, 'protocolVersion') as 3 | 4 | 5,
        clientId: str(o, 'clientId'),
        clean: o.clean === true,
        keepalive: num(o, 'keepalive'),
      };
      if (o.username !== undefined) p.username = str(o, 'username');
      if (o.password !== undefined) p.password = toBytes(o.password);
      if (o.will !== undefined) {
        const w = o.will as Record<string, unknown>;
        const will: Will = {
          topic: w.topic as string,
          payload: toBytes(w.payload),
          qos: w.qos as 0 | 1 | 2,
          retain: w.retain === true,
        };
        if (w.properties !== undefined) will.properties = propertiesFromMqttPacket(w.properties as Record<string, unknown>);
        p.will = will;
      }
      out = p;
      break;
    }
    case CONNACK:
      out = {
        type: CONNACK,
        sessionPresent: o.sessionPresent === true,
        reasonCode: num(o, v === 5 ? 'reasonCode' : 'returnCode'),
      };
      break;
    case PUBLISH: {
      const p: PublishPacket = {
        type: PUBLISH,
        topic: str(o, 'topic'),
        payload: toBytes(o.payload),
        qos: num(o, 'qos') as 0 | 1 | 2,
        retain: o.retain === true,
        dup: o.dup === true,
      };
      if (p.qos > 0) p.messageId = num(o, 'messageId');
      out = p;
      break;
    }
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP: {
      const p: AckPacket = { type: type as AckPacket['type'], messageId: num(o, 'messageId') };
      if (o.reasonCode !== undefined) p.reasonCode = num(o, 'reasonCode');
      out = p;
      break;
    }
    case SUBSCRIBE:
      out = {
        type: SUBSCRIBE,
        messageId: num(o, 'messageId'),
        subscriptions: (o.subscriptions as Record<string, unknown>[]).map((s) => {
          const sub: Subscription = { topic: s.topic as string, qos: s.qos as 0 | 1 | 2 };
          if (s.nl !== undefined) sub.nl = s.nl as boolean;
          if (s.rap !== undefined) sub.rap = s.rap as boolean;
          if (s.rh !== undefined) sub.rh = s.rh as number;
          return sub;
        }),
      };
      break;
    case SUBACK:
      out = { type: SUBACK, messageId: num(o, 'messageId'), granted: (o.granted as number[]).slice() };
      break;
    case UNSUBSCRIBE:
      out = { type: UNSUBSCRIBE, messageId: num(o, 'messageId'), unsubscriptions: (o.unsubscriptions as string[]).slice() };
      break;
    case UNSUBACK: {
      const p: UnsubackPacket = { type: UNSUBACK, messageId: num(o, 'messageId') };
      if (o.granted !== undefined) p.granted = (o.granted as number[]).slice();
      out = p;
      break;
    }
    case PINGREQ:
      out = { type: PINGREQ };
      break;
    case PINGRESP:
      out = { type: PINGRESP };
      break;
    case DISCONNECT:
    case AUTH: {
      const p: DisconnectPacket | AuthPacket = type === DISCONNECT ? { type: DISCONNECT } : { type: AUTH };
      if (o.reasonCode !== undefined) p.reasonCode = num(o, 'reasonCode');
      out = p;
      break;
    }
    default:
      throw new Error(`no packet type ${type}`);
  }
  if (props !== undefined && type !== PINGREQ && type !== PINGRESP) (out as { properties?: Properties }).properties = props;
  return out;
}

// ---------------------------------------------------------------------------------
// Running mqtt-packet

/** mqtt-packet's generate() on a firmqtt packet. Throws what mqtt-packet throws. */
export function mqttPacketGenerate(packet: Packet, v: Version, o: ToMqttPacketOptions = {}): Buffer {
  return mqttPacket.generate(toMqttPacket(packet, v, o) as unknown as mqttPacket.Packet, { protocolVersion: v });
}

export interface MqttPacketParseResult {
  packets: MqttPacketObject[];
  /** the first 'error' event, if any */
  error: Error | null;
  /** bytes the parser kept unparsed */
  remaining: number;
}

/** Runs a fresh mqtt-packet parser over `bytes` (one call to parse()). */
export function mqttPacketParse(bytes: Uint8Array, v: Version): MqttPacketParseResult {
  const parser = mqttPacket.parser({ protocolVersion: v });
  const out: MqttPacketParseResult = { packets: [], error: null, remaining: 0 };
  parser.on('packet', (p: mqttPacket.Packet) => out.packets.push(p as unknown as MqttPacketObject));
  parser.on('error', (e: Error) => {
    if (out.error === null) out.error = e;
  });
  out.remaining = parser.parse(toBuffer(bytes));
  return out;
}
