// MqttClient: the public API. It joins the sans-I/O Session to a Transport (one per
// connection attempt), a Clock (one timer) and a Store (through the session options),
// and speaks MQTT.js's API so Node code moves over by changing the import.
//
// The driver loop, after every input (transport open/data/drain/close, the timer, a
// command from the application):
//   1. write every chunk the session has ready, then flush once (batching);
//   2. turn every session event into client state plus a notice for the application;
//   3. deliver the notices (events and callbacks), never from inside session.receive()
//      and never from inside a command call (they arrive from the timer, soon after);
//   4. arm the single timer at the earliest deadline.
// Client state is complete before any application code runs, so a listener that throws
// leaves nothing half done: the exception propagates to whoever called in (as with
// Node's EventEmitter), and the notices not yet delivered go out from the timer.
import { Session, CONNECTED } from '../session/session';
import {
  EV_CONNECTED, EV_MESSAGE, EV_DONE, EV_CLOSE, EV_SERVER_DISCONNECT, EV_AUTH, EV_ERROR,
} from '../session/events';
import type { SessionEvent } from '../session/events';
import type { Done, ResolvedOptions, SessionOptions } from '../session/options';
import type {
  AuthPacket, Bytes, ConnackPacket, DisconnectPacket, Packet, Properties, QoS, ReceivedPublish,
  SubackPacket, Subscription, UnsubackPacket,
} from '../codec/packets';
import { IMPLEMENTATION_SPECIFIC_ERROR, mqttError } from '../codec/errors';
import { Emitter } from '../util/emitter';
import type { Clock } from './clock';
import type { Transport, TransportFactory, TransportHandler } from './transport';

export interface ClientOptions extends SessionOptions {
  /** ms before the first reconnect attempt after a connection is lost; 0 = never reconnect; default 1000 (MQTT.js) */
  reconnectPeriod?: number;
  /** ms: the delay doubles at each failed attempt up to this cap; default 30000 (never below reconnectPeriod) */
  reconnectBackoffMax?: number;
  /** 0..1: each delay is shortened by a random fraction up to this, so a fleet does not reconnect in step; default 0.25 */
  jitter?: number;
  /** reconnect after the server refused the connection in CONNACK; default false (MQTT.js) */
  reconnectOnConnackError?: boolean;
}

export interface ResolvedClientOptions extends ResolvedOptions {
  reconnectPeriod: number;
  reconnectBackoffMax: number;
  jitter: number;
  reconnectOnConnackError: boolean;
}

/** What a target supplies: how to reach the server, and time. */
export interface Platform {
  transport: TransportFactory;
  clock: Clock;
  /** Converts a received payload before the application sees it (Node: a zero-copy Buffer view). */
  wrapPayload?: (bytes: Uint8Array) => Uint8Array;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** accepted for MQTT.js compatibility; the session sets DUP itself on a resend */
  dup?: boolean;
  properties?: Properties;
}

export interface SubscribeOptions {
  qos?: QoS;
  /** MQTT 5 No Local */
  nl?: boolean;
  /** MQTT 5 Retain As Published */
  rap?: boolean;
  /** MQTT 5 Retain Handling, 0..2 */
  rh?: number;
  properties?: Properties;
}

/** A topic filter, a list of them, or MQTT.js's map of filter -> options. */
export type SubscribeTopics = string | string[] | { [topic: string]: SubscribeOptions };

/** What a subscription got: qos is the granted QoS, or a failure reason code (0x80 and above). */
export interface SubscriptionGrant {
  topic: string;
  qos: number;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

export type SubscribeCallback = (error: Error | null, granted?: SubscriptionGrant[], packet?: SubackPacket) => void;
export type PacketCallback = Done;

export interface UnsubscribeOptions {
  properties?: Properties;
}

export interface EndOptions {
  /** MQTT 5 DISCONNECT reason code; default 0 (normal disconnection) */
  reasonCode?: number;
  properties?: Properties;
}

export type EndCallback = (error?: Error) => void;

export type ClientEvents = {
  /** the server accepted the connection */
  connect: (connack: ConnackPacket) => void;
  /** an application message (payload is a Uint8Array; a Buffer on Node) */
  message: (topic: string, payload: Uint8Array, packet: ReceivedPublish) => void;
  /** a reconnect attempt starts */
  reconnect: () => void;
  /** the connection is lost and the client starts reconnecting (once per outage) */
  offline: () => void;
  /** a connection (or an attempt) ended */
  close: () => void;
  /** the server sent DISCONNECT (MQTT 5) */
  disconnect: (packet: DisconnectPacket) => void;
  /** the server sent AUTH: answer with auth() (MQTT 5 enhanced authentication) */
  auth: (packet: AuthPacket) => void;
  error: (error: Error) => void;
  /** end() finished */
  end: () => void;
};

/** The delay before reconnect attempt number `attempt` (0-based): doubling, capped, jittered down. */
export function reconnectDelay(attempt: number, period: number, cap: number, jitter: number, random: number): number {
  const max = cap > period ? cap : period;
  let delay = period;
  for (let i = 0; i < attempt && delay < max; i++) delay *= 2;
  if (delay > max) delay = max;
  return Math.round(delay * (1 - jitter * random));
}

/** Something for the application, queued until it can be delivered: an event, or a callback. */
interface Notice {
  event: string;
  call: ((a: unknown, b: unknown, c: unknown) => void) | null;
  a: unknown;
  b: unknown;
  c: unknown;
}

type UntypedEmit = (event: string, a?: unknown, b?: unknown, c?: unknown) => boolean;

/**
 * One connection attempt: the transport and what the client knows about it. The
 * transport calls this object, which forwards to the client only while it is the
 * client's current connection, so a late callback from an old socket is ignored.
 */
class Connection implements TransportHandler {
  client: MqttClient;
  transport: Transport;
  /** onOpen came: bytes can be written */
  opened: boolean;
  /** the client asked the transport to close: ignore what still arrives */
  closing: boolean;
  /** the last write() returned false and no onDrain came since */
  blocked: boolean;
  constructor(client: MqttClient, transport: Transport) {
    this.client = client;
    this.transport = transport;
    this.opened = false;
    this.closing = false;
    this.blocked = false;
  }
  onOpen(): void {
    this.client.transportOpened(this);
  }
  onData(bytes: Uint8Array): void {
    this.client.transportData(this, bytes);
  }
  onDrain(): void {
    this.client.transportDrained(this);
  }
  onClose(error: Error | null): void {
    this.client.transportClosed(this, error);
  }
}

function pick<T>(v: T | undefined, d: T): T {
  return v === undefined ? d : v;
}

export class MqttClient extends Emitter<ClientEvents> {
  readonly options: ResolvedClientOptions;
  /** the server accepted the current connection */
  connected: boolean;
  /** the connection was lost and the client is trying to get it back (MQTT.js) */
  reconnecting: boolean;
  /** end() was called and has not finished */
  disconnecting: boolean;
  /** end() finished */
  disconnected: boolean;

  private readonly session: Session;
  private readonly platform: Platform;
  private connection: Connection | null;
  /** absolute ms when the current attempt gives up waiting for the transport to open; -1 none */
  private openDeadline: number;
  /** absolute ms of the next reconnect attempt; -1 none */
  private reconnectAt: number;
  /** failed attempts since the last accepted connection: the backoff exponent */
  private reconnectAttempts: number;
  /** the server refused the connection: no automatic reconnect (MQTT.js reconnectOnConnackError) */
  private reconnectSuppressed: boolean;
  /** reconnect() was called while connected: open a new connection as soon as this one closes */
  private reconnectWhenClosed: boolean;
  /** reconnect() was called during end(): start again once end() has finished */
  private reconnectAfterEnd: boolean;
  /** the session's last CONNACK when the current attempt began, to tell a new refusal from an old one */
  private connackAtOpen: ConnackPacket | undefined;
  /** end() without force waits for in-flight messages before DISCONNECT */
  private endWhenIdle: EndOptions | null;
  private endCallbacks: EndCallback[];
  private notices: Notice[];
  private noticeHead: number;
  private delivering: boolean;
  /** absolute ms the clock's timer is armed for; -1 none */
  private timerAt: number;
  private readonly timerFired: () => void;

  constructor(platform: Platform, options?: ClientOptions) {
    super();
    const o = options === undefined ? {} : options;
    this.session = new Session(o);
    this.options = Object.assign({}, o, this.session.options, {
      reconnectPeriod: pick(o.reconnectPeriod, 1000),
      reconnectBackoffMax: pick(o.reconnectBackoffMax, 30000),
      jitter: Math.min(1, Math.max(0, pick(o.jitter, 0.25))),
      reconnectOnConnackError: pick(o.reconnectOnConnackError, false),
    });
    this.platform = platform;
    this.connected = false;
    this.reconnecting = false;
    this.disconnecting = false;
    this.disconnected = false;
    this.connection = null;
    this.openDeadline = -1;
    this.reconnectAt = -1;
    this.reconnectAttempts = 0;
    this.reconnectSuppressed = false;
    this.reconnectWhenClosed = false;
    this.reconnectAfterEnd = false;
    this.connackAtOpen = undefined;
    this.endWhenIdle = null;
    this.endCallbacks = [];
    this.notices = [];
    this.noticeHead = 0;
    this.delivering = false;
    this.timerAt = -1;
    // bound, not an arrow: a build that lowers arrows (build.mjs's gate refuses it for
    // Espruino) would read `this` before super() in this derived constructor
    this.timerFired = this.onTimer.bind(this);
    // As MQTT.js: connecting starts at once. Nothing reaches the application before the
    // constructor returns (the transport calls back later; notices wait for the timer).
    this.openConnection(this.now());
    this.service(false);
  }

  /** QoS 1/2 messages sent and not yet acknowledged */
  get inflightCount(): number {
    return this.session.inflightCount;
  }

  /** messages waiting to be sent (offline, or the in-flight window is full) */
  get queuedCount(): number {
    return this.session.queuedCount;
  }

  /**
   * Publishes `message` on `topic`. cb(error, packet): at QoS 0 when handed to the
   * transport, at QoS 1/2 when acknowledged (PUBACK / PUBCOMP). While offline the
   * message is queued (bounded by maxQueued) and sent after the next connect. Bad
   * arguments, or what the server said it will not accept, fail this call only.
   */
  publish(topic: string, message: Bytes, opts?: PublishOptions | PacketCallback, cb?: PacketCallback): this {
    let o: PublishOptions | undefined;
    if (typeof opts === 'function') cb = opts;
    else o = opts;
    if (this.refuseWhileEnding(cb)) return this;
    const now = this.now();
    try {
      this.session.publish(topic, message, {
        qos: o === undefined ? 0 : o.qos,
        retain: o === undefined ? false : o.retain,
        properties: o === undefined ? undefined : o.properties,
      }, now, cb);
    } catch (e) {
      this.fail(cb, e as Error);
    }
    this.service(false);
    return this;
  }

  publishAsync(topic: string, message: Bytes, opts?: PublishOptions): Promise<Packet | undefined> {
    return new Promise((resolve, reject) => {
      this.publish(topic, message, opts, (error, packet) => {
        if (error) reject(error);
        else resolve(packet);
      });
    });
  }

  /**
   * Subscribes to one filter, a list, or a map of filter -> options (MQTT.js forms).
   * cb(error, granted, suback): granted[i].qos is the granted QoS or a failure reason code.
   */
  subscribe(topics: SubscribeTopics, opts?: SubscribeOptions | SubscribeCallback, cb?: SubscribeCallback): this {
    let o: SubscribeOptions | undefined;
    if (typeof opts === 'function') cb = opts;
    else o = opts;
    if (this.refuseWhileEnding(cb)) return this;
    const subs = subscriptionList(topics, o === undefined ? {} : o);
    const callback = cb;
    const done: Done | undefined = callback === undefined ? undefined : (error, packet) => {
      if (error) callback(error, undefined, packet as SubackPacket | undefined);
      else callback(null, grants(subs, packet as SubackPacket), packet as SubackPacket);
    };
    try {
      this.session.subscribe(subs, o === undefined ? undefined : o.properties, this.now(), done);
    } catch (e) {
      this.fail(done, e as Error);
    }
    this.service(false);
    return this;
  }

  subscribeAsync(topics: SubscribeTopics, opts?: SubscribeOptions): Promise<SubscriptionGrant[]> {
    return new Promise((resolve, reject) => {
      this.subscribe(topics, opts, (error, granted) => {
        if (error) reject(error);
        else resolve(granted as SubscriptionGrant[]);
      });
    });
  }

  /** Unsubscribes from one filter or a list. cb(error, unsuback). */
  unsubscribe(topics: string | string[], opts?: UnsubscribeOptions | PacketCallback, cb?: PacketCallback): this {
    let o: UnsubscribeOptions | undefined;
    if (typeof opts === 'function') cb = opts;
    else o = opts;
    if (this.refuseWhileEnding(cb)) return this;
    const list = typeof topics === 'string' ? [topics] : topics;
    try {
      this.session.unsubscribe(list, o === undefined ? undefined : o.properties, this.now(), cb);
    } catch (e) {
      this.fail(cb, e as Error);
    }
    this.service(false);
    return this;
  }

  unsubscribeAsync(topics: string | string[], opts?: UnsubscribeOptions): Promise<UnsubackPacket | undefined> {
    return new Promise((resolve, reject) => {
      this.unsubscribe(topics, opts, (error, packet) => {
        if (error) reject(error);
        else resolve(packet as UnsubackPacket | undefined);
      });
    });
  }

  /**
   * Closes the client (MQTT.js `end([force], [opts], [cb])`). Without force it waits for
   * the QoS 1/2 messages in flight to be acknowledged, then sends DISCONNECT (with
   * opts.reasonCode and opts.properties on MQTT 5) and closes; with force it closes the
   * transport at once (also when a graceful end is already waiting). No reconnect
   * follows. 'end' and then cb() come once the transport has closed. Unacknowledged
   * messages stay in the session (and its store) for a later reconnect().
   */
  end(force?: boolean | EndOptions | EndCallback, opts?: EndOptions | EndCallback, cb?: EndCallback): this {
    let forced = false;
    let o: EndOptions | undefined;
    let callback = cb;
    // MQTT.js accepts end(), end(cb), end(force), end(force, cb), end(opts, cb), end(force, opts, cb).
    if (typeof force === 'boolean') forced = force;
    else if (typeof force === 'function') callback = force;
    else if (force !== undefined && force !== null) o = force;
    if (typeof opts === 'function') callback = opts;
    else if (opts !== undefined && opts !== null) o = opts;

    if (this.disconnected && !this.disconnecting) {
      // Already ended: only answer, from the timer as every callback is.
      if (callback !== undefined) this.callLater(callback as Notice['call'], undefined, undefined);
      this.service(false);
      return this;
    }
    if (callback !== undefined) this.endCallbacks.push(callback);
    if (this.disconnecting) {
      // the last word is end(): a reconnect() asked for meanwhile is off
      this.reconnectAfterEnd = false;
      // end(true) during a graceful end stops waiting for acknowledgements.
      const closing = this.connection;
      if (forced && closing !== null && !closing.closing) {
        this.endWhenIdle = null;
        this.closeConnection(closing);
        this.service(false);
      }
      return this;
    }
    this.disconnecting = true;
    this.reconnectAt = -1;
    this.reconnectWhenClosed = false;
    const conn = this.connection;
    if (conn === null) this.finishEnd();
    else if (!forced && this.session.state === CONNECTED) this.endWhenIdle = o === undefined ? {} : o;
    else this.closeConnection(conn);
    this.service(false);
    return this;
  }

  endAsync(force?: boolean | EndOptions, opts?: EndOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const done: EndCallback = (error) => {
        if (error) reject(error);
        else resolve();
      };
      if (typeof force === 'boolean') this.end(force, opts === undefined ? done : opts, done);
      else this.end(force === undefined ? done : force, done);
    });
  }

  /**
   * Starts a new connection attempt now: a current connection is closed first (with
   * DISCONNECT when connected); after end() the client comes back to life. Pending
   * QoS 1/2 messages are resent once connected.
   */
  reconnect(): this {
    if (this.disconnecting) {
      this.reconnectAfterEnd = true;
      return this;
    }
    this.disconnected = false;
    this.reconnectSuppressed = false;
    this.reconnectAt = -1;
    const conn = this.connection;
    if (conn === null) {
      this.notify('reconnect', undefined, undefined, undefined);
      this.openConnection(this.now());
    } else {
      this.reconnectWhenClosed = true;
      if (this.session.state === CONNECTED) this.session.disconnect(0, undefined, this.now());
      else this.closeConnection(conn);
    }
    this.service(false);
    return this;
  }

  /** Answers the server's AUTH (MQTT 5 enhanced authentication). */
  auth(reasonCode: number, properties?: Properties): this {
    this.session.auth(reasonCode, properties, this.now());
    this.service(false);
    return this;
  }

  /** Acknowledges a received QoS 1/2 message (only with the manualAcks option). */
  ack(packet: ReceivedPublish, reasonCode?: number): this {
    this.session.ack(packet, reasonCode === undefined ? 0 : reasonCode, this.now());
    this.service(false);
    return this;
  }

  // ---- transport callbacks (through Connection) --------------------------------------

  /** @internal */
  transportOpened(conn: Connection): void {
    if (conn !== this.connection || conn.closing) return;
    conn.opened = true;
    // one connectTimeout from dialling to CONNACK: the session's CONNACK deadline is the dial's
    const by = this.openDeadline;
    this.openDeadline = -1;
    this.session.open(this.now(), by);
    this.service(true);
  }

  /** @internal */
  transportData(conn: Connection, bytes: Uint8Array): void {
    if (conn !== this.connection || conn.closing) return;
    this.session.receive(bytes, this.now());
    this.service(true);
  }

  /** @internal */
  transportDrained(conn: Connection): void {
    if (conn !== this.connection) return;
    conn.blocked = false;
    this.service(true);
  }

  /** @internal */
  transportClosed(conn: Connection, error: Error | null): void {
    if (conn !== this.connection) return;
    this.connection = null;
    this.openDeadline = -1;
    this.connected = false;
    this.endWhenIdle = null;
    this.session.closed(this.now());
    // An error on a connection we were closing ourselves (a reset after DISCONNECT) says nothing new.
    if (error !== null && !conn.closing) this.notify('error', error, undefined, undefined);
    this.notify('close', undefined, undefined, undefined);
    this.afterClose();
    this.service(true);
  }

  // ---- the driver loop ----------------------------------------------------------------

  /** The platform clock's time (one method, not 17 copies of the chain in a device bundle). */
  private now(): number {
    return this.platform.clock.now();
  }

  private onTimer(): void {
    this.timerAt = -1;
    const now = this.now();
    if (this.openDeadline >= 0 && now >= this.openDeadline) {
      this.openDeadline = -1;
      const conn = this.connection;
      if (conn !== null) {
        this.notify('error', new Error('connect timeout: transport not open after ' + this.options.connectTimeout + ' ms'), undefined, undefined);
        this.closeConnection(conn);
      }
    }
    if (this.reconnectAt >= 0 && now >= this.reconnectAt) {
      this.reconnectAt = -1;
      this.notify('reconnect', undefined, undefined, undefined);
      this.openConnection(now);
    }
    const deadline = this.session.nextDeadline();
    if (deadline >= 0 && now >= deadline) this.session.tick(now);
    this.service(true);
  }

  /** Steps 1-4 of the driver loop; `deliver` is false inside a command call. */
  private service(deliver: boolean): void {
    try {
      for (;;) {
        this.writeOutput(false);
        if (!this.processSessionEvents() && !this.startIdleEnd()) break;
      }
      if (deliver) this.deliverNotices();
    } finally {
      this.armTimer();
    }
  }

  /** Writes what the session has ready; `force` ignores backpressure (before a close). */
  private writeOutput(force: boolean): void {
    const conn = this.connection;
    if (conn === null || !conn.opened || conn.closing) return;
    let wrote = false;
    while (force || !conn.blocked) {
      const chunk = this.session.takeOutput();
      if (chunk === null) break;
      wrote = true;
      if (!conn.transport.write(chunk)) conn.blocked = true;
    }
    if (wrote) conn.transport.flush();
  }

  /** Applies every queued session event to the client; returns whether there was any. */
  private processSessionEvents(): boolean {
    let any = false;
    for (let ev = this.session.nextEvent(); ev !== null; ev = this.session.nextEvent()) {
      any = true;
      this.applyEvent(ev);
    }
    return any;
  }

  private applyEvent(ev: SessionEvent): void {
    switch (ev.kind) {
      case EV_CONNECTED:
        this.connected = true;
        this.reconnecting = false;
        this.reconnectAttempts = 0;
        this.notify('connect', ev.connack, undefined, undefined);
        break;
      case EV_MESSAGE: {
        const packet = ev.packet;
        const wrap = this.platform.wrapPayload;
        if (wrap !== undefined) packet.payload = wrap(packet.payload);
        this.notify('message', packet.topic, packet.payload, packet);
        break;
      }
      case EV_DONE:
        this.callLater(ev.done as Notice['call'], ev.error, ev.packet);
        break;
      case EV_CLOSE:
        this.sessionWantsClose();
        break;
      case EV_SERVER_DISCONNECT:
        this.notify('disconnect', ev.packet, undefined, undefined);
        break;
      case EV_AUTH:
        this.notify('auth', ev.packet, undefined, undefined);
        break;
      case EV_ERROR:
        this.notify('error', ev.error, undefined, undefined);
        break;
    }
  }

  /** EV_CLOSE: write what is left (a DISCONNECT), then close the transport. */
  private sessionWantsClose(): void {
    const conn = this.connection;
    if (conn === null || conn.closing) return;
    const connack = this.session.connack;
    if (connack !== undefined && connack !== this.connackAtOpen && connack.reasonCode !== 0 && !this.options.reconnectOnConnackError) {
      this.reconnectSuppressed = true;
    }
    this.writeOutput(true);
    this.closeConnection(conn);
  }

  /** A graceful end() waits until nothing is in flight or queued, no SUBACK or UNSUBACK awaited either (as MQTT.js), then disconnects. */
  private startIdleEnd(): boolean {
    const o = this.endWhenIdle;
    const s = this.session;
    if (o === null || s.inflightCount + s.queuedCount + s.requestCount > 0) return false;
    this.endWhenIdle = null;
    this.session.disconnect(o.reasonCode === undefined ? 0 : o.reasonCode, o.properties, this.now());
    return true;
  }

  private deliverNotices(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.noticeHead < this.notices.length) {
        const n = this.notices[this.noticeHead++];
        if (n.call !== null) n.call(n.a, n.b, n.c);
        // 'offline' says a reconnect begins: not when end() came in between (from an
        // 'error' or 'close' listener), as MQTT.js emits none once disconnecting
        else if (n.event !== 'offline' || this.reconnecting) (this.emit as unknown as UntypedEmit).call(this, n.event, n.a, n.b, n.c);
      }
      this.notices = []; // not .length = 0 (Espruino 2v29 quirk, DESIGN.md)
      this.noticeHead = 0;
    } finally {
      this.delivering = false;
    }
  }

  private armTimer(): void {
    let at = this.session.nextDeadline();
    if (this.reconnectAt >= 0 && (at < 0 || this.reconnectAt < at)) at = this.reconnectAt;
    if (this.openDeadline >= 0 && (at < 0 || this.openDeadline < at)) at = this.openDeadline;
    const now = this.now();
    if (this.noticeHead < this.notices.length && !this.delivering) at = now;
    if (at < 0) {
      if (this.timerAt >= 0) this.platform.clock.clearTimer();
      this.timerAt = -1;
      return;
    }
    // A timer armed no later than needed stays: firing early only re-checks and re-arms,
    // which is cheaper than re-arming at every packet as the keep-alive deadline moves.
    if (this.timerAt >= 0 && this.timerAt <= at) return;
    this.timerAt = at;
    this.platform.clock.setTimer(at > now ? at - now : 0, this.timerFired);
  }

  // ---- connections ------------------------------------------------------------------

  private openConnection(now: number): void {
    this.connackAtOpen = this.session.connack;
    this.openDeadline = now + this.options.connectTimeout;
    try {
      const conn = new Connection(this, this.platform.transport());
      this.connection = conn;
      conn.transport.open(conn);
    } catch (e) {
      // A transport that cannot even start (an address it can never accept): report it
      // like a failed attempt, so the usual reconnect follows.
      this.connection = null;
      this.openDeadline = -1;
      this.notify('error', e as Error, undefined, undefined);
      this.notify('close', undefined, undefined, undefined);
      this.afterClose();
    }
  }

  private closeConnection(conn: Connection): void {
    conn.closing = true;
    conn.transport.close();
  }

  /** After a connection or attempt ended: finish end(), or reconnect now, later or never. */
  private afterClose(): void {
    if (this.disconnecting) {
      this.finishEnd();
    } else if (this.reconnectWhenClosed) {
      this.reconnectWhenClosed = false;
      this.notify('reconnect', undefined, undefined, undefined);
      this.openConnection(this.now());
    } else if (this.options.reconnectPeriod > 0 && !this.reconnectSuppressed) {
      if (!this.reconnecting) {
        this.reconnecting = true;
        this.notify('offline', undefined, undefined, undefined);
      }
      const o = this.options;
      const delay = reconnectDelay(this.reconnectAttempts++, o.reconnectPeriod, o.reconnectBackoffMax, o.jitter, Math.random());
      this.reconnectAt = this.now() + delay;
    }
  }

  private finishEnd(): void {
    // Callbacks still waiting hear that the client ended; the messages themselves stay
    // held (and stored) for a reconnect() or the next process.
    this.session.abandon(mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'client ended before the server acknowledged'));
    this.processSessionEvents();
    this.disconnecting = false;
    this.disconnected = true;
    this.reconnecting = false;
    this.notify('end', undefined, undefined, undefined);
    const callbacks = this.endCallbacks;
    this.endCallbacks = [];
    for (let i = 0; i < callbacks.length; i++) this.callLater(callbacks[i] as Notice['call'], undefined, undefined);
    if (this.reconnectAfterEnd) {
      this.reconnectAfterEnd = false;
      this.disconnected = false;
      this.reconnectSuppressed = false;
      this.notify('reconnect', undefined, undefined, undefined);
      this.openConnection(this.now());
    }
  }

  // ---- notices ----------------------------------------------------------------------

  private notify(event: string, a: unknown, b: unknown, c: unknown): void {
    this.notices.push({ event, call: null, a, b, c });
  }

  private callLater(fn: Notice['call'], a: unknown, b: unknown): void {
    this.notices.push({ event: '', call: fn, a, b, c: undefined });
  }

  /** A command failed before reaching the session: the callback hears it, or else 'error' (MQTT.js). */
  private fail(cb: ((error: Error) => void) | undefined, error: Error): void {
    if (cb !== undefined) this.callLater(cb as Notice['call'], error, undefined);
    else this.notify('error', error, undefined, undefined);
  }

  private refuseWhileEnding(cb: ((error: Error) => void) | undefined): boolean {
    if (!this.disconnecting && !this.disconnected) return false;
    this.fail(cb, new Error('client disconnecting'));
    this.service(false);
    return true;
  }
}

function subscriptionList(topics: SubscribeTopics, o: SubscribeOptions): Subscription[] {
  const subs: Subscription[] = [];
  if (typeof topics === 'string') {
    subs.push(subscription(topics, o));
  } else if (Array.isArray(topics)) {
    for (let i = 0; i < topics.length; i++) subs.push(subscription(topics[i], o));
  } else {
    for (const topic in topics) {
      if (Object.prototype.hasOwnProperty.call(topics, topic)) subs.push(subscription(topic, topics[topic]));
    }
  }
  return subs;
}

function subscription(topic: string, o: SubscribeOptions): Subscription {
  const s: Subscription = { topic, qos: o.qos === undefined ? 0 : o.qos };
  if (o.nl !== undefined) s.nl = o.nl;
  if (o.rap !== undefined) s.rap = o.rap;
  if (o.rh !== undefined) s.rh = o.rh;
  return s;
}

function grants(subs: Subscription[], suback: SubackPacket): SubscriptionGrant[] {
  const out: SubscriptionGrant[] = [];
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i];
    const g: SubscriptionGrant = { topic: s.topic, qos: i < suback.granted.length ? suback.granted[i] : 0x80 };
    if (s.nl !== undefined) g.nl = s.nl;
    if (s.rap !== undefined) g.rap = s.rap;
    if (s.rh !== undefined) g.rh = s.rh;
    out.push(g);
  }
  return out;
}
