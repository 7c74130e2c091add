// create(server, options): the shape of Espruino's own `MQTT` module, on the firmqtt
// client, so existing sketches switch by changing require('MQTT') to require('firmqtt').
//
//   var mqtt = require('firmqtt').create('192.168.1.10', { client_id: 'board1' });
//   mqtt.on('connected', function () { mqtt.subscribe('test'); });
//   mqtt.on('publish', function (m) { print(m.topic, m.message); });
//   mqtt.on('disconnected', function () { mqtt.connect(); });
//   mqtt.connect();
//
// Same options (port, client_id, keep_alive, clean_session, username, password,
// protocol_level), methods (connect([socket]), publish(topic, message, {qos, retain}),
// subscribe(topics, {qos}), unsubscribe, disconnect) and events (connected/connect,
// publish {topic, message, dup, qos, retain} and message(topic, message) with binary
// string messages, puback(id), pubcomp(id), subscribed, subscribed_fail, unsubscribed,
// disconnected, close, error(string)). What the module lacks comes from firmqtt: QoS 1/2
// are resent until acknowledged (also across connect() calls), the keep-alive notices a
// dead link, and `will`, `reconnectPeriod` and every firmqtt option may be given too.
import { MqttClient } from '../../src/client/client';
import type { SubscriptionGrant } from '../../src/client/client';
import type { Packet, QoS, ReceivedPublish } from '../../src/codec/packets';
import { Emitter } from '../../src/util/emitter';
import type { EventMap } from '../../src/util/emitter';
import { EspruinoClock } from './clock';
import { espE } from './espruino';
import { serialTransport } from './transport';
import { transportFor } from './connect';
import type { EspruinoClientOptions } from './connect';

export interface CompatOptions extends EspruinoClientOptions {
  client_id?: string;
  /** seconds; default 60 */
  keep_alive?: number;
  clean_session?: boolean;
  /** 4 (3.1.1, default) or 5 */
  protocol_level?: number;
}

export interface CompatMessage {
  topic: string;
  /** the payload as a binary string (one char per byte), as Espruino's MQTT module gives it */
  message: string;
  dup: number;
  qos: number;
  retain: number;
}

export class MQTT extends Emitter<EventMap> {
  server: string;
  port: number;
  client_id: string;
  connected: boolean;
  /** the firmqtt client behind this object, once connect() was called */
  client: MqttClient | null;
  private readonly opts: CompatOptions;

  constructor(server: string, options?: CompatOptions) {
    super();
    const o = options === undefined ? {} : options;
    this.server = server;
    this.port = o.port === undefined ? 1883 : o.port;
    this.client_id = o.client_id === undefined ? (o.clientId === undefined ? uid() : o.clientId) : o.client_id;
    this.connected = false;
    this.client = null;
    this.opts = o;
  }

  /** Connects (again); `socket` is an already connected stream to use instead of dialling. */
  connect(socket?: any): void {
    const c = this.client;
    if (c !== null && socket === undefined) {
      c.reconnect();
      return;
    }
    const o = this.opts;
    const co: CompatOptions = Object.assign({}, o, {
      host: this.server,
      port: this.port,
      clientId: this.client_id,
      keepalive: o.keep_alive === undefined ? pickNum(o.keepalive, 60) : o.keep_alive,
      clean: o.clean_session === undefined ? o.clean !== false : o.clean_session,
      protocolVersion: o.protocol_level === 5 ? 5 : pickNum(o.protocolVersion, 4),
      // the module never reconnects by itself: sketches call connect() on 'disconnected'
      reconnectPeriod: pickNum(o.reconnectPeriod, 0),
    });
    if (c !== null) c.end(true);
    const client = new MqttClient({
      transport: socket === undefined ? transportFor(co) : serialTransport(socket),
      clock: new EspruinoClock(),
    }, co);
    this.client = client;
    client.on('connect', () => {
      this.connected = true;
      this.emit('connected');
      this.emit('connect');
    });
    client.on('message', (topic: string, payload: Uint8Array, packet: ReceivedPublish) => {
      const m: CompatMessage = {
        topic,
        message: espE().toString(payload),
        dup: packet.dup ? 1 : 0,
        qos: packet.qos,
        retain: packet.retain ? 1 : 0,
      };
      this.emit('publish', m);
      this.emit('message', topic, m.message);
    });
    client.on('close', () => {
      this.connected = false;
      this.emit('disconnected');
      this.emit('close');
    });
    client.on('error', (e: Error) => {
      // the module reports strings; with no listener it is only logged
      if (this.listenerCount('error') > 0) this.emit('error', e.message);
    });
  }

  /** opts: {qos, retain} (a number is taken as the QoS). message: a string (binary) or bytes. */
  publish(topic: string, message: any, opts?: any): void {
    const c = this.client;
    if (c === null) return;
    const o = typeof opts === 'number' ? { qos: opts } : opts === undefined || opts === null ? {} : opts;
    const qos = (o.qos === undefined ? 0 : o.qos) as QoS;
    const payload = typeof message === 'string' ? espE().toUint8Array(message)
      : message instanceof Uint8Array ? message : espE().toUint8Array(String(message));
    c.publish(topic, payload, { qos, retain: !!o.retain }, (error: Error | null, packet?: Packet) => {
      if (error !== null || packet === undefined || qos === 0) return;
      this.emit(qos === 1 ? 'puback' : 'pubcomp', (packet as { messageId: number }).messageId);
    });
  }

  /** topics: a filter, a list, or {filter: qos}; opts: {qos} or a number. */
  subscribe(topics: any, opts?: any): void {
    const c = this.client;
    if (c === null) return;
    const qos = (typeof opts === 'number' ? opts : opts !== undefined && opts !== null && opts.qos !== undefined ? opts.qos : 0) as QoS;
    let t = topics;
    if (typeof topics === 'object' && !Array.isArray(topics)) {
      t = {};
      for (const k in topics) t[k] = { qos: topics[k] };
    }
    c.subscribe(t, { qos }, (error: Error | null, granted?: SubscriptionGrant[]) => {
      let failed = error !== null;
      if (granted !== undefined) for (let i = 0; i < granted.length; i++) if (granted[i].qos >= 0x80) failed = true;
      this.emit(failed ? 'subscribed_fail' : 'subscribed');
    });
  }

  unsubscribe(topic: string | string[]): void {
    const c = this.client;
    if (c === null) return;
    c.unsubscribe(topic, (error: Error | null) => {
      if (error === null) this.emit('unsubscribed');
    });
  }

  /** Sends DISCONNECT and closes; no reconnect follows until connect(). */
  disconnect(): void {
    const c = this.client;
    if (c !== null) c.end(true);
  }
}

/** Espruino MQTT's create(server, options): an unconnected client; call connect(). */
export function create(server: string, options?: CompatOptions): MQTT {
  return new MQTT(server, options);
}

function pickNum(v: number | undefined, d: number): number {
  return v === undefined ? d : v;
}

function uid(): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += ((Math.random() * 16) | 0).toString(16);
  return s;
}
