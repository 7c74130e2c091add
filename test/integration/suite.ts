// Shared by the integration suites: the Mosquitto suite policy, firmqtt and MQTT.js
// clients that are ended after each test, and inboxes that wait for messages with a
// deadline instead of sleeping.
import { afterAll, beforeAll } from 'vitest';
import mqtt from 'mqtt';
import type { MqttClient as MqttJsClient, IClientOptions } from 'mqtt';
import { connect } from '../../targets/node/index';
import type { ConnackPacket, MqttClient, NodeClientOptions, Packet, PublishOptions, ReceivedPublish } from '../../targets/node/index';
import { mosquittoAvailable } from '../helpers/brokers';
import type { Broker } from '../helpers/brokers';
import { describeNeeding } from '../helpers/needs';
import { until } from '../helpers/wait';

export { until };

/**
 * describe() for a suite that needs Mosquitto. Without the binary the suite is skipped,
 * and says why once on stderr; under CI=true a missing Mosquitto fails instead.
 */
export function describeMosquitto(name: string, body: () => void): void {
  const why = process.env.MOSQUITTO_BIN !== undefined
    ? `MOSQUITTO_BIN="${process.env.MOSQUITTO_BIN}" is not an executable mosquitto`
    : 'mosquitto not found on PATH or in /usr/sbin (apt-get install mosquitto)';
  describeNeeding('Mosquitto', 'Mosquitto', mosquittoAvailable(), why, name, body);
}

/**
 * One broker for the tests of the enclosing describe(): started before them, stopped
 * after them once every client from these helpers has ended (endAll). Returns a getter:
 * the broker exists only once beforeAll has run.
 */
export function sharedBroker<B extends Broker>(start: () => Promise<B>): () => B {
  let broker: B | undefined;
  beforeAll(async () => {
    broker = await start();
  });
  afterAll(async () => {
    await endAll();
    if (broker !== undefined) await broker.stop();
  });
  return () => broker as B;
}

let serial = 0;
/** A client id unique in this run (brokers are shared by the tests of a suite). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}`;
}


/** Resolves as `p` does, or rejects after `ms` saying what did not happen (never leaves a test hanging). */
export function within<T>(p: Promise<T>, what: () => string, ms = 10000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** publishAsync with a deadline; the error says what the client still holds. */
export function publish(c: MqttClient, topic: string, payload: string | Uint8Array, opts: PublishOptions): Promise<Packet | undefined> {
  return within(c.publishAsync(topic, payload, opts), () =>
    `publish to ${topic} (QoS ${opts.qos ?? 0}) not completed; client connected=${c.connected} inflight=${c.inflightCount} queued=${c.queuedCount}`);
}

export interface Message {
  topic: string;
  text: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  properties: ReceivedPublish['properties'] | Record<string, unknown> | undefined;
}

/** Every message a client receives, in order. */
export class Inbox {
  readonly got: Message[] = [];
  push(m: Message): void {
    this.got.push(m);
  }
  texts(topic?: string): string[] {
    return this.got.filter((m) => topic === undefined || m.topic === topic).map((m) => m.text);
  }
  /** Resolves once `n` messages (optionally on `topic`) have arrived. */
  async count(n: number, topic?: string, ms = 10000): Promise<Message[]> {
    const pick = () => this.got.filter((m) => topic === undefined || m.topic === topic);
    await until(() => pick().length >= n, `${n} message(s)${topic === undefined ? '' : ` on ${topic}`} (have ${pick().length}: ${this.got.map((m) => m.topic).join(', ')})`, ms);
    return pick();
  }
  /** Resolves with the first message on `topic`. */
  async first(topic: string, ms = 10000): Promise<Message> {
    return (await this.count(1, topic, ms))[0];
  }
}

// ---- firmqtt ------------------------------------------------------------------------

const firmClients: MqttClient[] = [];
const firmInboxes = new WeakMap<MqttClient, Inbox>();

/** The messages a client from firm() has received since it was created. */
export function inboxOf(client: MqttClient): Inbox {
  const inbox = firmInboxes.get(client);
  if (inbox === undefined) throw new Error('not a client from firm()');
  return inbox;
}

/**
 * A firmqtt client from targets/node connect(), with its inbox attached before it
 * connects (a stored session's messages can arrive with the CONNACK), ended by endAll().
 * No automatic reconnect unless the options ask for it.
 */
export function firmUnawaited(url: string, options: NodeClientOptions): MqttClient {
  const c = connect(url, Object.assign({ reconnectPeriod: 0 }, options));
  firmClients.push(c);
  const inbox = new Inbox();
  firmInboxes.set(c, inbox);
  c.on('message', (topic, payload, packet) => {
    inbox.push({ topic, text: Buffer.from(payload).toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup, properties: packet.properties });
  });
  return c;
}

/** Resolves with the CONNACK once connected; rejects on the first error. */
export function connected(c: MqttClient): Promise<ConnackPacket> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      c.off('connect', onConnect);
      reject(e);
    };
    const onConnect = (connack: ConnackPacket) => {
      c.off('error', onError);
      resolve(connack);
    };
    c.once('connect', onConnect);
    c.once('error', onError);
  });
}

/** A connected firmqtt client (see firmUnawaited). */
export async function firm(url: string, options: NodeClientOptions): Promise<MqttClient> {
  const c = firmUnawaited(url, options);
  await connected(c);
  return c;
}

// ---- MQTT.js ------------------------------------------------------------------------

const jsClients: MqttJsClient[] = [];
const jsInboxes = new WeakMap<MqttJsClient, Inbox>();

export function inboxOfMqttJs(client: MqttJsClient): Inbox {
  const inbox = jsInboxes.get(client);
  if (inbox === undefined) throw new Error('not a client from mqttjs()');
  return inbox;
}

/** A connected MQTT.js client, its inbox attached before it connects, ended by endAll(). */
export async function mqttjs(url: string, options: IClientOptions): Promise<MqttJsClient> {
  const c = mqtt.connect(url, Object.assign({ reconnectPeriod: 0 }, options));
  jsClients.push(c);
  const inbox = new Inbox();
  jsInboxes.set(c, inbox);
  c.on('message', (topic, payload, packet) => {
    inbox.push({ topic, text: payload.toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup, properties: packet.properties as Record<string, unknown> | undefined });
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/** Ends every client opened through these helpers (forcefully: tests wait for what they need first). */
export async function endAll(): Promise<void> {
  const f = firmClients.splice(0);
  const j = jsClients.splice(0);
  await Promise.all([
    ...f.map((c) => c.endAsync(true)),
    ...j.map((c) => c.endAsync(true)),
  ]);
}
