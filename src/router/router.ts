// Router: handlers per topic pattern, with named parameters and middleware, attached
// to an MqttClient from outside (it listens to 'message' and 'close').
//
//   const router = new Router(client);
//   router.use(logTime);                                       // every route
//   router.route('sensors/{device}/data/{kind}', (ctx) => {
//     store(ctx.params.device, ctx.params.kind, ctx.json());
//   }, { qos: 1, middleware: [auth] });
//
// For each message: find the route (route table, one step per topic level), build a
// Context, run global middleware, the route's middleware, then the handler (Koa-style
// onion: each middleware calls next() to go on, and may stop, enrich ctx, time what
// follows, or catch its errors). A handler or middleware that throws or rejects is
// reported with an 'error' event (error, {route, topic, ctx, unacked}); the next
// message is handled as usual. A topic no route matches emits 'no-route'.
//
// Acknowledge after the handler (route option ackAfterHandler): the client must be
// created with manualAcks: true, and the router then acknowledges every QoS 1/2 message
// itself: at once (before the handler, as the client would) for ordinary routes and
// unrouted topics, and only once the handler has finished for ackAfterHandler routes. A
// handler that fails leaves its message unacknowledged: the broker sends it again after
// the next reconnect of a persistent session (clean: false), so it is processed at least
// once. A message whose connection was lost while its handler ran is not acknowledged
// either (the session's ids belong to the old connection): it too comes again.
//
// One Router per client: with manualAcks, two routers would acknowledge twice.
import type { MqttClient, SubscriptionGrant } from '../client/client';
import type { QoS, ReceivedPublish } from '../codec/packets';
import { Emitter } from '../util/emitter';
import { Context } from './context';
import type { Params } from './context';
import { decodeEnvelope, isEnvelope } from './envelope';
import { compilePattern, extractParams } from './pattern';
import type { CompiledPattern } from './pattern';
import { isThenable } from './payload';
import { RouteTable } from './table';

/** A route's handler: its return value (or resolved Promise) is the result of the message. */
export type Handler = (ctx: Context) => unknown;

/**
 * Runs around what follows it: call next() (and return or await its Promise) to go on;
 * not calling it stops the chain. next() resolves when the rest of the chain is done and
 * rejects with its error.
 */
export type Middleware = (ctx: Context, next: () => Promise<void>) => unknown;

export interface RouteOptions {
  /** subscription QoS; default the router's (0) */
  qos?: QoS;
  /** shared-subscription group: subscribes $share/<group>/<filter> and matches the real topic */
  share?: string;
  /** MQTT 5 No Local, Retain As Published, Retain Handling */
  nl?: boolean;
  rap?: boolean;
  rh?: number;
  /** subscribe the route's filter; default true (false: the subscription is made elsewhere) */
  subscribe?: boolean;
  /** middleware for this route, run after the global middleware */
  middleware?: Middleware | Middleware[];
  /** run the global middleware (router.use); default true */
  global?: boolean;
  /** acknowledge QoS 1/2 messages only once the handler finished (needs a client with manualAcks: true) */
  ackAfterHandler?: boolean;
  /** MQTT 3.1.1: read a request envelope in front of the payload (envelope.ts), so ctx.reply() works; respond() sets it */
  envelope?: boolean;
  /**
   * Called once the chain has settled, with its error (null when it succeeded) and the
   * handler's result; its own failure is reported. When given, a failure of the chain
   * is not reported by the router: `after` decides (request/response uses it to reply).
   */
  after?: (ctx: Context, error: unknown, result: unknown) => unknown;
}

export interface RouterOptions {
  /** default subscription QoS of routes; default 0 */
  qos?: QoS;
}

/** What an 'error' event says about where it happened. */
export interface RouteErrorInfo {
  /** the route's pattern, or the subscription for a refused subscribe */
  route: string;
  /** the message's topic ('' for a subscribe failure) */
  topic: string;
  /** the message's context, when there is one */
  ctx: Context | null;
  /** the message was left unacknowledged (ackAfterHandler): a persistent session gets it again after a reconnect */
  unacked: boolean;
}

export type RouterEvents = {
  /** a handler, middleware or subscription failed */
  error: (error: Error, info: RouteErrorInfo) => void;
  /** a message no route matches (it was acknowledged) */
  'no-route': (topic: string, packet: ReceivedPublish) => void;
};

export class Route {
  readonly router: Router;
  readonly compiled: CompiledPattern;
  readonly handler: Handler;
  readonly middleware: Middleware[];
  readonly qos: QoS;
  readonly ackAfterHandler: boolean;
  readonly envelope: boolean;
  readonly global: boolean;
  readonly after: ((ctx: Context, error: unknown, result: unknown) => unknown) | undefined;
  /** settles when the broker answered the subscription (rejects when refused; the router reports that too) */
  subscribed: Promise<SubscriptionGrant | null>;
  /** @internal global + own middleware, rebuilt when the router's middleware changes */
  chain: Middleware[];
  /** @internal the router's middleware version `chain` was built for */
  chainVersion: number;

  constructor(router: Router, compiled: CompiledPattern, handler: Handler, o: RouteOptions, qos: QoS) {
    this.router = router;
    this.compiled = compiled;
    this.handler = handler;
    const mw = o.middleware;
    this.middleware = mw === undefined ? [] : typeof mw === 'function' ? [mw] : mw.slice();
    this.qos = o.qos === undefined ? qos : o.qos;
    this.ackAfterHandler = o.ackAfterHandler === true;
    this.envelope = o.envelope === true;
    this.global = o.global !== false;
    this.after = o.after;
    this.subscribed = Promise.resolve(null);
    this.chain = [];
    this.chainVersion = -1;
  }

  get pattern(): string {
    return this.compiled.pattern;
  }

  /** Removes the route and unsubscribes its filter. */
  remove(): Promise<void> {
    return this.router.remove(this);
  }
}

function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  const err = new Error(typeof e === 'string' ? e : 'non-Error thrown: ' + String(e)) as Error & { value: unknown };
  err.value = e;
  return err;
}

function noop(): void {
  // nothing to do
}

export class Router extends Emitter<RouterEvents> {
  readonly client: MqttClient;
  /** the router acknowledges QoS 1/2 messages itself (the client has manualAcks) */
  readonly manualAcks: boolean;
  private readonly table: RouteTable<Route>;
  private readonly defaultQos: QoS;
  private readonly globalMiddleware: Middleware[];
  private middlewareVersion: number;
  /** connections closed so far: an acknowledgement belongs to the connection its message came on */
  private generation: number;
  private attached: boolean;
  /** remove()s still unsubscribing, by subscription: a route added meanwhile subscribes after */
  private readonly leaving: { [subscription: string]: Promise<void> };
  private readonly onMessage: (topic: string, payload: Uint8Array, packet: ReceivedPublish) => void;
  private readonly onClose: () => void;

  constructor(client: MqttClient, options?: RouterOptions) {
    super();
    const o = options === undefined ? {} : options;
    this.client = client;
    this.manualAcks = client.options.manualAcks;
    this.table = new RouteTable<Route>();
    this.defaultQos = o.qos === undefined ? 0 : o.qos;
    this.globalMiddleware = [];
    this.middlewareVersion = 0;
    this.generation = 0;
    this.attached = true;
    this.leaving = Object.create(null);
    this.onMessage = (topic, payload, packet) => this.dispatch(topic, payload, packet);
    this.onClose = () => {
      this.generation++;
    };
    client.on('message', this.onMessage);
    client.on('close', this.onClose);
  }

  /** Number of routes. */
  get size(): number {
    return this.table.size;
  }

  /** Adds middleware run for every route (unless the route says global: false), in the order added. */
  use(middleware: Middleware | Middleware[]): this {
    if (typeof middleware === 'function') this.globalMiddleware.push(middleware);
    else for (let i = 0; i < middleware.length; i++) this.globalMiddleware.push(middleware[i]);
    this.middlewareVersion++;
    return this;
  }

  /**
   * Adds a route: compiles the pattern, subscribes its filter (or $share/<group>/<filter>)
   * and calls `handler` for every message it matches. Throws ROUTE_PATTERN_INVALID for a
   * bad pattern, ROUTE_CONFLICT when another route has the same filter.
   */
  route(pattern: string, handler: Handler, options?: RouteOptions): Route {
    const o = options === undefined ? {} : options;
    if (o.ackAfterHandler === true && !this.manualAcks) {
      throw new Error('route "' + pattern + '": ackAfterHandler needs a client created with manualAcks: true ' +
        '(the router then acknowledges every message itself)');
    }
    const route = new Route(this, compilePattern(pattern, o.share), handler, o, this.defaultQos);
    this.table.add(route);
    if (o.subscribe !== false) route.subscribed = this.subscribe(route, o);
    return route;
  }

  /** Removes a route; unsubscribes its filter unless the route was added with subscribe: false. Resolves when unsubscribed. */
  remove(route: Route): Promise<void> {
    if (!this.table.remove(route)) return Promise.resolve();
    const client = this.client;
    const sub = route.compiled.subscription;
    const done = route.subscribed.then((grant) => {
      if (grant === null) return undefined;
      return client.unsubscribeAsync(sub).then(noop);
    }, noop);
    this.leaving[sub] = done;
    done.then(() => {
      if (this.leaving[sub] === done) delete this.leaving[sub];
    });
    return done;
  }

  /** The route and parameters `topic` would get, or null (for tests and tools; no handler runs). */
  match(topic: string): { route: Route; params: Params } | null {
    const levels = topic.split('/');
    const route = this.table.find(levels, topic);
    if (route === null) return null;
    return { route, params: extractParams(route.compiled, levels) };
  }

  /** Stops listening to the client (routes and subscriptions stay as they are). */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.client.off('message', this.onMessage);
    this.client.off('close', this.onClose);
  }

  /**
   * Reports a failure: 'error' on the router, or on the client when nobody listens to the
   * router's, or nowhere when nobody listens at all (a failing handler must not stop the
   * client).
   */
  report(error: unknown, info: RouteErrorInfo): void {
    const e = toError(error);
    if (this.listenerCount('error') > 0) this.emit('error', e, info);
    else if (this.client.listenerCount('error') > 0) this.client.emit('error', e);
  }

  /** @internal the client's 'message' listener */
  dispatch(topic: string, payload: Uint8Array, packet: ReceivedPublish): void {
    const levels = topic.split('/');
    const route = this.table.find(levels, topic);
    if (route === null) {
      this.ackNow(packet);
      this.emit('no-route', topic, packet);
      return;
    }
    const ctx = new Context(this, route, topic, payload, packet, levels);
    if (route.envelope && isEnvelope(payload)) {
      const env = decodeEnvelope(payload);
      if (env === null) {
        this.ackNow(packet);
        this.report(new Error('malformed request envelope on "' + topic + '"'), { route: route.pattern, topic, ctx, unacked: false });
        return;
      }
      ctx.unwrap(env);
    }
    ctx.deferredAck = this.manualAcks && packet.qos > 0 && route.ackAfterHandler;
    ctx.generation = this.generation;
    if (!ctx.deferredAck) this.ackNow(packet);
    const chain = this.chainOf(route);
    let p: PromiseLike<unknown>;
    try {
      if (chain.length === 0) {
        ctx.handled = true;
        const r = route.handler(ctx);
        if (!isThenable(r)) {
          ctx.result = r;
          this.settle(ctx, null, false);
          return;
        }
        p = r.then((v) => {
          ctx.result = v;
        });
      } else {
        p = step(ctx, chain, 0);
      }
    } catch (e) {
      this.settle(ctx, e, true);
      return;
    }
    p.then(() => this.settle(ctx, null, false), (e) => this.settle(ctx, e, true));
  }

  private chainOf(route: Route): Middleware[] {
    if (route.chainVersion !== this.middlewareVersion) {
      route.chain = route.global ? this.globalMiddleware.concat(route.middleware) : route.middleware;
      route.chainVersion = this.middlewareVersion;
    }
    return route.chain;
  }

  /** The chain settled: run `after`, then acknowledge or report. */
  private settle(ctx: Context, error: unknown, failed: boolean): void {
    ctx.settled = true;
    const after = ctx.route.after;
    if (after === undefined) {
      this.finish(ctx, error, failed);
      return;
    }
    let r: unknown;
    try {
      r = after(ctx, failed ? toError(error) : null, ctx.result);
    } catch (e) {
      this.finish(ctx, e, true);
      return;
    }
    if (isThenable(r)) r.then(() => this.finish(ctx, null, false), (e) => this.finish(ctx, e, true));
    else this.finish(ctx, null, false);
  }

  private finish(ctx: Context, error: unknown, failed: boolean): void {
    if (failed) {
      this.report(error, { route: ctx.route.pattern, topic: ctx.topic, ctx, unacked: ctx.deferredAck });
      return;
    }
    // After a lost connection the packet id means nothing to the broker (or names
    // another message): leave it; the broker sends this message again.
    if (ctx.deferredAck && ctx.generation === this.generation) this.client.ack(ctx.packet, 0);
  }

  private ackNow(packet: ReceivedPublish): void {
    if (this.manualAcks && packet.qos > 0) this.client.ack(packet, 0);
  }

  private subscribe(route: Route, o: RouteOptions): Promise<SubscriptionGrant | null> {
    const sub = route.compiled.subscription;
    const go = () => this.client.subscribeAsync(sub, { qos: route.qos, nl: o.nl, rap: o.rap, rh: o.rh });
    // a remove() of the same subscription still on its way: its UNSUBSCRIBE goes first,
    // or it would undo this SUBSCRIBE at the broker
    const leaving = this.leaving[sub];
    const p = (leaving === undefined ? go() : leaving.then(go)).then((granted) => {
      const g = granted[0];
      if (g !== undefined && g.qos >= 0x80) {
        throw new Error('subscription "' + sub + '" refused by the server (reason 0x' + g.qos.toString(16) + ')');
      }
      return g === undefined ? null : g;
    });
    p.then(undefined, (e: unknown) => this.report(e, { route: route.pattern, topic: '', ctx: null, unacked: false }));
    return p;
  }
}

/**
 * Runs chain[i] with a next() that runs the rest. Resolves when the chain is done.
 *
 * When does a middleware's part end? When what it returned settles. Two slips are
 * forgiven: a middleware that calls next() without returning or awaiting its Promise,
 * and one whose Promise resolves before the rest of the chain has settled (an async
 * function that called next() without await). In both the chain's outcome is that of
 * the rest of the chain, so its errors are reported and ackAfterHandler waits for it.
 * A middleware that awaited next() and caught its error has handled it.
 */
function step(ctx: Context, chain: Middleware[], i: number): Promise<void> {
  if (i === chain.length) {
    ctx.handled = true;
    let r: unknown;
    try {
      r = ctx.route.handler(ctx);
    } catch (e) {
      return Promise.reject(e);
    }
    if (isThenable(r)) {
      return Promise.resolve(r).then((v) => {
        ctx.result = v;
      });
    }
    ctx.result = r;
    return Promise.resolve();
  }
  let downstream: Promise<void> | null = null;
  let downstreamSettled = false;
  const next = (): Promise<void> => {
    if (downstream !== null) throw new Error('next() called more than once (route "' + ctx.route.pattern + '")');
    const d = step(ctx, chain, i + 1);
    downstream = d;
    d.then(() => {
      downstreamSettled = true;
    }, (e: unknown) => {
      downstreamSettled = true;
      // next() called after the chain had settled: nobody else will hear of this.
      if (ctx.settled) ctx.router.report(e, { route: ctx.route.pattern, topic: ctx.topic, ctx, unacked: false });
    });
    return d;
  };
  let r: unknown;
  try {
    r = chain[i](ctx, next);
  } catch (e) {
    return Promise.reject(e);
  }
  if (isThenable(r)) {
    return Promise.resolve(r).then(() => {
      const d = downstream as Promise<void> | null;
      return d !== null && !downstreamSettled ? d : undefined;
    });
  }
  return downstream === null ? Promise.resolve() : downstream;
}
