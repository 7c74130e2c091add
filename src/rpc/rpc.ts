// Request / response over MQTT, on a Router.
//
//   const rpc = new Rpc(router);
//   rpc.respond('svc/add', (ctx) => {                 // the server side
//     const a = ctx.json<{ x: number; y: number }>();
//     if (typeof a.x !== 'number') throw rpcError(400, 'x must be a number');
//     return { sum: a.x + a.y };                      // the reply (JSON), status 200
//   });
//   rpc.request('svc/add', { x: 1, y: 2 }, { timeout: 2000 })   // the client side
//     .then((reply) => reply.json());                 // { sum: 3 }
//
// MQTT 5: a request carries the Response Topic and Correlation Data properties; the
// reply goes to that topic with the same Correlation Data and a user property `status`
// (200; 400 when the handler rejected the request; 500 when it failed) and, for an
// error, `reason`. MQTT 3.1.1 has none of these properties: request and reply carry the
// same fields in an envelope in front of the payload (src/router/envelope.ts), so both
// versions work alike; both ends must be firmqtt (or speak the envelope).
//
// One response subscription per Rpc (per client), made at the first request:
// `firmqtt/reply/<clientId>` unless responseTopic says otherwise. Each request has its
// own timeout (one timer for all). At most maxPending requests wait at once; more are
// refused at once (RPC_TOO_MANY). A reply nobody waits for (late: its request timed
// out; unknown: never asked) is dropped with a 'dropped' event.
import type { Clock } from '../client/clock';
import type { MqttClient } from '../client/client';
import type { Properties, QoS, ReceivedPublish } from '../codec/packets';
import { Emitter } from '../util/emitter';
import type { Context } from '../router/context';
import { encodeEnvelope } from '../router/envelope';
import { bytesToText, isJsonValue, toPayload } from '../router/payload';
import { sendReply, userProperty } from '../router/reply';
import type { Handler, Route, RouteOptions, Router } from '../router/router';
import { TimeoutClock } from './timer';

/** request() timed out. */
export const RPC_TIMEOUT = 'RPC_TIMEOUT';
/** request() refused: maxPending requests are already waiting. */
export const RPC_TOO_MANY = 'RPC_TOO_MANY';
/** The responder answered with an error status (err.status, err.reason). */
export const RPC_STATUS = 'RPC_STATUS';
/** close() was called while the request waited. */
export const RPC_CLOSED = 'RPC_CLOSED';

export interface RpcOptions {
  /** ms a request waits for its reply; default 10000 */
  timeout?: number;
  /** requests waiting at once; default 32 */
  maxPending?: number;
  /** where replies to this client go; default firmqtt/reply/<clientId> (a random id if the client id is unusable in a topic) */
  responseTopic?: string;
  /** QoS of requests, of the response subscription and of respond() subscriptions; default 1 */
  qos?: QoS;
  /** time and one timer for the timeouts; default Date.now() and setTimeout */
  clock?: Clock;
}

export interface RequestOptions {
  /** ms; default the Rpc's */
  timeout?: number;
  /** default the Rpc's (1) */
  qos?: QoS;
  /** MQTT 5 properties of the request (userProperties, contentType, messageExpiryInterval, ...); on 3.1.1 only userProperties travel */
  properties?: Properties;
}

/** An Error from request(): code is one of RPC_*; for RPC_STATUS also status, reason and the reply. */
export interface RpcError extends Error {
  code: string;
  status: number;
  reason: string;
  reply: RpcReply | null;
}

/** What a handler throws to answer with a status: rpcError(400, 'x must be a number'). Any other error answers 500. */
export function rpcError(status: number, reason: string): Error & { status: number } {
  const e = new Error(reason) as Error & { status: number };
  e.status = status;
  return e;
}

function requestError(code: string, status: number, message: string, reply: RpcReply | null): RpcError {
  const e = new Error(message) as RpcError;
  e.code = code;
  e.status = status;
  e.reason = message;
  e.reply = reply;
  return e;
}

/** A reply: its payload with lazy text() / json(), status and properties. */
export class RpcReply {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly properties: Properties;
  readonly packet: ReceivedPublish;
  /** the `status` user property; 200 when absent */
  readonly status: number;
  private readonly ctx: Context;

  constructor(ctx: Context, status: number) {
    this.topic = ctx.topic;
    this.payload = ctx.payload;
    this.properties = ctx.properties;
    this.packet = ctx.packet;
    this.status = status;
    this.ctx = ctx;
  }

  text(): string {
    return this.ctx.text();
  }

  json<T = unknown>(): T {
    return this.ctx.json<T>();
  }
}

export type DropReason = 'late' | 'unknown';

export type RpcEvents = {
  /** a reply no request waits for: 'late' (its request timed out or was closed), 'unknown' (never asked by this client) */
  dropped: (reason: DropReason, topic: string, packet: ReceivedPublish) => void;
};

class Pending {
  readonly id: string;
  readonly deadline: number;
  readonly resolve: (reply: RpcReply) => void;
  readonly reject: (error: Error) => void;
  done: boolean;
  constructor(id: string, deadline: number, resolve: (reply: RpcReply) => void, reject: (error: Error) => void) {
    this.id = id;
    this.deadline = deadline;
    this.resolve = resolve;
    this.reject = reject;
    this.done = false;
  }
}

const TOPIC_SAFE = /^[A-Za-z0-9_.-]+$/;

function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((Math.random() * 16) | 0).toString(16);
  return s;
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function noop(): void {
  // nothing to do
}

export class Rpc extends Emitter<RpcEvents> {
  readonly router: Router;
  readonly client: MqttClient;
  readonly responseTopic: string;
  private readonly timeout: number;
  private readonly maxPending: number;
  private readonly qos: QoS;
  private readonly clock: Clock;
  private readonly v5: boolean;
  /** correlation ids are prefix + counter: unique per Rpc, and across restarts of the client */
  private readonly prefix: string;
  private counter: number;
  private pending: Pending[];
  /** recently expired ids, to tell a late reply from an unknown one (a ring of maxPending) */
  private expired: string[];
  private expiredAt: number;
  private subscription: Promise<void> | null;
  private responseRoute: Route | null;
  /** ms the clock's timer is armed for; -1 none */
  private timerAt: number;
  private readonly timerFired: () => void;

  constructor(router: Router, options?: RpcOptions) {
    super();
    const o = options === undefined ? {} : options;
    this.router = router;
    this.client = router.client;
    const id = this.client.options.clientId;
    this.responseTopic = o.responseTopic !== undefined ? o.responseTopic : 'firmqtt/reply/' + (TOPIC_SAFE.test(id) ? id : randomHex(12));
    this.timeout = o.timeout === undefined ? 10000 : o.timeout;
    this.maxPending = o.maxPending === undefined ? 32 : o.maxPending;
    this.qos = o.qos === undefined ? 1 : o.qos;
    this.clock = o.clock === undefined ? new TimeoutClock() : o.clock;
    this.v5 = this.client.options.protocolVersion === 5;
    this.prefix = randomHex(6) + '-';
    this.counter = 0;
    this.pending = [];
    this.expired = [];
    this.expiredAt = 0;
    this.subscription = null;
    this.responseRoute = null;
    this.timerAt = -1;
    this.timerFired = () => this.onTimer();
  }

  /** Requests waiting for their reply. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Publishes a request to `topic` and resolves with the reply. `payload`: bytes or a
   * string as they are, anything else as JSON. Rejects with an RpcError: RPC_TIMEOUT,
   * RPC_TOO_MANY, RPC_STATUS (the responder's error status and reason), RPC_CLOSED, or
   * the client's own error (a bad topic, the subscription refused, ...).
   */
  request(topic: string, payload: unknown, options?: RequestOptions): Promise<RpcReply> {
    const o = options === undefined ? {} : options;
    if (this.pending.length >= this.maxPending) {
      return Promise.reject(requestError(RPC_TOO_MANY, 0, 'too many pending requests (maxPending ' + this.maxPending + ')', null));
    }
    const timeout = o.timeout === undefined ? this.timeout : o.timeout;
    const id = this.prefix + (this.counter++).toString(36);
    if (this.counter > 0x7fffffff) this.counter = 0;
    return new Promise<RpcReply>((resolve, reject) => {
      const p = new Pending(id, this.clock.now() + timeout, resolve, reject);
      this.pending.push(p);
      this.armTimer();
      let subscribed: Promise<void>;
      try {
        subscribed = this.subscribed();
      } catch (e) {
        // refused at once (ROUTE_CONFLICT on the response topic): nothing left waiting
        this.fail(p, e as Error);
        return;
      }
      subscribed.then(() => {
        if (!p.done) this.publishRequest(p, topic, payload, o);
      }, (e: unknown) => this.fail(p, e as Error));
    });
  }

  /**
   * Answers requests on `pattern` (a route pattern: {params}, share, middleware, ...):
   * the handler's return value (or resolved Promise) is the reply, with status 200; an
   * error with a numeric `status` (rpcError(400, reason)) answers that status and its
   * message as reason; any other error answers 500 and is reported as a route error. A
   * handler that called ctx.reply() itself gets no second reply. A request stopped by a
   * middleware gets no reply, unless the middleware throws an rpcError.
   */
  respond(pattern: string, handler: Handler, options?: RouteOptions): Route {
    const o: RouteOptions = Object.assign({ qos: this.qos }, options);
    if (!this.v5) o.envelope = true;
    o.after = (ctx, error, result) => this.answer(ctx, error, result);
    return this.router.route(pattern, handler, o);
  }

  /** Rejects every waiting request (RPC_CLOSED), stops the timer, removes the response route. */
  close(): Promise<void> {
    const list = this.pending;
    this.pending = [];
    for (let i = 0; i < list.length; i++) {
      this.remember(list[i].id);
      this.settle(list[i], requestError(RPC_CLOSED, 0, 'rpc closed', null), null);
    }
    this.armTimer();
    const route = this.responseRoute;
    this.responseRoute = null;
    this.subscription = null;
    return route === null ? Promise.resolve() : route.remove();
  }

  // ---- requests ---------------------------------------------------------------------

  /** The response subscription, made once (again after a failure). */
  private subscribed(): Promise<void> {
    if (this.subscription !== null) return this.subscription;
    const route = this.router.route(this.responseTopic, (ctx) => this.onReply(ctx), {
      qos: this.qos,
      global: false,
      envelope: !this.v5,
    });
    this.responseRoute = route;
    const s = route.subscribed.then(noop, (e: unknown) => {
      // Try again at the next request.
      if (this.responseRoute === route) {
        this.responseRoute = null;
        this.subscription = null;
        route.remove();
      }
      throw e;
    });
    this.subscription = s;
    return s;
  }

  private publishRequest(p: Pending, topic: string, payload: unknown, o: RequestOptions): void {
    const qos = o.qos === undefined ? this.qos : o.qos;
    const correlation = asciiBytes(p.id);
    const done = (error: Error | null) => {
      if (error) this.fail(p, error);
    };
    if (this.v5) {
      const props: Properties = Object.assign({}, o.properties);
      props.responseTopic = this.responseTopic;
      props.correlationData = correlation;
      if (props.contentType === undefined && isJsonValue(payload)) props.contentType = 'application/json';
      this.client.publish(topic, toPayload(payload), { qos, properties: props }, done);
    } else {
      const user = o.properties === undefined ? undefined : o.properties.userProperties;
      let bytes: Uint8Array;
      try {
        bytes = encodeEnvelope(this.responseTopic, correlation, user, toPayload(payload));
      } catch (e) {
        this.fail(p, e as Error);
        return;
      }
      this.client.publish(topic, bytes, { qos }, done);
    }
  }

  /** The response route's handler. */
  private onReply(ctx: Context): void {
    const cd = ctx.correlationData;
    const id = cd === undefined ? '' : bytesToText(cd);
    let p: Pending | null = null;
    for (let i = 0; i < this.pending.length; i++) {
      if (this.pending[i].id === id) {
        p = this.pending[i];
        this.pending.splice(i, 1);
        break;
      }
    }
    if (p === null) {
      this.emit('dropped', id !== '' && this.expired.indexOf(id) >= 0 ? 'late' : 'unknown', ctx.topic, ctx.packet);
      return;
    }
    this.armTimer();
    const s = userProperty(ctx.properties, 'status');
    const status = s === undefined ? 200 : parseInt(s, 10);
    const reply = new RpcReply(ctx, status);
    if (status >= 400) {
      const reason = userProperty(ctx.properties, 'reason');
      this.settle(p, requestError(RPC_STATUS, status, reason === undefined ? 'status ' + status : reason, reply), null);
    } else {
      this.settle(p, null, reply);
    }
  }

  private fail(p: Pending, error: Error): void {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
    this.armTimer();
    this.settle(p, error, null);
  }

  private settle(p: Pending, error: Error | null, reply: RpcReply | null): void {
    if (p.done) return;
    p.done = true;
    if (error !== null) p.reject(error);
    else p.resolve(reply as RpcReply);
  }

  private remember(id: string): void {
    if (this.expired.length < this.maxPending) this.expired.push(id);
    else this.expired[this.expiredAt] = id;
    this.expiredAt = (this.expiredAt + 1) % this.maxPending;
  }

  private onTimer(): void {
    this.timerAt = -1;
    const now = this.clock.now();
    const list = this.pending;
    const keep: Pending[] = [];
    const due: Pending[] = [];
    for (let i = 0; i < list.length; i++) {
      if (list[i].deadline <= now) due.push(list[i]);
      else keep.push(list[i]);
    }
    this.pending = keep;
    this.armTimer();
    for (let i = 0; i < due.length; i++) {
      this.remember(due[i].id);
      this.settle(due[i], requestError(RPC_TIMEOUT, 0, 'request timed out', null), null);
    }
  }

  private armTimer(): void {
    let at = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const d = this.pending[i].deadline;
      if (at < 0 || d < at) at = d;
    }
    if (at === this.timerAt) return;
    this.timerAt = at;
    if (at < 0) {
      this.clock.clearTimer();
      return;
    }
    const now = this.clock.now();
    this.clock.setTimer(at > now ? at - now : 0, this.timerFired);
  }

  // ---- responses --------------------------------------------------------------------

  /** The `after` hook of respond() routes: publishes the reply or the error status. */
  private answer(ctx: Context, error: unknown, result: unknown): unknown {
    const e = error as (Error & { status?: unknown }) | null;
    const status = e === null ? 200 : typeof e.status === 'number' && e.status >= 400 && e.status <= 599 ? e.status : 500;
    if (e !== null && status >= 500) {
      this.router.report(e, { route: ctx.route.pattern, topic: ctx.topic, ctx, unacked: false });
    }
    if (!ctx.wantsReply || ctx.replied) return undefined;
    if (e === null) {
      if (!ctx.handled) return undefined;
      return sendReply(this.client, ctx.responseTopic as string, ctx.correlationData, result, ctx.qos, undefined);
    }
    const reason = e.message === '' ? (status >= 500 ? 'internal error' : 'bad request') : e.message;
    return sendReply(this.client, ctx.responseTopic as string, ctx.correlationData, reason, ctx.qos, { status, reason });
  }
}
