/// <reference path="../flags.d.ts" />
// The MQTT session as a sans-I/O state machine (h11's model): no sockets, no timers, no
// clock of its own. The driver reports what happened (open, bytes received, closed,
// time passed, application commands), each with `now` in ms, and pulls what the session
// wants done: bytes to write (takeOutput), events to deliver (nextEvent), and when to
// call tick() next (nextDeadline). A 60 s keep-alive test runs in microseconds.
//
// All protocol rules live here; the stores of state it keeps are in outbox.ts (outgoing
// messages), persistence.ts (the reboot-proof copy) and inbound.ts (incoming QoS 2 and
// topic aliases).
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
} from '../codec/packets';
import type {
  AckPacket, AuthPacket, Bytes, ConnackPacket, ConnectPacket, DisconnectPacket, Packet, Properties,
  PublishPacket, QoS, ReceivedPublish, SubackPacket, Subscription, UnsubackPacket,
} from '../codec/packets';
import {
  IMPLEMENTATION_SPECIFIC_ERROR, KEEP_ALIVE_TIMEOUT, PACKET_TOO_LARGE, PROTOCOL_ERROR, QOS_NOT_SUPPORTED,
  PACKET_IDENTIFIER_NOT_FOUND, QUOTA_EXCEEDED, RECEIVE_MAXIMUM_EXCEEDED, SHARED_SUBSCRIPTIONS_NOT_SUPPORTED,
  SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, RETAIN_NOT_SUPPORTED, TOPIC_ALIAS_INVALID, isMqttError, mqttError,
} from '../codec/errors';
import type { MqttError } from '../codec/errors';
import { Decoder, encode, encodedLength, encodeInto } from '../codec/index';
import { resolveOptions } from './options';
import type { Done, ResolvedOptions, SessionOptions } from './options';
import {
  EV_AUTH, EV_CLOSE, EV_CONNECTED, EV_DONE, EV_ERROR, EV_MESSAGE, EV_SERVER_DISCONNECT,
} from './events';
import type { SessionEvent } from './events';
import { Outbox, WAIT_NONE, WAIT_PUBACK, WAIT_PUBCOMP, WAIT_PUBREC, readPublishId, writePublishId } from './outbox';
import { ID_ASSIGNED, Persistence } from './persistence';
import { Inbound } from './inbound';
import { connackError } from './connack';
import { OutboundAliases } from './aliases';

export const DISCONNECTED = 0;
export const CONNECTING = 1;
export const CONNECTED = 2;
/** We decided the connection is over (or the server did) and wait for the transport to close. */
export const DISCONNECTING = 3;

/** The Decoder's default: no limit beyond the protocol's own. */
const MAX_PACKET = 268435460;

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

/** A SUBSCRIBE or UNSUBSCRIBE awaiting its acknowledgement. */
interface PendingOp {
  id: number;
  type: typeof SUBSCRIBE | typeof UNSUBSCRIBE;
  bytes: Uint8Array;
  done: Done | undefined;
  subs: Subscription[] | undefined;
  topics: string[] | undefined;
  properties: Properties | undefined;
  sent: boolean;
}

/** A subscription the server granted, to restore when it has no session. */
interface Remembered {
  sub: Subscription;
  properties: Properties | undefined;
}

export class Session {
  readonly options: ResolvedOptions;
  state: number;
  connack: ConnackPacket | undefined;
  private v: 4 | 5;
  private decoder: Decoder;
  private out: Uint8Array[];
  private outHead: number;
  private events: SessionEvent[];
  private evHead: number;
  private outbox: Outbox;
  /**
   * sequence number (not slot: slots move when the outbox compacts) of the first outbox
   * record not yet written on this connection
   */
  private cursor: number;
  /** QoS 1/2 records written on this connection and not finished */
  private inflight: number;
  /** outbox records not yet written on this connection */
  private unsent: number;
  private ops: PendingOp[];
  private remembered: Remembered[];
  private lastId: number;
  /**
   * Store keys (sequence numbers) of the messages restore() took back, by their outbox
   * sequence number: they keep the keys they were stored under, since moving a record to
   * a new key (write the copy, delete the original) leaves both after a power cut there.
   */
  private storedSeq: { [seq: number]: number };
  private inbound: Inbound;
  private aliases: OutboundAliases;
  private persist: Persistence;
  // the server's limits, from the last CONNACK
  private window: number;
  private maxQoS: number;
  private retainAvailable: boolean;
  private serverMaxPacket: number;
  private keepaliveMs: number;
  private lastSent: number;
  private pingDeadline: number;
  private connectDeadline: number;

  constructor(options: SessionOptions) {
    const o = resolveOptions(options);
    this.options = o;
    this.v = o.protocolVersion === 5 ? 5 : 4;
    this.state = DISCONNECTED;
    this.connack = undefined;
    // MQTT 5: the Maximum Packet Size the application announces is the one enforced (a
    // larger packet is a protocol error, 0x95), so the server and we never disagree
    const announced = this.v === 5 && o.properties !== undefined ? o.properties.maximumPacketSize : undefined;
    this.decoder = new Decoder({ protocolVersion: this.v, maxPacketSize: announced !== undefined ? announced : o.maxIncomingPacketSize });
    this.out = [];
    this.outHead = 0;
    this.events = [];
    this.evHead = 0;
    this.outbox = new Outbox(o.outboxBlockSize);
    this.cursor = 0;
    this.inflight = 0;
    this.unsent = 0;
    this.ops = [];
    this.remembered = [];
    this.lastId = 0;
    this.storedSeq = {};
    const props = o.properties;
    this.inbound = new Inbound(props !== undefined && props.topicAliasMaximum !== undefined ? props.topicAliasMaximum : 0,
      props !== undefined && props.receiveMaximum !== undefined ? props.receiveMaximum : 65535);
    this.aliases = new OutboundAliases();
    this.persist = new Persistence(o.store, o.storePrefix);
    this.window = o.maxInflight;
    this.maxQoS = 2;
    this.retainAvailable = true;
    this.serverMaxPacket = MAX_PACKET;
    this.keepaliveMs = o.keepalive * 1000;
    this.lastSent = 0;
    this.pingDeadline = -1;
    this.connectDeadline = -1;
    this.restore();
  }

  /** QoS 1/2 messages written and awaiting their acknowledgement. */
  get inflightCount(): number {
    return this.inflight;
  }

  /** Messages accepted and not yet written (offline, or waiting for the in-flight window). */
  get queuedCount(): number {
    return this.unsent;
  }

  /** SUBSCRIBE and UNSUBSCRIBE requests not yet acknowledged (sent or not). */
  get requestCount(): number {
    return this.ops.length;
  }

  // ---- driver inputs -------------------------------------------------------------

  /**
   * The transport is connected: sends CONNECT and waits for CONNACK until `connackBy`
   * (default: connectTimeout from now; a client passes the deadline it dialled with, so
   * connectTimeout bounds dial to CONNACK once, as MQTT.js's does).
   */
  open(now: number, connackBy?: number): void {
    if (this.state !== DISCONNECTED) throw mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'open() while a connection is active');
    this.state = CONNECTING;
    this.decoder.reset();
    this.decoder.protocolVersion = this.v;
    this.connack = undefined;
    this.keepaliveMs = this.options.keepalive * 1000;
    this.pingDeadline = -1;
    this.connectDeadline = connackBy === undefined ? now + this.options.connectTimeout : connackBy;
    this.emitBytes(encode(this.connectPacket(), this.v), now);
  }

  /** Bytes from the transport. Bad input closes the connection; it never throws. */
  receive(bytes: Uint8Array, now: number): void {
    if (this.state !== CONNECTING && this.state !== CONNECTED) return;
    try {
      this.decoder.feed(bytes);
      let p = this.decoder.read();
      while (p !== null) {
        this.handle(p, now);
        if (this.state !== CONNECTING && this.state !== CONNECTED) return;
        p = this.decoder.read();
      }
    } catch (e) {
      if (!isMqttError(e)) throw e;
      this.protocolFailure(e, now);
    }
  }

  /** The transport closed or failed, for any reason. Unfinished messages are kept; `now` is taken for symmetry with the other inputs. */
  closed(_now: number): void {
    if (this.state === DISCONNECTED) return;
    this.state = DISCONNECTED;
    this.connectDeadline = -1;
    this.pingDeadline = -1;
    this.out = []; // not .length = 0: Espruino 2v29 then throws on indexed stores (DESIGN.md quirks)
    this.outHead = 0;
    this.outbox.markAllUnsent();
    this.cursor = this.outbox.seq(this.outbox.head);
    this.inflight = 0;
    this.unsent = this.outbox.count;
    for (let i = 0; i < this.ops.length; i++) this.ops[i].sent = false;
    this.inbound.connectionClosed();
    this.aliases.clear();
  }

  /** Time passed: keep-alive and the CONNACK timeout. */
  tick(now: number): void {
    if (this.state === CONNECTING) {
      if (this.connectDeadline >= 0 && elapsed(now, this.connectDeadline) >= 0) {
        this.fail(mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'no CONNACK within connectTimeout'));
      }
      return;
    }
    if (this.state !== CONNECTED || this.keepaliveMs === 0) return;
    if (this.pingDeadline >= 0) {
      if (elapsed(now, this.pingDeadline) >= 0) {
        // The link is dead or the server is: a DISCONNECT would go nowhere.
        this.fail(mqttError(KEEP_ALIVE_TIMEOUT, 'no PINGRESP within pingTimeout: connection lost'));
      }
    } else if (elapsed(now, this.lastSent) >= this.keepaliveMs) {
      this.emitBytes(encode({ type: PINGREQ }, this.v), now);
      // from the keep-alive in force: a Server Keep Alive replaces ours [MQTT-3.1.2-21]
      const wait = this.options.pingTimeout;
      this.pingDeadline = now + (wait !== undefined ? wait : Math.min(this.keepaliveMs / 2, 10000));
    }
  }

  /** When tick() is wanted next (absolute ms), or -1. */
  nextDeadline(): number {
    if (this.state === CONNECTING) return this.connectDeadline;
    if (this.state !== CONNECTED || this.keepaliveMs === 0) return -1;
    return this.pingDeadline >= 0 ? this.pingDeadline : this.lastSent + this.keepaliveMs;
  }

  // ---- driver outputs ------------------------------------------------------------

  /** The next bytes to write, in order; null when there are none. */
  takeOutput(): Uint8Array | null {
    if (this.outHead === this.out.length) return null;
    const b = this.out[this.outHead];
    this.out[this.outHead++] = EMPTY;
    if (this.outHead === this.out.length) {
      this.out = [];
      this.outHead = 0;
    }
    return b;
  }

  /** The next event for the application; null when there are none. */
  nextEvent(): SessionEvent | null {
    if (this.evHead === this.events.length) return null;
    const e = this.events[this.evHead];
    this.events[this.evHead++] = NO_EVENT;
    if (this.evHead === this.events.length) {
      this.events = [];
      this.evHead = 0;
    }
    return e;
  }

  // ---- application commands ------------------------------------------------------

  /**
   * Accepts a message for sending. Throws an MqttError, and keeps nothing, for a bad
   * argument, a limit of the server's (Maximum QoS, Retain Available, Maximum Packet
   * Size, Topic Alias Maximum) or a full queue. Works offline: sent once connected.
   */
  publish(topic: string, payload: Bytes, opts: PublishOptions, now: number, done?: Done): void {
    const qos = opts.qos === undefined ? 0 : opts.qos;
    const retain = opts.retain === true;
    const packet: PublishPacket = {
      type: PUBLISH, topic: topic, payload: payload, qos: qos, retain: retain, dup: false,
      messageId: qos > 0 ? 0xffff : undefined, properties: opts.properties,
    };
    this.checkServerLimits(qos, retain, opts.properties);
    if (qos === 0 && this.state === CONNECTED && this.unsent === 0) {
      const bytes = (this.aliases.active && this.aliased(packet)) || encode(packet, this.v);
      if (bytes.length > this.serverMaxPacket) throw tooLarge(bytes.length, this.serverMaxPacket);
      this.emitBytes(bytes, now);
      if (done !== undefined) this.emit({ kind: EV_DONE, done: done, error: null, packet: undefined });
      return;
    }
    if (this.unsent >= this.options.maxQueued) {
      throw mqttError(QUOTA_EXCEEDED, 'queue full: ' + this.unsent + ' messages waiting (maxQueued)');
    }
    const n = encodedLength(packet, this.v);
    if (n > this.serverMaxPacket) throw tooLarge(n, this.serverMaxPacket);
    if (this.outbox.bytes + n > this.options.maxQueuedBytes) {
      throw mqttError(QUOTA_EXCEEDED, 'queue full: ' + this.outbox.bytes + ' bytes held (maxQueuedBytes)');
    }
    const ob = this.outbox;
    ob.alloc(n);
    encodeInto(packet, this.v, ob.allocBlock, ob.allocOffset);
    const state = qos === 0 ? WAIT_NONE : qos === 1 ? WAIT_PUBACK : WAIT_PUBREC;
    const slot = ob.add(qos, state, n, done);
    if (qos > 0) {
      try {
        this.persist.saveMessage(ob.seq(slot), state, ob.packet(slot));
      } catch (e) {
        ob.remove(slot);
        throw e;
      }
    }
    this.unsent++;
    if (this.state === CONNECTED) {
      if (this.aliases.active && ob.seq(slot) === this.cursor && (qos === 0 || this.inflight < this.window)) {
        // the held bytes (checked against the limit above) when the aliased form would not fit
        this.writeRecord(slot, now, this.aliased(packet) || undefined);
        this.cursor = ob.seq(slot) + 1;
      }
      this.flush(now);
    }
  }

  subscribe(subs: Subscription[], properties: Properties | undefined, now: number, done?: Done): void {
    this.checkSubscribeLimits(subs, properties);
    this.addOp(SUBSCRIBE, subs, undefined, properties, now, done);
  }

  unsubscribe(topics: string[], properties: Properties | undefined, now: number, done?: Done): void {
    this.addOp(UNSUBSCRIBE, undefined, topics, properties, now, done);
  }

  /** Sends DISCONNECT (when connected) and asks for the transport to be closed. */
  disconnect(reasonCode: number, properties: Properties | undefined, now: number): void {
    if (this.state === CONNECTED) {
      const p: DisconnectPacket = { type: DISCONNECT };
      if (this.v === 5) {
        p.reasonCode = reasonCode;
        p.properties = properties;
      }
      this.emitBytes(encode(p, this.v), now);
    }
    if (this.state === CONNECTED || this.state === CONNECTING) {
      this.state = DISCONNECTING;
      this.emit({ kind: EV_CLOSE, error: null });
    }
  }

  /** Answers the server's AUTH, or starts re-authentication (MQTT 5 enhanced authentication). */
  auth(reasonCode: number, properties: Properties | undefined, now: number): void {
    if (this.v !== 5) throw mqttError(PROTOCOL_ERROR, 'AUTH needs MQTT 5');
    if (this.state !== CONNECTING && this.state !== CONNECTED) throw mqttError(IMPLEMENTATION_SPECIFIC_ERROR, 'not connected');
    const p: AuthPacket = { type: AUTH, reasonCode: reasonCode, properties: properties };
    this.emitBytes(encode(p, this.v), now);
  }

  /**
   * Acknowledges an incoming QoS 1/2 message (manualAcks). A reason code of 0x80 or
   * above refuses it (MQTT 5). A message from an earlier connection is ignored: the
   * server sends it again. Acknowledgements go out in the order the messages came, per
   * QoS [MQTT-4.6.0-2]: an ack waits for those of the earlier messages.
   */
  ack(packet: ReceivedPublish, reasonCode: number, now: number): void {
    if (this.state !== CONNECTED || packet.qos === 0) return;
    if (!this.inbound.markAcked(packet, reasonCode)) return;
    const ready = this.inbound.takeAcked();
    for (let k = 0; k < ready.length; k++) {
      const p = ready[k].packet;
      const id = p.messageId as number;
      const code = ready[k].reasonCode;
      if (p.qos === 2 && code < 0x80) {
        this.inbound.awaitRelease(id);
        this.persist.saveIncoming(id);
      }
      this.emitAck(p.qos === 1 ? PUBACK : PUBREC, id, code, now);
    }
  }

  /**
   * The application stops waiting (the client ended): every pending completion callback
   * is reported with `error`, and SUBSCRIBE/UNSUBSCRIBE requests not yet acknowledged are
   * dropped. Messages stay held (and stored): a later connection, or a later process
   * with the same store, still delivers them; only their callbacks are gone.
   */
  abandon(error: Error): void {
    const ob = this.outbox;
    for (let i = ob.head; i < ob.tail; i++) {
      // a freed slot has no callback left (Outbox.remove drops it)
      const done = ob.done(i);
      if (done === undefined) continue;
      ob.clearDone(i);
      this.emit({ kind: EV_DONE, done: done, error: error, packet: undefined });
    }
    const ops = this.ops;
    this.ops = [];
    for (let k = 0; k < ops.length; k++) {
      const done = ops[k].done;
      if (done !== undefined) this.emit({ kind: EV_DONE, done: done, error: error, packet: undefined });
    }
  }

  // ---- incoming packets ----------------------------------------------------------

  private handle(p: Packet, now: number): void {
    if (this.state === CONNECTING && p.type !== CONNACK && p.type !== AUTH) {
      // [MQTT-3.2.0-1] the first packet from the server is CONNACK (or AUTH).
      throw mqttError(PROTOCOL_ERROR, 'expected CONNACK, got packet type ' + p.type);
    }
    switch (p.type) {
      case CONNACK: return this.onConnack(p, now);
      case PUBLISH: return this.onPublish(p as ReceivedPublish, now);
      case PUBACK: return this.onPuback(p, now);
      case PUBREC: return this.onPubrec(p, now);
      case PUBREL: return this.onPubrel(p, now);
      case PUBCOMP: return this.onPubcomp(p, now);
      case SUBACK: return this.onOpAck(p);
      case UNSUBACK: return this.onOpAck(p);
      case PINGRESP:
        this.pingDeadline = -1;
        return;
      case DISCONNECT: return this.onDisconnect(p);
      case AUTH:
        this.emit({ kind: EV_AUTH, packet: p });
        return;
      default:
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ only ever go to a server.
        throw mqttError(PROTOCOL_ERROR, 'a server does not send packet type ' + p.type);
    }
  }

  private onConnack(p: ConnackPacket, now: number): void {
    if (this.state !== CONNECTING) throw mqttError(PROTOCOL_ERROR, 'second CONNACK');
    this.connack = p;
    this.connectDeadline = -1;
    if (p.reasonCode !== 0) {
      this.fail(connackError(p, this.v));
      return;
    }
    this.state = CONNECTED;
    this.applyServerLimits(p.properties);
    if (!p.sessionPresent) {
      // The server has no state of ours: it will not send PUBREL for what we hold, and
      // it forgot our subscriptions.
      const dropped = this.inbound.forgetAll();
      for (let i = 0; i < dropped.length; i++) this.persist.dropIncoming(dropped[i]);
      this.resubscribe(now);
    }
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i];
      if (!op.sent) {
        op.sent = true;
        this.emitBytes(op.bytes, now);
      }
    }
    this.flush(now);
    this.emit({ kind: EV_CONNECTED, connack: p });
  }

  private onPublish(p: ReceivedPublish, now: number): void {
    if (this.v === 5) this.inbound.resolveAlias(p);
    const id = p.messageId as number;
    // manualAcks: a resend (3.1.1 allows one on the same connection) of a message still
    // awaiting the application's ack is that message: its one ack answers both. Delivered
    // again, the late ack of the copy would say PUBREC for an exchange already over, and
    // the id, marked again, would make the server's next message with it a "duplicate".
    if (this.options.manualAcks && p.qos > 0 && this.inbound.hasUnacked(id, p.qos)) return;
    if (p.qos === 1) {
      if (this.options.manualAcks) {
        // unacknowledged QoS 1 count against our Receive Maximum too [MQTT-3.3.4-9]
        if (this.inbound.pending() >= this.inbound.receiveMaximum) {
          throw mqttError(RECEIVE_MAXIMUM_EXCEEDED, 'server exceeded our Receive Maximum');
        }
        this.inbound.addUnacked(p);
      } else this.emitAck(PUBACK, id, 0, now);
    } else if (p.qos === 2) {
      if (this.inbound.awaitingRelease(id)) {
        // A duplicate of a message already delivered: acknowledge again, deliver not.
        this.emitAck(PUBREC, id, 0, now);
        return;
      }
      if (this.inbound.pending() >= this.inbound.receiveMaximum) {
        throw mqttError(RECEIVE_MAXIMUM_EXCEEDED, 'server exceeded our Receive Maximum');
      }
      if (this.options.manualAcks) {
        this.inbound.addUnacked(p);
      } else {
        this.inbound.awaitRelease(id);
        this.persist.saveIncoming(id);
        this.emitAck(PUBREC, id, 0, now);
      }
    }
    this.emit({ kind: EV_MESSAGE, packet: p });
  }

  private onPuback(p: AckPacket, now: number): void {
    const i = this.outbox.find(p.messageId, WAIT_PUBACK);
    if (i < 0) return; // stray: nothing of ours waits for it
    this.finish(i, p, ackError(p), now);
  }

  private onPubrec(p: AckPacket, now: number): void {
    const ob = this.outbox;
    const i = ob.find(p.messageId, WAIT_PUBREC);
    if (i < 0) {
      // Either a repeat for a message already released (answer PUBREL again) or an id we
      // do not know ([MQTT-4.3.3], 0x92).
      const known = ob.find(p.messageId, WAIT_PUBCOMP) >= 0;
      this.emitAck(PUBREL, p.messageId, known ? 0 : PACKET_IDENTIFIER_NOT_FOUND, now);
      return;
    }
    const err = ackError(p);
    if (err !== null) {
      // A refused QoS 2 message ends here: no PUBREL follows a failing PUBREC.
      this.finish(i, p, err, now);
      return;
    }
    ob.toPubcompWait(i);
    this.persist.saveReleased(this.storeSeq(i), p.messageId);
    this.emitAck(PUBREL, p.messageId, 0, now);
  }

  private onPubcomp(p: AckPacket, now: number): void {
    const i = this.outbox.find(p.messageId, WAIT_PUBCOMP);
    if (i < 0) return;
    // 0x92 means the server forgot the id (a lost session): it accepted the message when
    // it sent PUBREC, so that is no failure of delivery.
    const code = p.reasonCode === undefined ? 0 : p.reasonCode;
    this.finish(i, p, code >= 0x80 && code !== PACKET_IDENTIFIER_NOT_FOUND ? ackError(p) : null, now);
  }

  private onPubrel(p: AckPacket, now: number): void {
    const known = this.inbound.release(p.messageId);
    if (known) this.persist.dropIncoming(p.messageId);
    this.emitAck(PUBCOMP, p.messageId, known ? 0 : PACKET_IDENTIFIER_NOT_FOUND, now);
  }

  private onOpAck(p: SubackPacket | UnsubackPacket): void {
    const want = p.type === SUBACK ? SUBSCRIBE : UNSUBSCRIBE;
    let k = 0;
    while (k < this.ops.length && !(this.ops[k].id === p.messageId && this.ops[k].type === want)) k++;
    if (k === this.ops.length) return; // stray
    const op = this.ops[k];
    this.ops.splice(k, 1);
    if (op.subs !== undefined) this.remember(op.subs, op.properties, (p as SubackPacket).granted);
    if (op.topics !== undefined) this.forget(op.topics);
    if (op.done !== undefined) this.emit({ kind: EV_DONE, done: op.done, error: null, packet: p });
  }

  private onDisconnect(p: DisconnectPacket): void {
    this.emit({ kind: EV_SERVER_DISCONNECT, packet: p });
    const code = p.reasonCode === undefined ? 0 : p.reasonCode;
    const why = p.properties !== undefined && p.properties.reasonString !== undefined ? ': ' + p.properties.reasonString : '';
    this.state = DISCONNECTING;
    this.emit({ kind: EV_CLOSE, error: code >= 0x80 ? mqttError(code, 'server disconnected' + why) : null });
  }

  // ---- helpers -------------------------------------------------------------------

  private connectPacket(): ConnectPacket {
    const o = this.options;
    const p: ConnectPacket = {
      type: CONNECT, protocolVersion: this.v, clientId: o.clientId, clean: o.clean, keepalive: o.keepalive,
    };
    if (o.username !== undefined) p.username = o.username;
    if (o.password !== undefined) p.password = o.password;
    if (o.will !== undefined) {
      p.will = {
        topic: o.will.topic, payload: o.will.payload, qos: o.will.qos === undefined ? 0 : o.will.qos,
        retain: o.will.retain === true, properties: o.will.properties,
      };
    }
    if (this.v === 5) {
      const props: Properties = Object.assign({}, o.properties);
      // Tell the server our limit so it drops what we could not take, instead of
      // sending it and losing the connection over it.
      if (props.maximumPacketSize === undefined && o.maxIncomingPacketSize < MAX_PACKET) {
        props.maximumPacketSize = o.maxIncomingPacketSize;
      }
      p.properties = props;
    }
    return p;
  }

  private applyServerLimits(props: Properties | undefined): void {
    const o = this.options;
    let window = o.maxInflight;
    this.maxQoS = 2;
    this.retainAvailable = true;
    this.serverMaxPacket = MAX_PACKET;
    let aliasMax = 0;
    if (props !== undefined) {
      if (props.receiveMaximum !== undefined && props.receiveMaximum < window) window = props.receiveMaximum;
      if (props.maximumQoS !== undefined) this.maxQoS = props.maximumQoS;
      if (props.retainAvailable === false) this.retainAvailable = false;
      if (props.maximumPacketSize !== undefined) this.serverMaxPacket = props.maximumPacketSize;
      if (props.topicAliasMaximum !== undefined) aliasMax = props.topicAliasMaximum;
      if (props.serverKeepAlive !== undefined) this.keepaliveMs = props.serverKeepAlive * 1000;
    }
    this.window = window;
    this.aliases.reset(o.autoAssignTopicAlias ? aliasMax : 0, aliasMax);
  }

  private checkServerLimits(qos: number, retain: boolean, props: Properties | undefined): void {
    if (this.connack === undefined) return;
    if (qos > this.maxQoS) {
      throw mqttError(QOS_NOT_SUPPORTED, 'QoS ' + qos + ' exceeds the server\'s Maximum QoS ' + this.maxQoS);
    }
    if (retain && !this.retainAvailable) throw mqttError(RETAIN_NOT_SUPPORTED, 'the server does not support retained messages');
    if (props !== undefined && props.topicAlias !== undefined && !this.aliases.allows(props.topicAlias)) {
      throw mqttError(TOPIC_ALIAS_INVALID, 'topic alias ' + props.topicAlias + ' exceeds the server\'s Topic Alias Maximum');
    }
  }

  private checkSubscribeLimits(subs: Subscription[], props: Properties | undefined): void {
    const c = this.connack;
    const sp = c === undefined ? undefined : c.properties;
    if (sp === undefined) return;
    for (let i = 0; i < subs.length; i++) {
      const t = subs[i].topic;
      if (sp.wildcardSubscriptionAvailable === false && (t.indexOf('+') >= 0 || t.indexOf('#') >= 0)) {
        throw mqttError(WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, 'the server does not support wildcard subscriptions: ' + t);
      }
      if (sp.sharedSubscriptionAvailable === false && t.indexOf('$share/') === 0) {
        throw mqttError(SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, 'the server does not support shared subscriptions: ' + t);
      }
    }
    if (sp.subscriptionIdentifiersAvailable === false && props !== undefined && props.subscriptionIdentifier !== undefined) {
      throw mqttError(SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, 'the server does not support subscription identifiers');
    }
  }

  private addOp(
    type: typeof SUBSCRIBE | typeof UNSUBSCRIBE, subs: Subscription[] | undefined, topics: string[] | undefined,
    properties: Properties | undefined, now: number, done: Done | undefined,
  ): void {
    if (this.ops.length >= this.options.maxQueued) {
      throw mqttError(QUOTA_EXCEEDED, 'too many subscribe/unsubscribe requests waiting (maxQueued)');
    }
    const id = this.allocateId();
    const bytes = type === SUBSCRIBE
      ? encode({ type: SUBSCRIBE, messageId: id, subscriptions: subs as Subscription[], properties: properties }, this.v)
      : encode({ type: UNSUBSCRIBE, messageId: id, unsubscriptions: topics as string[], properties: properties }, this.v);
    const op: PendingOp = {
      id: id, type: type, bytes: bytes, done: done, subs: subs, topics: topics, properties: properties, sent: false,
    };
    this.ops.push(op);
    if (this.state === CONNECTED) {
      op.sent = true;
      this.emitBytes(bytes, now);
    }
  }

  private remember(subs: Subscription[], props: Properties | undefined, granted: number[]): void {
    for (let i = 0; i < subs.length; i++) {
      if (granted[i] === undefined || granted[i] >= 0x80) continue;
      this.forget([subs[i].topic]);
      this.remembered.push({ sub: subs[i], properties: props });
    }
  }

  private forget(topics: string[]): void {
    for (let t = 0; t < topics.length; t++) {
      for (let i = this.remembered.length - 1; i >= 0; i--) {
        if (this.remembered[i].sub.topic === topics[t]) this.remembered.splice(i, 1);
      }
    }
  }

  /**
   * One SUBSCRIBE per distinct set of properties, in the order first subscribed. The
   * filters stay remembered meanwhile (their SUBACK remembers them again, in place of
   * themselves): a request the client drops, as end() does, must not forget them.
   */
  private resubscribe(now: number): void {
    const r = this.remembered;
    const done: boolean[] = [];
    for (let i = 0; i < r.length; i++) {
      if (done[i]) continue;
      const group: Subscription[] = [];
      for (let j = i; j < r.length; j++) {
        if (!done[j] && r[j].properties === r[i].properties) {
          group.push(r[j].sub);
          done[j] = true;
        }
      }
      this.addOp(SUBSCRIBE, group, undefined, r[i].properties, now, undefined);
    }
  }

  /** Writes outbox records in order while the in-flight window allows. */
  private flush(now: number): void {
    const ob = this.outbox;
    // A record past the cursor can finish unsent (its ack came first), and the head
    // then passes the cursor: never start below the head.
    let i = this.cursor - ob.seqBase;
    if (i < ob.head) i = ob.head;
    for (; i < ob.tail; i++) {
      if (ob.isFree(i)) continue;
      if (ob.qos(i) > 0 && this.inflight >= this.window) break;
      const refusal = ob.hasPacket(i) && !ob.isSent(i) ? this.refusal(ob.packet(i)) : null;
      if (refusal !== null) {
        // Queued before this server's limits were known; it can never be sent here.
        this.finish(i, undefined, refusal, now);
        continue;
      }
      this.writeRecord(i, now, undefined);
    }
    this.cursor = ob.seq(i);
  }

  /** Writes outbox record i (its own bytes, or `bytes` when given). */
  private writeRecord(i: number, now: number, bytes: Uint8Array | undefined): void {
    const ob = this.outbox;
    this.unsent--;
    if (ob.qos(i) === 0) {
      this.emitBytes(bytes === undefined ? ob.packet(i) : bytes, now);
      const done = ob.done(i);
      ob.remove(i);
      if (done !== undefined) this.emit({ kind: EV_DONE, done: done, error: null, packet: undefined });
      return;
    }
    this.inflight++;
    ob.markSent(i);
    if (ob.state(i) === WAIT_PUBCOMP) {
      this.emitAck(PUBREL, ob.id(i), 0, now);
      return;
    }
    if (ob.id(i) === 0) {
      ob.setId(i, this.allocateId());
      this.persist.saveMessage(this.storeSeq(i), ob.state(i) | ID_ASSIGNED, ob.packet(i));
      if (bytes !== undefined) writePublishId(bytes, 0, ob.id(i));
    }
    this.emitBytes(bytes === undefined ? ob.packet(i) : bytes, now);
  }

  /** Ends an outgoing message's life: reports it and frees its slot. */
  private finish(i: number, ack: AckPacket | undefined, err: Error | null, now: number): void {
    const ob = this.outbox;
    const done = ob.done(i);
    if (ob.qos(i) > 0) {
      this.persist.dropMessage(this.storeSeq(i));
      delete this.storedSeq[ob.seq(i)];
    }
    if (ob.isSent(i)) this.inflight--;
    else this.unsent--;
    ob.remove(i);
    if (done !== undefined) this.emit({ kind: EV_DONE, done: done, error: err, packet: ack });
    if (ack !== undefined && this.state === CONNECTED) this.flush(now);
  }

  /** Why a queued PUBLISH cannot go to this server, or null. */
  private refusal(packet: Uint8Array): MqttError | null {
    const qos = (packet[0] >> 1) & 3;
    if (packet.length > this.serverMaxPacket) return tooLarge(packet.length, this.serverMaxPacket);
    if (qos > this.maxQoS) return mqttError(QOS_NOT_SUPPORTED, 'QoS ' + qos + ' exceeds the server\'s Maximum QoS ' + this.maxQoS);
    if ((packet[0] & 1) !== 0 && !this.retainAvailable) return mqttError(RETAIN_NOT_SUPPORTED, 'the server does not support retained messages');
    return null;
  }

  /** Sequential from 1, skipping ids in use, wrapping after 65535 (DESIGN.md). */
  private allocateId(): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.lastId === 65535 ? 1 : this.lastId + 1;
      this.lastId = id;
      if (!this.idInUse(id)) return id;
    }
    throw mqttError(QUOTA_EXCEEDED, 'all 65535 packet identifiers are in use');
  }

  private idInUse(id: number): boolean {
    for (let i = 0; i < this.ops.length; i++) if (this.ops[i].id === id) return true;
    return this.outbox.holdsId(id);
  }

  /**
   * The PUBLISH with an outgoing topic alias, to be sent now; null when there is no alias
   * to give, or when the aliased form (topic and alias: 3 bytes more) would pass the
   * server's Maximum Packet Size [MQTT-3.2.2-15]. A new alias is recorded only when its
   * bytes are returned, so a refused message never makes the server "know" it.
   */
  private aliased(packet: PublishPacket): Uint8Array | null {
    const alias = this.aliases.choose(packet.topic);
    if (alias.alias === 0) return null;
    const props: Properties = Object.assign({}, packet.properties);
    props.topicAlias = alias.alias;
    const bytes = encode({
      type: PUBLISH, topic: alias.known ? '' : packet.topic, payload: packet.payload, qos: packet.qos,
      retain: packet.retain, dup: false, messageId: packet.messageId, properties: props,
    }, this.v);
    if (bytes.length > this.serverMaxPacket) return null;
    if (!alias.known) this.aliases.commit(packet.topic);
    return bytes;
  }

  private emitAck(type: typeof PUBACK | typeof PUBREC | typeof PUBREL | typeof PUBCOMP, id: number, reasonCode: number, now: number): void {
    const p: AckPacket = { type: type, messageId: id };
    if (this.v === 5 && reasonCode !== 0) p.reasonCode = reasonCode;
    this.emitBytes(encode(p, this.v), now);
  }

  private emitBytes(b: Uint8Array, now: number): void {
    this.out.push(b);
    this.lastSent = now;
  }

  private emit(e: SessionEvent): void {
    this.events.push(e);
  }

  /** A violation by the server (or its bytes): tell it why (MQTT 5), report, close. */
  private protocolFailure(e: MqttError, now: number): void {
    if (this.v === 5 && this.state === CONNECTED) {
      this.emitBytes(encode({ type: DISCONNECT, reasonCode: e.code }, this.v), now);
    }
    this.fail(e);
  }

  private fail(e: MqttError): void {
    this.state = DISCONNECTING;
    this.emit({ kind: EV_ERROR, error: e });
    this.emit({ kind: EV_CLOSE, error: e });
  }

  /** The key outbox record i is stored under: its sequence number, or the one it had before a restart. */
  private storeSeq(i: number): number {
    const seq = this.outbox.seq(i);
    const stored = this.storedSeq[seq];
    return stored === undefined ? seq : stored;
  }

  /**
   * Loads what a previous run left unfinished in the store. Nothing is written: each
   * record keeps its key (storedSeq), and new messages are numbered after the last one.
   */
  private restore(): void {
    const stored = this.persist.loadMessages();
    if (stored.length > 0) this.outbox.seqBase = stored[stored.length - 1].seq + 1;
    const ob = this.outbox;
    for (let k = 0; k < stored.length; k++) {
      const m = stored[k];
      let slot: number;
      if (m.packet === undefined) {
        slot = ob.addBare(m.id, undefined);
      } else {
        const assigned = (m.state & ID_ASSIGNED) !== 0;
        ob.alloc(m.packet.length);
        ob.allocBlock.set(m.packet, ob.allocOffset);
        // [MQTT-3.3.1-1] a message that had its id was sent before the restart: DUP.
        if (assigned) ob.allocBlock[ob.allocOffset] |= 0x08;
        slot = ob.add((m.packet[0] >> 1) & 3, m.state & ~ID_ASSIGNED, m.packet.length, undefined);
        if (assigned) ob.setId(slot, readPublishId(m.packet));
      }
      this.storedSeq[ob.seq(slot)] = m.seq;
      if (ob.id(slot) > this.lastId) this.lastId = ob.id(slot);
      this.unsent++;
    }
    this.cursor = ob.seq(ob.head);
    const ids = this.persist.loadIncoming();
    for (let k = 0; k < ids.length; k++) this.inbound.awaitRelease(ids[k]);
  }
}

const EMPTY = new Uint8Array(0);
const NO_EVENT: SessionEvent = { kind: EV_CLOSE, error: null };

/** Signed difference a - b of two ms timestamps, safe across a 32-bit tick wrap. */
function elapsed(a: number, b: number): number {
  return (a - b) | 0;
}

function tooLarge(n: number, max: number): MqttError {
  return mqttError(PACKET_TOO_LARGE, 'packet of ' + n + ' bytes exceeds the server\'s Maximum Packet Size ' + max);
}

function ackError(p: AckPacket): MqttError | null {
  const code = p.reasonCode === undefined ? 0 : p.reasonCode;
  if (code < 0x80) return null;
  const why = p.properties !== undefined && p.properties.reasonString !== undefined ? ': ' + p.properties.reasonString : '';
  return mqttError(code, 'the server refused the message (reason 0x' + code.toString(16) + ')' + why);
}
