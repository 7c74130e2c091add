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
import { CompactClient } from '../../src/compact/client';
import type { CompactOptions } from '../../src/compact/client';
import type { InPacket } from '../../src/compact/codec';
import { EspruinoClock } from './clock';
import { espE } from './espruino';
import { serialTransport } from './serial';
import { transportFor } from './transport';
import type { EspruinoClientOptions } from './transport';

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

/**
 * Espruino's MQTT module object. Events through Espruino's built-in on/emit. Its arrows
 * reach the object through `m`, never `this`: a bundle with no arrow that uses `this`
 * keeps its arrows (build.mjs espruinoArrowsSafe), ~250 B smaller.
 */
export class MQTT {
  server: string;
  port: number;
  client_id: string;
  connected: boolean;
  /** the firmqtt client behind this object, once connect() was called */
  client?: CompactClient;
  declare emit: (event: string, a?: unknown, b?: unknown) => void;
  private readonly opts: CompatOptions;

  constructor(server: string, options?: CompatOptions) {
    const o = options || {};
    this.server = server;
    this.port = o.port || 1883;
    this.client_id = o.client_id || o.clientId || 'fq' + Math.random().toString(16).slice(2, 10);
    this.connected = false;
    this.opts = o;
  }

  /** Connects (again); `socket` is an already connected stream to use instead of dialling. */
  connect(socket?: any): void {
    const m = this;
    const old = m.client;
    if (old && !socket) {
      old.reconnect();
      return;
    }
    if (old) old.end(true);
    const o = m.opts;
    // ?? leaves undefined where neither name is given: the client's default (keepalive 60, clean)
    const co: CompactOptions = Object.assign({}, o, {
      host: m.server,
      port: m.port,
      clientId: m.client_id,
      keepalive: o.keep_alive ?? o.keepalive,
      clean: o.clean_session ?? o.clean,
      protocolVersion: o.protocol_level || o.protocolVersion,
      // the module never reconnects by itself: sketches call connect() on 'disconnected',
      // and subscribe on 'connected' (resubscribing too would bring retained messages twice)
      reconnectPeriod: o.reconnectPeriod || 0,
      resubscribe: o.resubscribe ?? false,
      // the module's CONNECT_TIMEOUT
      connectTimeout: o.connectTimeout ?? 10000,
    });
    let c: CompactClient;
    try {
      c = m.client = new CompactClient({
        transport: socket ? serialTransport(socket) : transportFor(co),
        clock: new EspruinoClock(),
      }, co);
    } catch (e) {
      // options the client cannot send (protocol_level 3, a password without a user name
      // on 3.1.1): reported as the module reports a socket it cannot open, not thrown
      m.emit('error', (e as Error).message);
      m.emit('disconnected');
      return;
    }
    c.on('connect', () => {
      m.connected = true;
      m.emit('connected');
      m.emit('connect');
    });
    c.on('message', (topic: string, payload: Uint8Array, p: InPacket) => {
      const message = espE().toString(payload);
      // 0 or 1, as the module gives them (the codec sets both on every PUBLISH)
      m.emit('publish', { topic, message, dup: +p.dup!, qos: p.qos, retain: +p.retain! });
      m.emit('message', topic, message);
    });
    c.on('close', () => {
      m.connected = false;
      m.emit('disconnected');
      m.emit('close');
    });
    // the module reports strings
    c.on('error', (e: Error) => m.emit('error', e.message));
  }

  /** opts: {qos, retain} (a number is taken as the QoS). message: bytes, or anything else as a binary string. */
  publish(topic: string, message: any, opts?: any): void {
    const m = this;
    const c = m.client;
    if (!c) return;
    const o = qosOptions(opts);
    const qos = o.qos;
    // a string goes out one char a byte (the client's strings on Espruino: E.toUint8Array)
    c.publish(topic, message instanceof Uint8Array ? message : String(message), o, (error: Error | null, ack?: { messageId: number }) => {
      // a refused publish (a topic that is not UTF-8, a full queue) says so, as a string
      if (error) m.emit('error', error.message);
      else if (qos) m.emit(qos === 1 ? 'puback' : 'pubcomp', (ack as { messageId: number }).messageId);
    });
  }

  /** topics: a filter, a list, or {filter: qos}; opts: {qos} or a number. */
  subscribe(topics: any, opts?: any): void {
    const m = this;
    const c = m.client;
    if (!c) return;
    let t = topics;
    if (typeof topics === 'object' && !Array.isArray(topics)) {
      t = {};
      for (const k in topics) t[k] = { qos: topics[k] };
    }
    // one event per filter, as the module sends a SUBSCRIBE per filter: subscribed_fail
    // for one the server refused (granted 0x80), one subscribed_fail when the call failed
    c.subscribe(t, qosOptions(opts), (error: Error | null, granted?: { qos: number }[]) => {
      if (error) m.emit('subscribed_fail');
      else for (const g of granted as { qos: number }[]) m.emit(g.qos >= 0x80 ? 'subscribed_fail' : 'subscribed');
    });
  }

  unsubscribe(topic: string | string[]): void {
    const m = this;
    const c = m.client;
    if (c) {
      c.unsubscribe(topic, (error: Error | null) => {
        if (!error) m.emit('unsubscribed');
      });
    }
  }

  /** Sends DISCONNECT and closes; no reconnect follows until connect(). */
  disconnect(): void {
    const c = this.client;
    if (c) c.end();
  }
}

/** Espruino MQTT's create(server, options): an unconnected client; call connect(). */
export function create(server: string, options?: CompatOptions): MQTT {
  return new MQTT(server, options);
}

/** The module's publish / subscribe options: {qos, retain}, or the QoS as a number. */
function qosOptions(opts: any): { qos?: number; retain?: boolean } {
  return typeof opts === 'number' ? { qos: opts } : opts || {};
}
