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

/** Espruino's MQTT module object. Events through Espruino's built-in on/emit. */
export class MQTT {
  server: string;
  port: number;
  client_id: string;
  connected: boolean;
  /** the firmqtt client behind this object, once connect() was called */
  client: CompactClient | null;
  declare emit: (event: string, a?: unknown, b?: unknown) => void;
  private readonly opts: CompatOptions;

  constructor(server: string, options?: CompatOptions) {
    const o = options || {};
    this.server = server;
    this.port = o.port || 1883;
    this.client_id = o.client_id || o.clientId || 'fq' + Math.random().toString(16).slice(2, 10);
    this.connected = false;
    this.client = null;
    this.opts = o;
  }

  /** Connects (again); `socket` is an already connected stream to use instead of dialling. */
  connect(socket?: any): void {
    const old = this.client;
    if (old && !socket) {
      old.reconnect();
      return;
    }
    if (old) old.end(true);
    const o = this.opts;
    // undefined where neither name is given: the client's default (keepalive 60, clean, 3.1.1)
    const co: CompactOptions = Object.assign({}, o, {
      host: this.server,
      port: this.port,
      clientId: this.client_id,
      keepalive: pick(o.keep_alive, o.keepalive),
      clean: pick(o.clean_session, o.clean),
      protocolVersion: pick(o.protocol_level, o.protocolVersion),
      // the module never reconnects by itself: sketches call connect() on 'disconnected'
      reconnectPeriod: pick(o.reconnectPeriod, 0),
    });
    const c = new CompactClient({
      transport: socket ? serialTransport(socket) : transportFor(co),
      clock: new EspruinoClock(),
    }, co);
    this.client = c;
    c.on('connect', () => {
      this.connected = true;
      this.emit('connected');
      this.emit('connect');
    });
    c.on('message', (topic: string, payload: Uint8Array, p: InPacket) => {
      const message = espE().toString(payload);
      this.emit('publish', { topic, message, dup: p.dup ? 1 : 0, qos: p.qos, retain: p.retain ? 1 : 0 });
      this.emit('message', topic, message);
    });
    c.on('close', () => {
      this.connected = false;
      this.emit('disconnected');
      this.emit('close');
    });
    // the module reports strings
    c.on('error', (e: Error) => {
      this.emit('error', e.message);
    });
  }

  /** opts: {qos, retain} (a number is taken as the QoS). message: a binary string or bytes. */
  publish(topic: string, message: any, opts?: any): void {
    const c = this.client;
    if (!c) return;
    const o = typeof opts === 'number' ? { qos: opts } : opts || {};
    const qos = o.qos || 0;
    // like the module, anything but bytes goes out as a binary string (one char a byte)
    c.publish(topic, message instanceof Uint8Array ? message : espE().toUint8Array(String(message)),
      { qos, retain: !!o.retain }, (error: Error | null, ack?: { messageId: number }) => {
        if (!error && qos) this.emit(qos === 1 ? 'puback' : 'pubcomp', (ack as { messageId: number }).messageId);
      });
  }

  /** topics: a filter, a list, or {filter: qos}; opts: {qos} or a number. */
  subscribe(topics: any, opts?: any): void {
    const c = this.client;
    if (!c) return;
    const qos = typeof opts === 'number' ? opts : opts && opts.qos || 0;
    let t = topics;
    if (typeof topics === 'object' && !Array.isArray(topics)) {
      t = {};
      for (const k in topics) t[k] = { qos: topics[k] };
    }
    // subscribed_fail when the call failed or the server refused a filter (granted 0x80)
    c.subscribe(t, { qos }, (error: Error | null, granted?: { qos: number }[]) => {
      this.emit(error || (granted as { qos: number }[]).some((g) => g.qos >= 0x80) ? 'subscribed_fail' : 'subscribed');
    });
  }

  unsubscribe(topic: string | string[]): void {
    const c = this.client;
    if (c) {
      c.unsubscribe(topic, (error: Error | null) => {
        if (!error) this.emit('unsubscribed');
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

function pick<T>(v: T | undefined, d: T | undefined): T | undefined {
  return v === undefined ? d : v;
}
