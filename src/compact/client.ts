// The compact client: session and client in one small constructor, for the Espruino bundles,
// where every byte of code is RAM (16,000 B full, 6,000 B lite). It keeps the firmqtt
// promises of the main client (src/client, src/session): QoS 1/2 resent after every
// reconnect in the original order until acknowledged, QoS 2 delivered once, keep-alive
// that notices a dead link, Last Will, the offline queue, resubscribe, the server's MQTT 5
// limits, and a Store so unacknowledged messages survive a reset (not in the lite build:
// FIRMQTT_LITE drops MQTT 5 and the store). What it leaves to the main client: topic
// aliases outbound, enhanced authentication, manual acks, byte-exact queue bounds.
// README "Design notes" says why there are two.
//
// Sans-I/O as the main client: bytes come and go through a Transport, time through a
// Clock with one timer, so tests drive it with a fake clock and a scripted server.
// Events are emitted with emit(): Espruino objects have on/emit built in; elsewhere
// withEvents(CompactClient.prototype) (./emitter) adds them.
//
// State on the client object, code in module-level functions and on the prototype: on
// Espruino a function expression copies its text into variables each time it runs, so
// the closure-per-client this file was before cost about 330 variables per client (and
// 600 to connect); functions defined once at load cost nothing per client. The state's
// names are internal, and the device builds shorten them (build.mjs internalNames).

import {
  CMD, decode, encAck, encConnect, encDisconnect, encPingreq, encPublish, encSubscribe, encUnsubscribe, frameLength, utf8, utf8Kind,
} from './codec';
import type { InPacket, Props, Sub } from './codec';
import {
  mqttError, IMPLEMENTATION_SPECIFIC_ERROR, KEEP_ALIVE_TIMEOUT, UNSPECIFIED_ERROR, PACKET_IDENTIFIER_NOT_FOUND, PACKET_TOO_LARGE, PROTOCOL_ERROR, QOS_NOT_SUPPORTED, QUOTA_EXCEEDED, RETAIN_NOT_SUPPORTED, TOPIC_ALIAS_INVALID, TOPIC_FILTER_INVALID, TOPIC_NAME_INVALID, UNSUPPORTED_PROTOCOL_VERSION,
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
  /**
   * the largest packet taken from the server (bytes, whole packet); a larger one closes
   * the connection with error 0x95. MQTT 5 tells the server (Maximum Packet Size), which
   * then drops such messages instead. Default 8192; properties.maximumPacketSize wins
   */
  maxIncomingPacketSize?: number;
  /** resubscribe when the server has no session for us; default true */
  resubscribe?: boolean;
  /** where unacknowledged QoS 1/2 messages and QoS 2 receptions are kept (not in the lite bundle: it throws) */
  store?: Store;
  /** the store's key prefix, default 'fq'; with Espruino's StorageStore at most 20 characters (Storage names have 28) */
  storePrefix?: string;
}

export interface EndOptions {
  /** MQTT 5: the DISCONNECT's reason (0x04: send the Will anyway) */
  reasonCode?: number;
  properties?: Props;
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
   * Sends DISCONNECT (MQTT 5: options.reasonCode, options.properties) once nothing is in
   * flight or queued, and closes (force: closes at once, no DISCONNECT, so the Will goes
   * out). Unacknowledged QoS 1/2 messages stay in the store for the next client. As
   * MQTT.js: end(), end(cb), end(force), end(force, cb), end(options, cb), end(force, options, cb).
   */
  end(force?: boolean | EndOptions | (() => void), opts?: EndOptions | (() => void), cb?: () => void): CompactClient;
  /** Reconnects now (after end() too: it starts again). */
  reconnect(): CompactClient;
  /** Espruino's built-in object events (+ addOnce), or withEvents() */
  on<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  once<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  off<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  removeListener<K extends keyof CompactEvents>(event: K, fn: CompactEvents[K]): CompactClient;
  emit(event: string, a?: unknown, b?: unknown, c?: unknown): boolean;
}

/** A filter subscribed to, kept for resubscribing; MQTT 5: with its SUBSCRIBE's properties. */
interface KeptSub extends Sub {
  kProps?: Props;
}

/** A packet waiting for its acknowledgement (or, QoS 0, for a connection). */
interface Entry {
  /** packet identifier; 0 for QoS 0 */
  eId: number;
  /** what is (re)sent: PUBLISH, PUBREL (QoS 2 after PUBREC), SUBSCRIBE or UNSUBSCRIBE */
  eBytes: Uint8Array;
  eCb: Callback | undefined;
  /** PUBLISH QoS */
  eQos: number;
  /** sent on the current connection */
  eSent: boolean;
  /** store key, '' when not stored */
  eKey: string;
  /** SUBSCRIBE: the filters, for the grants and resubscribe; UNSUBSCRIBE: the topics, forgotten at the UNSUBACK */
  eSubs: Sub[] | string[] | undefined;
}

/**
 * A client's state, kept on the client object (see the top of the file). The names are
 * internal: the device builds shorten them (build.mjs internalNames).
 */
interface Client extends CompactClient {
  /** the caller's options, copied: the same object as `options`, under a name the device builds shorten */
  opt: CompactOptions;
  ver: number;
  plat: Platform;
  clk: Clock;
  stash: Store | undefined;
  /** the store's key prefix, with its '/' */
  keyPrefix: string;
  sock: Transport | null;
  /** the packet being received: its bytes so far (rxLen -1: a fixed header in pieces) */
  rxBuf: Uint8Array | null;
  rxLen: number;
  /** unacknowledged and waiting packets, in the order the application gave them */
  outbox: Entry[];
  /** QoS 2 packet ids received and not yet released (PUBREL) */
  qos2In: { [id: number]: number };
  /** filters granted, to restore when the server has no session */
  subsKept: { [topic: string]: KeptSub };
  lastId: number;
  storeSeq: number;
  /** MQTT 5 server limits (CONNACK) */
  rcvMax: number;
  maxPacket: number;
  maxQos: number;
  retainOk: boolean;
  /** MQTT 5: topic aliases the server set (topic name by alias); made at each CONNACK */
  aliasTopics: { [alias: number]: string };
  /** the largest packet taken from the server (maxIncomingPacketSize) */
  inMax: number;
  keepaliveMs: number;
  lastSent: number;
  /** when a connection must have its CONNACK, or a PINGRESP must have come; -1 none */
  deadline: number;
  /** when the next reconnect attempt starts; -1 none */
  retryAt: number;
  /** reconnect attempts since the last CONNACK (the backoff) */
  redials: number;
  /** callbacks waiting for the next timer (never called from inside the call that caused them) */
  dueCalls: (() => void)[];
  endCb: (() => void) | undefined;
  /** end()'s options: the DISCONNECT's reason and properties (MQTT 5) */
  endOpts: EndOptions | undefined;
  /** the current connection failed (protocol error) or sent DISCONNECT: what it still delivers is ignored */
  broken: boolean;
  /** reconnect() asked for a new connection once the current one (or end()) has closed */
  redial: boolean;
  /** the timer's callback, bound to this client once */
  ticker: () => void;
}

const PUBLISH = 3;
const PUBREL = 6;
const UNLIMITED = 268435460;

/** A payload or password as bytes: a string (UTF-8), a Uint8Array, or none (null too); anything else throws (0x82). */
function bytesOf(p: Payload | undefined | null): Uint8Array {
  if (p === undefined || p === null) return new Uint8Array(0);
  if (typeof p === 'string') return utf8(p);
  if (!(p instanceof Uint8Array)) throw mqttError(PROTOCOL_ERROR, 'payload must be a string or a Uint8Array');
  return p;
}

/** QoS 0, 1 or 2, nothing else. */
function qosOk(q: unknown): boolean {
  return q === 0 || q === 1 || q === 2;
}

/**
 * A topic a PUBLISH (filter false) or SUBSCRIBE may carry: not empty, well-formed UTF-8
 * without U+0000 (an Espruino string can hold any bytes: 'temp/\xb0C' is not UTF-8, and a
 * server closes the connection on it); a name has no wildcards.
 */
function badTopic(topic: unknown, filter: boolean): boolean {
  if (typeof topic !== 'string' || topic === '' || !utf8Kind(utf8(topic))) return true;
  if (!filter) return /[+#]/.test(topic);
  // a filter's + and # each a whole level, # the last [MQTT-4.7.1-2] [MQTT-4.7.1-3]
  const levels = topic.split('/');
  for (let i = 0; i < levels.length; i++) if ((levels[i].length > 1 && /[+#]/.test(levels[i])) || (levels[i] === '#' && i < levels.length - 1)) return true;
  return false;
}

function now(c: Client): number {
  return c.clk.now();
}

/**
 * Writes (bytes) or removes (no bytes) a store entry, when there is a store. The lite
 * build has no store: its call sites test the flag, so the keys are not even made.
 */
function stash(c: Client, key: string, bytes?: Uint8Array): void {
  const s = c.stash;
  if (s === undefined) return;
  if (bytes === undefined) s.delete(key);
  else s.set(key, bytes);
}

/** The store key of a QoS 2 message received and not yet released (restore() reads it back). */
function receivedKey(c: Client, id: number): string {
  return c.keyPrefix + 'i' + id.toString(36);
}

function later(c: Client, cb: Callback | (() => void) | undefined, a: Error | null, b?: unknown): void {
  if (cb === undefined) return;
  c.dueCalls.push(() => (cb as Callback)(a, b));
  arm(c);
}

// ---- sending ------------------------------------------------------------------------

function write(c: Client, bytes: Uint8Array): void {
  const t = c.sock;
  if (t === null) return;
  c.lastSent = now(c);
  t.write(bytes);
  t.flush();
}

function nextId(c: Client): number {
  // sequential from 1, skipping ids in use, wrapping at 65535 (DESIGN.md)
  const out = c.outbox;
  for (;;) {
    const id = c.lastId = c.lastId === 65535 ? 1 : c.lastId + 1;
    let used = false;
    for (let i = 0; i < out.length && !used; i++) used = out[i].eId === id;
    if (!used) return id;
  }
}

/**
 * MQTT 5: why the server's CONNACK forbids sending this packet, or null: larger than its
 * Maximum Packet Size [MQTT-3.2.2-15], a PUBLISH above its Maximum QoS [MQTT-3.2.2-11] or
 * retained where Retain Available is 0 [MQTT-3.2.2-14]. Asked when a packet is queued and
 * again when it is sent, so that what was queued before this CONNACK is refused to its
 * callback instead of getting the connection closed (and then resent forever).
 */
function refusal(c: Client, b: Uint8Array, qos: number): Error | null {
  return b.length > c.maxPacket ? mqttError(PACKET_TOO_LARGE, 'packet too large')
    : b[0] >> 4 !== PUBLISH ? null
      : qos > c.maxQos ? mqttError(QOS_NOT_SUPPORTED, 'qos ' + qos + ' not allowed')
        : b[0] & 1 && !c.retainOk ? mqttError(RETAIN_NOT_SUPPORTED, 'retain not available') : null;
}

/** What `make` encodes, or null when it cannot (a payload or a property it refuses): the callback then has the error, as every refusal, and nothing is thrown out of the call. */
function encoded(c: Client, cb: Callback | undefined, make: () => Uint8Array): Uint8Array | null {
  try {
    return make();
  } catch (e) {
    later(c, cb, e as Error);
    return null;
  }
}

/** Queues a packet to send in order; one the server's limits forbid fails at once (refusal). */
function enqueue(c: Client, id: number, bytes: Uint8Array, cb: Callback | undefined, qos: number, filters: Sub[] | string[] | undefined): void {
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) {
    const error = refusal(c, bytes, qos);
    if (error !== null) return later(c, cb, error);
  }
  let key = '';
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && qos > 0 && c.stash !== undefined) {
    // numbered from 0 again whenever nothing is stored: the keys stay short (Espruino
    // Storage names have 28 characters) on a device that runs for years
    if (!c.outbox.some((e) => e.eKey !== '')) c.storeSeq = 0;
    key = c.keyPrefix + 'o' + (c.storeSeq++).toString(36);
    try {
      stash(c, key, bytes);
    } catch (e) {
      // flash full: the message is refused, to its callback as every refusal, not thrown
      return later(c, cb, e as Error);
    }
  }
  c.outbox.push({ eId: id, eBytes: bytes, eCb: cb, eQos: qos, eSent: false, eKey: key, eSubs: filters });
  pump(c);
}

/** Sends what the connection and the in-flight window allow, in order. */
function pump(c: Client): void {
  if (!c.connected) return;
  const out = c.outbox;
  const window = Math.min(c.opt.maxInflight ?? 20, c.rcvMax);
  let n = 0;
  for (let i = 0; i < out.length; i++) if (out[i].eSent && out[i].eQos > 0) n++;
  for (let i = 0; i < out.length; i++) {
    const e = out[i];
    if (e.eSent) continue;
    const b = e.eBytes;
    const type = b[0] >> 4;
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) {
      const error = refusal(c, b, e.eQos);
      if (error !== null) {
        out.splice(i--, 1);
        if (e.eKey !== '') stash(c, e.eKey);
        later(c, e.eCb, error);
        continue;
      }
    }
    if (e.eQos > 0) {
      // a QoS 2 message at PUBREL holds its slot until PUBCOMP
      if (type === PUBLISH && n >= window) break;
      n++;
    }
    e.eSent = true;
    write(c, b);
    if (type === PUBLISH && e.eQos === 0) {
      out.splice(i--, 1);
      later(c, e.eCb, null);
    }
  }
  (c as { inflightCount: number }).inflightCount = n;
  // a graceful end() waits for this: nothing in flight or queued
  if (c.disconnecting && out.length === 0 && !c.broken) {
    const e = c.endOpts || {};
    write(c, encDisconnect(c.ver, e.reasonCode, e.properties));
    c.broken = true;
    (c.sock as Transport).close();
  }
}

// ---- connection ---------------------------------------------------------------------

function dial(c: Client): void {
  const t = c.plat.transport();
  c.sock = t;
  c.rxBuf = null;
  c.broken = false;
  c.deadline = now(c) + (c.opt.connectTimeout ?? 30000);
  t.open({
    onOpen: () => {
      if (c.sock === t) opened(c);
    },
    onData: (bytes) => {
      if (c.sock === t && !c.broken) received(c, bytes);
    },
    onDrain: () => undefined,
    onClose: (error) => {
      if (c.sock === t) closed(c, error);
    },
  });
  arm(c);
}

function opened(c: Client): void {
  const o = c.opt;
  const w = o.will;
  write(c, encConnect(c.ver, {
    clientId: o.clientId as string,
    keepalive: o.keepalive ?? 60,
    clean: o.clean !== false,
    username: o.username,
    password: o.password === undefined ? undefined : bytesOf(o.password),
    will: w === undefined ? undefined : { topic: w.topic, payload: bytesOf(w.payload), qos: w.qos ?? 0, retain: !!w.retain, properties: w.properties },
    // MQTT 5: the server learns the limit and drops what exceeds it [MQTT-3.1.2-25]
    properties: !(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && c.ver === 5 ? Object.assign({ maximumPacketSize: c.inMax }, o.properties) : o.properties,
  }));
}

function closed(c: Client, error: Error | null): void {
  const was = c.connected;
  const out = c.outbox;
  c.sock = null;
  c.connected = false;
  c.deadline = -1;
  for (let i = 0; i < out.length; i++) {
    // what was sent goes again with DUP; marked now that no transport holds the bytes
    if (out[i].eSent && out[i].eBytes[0] >> 4 === PUBLISH) out[i].eBytes[0] |= 8;
    out[i].eSent = false;
  }
  (c as { inflightCount: number }).inflightCount = 0;
  if (error !== null) c.emit('error', error);
  c.emit('close');
  if (c.disconnecting) return ended(c);
  if (c.redial) return redial(c);
  const period = c.opt.reconnectPeriod ?? 1000;
  if (period > 0) {
    if (was) c.emit('offline');
    let delay = period;
    const max = c.opt.reconnectBackoffMax ?? 30000;
    for (let i = 0; i < c.redials && delay < max; i++) delay *= 2;
    if (delay > max) delay = max;
    c.redials++;
    // jitter: devices that lost the same broker do not all come back in the same ms
    c.retryAt = now(c) + Math.round(delay * (1 - Math.random() / 4));
  }
  arm(c);
}

/**
 * end() has finished. The application stops waiting: every callback hears 0x83, and
 * SUBSCRIBE / UNSUBSCRIBE requests go; messages stay (and stay stored) for reconnect() or
 * the next client on the same store. Then a reconnect() asked for meanwhile starts.
 */
function ended(c: Client): void {
  c.retryAt = -1;
  c.deadline = -1;
  const error = mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'client ended');
  c.outbox = c.outbox.filter((e) => {
    later(c, e.eCb, error);
    e.eCb = undefined;
    return e.eSubs === undefined;
  });
  arm(c);
  const cb = c.endCb;
  c.endCb = undefined;
  c.emit('end');
  later(c, cb, null);
  if (c.redial) redial(c);
}

/** A new connection now: reconnect(), or the reconnect timer. */
function redial(c: Client): void {
  c.redial = false;
  c.disconnecting = false;
  c.emit('reconnect');
  dial(c);
}

/** Protocol failure: MQTT 5 tells the server why, then the connection is closed. */
function fail(c: Client, error: Error & { code?: number }): void {
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && c.ver === 5 && c.connected) write(c, encDisconnect(c.ver, error.code));
  c.broken = true;
  c.emit('error', error);
  if (c.sock !== null) c.sock.close();
}

// ---- receiving ----------------------------------------------------------------------

function received(c: Client, chunk: Uint8Array): void {
  let bytes = chunk;
  if (c.rxBuf !== null && c.rxLen < 0) {
    // the last chunk ended inside a fixed header (at most 4 bytes kept)
    bytes = new Uint8Array(c.rxBuf.length + chunk.length);
    bytes.set(c.rxBuf);
    bytes.set(chunk, c.rxBuf.length);
    c.rxBuf = null;
  }
  let pos = 0;
  const end = bytes.length;
  try {
    while (pos < end) {
      const r = c.rxBuf;
      if (r !== null) {
        // a packet whose length the header gave: filled chunk by chunk, one allocation
        const n = Math.min(r.length - c.rxLen, end - pos);
        r.set(bytes.subarray(pos, pos + n), c.rxLen);
        c.rxLen += n;
        pos += n;
        if (c.rxLen < r.length) return;
        c.rxBuf = null;
        packet(c, decode(c.ver, r));
        continue;
      }
      const size = frameLength(bytes, pos, end);
      if (size < 0) {
        // 1 to 4 bytes of a fixed header; on Espruino 2v29 slice() makes them a plain Array
        // (a variable per byte), which is why nothing longer may be kept this way
        c.rxBuf = bytes.slice(pos, end);
        c.rxLen = -1;
        return;
      }
      // refused from the header, before a byte of it is buffered: on Espruino, running out
      // of memory is no exception the client could catch, it stops the script
      if (size > c.inMax) throw mqttError(PACKET_TOO_LARGE, 'packet too large');
      if (end - pos < size) {
        c.rxBuf = new Uint8Array(size);
        c.rxLen = 0;
        continue;
      }
      packet(c, decode(c.ver, bytes.subarray(pos, pos + size)));
      pos += size;
    }
  } catch (e) {
    c.rxBuf = null;
    fail(c, e as Error);
  }
}

function packet(c: Client, p: InPacket): void {
  const id = p.messageId as number;
  const t = CMD.indexOf(p.cmd);
  if (!c.connected && t !== 2) throw mqttError(PROTOCOL_ERROR, p.cmd + ' before connack');
  switch (t) {
    case 2: return connack(c, p);
    case PUBLISH: return message(c, p);
    case 13: // PINGRESP
      c.deadline = -1;
      return arm(c);
    case PUBREL: {
      const known = c.qos2In[id] !== undefined;
      delete c.qos2In[id];
      if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) stash(c, receivedKey(c, id));
      write(c, encAck(c.ver, 7, id, known ? 0 : PACKET_IDENTIFIER_NOT_FOUND));
      return;
    }
    case 14: // DISCONNECT, MQTT 5 only (the codec refuses it in 3.1.1): the server says why, then closes
      c.emit('disconnect', p);
      if (c.sock !== null) c.sock.close();
      return;
    // AUTH (MQTT 5): we send no Authentication Method, so the server may not [MQTT-4.12.0-6]
    case 15: throw mqttError(PROTOCOL_ERROR, 'auth');
  }
  acknowledged(c, p, t, id);
}

function connack(c: Client, p: InPacket): void {
  if (c.connected) throw mqttError(PROTOCOL_ERROR, 'second connack');
  const rc = p.returnCode ?? p.reasonCode ?? 0;
  // a 3.1.1 return code as the MQTT 5 reason code of the same meaning (the Node client's
  // codes too); the text keeps the code the server sent
  const code = p.returnCode !== undefined ? [0, 0x84, 0x85, 0x88, 0x86, 0x87][rc] ?? PROTOCOL_ERROR : rc;
  if (rc !== 0) throw mqttError(code, 'connection refused: ' + rc);
  const o = c.opt;
  c.connected = true;
  c.deadline = -1;
  c.redials = 0;
  c.keepaliveMs = (o.keepalive ?? 60) * 1000;
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && c.ver === 5) {
    const props = p.properties || {};
    c.aliasTopics = {};
    c.rcvMax = props.receiveMaximum ?? 65535;
    c.maxPacket = props.maximumPacketSize ?? UNLIMITED;
    c.maxQos = props.maximumQoS ?? 2;
    c.retainOk = !!(props.retainAvailable ?? 1);
    if (props.serverKeepAlive !== undefined) c.keepaliveMs = props.serverKeepAlive * 1000;
    if (props.assignedClientIdentifier !== undefined) o.clientId = props.assignedClientIdentifier;
  }
  if (!p.sessionPresent) {
    // the server kept no QoS 2 state: ids awaiting PUBREL are free again. Not deleted in
    // the loop: on Espruino 2v29 a for-in ends after a key deleted inside it
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) for (const id in c.qos2In) stash(c, receivedKey(c, +id));
    c.qos2In = {};
    if (o.resubscribe !== false) {
      // one SUBSCRIBE per set of MQTT 5 properties (a Subscription Identifier, say), first
      // in the queue: messages queued offline may be for these subscriptions
      let kept: KeptSub[] = [];
      for (const t in c.subsKept) kept.push(c.subsKept[t]);
      for (let at = 0; kept.length > 0; at++) {
        const props = kept[0].kProps;
        let filters = kept;
        // (the lite build has no properties: one SUBSCRIBE)
        if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) filters = kept.filter((f) => f.kProps === props);
        kept = kept.filter((f) => f.kProps !== props);
        const id = nextId(c);
        c.outbox.splice(at, 0, { eId: id, eBytes: encSubscribe(c.ver, id, filters, props), eCb: undefined, eQos: 0, eSent: false, eKey: '', eSubs: filters });
      }
    }
  }
  pump(c);
  arm(c);
  c.emit('connect', p);
}

function message(c: Client, p: InPacket): void {
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && c.ver === 5) {
    const alias = p.properties !== undefined ? p.properties.topicAlias : undefined;
    if (alias !== undefined) {
      const o = c.opt;
      if (!(alias > 0 && alias <= ((o.properties && o.properties.topicAliasMaximum) ?? 0))) throw mqttError(TOPIC_ALIAS_INVALID, 'topic alias ' + alias);
      if (p.topic === '') p.topic = c.aliasTopics[alias];
      else c.aliasTopics[alias] = p.topic as string;
      if (p.topic === undefined) throw mqttError(PROTOCOL_ERROR, 'unknown topic alias');
    }
  }
  if (p.topic === '') throw mqttError(PROTOCOL_ERROR, 'empty topic');
  const id = p.messageId as number;
  if (p.qos === 2) {
    // acknowledged before the application sees it (DESIGN.md); once only until PUBREL
    const again = c.qos2In[id] !== undefined;
    if (!again) {
      // stored first: a store that fails (flash full) must not leave the id marked, or the
      // server's resend would be taken for a duplicate and the message never delivered
      if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) stash(c, receivedKey(c, id), new Uint8Array(0));
      c.qos2In[id] = 1;
    }
    write(c, encAck(c.ver, 5, id));
    if (again) return;
  } else if (p.qos === 1) write(c, encAck(c.ver, 4, id));
  c.emit('message', p.topic, p.payload, p);
}

/** PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK (type t): the entry they answer. */
function acknowledged(c: Client, p: InPacket, t: number, id: number): void {
  const out = c.outbox;
  let i = 0;
  while (i < out.length && !(out[i].eId === id && out[i].eSent)) i++;
  const e = out[i];
  // PUBACK (4) and PUBREC (5) answer a PUBLISH of QoS 1 and 2; the others the packet type before them
  if (e === undefined || e.eBytes[0] >> 4 !== (t < 6 ? PUBLISH : t - 1) || (t < 6 && e.eQos !== t - 3)) {
    // MQTT 5 4.3.3: a PUBREC for an unknown id gets PUBREL 0x92, so the server can
    // finish; a repeated one, for a message already at PUBREL, that PUBREL again
    if (t === 5) write(c, e !== undefined && e.eBytes[0] >> 4 === PUBREL ? e.eBytes : encAck(c.ver, PUBREL, id, PACKET_IDENTIFIER_NOT_FOUND));
    return;
  }
  const code = p.reasonCode ?? 0;
  if (t === 5 && code < 0x80) {
    const rel = encAck(c.ver, PUBREL, id);
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && e.eKey !== '') stash(c, e.eKey, rel);
    e.eBytes = rel;
    write(c, rel);
    return;
  }
  out.splice(i, 1);
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && e.eKey !== '') stash(c, e.eKey);
  let error: Error | null = null;
  let result: unknown = p;
  if (t === 9) {
    const filters = e.eSubs as KeptSub[];
    const granted: { topic: string; qos: number }[] = [];
    for (let j = 0; j < filters.length; j++) {
      const g = p.granted !== undefined && j < p.granted.length ? p.granted[j] : 0x80;
      granted.push({ topic: filters[j].topic, qos: g });
      if (g < 0x80) c.subsKept[filters[j].topic] = filters[j];
    }
    result = granted;
  } else {
    // a SUBACK still on its way when unsubscribe() was called has kept the filters again
    if (t === 11) for (const topic of e.eSubs as string[]) delete c.subsKept[topic];
    if (code >= 0x80 && code !== PACKET_IDENTIFIER_NOT_FOUND) error = mqttError(code, p.cmd + ' ' + code);
  }
  later(c, e.eCb, error, result);
  pump(c);
}

// ---- store --------------------------------------------------------------------------

/** Takes back what a previous client left in the store: unacknowledged messages, in order, and QoS 2 receptions. */
function restore(c: Client, s: Store): void {
  const prefix = c.keyPrefix;
  const keys = s.keys(prefix);
  const found: { n: number; key: string }[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const n = parseInt(k.slice(prefix.length + 1), 36);
    const kind = k.charAt(prefix.length);
    if (kind === 'i') c.qos2In[n] = 1;
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
    c.outbox.push({ eId: id, eBytes: bytes, eCb: undefined, eQos: type === PUBLISH ? (bytes[0] >> 1) & 3 : 2, eSent: false, eKey: found[i].key, eSubs: undefined });
    c.storeSeq = found[i].n + 1;
    if (id > c.lastId) c.lastId = id;
  }
}

// ---- time ---------------------------------------------------------------------------

function tick(c: Client): void {
  const t = now(c);
  const calls = c.dueCalls;
  c.dueCalls = [];
  for (let i = 0; i < calls.length; i++) calls[i]();
  if (c.deadline >= 0 && t >= c.deadline) {
    c.deadline = -1;
    fail(c, mqttError(KEEP_ALIVE_TIMEOUT, c.connected ? 'keep-alive timeout' : 'connect timeout'));
  } else if (c.retryAt >= 0 && t >= c.retryAt) {
    c.retryAt = -1;
    return redial(c);
  } else if (c.connected && c.keepaliveMs > 0 && c.deadline < 0 && t - c.lastSent >= c.keepaliveMs) {
    write(c, encPingreq());
    c.deadline = t + (c.opt.pingTimeout ?? Math.min(c.keepaliveMs / 2, 10000));
  }
  arm(c);
}

/** Sets the one timer for the earliest thing due. */
function arm(c: Client): void {
  const t = now(c);
  let at = c.dueCalls.length > 0 ? t : c.deadline;
  if (c.retryAt >= 0 && (at < 0 || c.retryAt < at)) at = c.retryAt;
  if (c.connected && c.keepaliveMs > 0 && c.deadline < 0) {
    const ping = c.lastSent + c.keepaliveMs;
    if (at < 0 || ping < at) at = ping;
  }
  if (at < 0) c.clk.clearTimer();
  else c.clk.setTimer(at > t ? at - t : 0, c.ticker);
}

// ---- the client ---------------------------------------------------------------------

/**
 * `new CompactClient(platform, options)`: connects at once (listen for 'connect').
 * Throws on an unsupported protocolVersion.
 */
function CompactClientImpl(this: Client, platform: Platform, options?: CompactOptions): void {
  const c = this;
  // a copy: the client id it gets (or the server assigns) is not written into the caller's object
  const o: CompactOptions = Object.assign({}, options);
  const v = o.protocolVersion ?? 4;
  // MQTT 5 branches test the flag written out (src/flags.d.ts): esbuild folds it there and
  // the lite build drops the branch; a variable holding it would stay. Properties are
  // passed on unguarded: the codec writes them for MQTT 5 only.
  if (v !== 4 && (v !== 5 || (typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE))) throw mqttError(UNSUPPORTED_PROTOCOL_VERSION, 'protocolVersion ' + v + ' unsupported');
  // [MQTT-3.1.2-22]: before MQTT 5, no password without a user name (a server closes on it)
  if (v < 5 && o.password !== undefined && o.username === undefined) throw mqttError(PROTOCOL_ERROR, 'password without username');
  // what CONNECT cannot carry, refused here rather than sent for the server to close on
  const w = o.will;
  if (o.keepalive !== undefined && !(o.keepalive >= 0 && o.keepalive <= 65535)) throw mqttError(PROTOCOL_ERROR, 'keepalive ' + o.keepalive);
  if (w !== undefined && (badTopic(w.topic, false) || !qosOk(w.qos ?? 0))) throw mqttError(PROTOCOL_ERROR, 'bad will');
  bytesOf(o.password);
  if (w !== undefined) bytesOf(w.payload);
  if (o.clientId === undefined) o.clientId = 'fq' + Math.random().toString(16).slice(2, 10);
  c.connected = false;
  c.disconnecting = false;
  (c as { options: CompactOptions }).options = o;
  (c as { inflightCount: number }).inflightCount = 0;
  c.opt = o;
  c.ver = v;
  c.plat = platform;
  c.clk = platform.clock;
  c.stash = o.store;
  c.sock = null;
  c.rxBuf = null;
  c.rxLen = 0;
  c.outbox = [];
  c.qos2In = {};
  c.subsKept = {};
  c.lastId = 0;
  c.rcvMax = 65535;
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) {
    // read by refusal() only, which the lite build (MQTT 3.1.1: no such limits) has not
    c.maxPacket = UNLIMITED;
    c.maxQos = 2;
    c.retainOk = true;
  }
  c.inMax = (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && v === 5 && o.properties && o.properties.maximumPacketSize) || (o.maxIncomingPacketSize ?? 8192);
  c.keepaliveMs = 0;
  c.lastSent = 0;
  c.deadline = -1;
  c.retryAt = -1;
  c.redials = 0;
  c.dueCalls = [];
  c.endCb = undefined;
  c.endOpts = undefined;
  c.broken = false;
  c.redial = false;
  c.ticker = () => tick(c);
  if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE)) {
    c.keyPrefix = (o.storePrefix ?? 'fq') + '/';
    c.storeSeq = 0;
    if (c.stash !== undefined) restore(c, c.stash);
  } else if (c.stash !== undefined) throw new Error('store: the lite bundle has none');
  dial(c);
}

const proto = CompactClientImpl.prototype as Client;

proto.publish = function (this: Client, topic, message, opts, cb) {
  const c = this;
  if (typeof opts === 'function') {
    cb = opts;
    opts = undefined;
  }
  const po: PublishOptions = opts || {};
  const qos = po.qos ?? 0;
  const retain = !!po.retain;
  let error: Error | null = null;
  if (c.disconnecting) error = mqttError(UNSPECIFIED_ERROR, 'client disconnecting');
  else if (badTopic(topic, false)) error = mqttError(TOPIC_NAME_INVALID, 'bad topic');
  // the server's Maximum QoS and Retain Available: enqueue (refusal)
  else if (!qosOk(qos)) error = mqttError(QOS_NOT_SUPPORTED, 'qos ' + qos + ' not allowed');
  else if (c.outbox.length >= (c.opt.maxQueued ?? 100)) error = mqttError(QUOTA_EXCEEDED, 'queue full');
  // no outgoing topic aliases here (README): one given would name what the server never learned
  else if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && po.properties && po.properties.topicAlias !== undefined) error = mqttError(TOPIC_ALIAS_INVALID, 'topic alias');
  if (error === null) {
    const id = qos > 0 ? nextId(c) : 0;
    const bytes = encoded(c, cb, () => encPublish(c.ver, topic, bytesOf(message), qos, retain, false, id, po.properties));
    if (bytes !== null) enqueue(c, id, bytes, cb, qos, undefined);
  } else later(c, cb, error);
  return c;
};

proto.subscribe = function (this: Client, topics, opts, cb) {
  const c = this;
  if (typeof opts === 'function') {
    cb = opts;
    opts = undefined;
  }
  const so: SubscribeOptions = opts || {};
  const filters: KeptSub[] = [];
  const add = (topic: string, x: SubscribeOptions) => {
    const qos = x.qos ?? 0;
    // No Local, Retain As Published and Retain Handling are MQTT 5 only
    filters.push((typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) ? { topic, qos } : { topic, qos, nl: x.nl, rap: x.rap, rh: x.rh, kProps: so.properties });
  };
  if (typeof topics === 'string') add(topics, so);
  else if (Array.isArray(topics)) for (let i = 0; i < topics.length; i++) add(topics[i], so);
  else for (const t in topics) add(t, topics[t]);
  let bad = c.disconnecting || filters.length === 0;
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    if (badTopic(f.topic, true) || !qosOk(f.qos)) bad = true;
    // Retain Handling 0-2; No Local on a shared subscription is a protocol error [MQTT-3.8.3-4]
    if (!(typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE) && ((f.rh || 0) > 2 || (f.nl && f.topic.indexOf('$share/') === 0))) bad = true;
  }
  if (bad) later(c, cb, mqttError(TOPIC_FILTER_INVALID, 'bad subscription'));
  else {
    const id = nextId(c);
    const bytes = encoded(c, cb, () => encSubscribe(c.ver, id, filters, so.properties));
    if (bytes !== null) enqueue(c, id, bytes, cb, 0, filters);
  }
  return c;
};

proto.unsubscribe = function (this: Client, topics, opts, cb) {
  const c = this;
  if (typeof opts === 'function') {
    cb = opts;
    opts = undefined;
  }
  const list = typeof topics === 'string' ? [topics] : topics;
  let bad = c.disconnecting || list.length === 0;
  for (let i = 0; i < list.length; i++) if (badTopic(list[i], true)) bad = true;
  if (bad) later(c, cb, mqttError(TOPIC_FILTER_INVALID, 'bad unsubscribe'));
  else {
    const id = nextId(c);
    const bytes = encoded(c, cb, () => encUnsubscribe(c.ver, id, list, opts && opts.properties));
    if (bytes !== null) {
      for (let i = 0; i < list.length; i++) delete c.subsKept[list[i]];
      enqueue(c, id, bytes, cb, 0, list);
    }
  }
  return c;
};

proto.end = function (this: Client, force, opts, cb) {
  const c = this;
  // end(cb), end(options, cb): the arguments move up
  if (typeof force === 'function' || (typeof force === 'object' && force !== null)) {
    cb = opts as (() => void) | undefined;
    opts = force;
    force = false;
  }
  if (typeof opts === 'function') {
    cb = opts;
    opts = undefined;
  }
  if (c.disconnecting) {
    // the last word is end(): a reconnect() asked for meanwhile is off
    c.redial = false;
    // already ended: answered at once; still ending: called back with the first one's
    // callback, once the client has ended
    if (c.sock === null) later(c, cb, null);
    else {
      const first = c.endCb;
      c.endCb = first && cb ? () => { first(); cb!(); } : first || cb;
      // end(true) during a graceful end stops waiting for the acknowledgements
      if (force) shut(c);
    }
    return c;
  }
  c.disconnecting = true;
  c.endCb = cb;
  c.endOpts = opts;
  c.retryAt = -1;
  if (c.sock === null) ended(c);
  else if (force || !c.connected) shut(c);
  else pump(c); // DISCONNECT once nothing is in flight or queued (MQTT.js waits the same way)
  return c;
};

/** Closes the connection now; what it still delivers before its close is ignored (a late CONNACK must not make a client that ended connected). */
function shut(c: Client): void {
  c.broken = true;
  (c.sock as Transport).close();
}

proto.reconnect = function (this: Client) {
  const c = this;
  c.retryAt = -1;
  if (c.sock === null) redial(c);
  else {
    // dial once this connection has closed; during end(), once end() has finished
    c.redial = true;
    if (!c.disconnecting) {
      // a reconnect asked for is no lost link: DISCONNECT, so the server drops the Will
      if (c.connected) write(c, encDisconnect(c.ver));
      c.broken = true;
      c.sock.close();
    }
  }
  return c;
};

export const CompactClient = CompactClientImpl as unknown as { new (platform: Platform, options?: CompactOptions): CompactClient; prototype: CompactClient };
