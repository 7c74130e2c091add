// Session options and their defaults, in one place (as coreMQTT keeps its tunables in
// core_mqtt_config_defaults.h). Every queue and buffer the session owns has a bound
// here. Defaults suit an ESP32 with ~100 KB of free heap; a Node gateway can raise them.
import type { Bytes, Properties, ProtocolVersion, QoS, Packet } from '../codec/packets';
import type { Store } from '../store/store';
import { UNSUPPORTED_PROTOCOL_VERSION, mqttError } from '../codec/errors';

export interface WillOptions {
  topic: string;
  payload: Bytes;
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5 will properties, e.g. willDelayInterval, contentType */
  properties?: Properties;
}

export interface SessionOptions {
  /** 4 = MQTT 3.1.1 (default, as MQTT.js), 5 = MQTT 5.0 */
  protocolVersion?: 4 | 5;
  /** '' lets an MQTT 5 server assign one (needs clean); default 'firmqtt_' + 8 hex digits */
  clientId?: string;
  /** clean session (3.1.1) / clean start (5); default true */
  clean?: boolean;
  /** seconds; 0 turns keep-alive off; default 60 */
  keepalive?: number;
  username?: string;
  password?: Bytes;
  will?: WillOptions;
  /** MQTT 5 CONNECT properties (sessionExpiryInterval, receiveMaximum, maximumPacketSize, ...) */
  properties?: Properties;
  /** ms to wait for CONNACK after open(); default 30000 */
  connectTimeout?: number;
  /** ms to wait for PINGRESP before the connection is declared lost; default half the keep-alive, at most 10000 */
  pingTimeout?: number;
  /**
   * our limit on outgoing QoS 1/2 messages awaiting acknowledgement. Default: 20 on MQTT
   * 3.1.1, which cannot learn the server's limit, and 20 is Mosquitto's default
   * max_inflight_messages: Mosquitto 2 acknowledges, then silently drops, a 3.1.1
   * client's messages beyond it (measured: test/integration/burst.test.ts). On MQTT 5
   * the server's Receive Maximum sets the window, so the default is 65535.
   */
  maxInflight?: number;
  /** messages waiting to be sent (offline, or the in-flight window is full); default 1000 */
  maxQueued?: number;
  /** bytes of the messages held until sent (QoS 0) or acknowledged (QoS 1/2); default 1 MiB */
  maxQueuedBytes?: number;
  /**
   * Held messages are packed into byte blocks of this size (a larger message gets a block
   * of its own); smaller blocks waste less memory when few messages are held, larger ones
   * allocate less often. Default 4096.
   */
  outboxBlockSize?: number;
  /** the largest packet accepted from the server (bytes, whole packet); default 256 KiB */
  maxIncomingPacketSize?: number;
  /** MQTT 5: give outgoing topics aliases automatically, up to the server's Topic Alias Maximum; default false */
  autoAssignTopicAlias?: boolean;
  /**
   * When true, an incoming QoS 1/2 message is acknowledged only when the application
   * calls ack(); default false (acknowledged before delivery, DESIGN.md wire conventions).
   */
  manualAcks?: boolean;
  /** Persists unacknowledged QoS 1/2 state across restarts; default none (in memory only). */
  store?: Store;
  /** Key prefix in the store, so several sessions can share one (keep it short: Espruino Storage names are at most 28 characters); default 'fq'. */
  storePrefix?: string;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  protocolVersion: ProtocolVersion;
  clientId: string;
  clean: boolean;
  keepalive: number;
  username: string | undefined;
  password: Bytes | undefined;
  will: WillOptions | undefined;
  properties: Properties | undefined;
  connectTimeout: number;
  /** undefined: half the keep-alive in force (the server's Server Keep Alive included), at most 10 s */
  pingTimeout: number | undefined;
  maxInflight: number;
  maxQueued: number;
  maxQueuedBytes: number;
  outboxBlockSize: number;
  maxIncomingPacketSize: number;
  autoAssignTopicAlias: boolean;
  manualAcks: boolean;
  store: Store | undefined;
  storePrefix: string;
}

function pick<T>(v: T | undefined, d: T): T {
  return v === undefined ? d : v;
}

function randomClientId(): string {
  let s = 'firmqtt_';
  for (let i = 0; i < 8; i++) s += ((Math.random() * 16) | 0).toString(16);
  return s;
}

export function resolveOptions(o: SessionOptions): ResolvedOptions {
  const keepalive = pick(o.keepalive, 60);
  const clientId = pick(o.clientId, randomClientId());
  const v = pick(o.protocolVersion, 4);
  // 3 (MQTT 3.1) would otherwise quietly go out as 3.1.1 while options said 3
  if (v !== 4 && v !== 5) throw mqttError(UNSUPPORTED_PROTOCOL_VERSION, 'protocolVersion ' + String(v) + ' unsupported: 4 (MQTT 3.1.1) or 5');
  return {
    protocolVersion: v,
    clientId,
    clean: pick(o.clean, true),
    keepalive,
    username: o.username,
    password: o.password,
    will: o.will,
    properties: o.properties,
    connectTimeout: pick(o.connectTimeout, 30000),
    pingTimeout: o.pingTimeout,
    maxInflight: pick(o.maxInflight, v === 5 ? 65535 : 20),
    maxQueued: pick(o.maxQueued, 1000),
    maxQueuedBytes: pick(o.maxQueuedBytes, 1 << 20),
    outboxBlockSize: pick(o.outboxBlockSize, 4096),
    maxIncomingPacketSize: pick(o.maxIncomingPacketSize, 256 * 1024),
    autoAssignTopicAlias: pick(o.autoAssignTopicAlias, false),
    manualAcks: pick(o.manualAcks, false),
    store: o.store,
    storePrefix: pick(o.storePrefix, 'fq'),
  };
}

/** A completion callback for publish, subscribe and unsubscribe (MQTT.js shape). */
export type Done = (error: Error | null, packet?: Packet) => void;
