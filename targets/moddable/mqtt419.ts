// The ECMA-419 2nd edition "MQTT client" class pattern (`embedded:network/mqtt/client`)
// on the firmqtt client, so it also gets QoS 2, resend after a reconnect, the PINGRESP
// timeout and a Last Will:
//
//   const mqtt = new MQTTClient({
//     host: '192.168.1.10', port: 1883, id: 'board1', keepAlive: 60_000,
//     will: { topic: 'status/board1', message: ArrayBuffer.fromString('gone'), QoS: 1, retain: true },
//     onControl(opcode, message) { if (opcode === MQTTClient.CONNACK) this.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'cmd/#', QoS: 1 }] }); },
//     onReadable(count, options) { const payload = this.read(count); ... options.topic, options.QoS },
//     onError() { ... },
//   });
//   mqtt.write(ArrayBuffer.fromString('21.5'), { topic: 'temp', QoS: 1 });
//
// Differences from Moddable's implementation: a message is read whole (onReadable comes
// once per message with more: false); write() queues rather than throwing "overflow": it
// returns what is left of a budget of 4096 bytes per turn, and onWritable comes again
// (from a timer) after each turn of writes, with the budget renewed; packet ids are the
// session's own (onControl reports them; an `id` given to write() is not used); the
// session sends PINGREQ itself (write() of PINGREQ does nothing) and PINGRESP, PUBREC and
// PUBREL stay inside it.
// Options beyond ECMA-419: reconnectPeriod (ms, default 0: the connection is not
// re-established and onError ends the object), store, and any firmqtt client option.
import { MqttClient } from '../../src/client/client';
import type { ClientOptions, SubscriptionGrant } from '../../src/client/client';
import type { Packet, QoS, ReceivedPublish } from '../../src/codec/packets';
import { TimerClock } from './clock';
import { transportFor } from './connect';
import type { ModdableClientOptions } from './connect';

export interface MQTT419Options {
  host?: string;
  address?: string;
  port?: number;
  id?: string;
  user?: string;
  password?: string | ArrayBuffer;
  /** ms; default 0 (off) */
  keepAlive?: number;
  clean?: boolean;
  will?: { topic: string; message: string | ArrayBuffer | Uint8Array; QoS?: number; retain?: boolean };
  onReadable?: (this: MQTTClient, count: number, options: ReadableInfo) => void;
  onWritable?: (this: MQTTClient, count: number) => void;
  onControl?: (this: MQTTClient, opcode: number, message: any) => void;
  onError?: (this: MQTTClient, error?: Error) => void;
  /** ECMA-419 socket constructor and options: { io, ...options } */
  socket?: any;
  /** firmqtt: ms before reconnecting after a lost connection; 0 = never (default) */
  reconnectPeriod?: number;
  /** firmqtt: any other client option (store, maxInflight, ...) */
  firmqtt?: ClientOptions;
}

export interface ReadableInfo {
  topic: string;
  QoS: number;
  byteLength: number;
  more: boolean;
  retain: boolean;
  duplicate: boolean;
}

export interface WriteOptions {
  operation?: number;
  id?: number;
  topic?: string;
  QoS?: number;
  retain?: boolean;
  duplicate?: boolean;
  /** PUBLISH in fragments: the whole payload's length (write() the rest without options) */
  byteLength?: number;
  items?: { topic: string; QoS?: number }[];
}

/** The budget of a turn: bytes the application may write before the next onWritable. */
const WRITABLE = 4096;

function bytesOf(v: string | ArrayBuffer | Uint8Array | null | undefined): Uint8Array | string {
  if (v === null || v === undefined) return new Uint8Array(0);
  if (typeof v === 'string') return v;
  return v instanceof Uint8Array ? v : new Uint8Array(v);
}

export class MQTTClient {
  static readonly CONNECT = 1;
  static readonly CONNACK = 2;
  static readonly PUBLISH = 3;
  static readonly PUBACK = 4;
  static readonly PUBREC = 5;
  static readonly PUBREL = 6;
  static readonly PUBCOMP = 7;
  static readonly SUBSCRIBE = 8;
  static readonly SUBACK = 9;
  static readonly UNSUBSCRIBE = 10;
  static readonly UNSUBACK = 11;
  static readonly PINGREQ = 12;
  static readonly PINGRESP = 13;
  static readonly DISCONNECT = 14;

  /** the firmqtt client underneath */
  readonly client: MqttClient;
  private readonly o: MQTT419Options;
  /** messages received and not yet read whole */
  private inbox: ReceivedPublish[];
  private readPos: number;
  /** a PUBLISH being written in fragments */
  private fragment: { topic: string; QoS: number; retain: boolean; buf: Uint8Array; filled: number } | null;
  private closed: boolean;
  /** what is left of this turn's write budget (WRITABLE) */
  private budget: number;
  /** renews the budget and calls onWritable after a turn of writes */
  private turns: TimerClock;
  /** inside onReadable: a read() there lets announce() go on rather than scheduling it */
  private announcing: boolean;

  constructor(options: MQTT419Options) {
    this.o = options;
    this.inbox = [];
    this.readPos = 0;
    this.fragment = null;
    this.closed = false;
    this.budget = WRITABLE;
    this.turns = new TimerClock();
    this.announcing = false;
    const w = options.will;
    const co: ModdableClientOptions = Object.assign({}, options.firmqtt, {
      address: options.address !== undefined ? options.address : options.host,
      port: options.port,
      clientId: options.id === undefined ? '' : options.id,
      username: options.user,
      password: options.password === undefined ? undefined : bytesOf(options.password),
      // rounded up: a keepAlive under 500 ms must not turn keep-alive off
      keepalive: Math.ceil((options.keepAlive === undefined ? 0 : options.keepAlive) / 1000),
      clean: options.clean !== false,
      will: w === undefined ? undefined : { topic: w.topic, payload: bytesOf(w.message), qos: (w.QoS === undefined ? 0 : w.QoS) as QoS, retain: !!w.retain },
      reconnectPeriod: options.reconnectPeriod === undefined ? 0 : options.reconnectPeriod,
      io: options.socket !== undefined ? options.socket.io : undefined,
      socket: options.socket,
    });
    const client = new MqttClient({ transport: transportFor(co), clock: new TimerClock() }, co);
    this.client = client;
    client.on('connect', (connack) => {
      this.control(MQTTClient.CONNACK, { returnCode: connack.reasonCode, sessionPresent: connack.sessionPresent });
      this.writable();
    });
    client.on('message', (_topic, _payload, packet) => {
      this.inbox.push(packet);
      if (this.inbox.length === 1) this.announce();
    });
    client.on('disconnect', (packet) => this.control(MQTTClient.DISCONNECT, { reasonCode: packet.reasonCode }));
    client.on('close', () => {
      if (!client.reconnecting && !client.disconnecting && !client.disconnected) this.fail(undefined);
    });
    client.on('error', (e) => {
      // errors the client recovers from (it reconnects) are reported through onControl-free onError only when it gives up
      if (this.o.reconnectPeriod === undefined || this.o.reconnectPeriod === 0) this.fail(e);
    });
  }

  private fail(e: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.turns.clearTimer();
    this.client.end(true);
    const onError = this.o.onError;
    if (onError !== undefined) onError.call(this, e);
  }

  /** onControl(opcode, message), the message with its `operation` (ECMA-419 §25). */
  private control(opcode: number, message: any): void {
    const onControl = this.o.onControl;
    message.operation = opcode;
    if (onControl !== undefined && !this.closed) onControl.call(this, opcode, message);
  }

  /** A new turn: the budget renewed, onWritable told. */
  private writable(): void {
    this.budget = WRITABLE;
    const onWritable = this.o.onWritable;
    if (onWritable !== undefined && !this.closed) onWritable.call(this, WRITABLE);
  }

  /** Takes n bytes of this turn's budget and asks for the next turn; returns what is left. */
  private spend(n: number): number {
    this.budget = this.budget > n ? this.budget - n : 0;
    this.turns.setTimer(0, () => this.writable());
    return this.budget;
  }

  /** Offers the message at the head of the inbox to onReadable. */
  private announce(): void {
    const onReadable = this.o.onReadable;
    while (this.inbox.length > 0 && !this.closed) {
      const p = this.inbox[0];
      if (onReadable === undefined) {
        this.inbox.shift();
        continue;
      }
      const n = p.payload.length;
      this.announcing = true;
      try {
        onReadable.call(this, n - this.readPos, {
          topic: p.topic, QoS: p.qos, byteLength: n, more: false, retain: p.retain, duplicate: p.dup,
        });
      } finally {
        this.announcing = false;
      }
      // not read (or not whole): wait for read() to finish it
      if (this.inbox.length > 0 && this.inbox[0] === p) return;
    }
  }

  /**
   * Reads the current message's payload: up to `count` bytes as an ArrayBuffer, or, given
   * a buffer (an ArrayBuffer or a view), as many bytes as fit into it, returning how many
   * (the IO class pattern). undefined when no message is waiting.
   */
  read(count?: number | ArrayBuffer | ArrayBufferView): ArrayBuffer | number | undefined {
    if (this.inbox.length === 0) return undefined;
    const p = this.inbox[0].payload;
    const start = this.readPos;
    const into = typeof count === 'object' && count !== null
      ? (ArrayBuffer.isView(count) ? new Uint8Array(count.buffer, count.byteOffset, count.byteLength) : new Uint8Array(count))
      : null;
    const want = into !== null ? into.length : (count as number | undefined);
    const end = want === undefined || start + want > p.length ? p.length : start + want;
    let out: ArrayBuffer | number;
    if (into !== null) {
      into.set(p.subarray(start, end));
      out = end - start;
    } else out = p.slice(start, end).buffer;
    this.readPos = end;
    if (end === p.length) {
      this.inbox.shift();
      this.readPos = 0;
      // inside onReadable, announce() goes on by itself; offered twice otherwise
      if (this.inbox.length > 0 && !this.announcing) {
        const t = this;
        Promise.resolve().then(() => t.announce());
      }
    }
    return out;
  }

  /** Sends an operation (default PUBLISH); returns the bytes the application may still write. */
  write(data: ArrayBuffer | Uint8Array | string | null, options?: WriteOptions): number {
    if (this.closed) throw new Error('closed');
    const c = this.client;
    const frag = this.fragment;
    if (frag !== null) {
      if (options !== undefined) throw new Error('publishing');
      const b = bytesOf(data);
      const bytes = typeof b === 'string' ? new Uint8Array(0) : b;
      if (frag.filled + bytes.length > frag.buf.length) throw new Error('invalid');
      frag.buf.set(bytes, frag.filled);
      frag.filled += bytes.length;
      if (frag.filled === frag.buf.length) {
        this.fragment = null;
        this.publish(frag.topic, frag.buf, frag.QoS, frag.retain);
      }
      return this.spend(bytes.length);
    }
    const o = options === undefined ? {} : options;
    const op = o.operation === undefined ? MQTTClient.PUBLISH : o.operation;
    switch (op) {
      case MQTTClient.PUBLISH: {
        // what the session would refuse later is refused here, thrown as ECMA-419 asks
        if (typeof o.topic !== 'string' || o.topic === '' || /[+#]/.test(o.topic)) throw new Error('invalid topic');
        const payload = bytesOf(data);
        const qos = qosOf(o.QoS);
        if (o.byteLength !== undefined && o.byteLength < payload.length) throw new Error('invalid');
        if (o.byteLength !== undefined && typeof payload !== 'string' && o.byteLength > payload.length) {
          const buf = new Uint8Array(o.byteLength);
          buf.set(payload, 0);
          this.fragment = { topic: o.topic, QoS: qos, retain: !!o.retain, buf, filled: payload.length };
        } else {
          this.publish(o.topic, payload, qos, !!o.retain);
        }
        break;
      }
      case MQTTClient.SUBSCRIBE: {
        const items = itemsOf(o);
        const subs: { [topic: string]: { qos: QoS } } = {};
        for (let i = 0; i < items.length; i++) subs[items[i].topic] = { qos: qosOf(items[i].QoS) as QoS };
        c.subscribe(subs, (error: Error | null, granted?: SubscriptionGrant[], packet?: Packet) => {
          if (error !== null && granted === undefined) return;
          const g: number[] = [];
          if (granted !== undefined) for (let i = 0; i < granted.length; i++) g.push(granted[i].qos);
          this.control(MQTTClient.SUBACK, { id: packet === undefined ? 0 : (packet as { messageId: number }).messageId, payload: g });
        });
        break;
      }
      case MQTTClient.UNSUBSCRIBE: {
        const items = itemsOf(o);
        const topics: string[] = [];
        for (let i = 0; i < items.length; i++) topics.push(items[i].topic);
        c.unsubscribe(topics, (error: Error | null, packet?: Packet) => {
          if (error === null) this.control(MQTTClient.UNSUBACK, { id: packet === undefined ? 0 : (packet as { messageId: number }).messageId });
        });
        break;
      }
      case MQTTClient.DISCONNECT:
        this.closed = true;
        c.end();
        break;
      case MQTTClient.PINGREQ:
        // the session pings on its own when the link is idle
        break;
      default:
        throw new Error('unknown operation');
    }
    return this.spend(data === null ? 0 : typeof data === 'string' ? data.length : data.byteLength);
  }

  private publish(topic: string, payload: Uint8Array | string, qos: number, retain: boolean): void {
    this.client.publish(topic, payload, { qos: qos as QoS, retain }, (error: Error | null, packet?: Packet) => {
      if (error !== null || qos === 0 || packet === undefined) return;
      this.control(qos === 1 ? MQTTClient.PUBACK : MQTTClient.PUBCOMP, { id: (packet as { messageId: number }).messageId });
    });
  }

  /** Closes at once (no DISCONNECT: write(null, {operation: DISCONNECT}) sends one). */
  close(): void {
    this.closed = true;
    this.turns.clearTimer();
    this.client.end(true);
  }
}

/** A QoS write() accepts; ECMA-419: an unimplemented one must throw. */
function qosOf(q: number | undefined): number {
  const qos = q === undefined ? 0 : q;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new Error('invalid QoS');
  return qos;
}

/** SUBSCRIBE / UNSUBSCRIBE items: at least one, each with a topic filter. */
function itemsOf(o: WriteOptions): { topic: string; QoS?: number }[] {
  const items = o.items;
  if (items === undefined || items.length === 0) throw new Error('items required');
  for (let i = 0; i < items.length; i++) if (typeof items[i].topic !== 'string' || items[i].topic === '') throw new Error('invalid topic');
  return items;
}
