// The compact client: session and client in one small class, for the Espruino bundles,
// where every byte of code is RAM (16,000 B full, 6,000 B lite). It keeps the firmqtt
// promises of the main client (src/client, src/session): QoS 1/2 resent after every
// reconnect in the original order until acknowledged, QoS 2 delivered once, keep-alive
// that notices a dead link, Last Will, the offline queue, resubscribe, the server's MQTT 5
// limits, and a Store so unacknowledged messages survive a reset. What it leaves to the
// main client: topic aliases outbound, enhanced authentication, manual acks, byte-exact
// queue bounds. README "Design notes" says why there are two.
//
// Sans-I/O as the main client: bytes come and go through a Transport, time through a
// Clock with one timer, so tests drive it with a fake clock and a scripted server.
// Events are emitted with emit(): Espruino objects have on/emit built in; elsewhere
// withEvents(CompactClient.prototype) (./emitter) adds them.
//
// One closure per client rather than a class: the state lives in local variables, which
// minify to one letter, where a class pays `this.` and a property name at every use
// (283 times: 1.4 kB of the 6 kB lite budget). `new CompactClient(...)` still works: the
// function returns an object whose prototype is CompactClient.prototype.
import {
  decode, encAck, encConnect, encDisconnect, encPingreq, encPublish, encSubscribe, encUnsubscribe, frameLength, utf8,
} from './codec';
import type { InPacket, Props, Sub } from './codec';
import {
  mqttError, KEEP_ALIVE_TIMEOUT, UNSPECIFIED_ERROR, PACKET_IDENTIFIER_NOT_FOUND, PACKET_TOO_LARGE, PROTOCOL_ERROR, QOS_NOT_SUPPORTED, QUOTA_EXCEEDED, RETAIN_NOT_SUPPORTED, TOPIC_ALIAS_INVALID, TOPIC_FILTER_INVALID, TOPIC_NAME_INVALID, UNSUPPORTED_PROTOCOL_VERSION,
} from '../codec/errors';

import type { Clock } from '../client/clock';
import type { Transport, TransportFactory } from '../client/transport';
import type { Store } from '../store/store';

export type Payload = string | Uint8Array;
export type Callback = (error: Error | null, result?: any) => void;

export interface CompactOptions {
  /** 4 (MQTT 3.1.1, default) or 5; the lite bundle has 4 only */
  protocolVersion?: number;
  /** default 'fq' + 8 random hex digits */
  clientId?: string;
  username?: string;
  password?: Payload;
  /** seconds, default 60; 0 = off */
  keepalive?: number;
  /** default true */
  clean?: boolean;
  will?: { topic: string; payload: Payload; qos?: number; retain?: boolean; properties?: Props };
  /** MQTT 5 CONNECT properties */
  properties?: Props;
  /** ms before the first reconnect attempt, doubling up to reconnectBackoffMax; 0 = never reconnect. Default 1000 */
  reconnectPeriod?: number;
  /** ms, default 30000 */
  reconnectBackoffMax?: number;
  /** ms from dialling to CONNACK, default 30000 */
  connectTimeout?: number;
  /** ms to wait for PINGRESP, default keepalive / 2 (at most 10 s) */
  pingTimeout?: number;
  /** QoS 1/2 messages in flight at once (MQTT 5: at most the server's Receive Maximum); default 20 */
  maxInflight?: number;
  /** messages waiting beyond the window or offline; publish fails past it. Default 100 */
  maxQueued?: number;
  /** resubscribe when the server has no session for us; default true */
  resubscribe?: boolean;
  /** where unacknowledged QoS 1/2 messages and QoS 2 receptions are kept */
  store?: Store;
  /** the store's key prefix, default 'fq' (Espruino Storage names: at most 28 characters) */
  storePrefix?: string;
}

export interface PublishOptions {
  qos?: number;
  retain?: boolean;
  properties?: Props;
}

export interface SubscribeOptions {
  qos?: number;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
  properties?: Props;
}

/** The events, as MQTT.js names them. The packets are the codec's (src/compact/codec.ts). */
export type CompactEvents = {
  connect: (connack: InPacket) => void;
  message: (topic: string, payload: Uint8Array, packet: InPacket) => void;
  /** a reconnect attempt starts */
  reconnect: () => void;
  /** the connection was lost; reconnecting follows */
  offline: () => void;
  close: () => void;
  /** MQTT 5: the server's DISCONNECT */
  disconnect: (packet: InPacket) => void;
  error: (error: Error) => void;
  /** end() finished */
  end: () => void;
};

export interface Platform {
  transport: TransportFactory;
  clock: Clock;
}

/** A client: what CompactClient makes. */
export interface CompactClient {
  /** CONNACK received on the current connection */
  connected: boolean;
  /** end() was called */
  disconnecting: boolean;
  readonly options: CompactOptions;
  /** QoS 1/2 messages sent and not yet acknowledged */
  readonly inflightCount: number;
  /** Publishes; cb(error, ack) when QoS 0 is written, QoS 1 acknowledged, QoS 2 completed. */
  publish(topic: string, message: Payload, opts?: PublishOptions | Callback, cb?: Callback): CompactClient;
  /** Subscribes to a filter, a list, or {filter: {qos, ...}}; cb(error, granted [{topic, qos}]). */
  subscribe(topics: string | string[] | { [topic: string]: SubscribeOptions }, opts?: SubscribeOptions | Callback, cb?: Callback): CompactClient;
  /** Unsubscribes from a filter or a list; cb(error, unsuback). */
  unsubscribe(topics: string | string[], opts?: { properties?: Props } | Callback, cb?: Callback): CompactClient;
  /**
   * Sends DISCONNECT and closes (force: closes at once, no DISCONNECT, so the Will goes
   * out). Unacknowledged QoS 1/2 messages stay in the store for the next client.
   */
  end(force?: boolean | (() => void), cb?: () => void): CompactClient;
  /** Reconnects now (after end() too: it starts again). */
  reconnect(): CompactClient;
  /** Espruino's built-in object events (+ addOnce), or withEvents() */
  on<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  once<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  off<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  removeListener<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  emit(event: string, a?: unknown, b?: unknown, c?: unknown): boolean;
}

/** A packet waiting for its acknowledgement (or, QoS 0, for a connection). */
interface Entry {
  /** packet identifier; 0 for QoS 0 */
  id: number;
  /** what is (re)sent: PUBLISH, PUBREL (QoS 2 after PUBREC), SUBSCRIBE or UNSUBSCRIBE */
  bytes: Uint8Array;
  cb: Callback | undefined;
  /** PUBLISH QoS */
  qos: number;
  /** sent on the current connection */
  sent: boolean;
  /** store key, '' when not stored */
  key: string;
  /** SUBSCRIBE: the filters, for the grants and resubscribe */
  subs: Sub[] | undefined;
}

const PUBLISH = 3;
const PUBREL = 6;
const SUBSCRIBE = 8;
const UNLIMITED = 268435460;

function bytesOf(p: Payload | undefined): Uint8Array {
  return p === undefined ? new Uint8Array(0) : typeof p === 'string' ? utf8(p) : p;
}

function pick<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** A topic a PUBLISH (filter false) or SUBSCRIBE may carry: not empty; a name has no wildcards. */
function badTopic(topic: unknown, filter: boolean): boolean {
  return typeof topic !== 'string' || topic === '' || (!filter && /[+#]/.test(topic));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

function create(platform: Platform, options?: CompactOptions): CompactClient {
  // a copy: the client id it gets (or the server assigns) is not written into the caller's object
  const o: CompactOptions = Object.assign({}, options);
  const v = pick(o.protocolVersion, 4);
  // MQTT 5 branches test the flag written out (src/flags.d.ts): esbuild folds it there and
  // the lite build drops the branch; a variable holding it would stay. Properties are
  // passed on unguarded: the codec writes them for MQTT 5 only.
  const V5 = v === 5;
  if (v !== 4 && (!V5 || (typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE))) throw mqttError(UNSUPPORTED_PROTOCOL_VERSION, 'protocolVersion ' + v + ' unsupported');
  const clock = platform.clock;
  const store = o.store;
  const prefix = pick(o.storePrefix, 'fq') + '/';
  const self = Object.create(CompactClient.prototype) as CompactClient;
  let transport: Transport | null = null;
  /** the packet being received: its bytes so far (rxLen -1: a fixed header in pieces) */
  let rx: Uint8Array | null = null;
  let rxLen = 0;
  /** unacknowledged and waiting packets, in the order the application gave them */
  let out: Entry[] = [];
  /** QoS 2 packet ids received and not yet released (PUBREL) */
  const inbound: { [id: number]: number } = {};
  /** filters granted, to restore when the server has no session */
  const subs: { [topic: string]: Sub } = {};
  let lastId = 0;
  let seq = 0;
  /** MQTT 5 server limits (CONNACK) */
  let receiveMax = 65535;
  let maxPacket = UNLIMITED;
  let maxQos = 2;
  let retainOk = true;
  /** MQTT 5: topic aliases the server set (topic name by alias) */
  let aliases: { [alias: number]: string } = {};
  let keepaliveMs = 0;
  let lastSent = 0;
  /** when a connection must have its CONNACK, or a PINGRESP must have come; -1 none */
  let deadline = -1;
  /** when the next reconnect attempt starts; -1 none */
  let retryAt = -1;
  let attempts = 0;
  /** callbacks waiting for the next timer (never called from inside the call that caused them) */
  let due: (() => void)[] = [];
  let endCb: (() => void) | undefined;
  /** the current connection failed (protocol error): what it still delivers is ignored */
  let failed = false;

  const now = () => clock.now();
  const emit = (event: string, a?: unknown, b?: unknown, c?: unknown) => self.emit(event, a, b, c);

  function keep(key: string, bytes: Uint8Array): void {
    if (store !== undefined) store.set(key, bytes);
  }

  function unstore(key: string): void {
    if (store !== undefined) store.delete(key);
  }

  function later(cb: Callback | (() => void) | undefined, a: Error | null, b?: unknown): void {
    if (cb === undefined) return;
    due.push(() => (cb as Callback)(a, b));
    arm();
  }

  function inflight(): number {
    let n = 0;
    for (let i = 0; i < out.length; i++) if (out[i].sent && out[i].qos > 0) n++;
    return n;
  }

  // ---- sending ------------------------------------------------------------------------

  function write(bytes: Uint8Array): void {
    const t = transport;
    if (t === null) return;
    lastSent = now();
    t.write(bytes);
    t.flush();
  }

  function nextId(): number {
    // sequential from 1, skipping ids in use, wrapping at 65535 (DESIGN.md)
    for (;;) {
      const id = lastId = lastId === 65535 ? 1 : lastId + 1;
      let used = false;
      for (let i = 0; i < out.length && !used; i++) used = out[i].id === id;
      if (!used) return id;
    }
  }

  function enqueue(id: number, bytes: Uint8Array, cb: Callback | undefined, qos: number, filters: Sub[] | undefined): void {
    let key = '';
    if (qos > 0 && store !== undefined) {
      key = prefix + 'o' + (seq++).toString(36);
      keep(key, bytes);
    }
    out.push({ id, bytes, cb, qos, sent: false, key, subs: filters });
    pump();
  }

  /** Sends what the connection and the in-flight window allow, in order. */
  function pump(): void {
    if (!self.connected) return;
    const window = Math.min(pick(o.maxInflight, 20), receiveMax);
    let n = inflight();
    for (let i = 0; i < out.length; i++) {
      const e = out[i];
      if (e.sent) continue;
      const b = e.bytes;
      const type = b[0] >> 4;
      if (e.qos > 0) {
        // a QoS 2 message at PUBREL holds its slot until PUBCOMP
        if (type === PUBLISH && n >= window) break;
        n++;
      }
      e.sent = true;
      write(b);
      if (type === PUBLISH && e.qos === 0) {
        out.splice(i--, 1);
        later(e.cb, null);
      }
    }
    (self as { inflightCount: number }).inflightCount = n;
  }

  // ---- connection ---------------------------------------------------------------------

  function dial(): void {
    const t = platform.transport();
    transport = t;
    rx = null;
    failed = false;
    deadline = now() + pick(o.connectTimeout, 30000);
    t.open({
      onOpen: () => {
        if (transport === t) opened();
      },
      onData: (bytes) => {
        if (transport === t && !failed) received(bytes);
      },
      onDrain: () => undefined,
      onClose: (error) => {
        if (transport === t) closed(error);
      },
    });
    arm();
  }

  function opened(): void {
    const w = o.will;
    write(encConnect(v, {
      clientId: o.clientId as string,
      keepalive: pick(o.keepalive, 60),
      clean: o.clean !== false,
      username: o.username,
      password: o.password === undefined ? undefined : bytesOf(o.password),
      will: w === undefined ? undefined : { topic: w.topic, payload: bytesOf(w.payload), qos: pick(w.qos, 0), retain: !!w.retain, properties: w.properties },
      properties: o.properties,
    }));
  }

  function closed(error: Error | null): void {
    const was = self.connected;
    transport = null;
    self.connected = false;
    deadline = -1;
    for (let i = 0; i < out.length; i++) {
      // what was sent goes again with DUP; marked now that no transport holds the bytes
      if (out[i].sent && out[i].bytes[0] >> 4 === PUBLISH) out[i].bytes[0] |= 8;
      out[i].sent = false;
    }
    (self as { inflightCount: number }).inflightCount = 0;
    if (error !== null) emit('error', error);
    emit('close');
    if (self.disconnecting) return ended();
    const period = pick(o.reconnectPeriod, 1000);
    if (period > 0) {
      if (was) emit('offline');
      let delay = period;
      for (let i = 0; i < attempts && delay < pick(o.reconnectBackoffMax, 30000); i++) delay *= 2;
      attempts++;
      // jitter: devices that lost the same broker do not all come back in the same ms
      retryAt = now() + Math.round(delay * (1 - Math.random() / 4));
    }
    arm();
  }

  function ended(): void {
    retryAt = -1;
    deadline = -1;
    arm();
    const cb = endCb;
    endCb = undefined;
    emit('end');
    later(cb, null);
  }

  /** Protocol failure: MQTT 5 tells the server why, then the connection is closed. */
  function fail(error: Error & { code?: number }): void {
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && V5 && self.connected) write(encDisconnect(v, error.code));
    failed = true;
    emit('error', error);
    if (transport !== null) transport.close();
  }

  // ---- receiving ----------------------------------------------------------------------

  function received(chunk: Uint8Array): void {
    let bytes = chunk;
    if (rx !== null && rxLen < 0) {
      // the last chunk ended inside a fixed header (at most 4 bytes kept)
      bytes = concat(rx, chunk);
      rx = null;
    }
    let pos = 0;
    const end = bytes.length;
    try {
      while (pos < end) {
        const r = rx;
        if (r !== null) {
          // a packet whose length the header gave: filled chunk by chunk, one allocation
          const n = Math.min(r.length - rxLen, end - pos);
          r.set(bytes.subarray(pos, pos + n), rxLen);
          rxLen += n;
          pos += n;
          if (rxLen < r.length) return;
          rx = null;
          packet(decode(v, r));
          continue;
        }
        const size = frameLength(bytes, pos, end);
        if (size < 0) {
          rx = bytes.slice(pos, end);
          rxLen = -1;
          return;
        }
        // refused from the header, before a byte of it is buffered
        if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && V5 && o.properties !== undefined && size > pick(o.properties.maximumPacketSize, size)) throw mqttError(PACKET_TOO_LARGE, 'packet too large');
        if (end - pos < size) {
          rx = new Uint8Array(size);
          rxLen = 0;
          continue;
        }
        packet(decode(v, bytes.subarray(pos, pos + size)));
        pos += size;
      }
    } catch (e) {
      rx = null;
      fail(e as Error);
    }
  }

  function packet(p: InPacket): void {
    const id = p.messageId as number;
    if (!self.connected && p.cmd !== 'connack') throw mqttError(PROTOCOL_ERROR, p.cmd + ' before connack');
    switch (p.cmd) {
      case 'connack': return connack(p);
      case 'publish': return message(p);
      case 'pingresp':
        deadline = -1;
        return arm();
      case 'pubrel': {
        const known = inbound[id] !== undefined;
        delete inbound[id];
        unstore(prefix + 'i' + id.toString(36));
        write(encAck(v, 7, id, known ? 0 : PACKET_IDENTIFIER_NOT_FOUND));
        return;
      }
      case 'disconnect':
        // MQTT 5 only (the codec refuses it in 3.1.1): the server says why, then closes
        emit('disconnect', p);
        if (transport !== null) transport.close();
        return;
    }
    acknowledged(p, id);
  }

  function connack(p: InPacket): void {
    if (self.connected) throw mqttError(PROTOCOL_ERROR, 'second connack');
    const code = pick(p.returnCode, pick(p.reasonCode, 0));
    if (code !== 0) throw mqttError(code, 'connection refused: ' + code);
    self.connected = true;
    deadline = -1;
    attempts = 0;
    keepaliveMs = pick(o.keepalive, 60) * 1000;
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && V5) {
      const props = p.properties === undefined ? {} : p.properties;
      aliases = {};
      receiveMax = pick(props.receiveMaximum, 65535);
      maxPacket = pick(props.maximumPacketSize, UNLIMITED);
      maxQos = pick(props.maximumQoS, 2);
      retainOk = !!pick(props.retainAvailable, 1);
      if (props.serverKeepAlive !== undefined) keepaliveMs = props.serverKeepAlive * 1000;
      if (props.assignedClientIdentifier !== undefined) o.clientId = props.assignedClientIdentifier;
    }
    if (!p.sessionPresent) {
      // the server kept no QoS 2 state: ids awaiting PUBREL are free again
      for (const id in inbound) {
        delete inbound[id];
        unstore(prefix + 'i' + (+id).toString(36));
      }
    }
    if (!p.sessionPresent && o.resubscribe !== false) {
      const filters: Sub[] = [];
      for (const t in subs) filters.push(subs[t]);
      if (filters.length > 0) {
        const id = nextId();
        // first in the queue: messages queued offline may be for these subscriptions
        out.unshift({ id, bytes: encSubscribe(v, id, filters), cb: undefined, qos: 0, sent: false, key: '', subs: filters });
      }
    }
    pump();
    arm();
    emit('connect', p);
  }

  function message(p: InPacket): void {
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && V5) {
      const alias = p.properties !== undefined ? p.properties.topicAlias : undefined;
      if (alias !== undefined) {
        if (!(alias > 0 && alias <= pick(o.properties && o.properties.topicAliasMaximum, 0))) throw mqttError(TOPIC_ALIAS_INVALID, 'topic alias ' + alias);
        if (p.topic === '') p.topic = aliases[alias];
        else aliases[alias] = p.topic as string;
        if (p.topic === undefined) throw mqttError(PROTOCOL_ERROR, 'unknown topic alias');
      }
    }
    if (p.topic === '') throw mqttError(PROTOCOL_ERROR, 'empty topic');
    const id = p.messageId as number;
    if (p.qos === 2) {
      // acknowledged before the application sees it (DESIGN.md); once only until PUBREL
      const again = inbound[id] !== undefined;
      if (!again) {
        inbound[id] = 1;
        keep(prefix + 'i' + id.toString(36), new Uint8Array(0));
      }
      write(encAck(v, 5, id));
      if (again) return;
    } else if (p.qos === 1) write(encAck(v, 4, id));
    emit('message', p.topic, p.payload, p);
  }

  /** PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: the entry they answer. */
  function acknowledged(p: InPacket, id: number): void {
    let i = 0;
    while (i < out.length && !(out[i].id === id && out[i].sent)) i++;
    const e = out[i];
    const type = e === undefined ? 0 : e.bytes[0] >> 4;
    const cmd = p.cmd;
    const expected = cmd === 'puback' ? type === PUBLISH && e.qos === 1
      : cmd === 'pubrec' ? type === PUBLISH && e.qos === 2
        : cmd === 'pubcomp' ? type === PUBREL
          : cmd === 'suback' ? type === SUBSCRIBE : type === SUBSCRIBE + 2;
    if (!expected) {
      // MQTT 5 4.3.3: a PUBREC for an unknown id gets PUBREL 0x92, so the server can finish
      if (cmd === 'pubrec') write(encAck(v, PUBREL, id, PACKET_IDENTIFIER_NOT_FOUND));
      return;
    }
    const code = pick(p.reasonCode, 0);
    if (cmd === 'pubrec' && code < 0x80) {
      e.bytes = encAck(v, PUBREL, id);
      if (e.key !== '') keep(e.key, e.bytes);
      write(e.bytes);
      return;
    }
    out.splice(i, 1);
    if (e.key !== '') unstore(e.key);
    let error: Error | null = null;
    let result: unknown = p;
    if (cmd === 'suback') {
      const filters = e.subs as Sub[];
      const granted: { topic: string; qos: number }[] = [];
      for (let j = 0; j < filters.length; j++) {
        const g = p.granted !== undefined && j < p.granted.length ? p.granted[j] : 0x80;
        granted.push({ topic: filters[j].topic, qos: g });
        if (g < 0x80) subs[filters[j].topic] = filters[j];
      }
      result = granted;
    } else if (code >= 0x80 && code !== PACKET_IDENTIFIER_NOT_FOUND) error = mqttError(code, cmd + ' ' + code);
    later(e.cb, error, result);
    pump();
  }

  // ---- store --------------------------------------------------------------------------

  /** Takes back what a previous client left in the store: unacknowledged messages, in order, and QoS 2 receptions. */
  function restore(s: Store): void {
    const keys = s.keys(prefix);
    const found: { n: number; key: string }[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const n = parseInt(k.slice(prefix.length + 1), 36);
      const kind = k.charAt(prefix.length);
      if (kind === 'i') inbound[n] = 1;
      else if (kind === 'o' && n >= 0) found.push({ n, key: k });
    }
    found.sort((a, b) => a.n - b.n);
    for (let i = 0; i < found.length; i++) {
      const bytes = s.get(found[i].key);
      if (bytes === undefined || bytes.length < 4) continue;
      const type = bytes[0] >> 4;
      // the packet id follows the topic in a PUBLISH, and comes first in a PUBREL
      let at = 2;
      while (bytes[at - 1] & 0x80) at++;
      if (type === PUBLISH) {
        at += 2 + (bytes[at] << 8 | bytes[at + 1]);
        bytes[0] |= 8; // perhaps sent before the reset
      }
      const id = bytes[at] << 8 | bytes[at + 1];
      out.push({ id, bytes, cb: undefined, qos: type === PUBLISH ? (bytes[0] >> 1) & 3 : 2, sent: false, key: found[i].key, subs: undefined });
      seq = found[i].n + 1;
      if (id > lastId) lastId = id;
    }
  }

  // ---- time ---------------------------------------------------------------------------

  function tick(): void {
    const t = now();
    const calls = due;
    due = [];
    for (let i = 0; i < calls.length; i++) calls[i]();
    if (deadline >= 0 && t >= deadline) {
      deadline = -1;
      fail(mqttError(KEEP_ALIVE_TIMEOUT, self.connected ? 'keep-alive timeout' : 'connect timeout'));
    } else if (retryAt >= 0 && t >= retryAt) {
      retryAt = -1;
      emit('reconnect');
      return dial();
    } else if (self.connected && keepaliveMs > 0 && deadline < 0 && t - lastSent >= keepaliveMs) {
      write(encPingreq());
      deadline = t + pick(o.pingTimeout, Math.min(keepaliveMs / 2, 10000));
    }
    arm();
  }

  /** Sets the one timer for the earliest thing due. */
  function arm(): void {
    const t = now();
    let at = due.length > 0 ? t : deadline;
    if (retryAt >= 0 && (at < 0 || retryAt < at)) at = retryAt;
    if (self.connected && keepaliveMs > 0 && deadline < 0) {
      const ping = lastSent + keepaliveMs;
      if (at < 0 || ping < at) at = ping;
    }
    if (at < 0) clock.clearTimer();
    else clock.setTimer(at > t ? at - t : 0, tick);
  }

  // ---- the application's calls --------------------------------------------------------

  self.connected = false;
  self.disconnecting = false;
  (self as { options: CompactOptions }).options = o;
  (self as { inflightCount: number }).inflightCount = 0;

  self.publish = function (topic, message, opts, cb) {
    if (typeof opts === 'function') {
      cb = opts;
      opts = undefined;
    }
    const po: PublishOptions = opts === undefined ? {} : opts;
    const qos = pick(po.qos, 0);
    const retain = !!po.retain;
    let error: Error | null = null;
    if (self.disconnecting) error = mqttError(UNSPECIFIED_ERROR, 'client disconnecting');
    else if (badTopic(topic, false)) error = mqttError(TOPIC_NAME_INVALID, 'bad topic');
    else if (!(qos === 0 || qos === 1 || qos === 2) || qos > maxQos) error = mqttError(QOS_NOT_SUPPORTED, 'qos ' + qos + ' not allowed');
    else if (retain && !retainOk) error = mqttError(RETAIN_NOT_SUPPORTED, 'retain not available');
    else if (out.length >= pick(o.maxQueued, 100)) error = mqttError(QUOTA_EXCEEDED, 'queue full');
    if (error === null) {
      const id = qos > 0 ? nextId() : 0;
      const bytes = encPublish(v, topic, bytesOf(message), qos, retain, false, id, po.properties);
      if (bytes.length > maxPacket) error = mqttError(PACKET_TOO_LARGE, 'packet too large');
      else enqueue(id, bytes, cb, qos, undefined);
    }
    if (error !== null) later(cb, error);
    return self;
  };

  self.subscribe = function (topics, opts, cb) {
    if (typeof opts === 'function') {
      cb = opts;
      opts = undefined;
    }
    const so: SubscribeOptions = opts === undefined ? {} : opts;
    const filters: Sub[] = [];
    const add = (topic: string, x: SubscribeOptions) => {
      filters.push({ topic, qos: pick(x.qos, 0), nl: x.nl, rap: x.rap, rh: x.rh });
    };
    if (typeof topics === 'string') add(topics, so);
    else if (Array.isArray(topics)) for (let i = 0; i < topics.length; i++) add(topics[i], so);
    else for (const t in topics) add(t, topics[t]);
    let bad = self.disconnecting || filters.length === 0;
    for (let i = 0; i < filters.length; i++) if (badTopic(filters[i].topic, true) || !(filters[i].qos >= 0 && filters[i].qos <= 2)) bad = true;
    if (bad) later(cb, mqttError(TOPIC_FILTER_INVALID, 'bad subscription'));
    else {
      const id = nextId();
      enqueue(id, encSubscribe(v, id, filters, so.properties), cb, 0, filters);
    }
    return self;
  };

  self.unsubscribe = function (topics, opts, cb) {
    if (typeof opts === 'function') {
      cb = opts;
      opts = undefined;
    }
    const list = typeof topics === 'string' ? [topics] : topics;
    let bad = self.disconnecting || list.length === 0;
    for (let i = 0; i < list.length; i++) if (badTopic(list[i], true)) bad = true;
    if (bad) later(cb, mqttError(TOPIC_FILTER_INVALID, 'bad unsubscribe'));
    else {
      for (let i = 0; i < list.length; i++) delete subs[list[i]];
      const id = nextId();
      enqueue(id, encUnsubscribe(v, id, list, opts === undefined ? undefined : opts.properties), cb, 0, undefined);
    }
    return self;
  };

  self.end = function (force, cb) {
    if (typeof force === 'function') {
      cb = force;
      force = false;
    }
    if (self.disconnecting) {
      later(cb, null);
      return self;
    }
    self.disconnecting = true;
    endCb = cb;
    retryAt = -1;
    if (transport === null) ended();
    else {
      if (self.connected && !force) write(encDisconnect(v));
      transport.close();
    }
    return self;
  };

  self.reconnect = function () {
    self.disconnecting = false;
    endCb = undefined;
    retryAt = -1;
    if (transport === null) dial();
    else transport.close();
    return self;
  };

  if (o.clientId === undefined) o.clientId = 'fq' + Math.random().toString(16).slice(2, 10);
  if (store !== undefined) restore(store);
  dial();
  return self;
}

/**
 * `new CompactClient(platform, options)`: connects at once (listen for 'connect').
 * A function (see the top of the file), so its prototype carries only the events.
 */
export const CompactClient = create as unknown as { new (platform: Platform, options?: CompactOptions): CompactClient; prototype: object };
