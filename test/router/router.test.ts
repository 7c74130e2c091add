// Router on a client driven by a scripted broker (no sockets, no sleeps): subscriptions,
// the context, middleware order, containment of failures, no-route, and
// acknowledge-after-handler including redelivery after a reconnect with clean=false.
import { describe, expect, it } from 'vitest';
import { connected, text } from '../client/harness';
import type { Rig } from '../client/harness';
import { Router } from '../../src/router/router';
import type { Middleware, RouteErrorInfo } from '../../src/router/router';
import type { Context } from '../../src/router/context';
import { decodeEnvelope, encodeEnvelope } from '../../src/router/envelope';
import { answerSubscriptions, deferred, flush, ids, subscribedFilters } from './helpers';

function publish(r: Rig, topic: string, payload: string | Buffer, extra: Record<string, unknown> = {}): void {
  r.last().send({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain: false, dup: false, ...extra });
}

function errorsOf(router: Router): { error: Error; info: RouteErrorInfo }[] {
  const out: { error: Error; info: RouteErrorInfo }[] = [];
  router.on('error', (error, info) => out.push({ error, info }));
  return out;
}

describe('routes', () => {
  it('subscribes the compiled filter, or $share/<group>/<filter>, at the route QoS', () => {
    const r = connected();
    const router = new Router(r.client, { qos: 1 });
    router.route('sensors/{device}/data/{kind}', () => undefined);
    router.route('jobs/{id}', () => undefined, { share: 'workers', qos: 2 });
    router.route('$share/g2/logs/{path...}', () => undefined, { qos: 0 });
    router.route('elsewhere/{x}', () => undefined, { subscribe: false });
    const subs = r.last().sent('subscribe').map((p) => (p as unknown as { subscriptions: { topic: string; qos: number }[] }).subscriptions[0]);
    expect(subs).toEqual([
      expect.objectContaining({ topic: 'sensors/+/data/+', qos: 1 }),
      expect.objectContaining({ topic: '$share/workers/jobs/+', qos: 2 }),
      expect.objectContaining({ topic: '$share/g2/logs/#', qos: 0 }),
    ]);
  });

  it('calls the handler with params, topic, QoS, retain, the client and lazy text()/json()', () => {
    const r = connected({ protocolVersion: 5 });
    const router = new Router(r.client);
    const seen: Context[] = [];
    router.route('sensors/{device}/data/{kind}', (ctx) => {
      seen.push(ctx);
    });
    publish(r, 'sensors/d7/data/temp', '{"c":21.5}', { qos: 1, messageId: 4, retain: true, properties: { userProperties: { k: 'v' } } });
    expect(seen).toHaveLength(1);
    const ctx = seen[0];
    expect(ctx.topic).toBe('sensors/d7/data/temp');
    expect(ctx.params).toEqual({ device: 'd7', kind: 'temp' });
    expect(ctx.qos).toBe(1);
    expect(ctx.retain).toBe(true);
    expect(ctx.client).toBe(r.client);
    expect(ctx.route.pattern).toBe('sensors/{device}/data/{kind}');
    expect(ctx.packet.messageId).toBe(4);
    expect(ctx.payload).toBeInstanceOf(Uint8Array);
    expect(text(ctx.payload)).toBe('{"c":21.5}');
    expect(ctx.properties.userProperties).toEqual([['k', 'v']]);
    expect(ctx.text()).toBe('{"c":21.5}');
    const j = ctx.json<{ c: number }>();
    expect(j).toEqual({ c: 21.5 });
    expect(ctx.json()).toBe(j); // parsed once
    expect(ctx.wantsReply).toBe(false);
  });

  it('decodes text leniently (bad UTF-8 becomes U+FFFD) and handles non-ASCII', () => {
    const r = connected();
    const router = new Router(r.client);
    const texts: string[] = [];
    router.route('t/{n}', (ctx) => {
      texts.push(ctx.text());
    });
    publish(r, 't/1', Buffer.from('héllo wörld 🌍 and a long ASCII tail'));
    publish(r, 't/2', Buffer.from([0x61, 0xff, 0x62, 0xe2, 0x82]));
    expect(texts).toEqual(['héllo wörld 🌍 and a long ASCII tail', 'a\ufffdb\ufffd']);
  });

  it('emits no-route for a topic no route matches, and keeps going', () => {
    const r = connected();
    const router = new Router(r.client);
    const missing: string[] = [];
    const hits: string[] = [];
    router.on('no-route', (topic) => missing.push(topic));
    router.route('a/{x}', (ctx) => {
      hits.push(ctx.params.x);
    });
    publish(r, 'b/1', 'x');
    publish(r, 'a/1/2', 'x');
    publish(r, 'a/2', 'x');
    expect(missing).toEqual(['b/1', 'a/1/2']);
    expect(hits).toEqual(['2']);
  });

  it('never hands a $-topic to a route starting with a wildcard', () => {
    const r = connected();
    const router = new Router(r.client);
    const hits: string[] = [];
    const missing: string[] = [];
    router.route('#', (ctx) => {
      hits.push(ctx.topic);
    });
    router.route('$SYS/broker/{stat}', (ctx) => {
      hits.push('sys:' + ctx.params.stat);
    });
    router.on('no-route', (topic) => missing.push(topic));
    publish(r, '$SYS/other', '1');
    publish(r, '$SYS/broker/uptime', '1');
    publish(r, 'plain/topic', '1');
    expect(hits).toEqual(['sys:uptime', 'plain/topic']);
    expect(missing).toEqual(['$SYS/other']);
  });

  it('match() reports the route and params without running anything', () => {
    const r = connected();
    const router = new Router(r.client);
    router.route('logs/{app}/{path...}', () => {
      throw new Error('must not run');
    });
    const m = router.match('logs/web/2024/01/02');
    expect(m?.route.pattern).toBe('logs/{app}/{path...}');
    expect(m?.params).toEqual({ app: 'web', path: '2024/01/02' });
    expect(router.match('nope')).toBeNull();
  });

  it('remove() takes the route out and unsubscribes its filter', async () => {
    const r = connected();
    const router = new Router(r.client);
    const route = router.route('a/{x}', () => undefined);
    answerSubscriptions(r.last());
    await route.subscribed;
    const removed = route.remove();
    await flush();
    expect((r.last().sent('unsubscribe')[0] as unknown as { unsubscriptions: string[] }).unsubscriptions).toEqual(['a/+']);
    answerSubscriptions(r.last());
    await removed;
    expect(router.size).toBe(0);
    expect(router.match('a/1')).toBeNull();
  });

  it('a route added again while its remove() is still unsubscribing subscribes after the UNSUBSCRIBE, and gets the messages', async () => {
    const r = connected();
    const router = new Router(r.client);
    const first = router.route('a/{x}', () => undefined);
    answerSubscriptions(r.last());
    await first.subscribed;
    void first.remove();
    const got: string[] = [];
    const again = router.route('a/{x}', (ctx) => {
      got.push(ctx.params.x);
    });
    for (let i = 0; i < 3; i++) {
      await flush();
      answerSubscriptions(r.last());
    }
    await again.subscribed;
    expect(r.last().received.filter((p) => p.cmd === 'subscribe' || p.cmd === 'unsubscribe').map((p) => p.cmd)).toEqual(['subscribe', 'unsubscribe', 'subscribe']);
    publish(r, 'a/1', 'x');
    await flush();
    expect(got).toEqual(['1']);
  });

  it('reports a refused subscription as an error and rejects route.subscribed', async () => {
    const r = connected();
    const router = new Router(r.client);
    const errors = errorsOf(router);
    const route = router.route('a/{x}', () => undefined);
    answerSubscriptions(r.last(), 0x80);
    await expect(route.subscribed).rejects.toThrow(/refused/);
    await flush();
    expect(errors).toHaveLength(1);
    expect(errors[0].info.route).toBe('a/{x}');
  });
});

describe('middleware', () => {
  it('runs global middleware, then the route\'s, then the handler, unwinding in reverse (onion)', async () => {
    const r = connected();
    const router = new Router(r.client);
    const log: string[] = [];
    const mw = (name: string): Middleware => (_ctx, next) => {
      log.push(name + '>');
      return next().then(() => {
        log.push('<' + name);
      });
    };
    router.use(mw('g1'));
    router.route('t', () => {
      log.push('handler');
    }, { middleware: [mw('r1'), mw('r2')] });
    router.use([mw('g2')]); // added later: still runs, in order, before the route's
    publish(r, 't', 'x');
    await flush();
    expect(log).toEqual(['g1>', 'g2>', 'r1>', 'r2>', 'handler', '<r2', '<r1', '<g2', '<g1']);
  });

  it('a middleware that does not call next() stops the chain (auth), without an error', async () => {
    const r = connected({ protocolVersion: 5 });
    const router = new Router(r.client);
    const errors = errorsOf(router);
    const handled: string[] = [];
    const auth: Middleware = (ctx, next) => {
      const token = ctx.properties.userProperties?.find((p) => p[0] === 'token');
      if (token === undefined || token[1] !== 'secret') return undefined;
      return next();
    };
    router.use(auth);
    router.route('cmd/{device}', (ctx) => {
      handled.push(ctx.params.device);
    });
    publish(r, 'cmd/d1', 'x');
    publish(r, 'cmd/d2', 'x', { properties: { userProperties: { token: 'wrong' } } });
    publish(r, 'cmd/d3', 'x', { properties: { userProperties: { token: 'secret' } } });
    await flush();
    expect(handled).toEqual(['d3']);
    expect(errors).toEqual([]);
  });

  it('a middleware can enrich the context for what follows', async () => {
    const r = connected();
    const router = new Router(r.client);
    const users: unknown[] = [];
    router.use((ctx, next) => {
      ctx.user = { device: ctx.params.device, role: 'sensor' };
      return next();
    });
    router.route('s/{device}', (ctx) => {
      users.push(ctx.user);
    });
    publish(r, 's/d9', 'x');
    await flush();
    expect(users).toEqual([{ device: 'd9', role: 'sensor' }]);
  });

  it('a middleware can time the handler, sync or async', async () => {
    const r = connected();
    const router = new Router(r.client);
    const timings: { route: string; done: boolean }[] = [];
    let finished = false;
    router.use((ctx, next) => {
      return next().then(() => {
        timings.push({ route: ctx.route.pattern, done: finished });
      });
    });
    const gate = deferred();
    router.route('slow', () => gate.promise.then(() => {
      finished = true;
    }));
    publish(r, 'slow', 'x');
    await flush();
    expect(timings).toEqual([]);
    gate.resolve();
    await flush();
    expect(timings).toEqual([{ route: 'slow', done: true }]);
  });

  it('a middleware can catch what follows it: the error is handled, no error event', async () => {
    const r = connected();
    const router = new Router(r.client);
    const errors = errorsOf(router);
    const caught: string[] = [];
    router.use((_ctx, next) => next().catch((e: Error) => {
      caught.push(e.message);
    }));
    router.route('a', () => {
      throw new Error('sync failure');
    });
    router.route('b', () => Promise.reject(new Error('async failure')));
    publish(r, 'a', 'x');
    publish(r, 'b', 'x');
    await flush();
    expect(caught).toEqual(['sync failure', 'async failure']);
    expect(errors).toEqual([]);
  });

  it('a middleware that forgets to return next() does not lose the handler\'s error', async () => {
    const r = connected();
    const router = new Router(r.client);
    const errors = errorsOf(router);
    router.use((_ctx, next) => {
      void next();
    });
    router.use(async (_ctx, next) => {
      void next(); // an async function that does not await
    });
    router.route('a', () => Promise.reject(new Error('lost?')));
    publish(r, 'a', 'x');
    await flush();
    await flush();
    expect(errors.map((e) => e.error.message)).toEqual(['lost?']);
  });

  it('next() called twice is an error of that middleware', async () => {
    const r = connected();
    const router = new Router(r.client);
    const errors = errorsOf(router);
    let runs = 0;
    router.route('a', () => {
      runs++;
    }, {
      middleware: (_ctx, next) => next().then(() => next()),
    });
    publish(r, 'a', 'x');
    await flush();
    expect(runs).toBe(1);
    expect(errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/next\(\) called more than once/)]);
  });

  it('global: false skips the global middleware', async () => {
    const r = connected();
    const router = new Router(r.client);
    const log: string[] = [];
    router.use(() => {
      log.push('blocked');
    });
    router.route('internal', () => {
      log.push('internal');
    }, { global: false });
    publish(r, 'internal', 'x');
    await flush();
    expect(log).toEqual(['internal']);
  });
});

describe('containment', () => {
  it('reports a throwing or rejecting handler with route and topic, and keeps handling messages', async () => {
    const r = connected();
    const router = new Router(r.client);
    const errors = errorsOf(router);
    const ok: string[] = [];
    router.route('sync/{n}', () => {
      throw new Error('boom');
    });
    router.route('async/{n}', () => Promise.reject(new Error('later')));
    router.route('throws-string', () => {
      throw 'a string'; // eslint-disable-line no-throw-literal
    });
    router.route('ok/{n}', (ctx) => {
      ok.push(ctx.params.n);
    });
    publish(r, 'sync/1', 'x');
    publish(r, 'ok/1', 'x');
    publish(r, 'async/2', 'x');
    publish(r, 'throws-string', 'x');
    publish(r, 'ok/2', 'x');
    await flush();
    expect(ok).toEqual(['1', '2']);
    expect(errors.map((e) => [e.error.message, e.info.route, e.info.topic, e.info.unacked])).toEqual([
      ['boom', 'sync/{n}', 'sync/1', false],
      ['a string', 'throws-string', 'throws-string', false],
      ['later', 'async/{n}', 'async/2', false],
    ]);
    expect(errors[0].info.ctx?.params).toEqual({ n: '1' });
    expect(r.client.connected).toBe(true);
  });

  it('reports a failing middleware like a failing handler', async () => {
    const r = connected();
    const router = new Router(r.client);
    const errors = errorsOf(router);
    router.use(() => {
      throw new Error('mw');
    });
    router.route('a', () => undefined);
    publish(r, 'a', 'x');
    await flush();
    expect(errors.map((e) => e.error.message)).toEqual(['mw']);
  });

  it('with no error listener on the router, the client\'s error listener hears it', async () => {
    const r = connected();
    const router = new Router(r.client);
    router.route('a', () => {
      throw new Error('to the client');
    });
    publish(r, 'a', 'x');
    await flush();
    r.clock.settle();
    expect(r.log).toContain('error:to the client');
  });
});

describe('acknowledge after the handler', () => {
  it('needs a client with manualAcks', () => {
    const r = connected();
    const router = new Router(r.client);
    expect(() => router.route('a', () => undefined, { ackAfterHandler: true })).toThrow(/manualAcks/);
  });

  it('with manualAcks, ordinary routes and unrouted topics are acknowledged before the handler', () => {
    const r = connected({ manualAcks: true });
    const t = r.last();
    const router = new Router(r.client);
    const pubacksSeenByHandler: number[] = [];
    router.route('a', () => {
      pubacksSeenByHandler.push(t.sent('puback').length + t.sent('pubrec').length);
    });
    publish(r, 'a', 'x', { qos: 1, messageId: 1 });
    publish(r, 'unrouted', 'x', { qos: 1, messageId: 2 });
    publish(r, 'a', 'x', { qos: 2, messageId: 3 });
    expect(pubacksSeenByHandler).toEqual([1, 3]); // its own acknowledgement was out already
    expect(ids(t.sent('puback'))).toEqual([1, 2]);
    expect(ids(t.sent('pubrec'))).toEqual([3]);
  });

  it('sends PUBACK only when a sync handler returned', () => {
    const r = connected({ manualAcks: true });
    const t = r.last();
    const router = new Router(r.client);
    const inHandler: number[] = [];
    router.route('job/{id}', () => {
      inHandler.push(t.sent('puback').length);
    }, { ackAfterHandler: true });
    publish(r, 'job/1', 'x', { qos: 1, messageId: 7 });
    expect(inHandler).toEqual([0]);
    expect(ids(t.sent('puback'))).toEqual([7]);
  });

  it('sends PUBACK / PUBREC only when an async handler resolved', async () => {
    const r = connected({ manualAcks: true, protocolVersion: 5 });
    const t = r.last();
    const router = new Router(r.client);
    const gates = [deferred(), deferred()];
    let n = 0;
    router.route('job/{id}', () => gates[n++].promise, { ackAfterHandler: true, middleware: (_c, next) => next() });
    publish(r, 'job/1', 'x', { qos: 1, messageId: 1 });
    publish(r, 'job/2', 'x', { qos: 2, messageId: 2 });
    await flush();
    expect(t.sent('puback')).toHaveLength(0);
    expect(t.sent('pubrec')).toHaveLength(0);
    gates[1].resolve();
    await flush();
    expect(ids(t.sent('pubrec'))).toEqual([2]);
    expect(t.sent('puback')).toHaveLength(0);
    gates[0].resolve();
    await flush();
    expect(ids(t.sent('puback'))).toEqual([1]);
  });

  it('leaves a failed message unacknowledged; the broker redelivers it after a reconnect with clean=false', async () => {
    const r = connected({ manualAcks: true, clean: false, reconnectPeriod: 100, jitter: 0 });
    const router = new Router(r.client);
    const errors = errorsOf(router);
    let attempts = 0;
    const processed: string[] = [];
    router.route('orders/{id}', (ctx) => {
      attempts++;
      if (attempts === 1) return Promise.reject(new Error('database down'));
      processed.push(ctx.params.id + (ctx.packet.dup ? ':dup' : ''));
      return Promise.resolve();
    }, { ackAfterHandler: true, qos: 1 });
    const first = r.last();
    publish(r, 'orders/42', 'x', { qos: 1, messageId: 5 });
    await flush();
    expect(first.sent('puback')).toHaveLength(0);
    expect(errors.map((e) => [e.error.message, e.info.unacked])).toEqual([['database down', true]]);

    // The link drops; the client reconnects; the broker still has the session and
    // sends the unacknowledged message again (DUP).
    first.end();
    r.clock.advance(100);
    const second = r.last();
    expect(second).not.toBe(first);
    second.accept();
    second.connack(true);
    publish(r, 'orders/42', 'x', { qos: 1, messageId: 5, dup: true });
    await flush();
    expect(processed).toEqual(['42:dup']);
    expect(ids(second.sent('puback'))).toEqual([5]);
  });

  it('does not acknowledge on a new connection a message whose handler finished after the old one was lost', async () => {
    const r = connected({ manualAcks: true, clean: false, reconnectPeriod: 100, jitter: 0 });
    const router = new Router(r.client);
    const gates = [deferred(), deferred()];
    let n = 0;
    router.route('orders/{id}', () => gates[n++].promise, { ackAfterHandler: true });
    const first = r.last();
    publish(r, 'orders/1', 'x', { qos: 1, messageId: 5 });
    first.end();
    r.clock.advance(100);
    const second = r.last();
    second.accept();
    second.connack(true);
    // A different message that got the same packet id on the new connection.
    publish(r, 'orders/2', 'y', { qos: 1, messageId: 5 });
    gates[0].resolve(); // the old handler finishes now
    await flush();
    expect(second.sent('puback')).toHaveLength(0);
    gates[1].resolve();
    await flush();
    expect(ids(second.sent('puback'))).toEqual([5]);
  });

  it('has nothing to acknowledge at QoS 0', async () => {
    const r = connected({ manualAcks: true });
    const router = new Router(r.client);
    let ran = 0;
    router.route('a', () => {
      ran++;
    }, { ackAfterHandler: true });
    publish(r, 'a', 'x');
    await flush();
    expect(ran).toBe(1);
    expect(r.last().sent('puback')).toHaveLength(0);
  });
});

describe('replies from a route', () => {
  it('MQTT 5: ctx.reply() publishes to the Response Topic with the Correlation Data and status 200', async () => {
    const r = connected({ protocolVersion: 5 });
    const router = new Router(r.client);
    router.route('svc/{op}', (ctx) => ctx.reply({ op: ctx.params.op }));
    publish(r, 'svc/ping', 'x', { qos: 1, messageId: 3, properties: { responseTopic: 'back/here', correlationData: Buffer.from([1, 2, 3]) } });
    await flush();
    const reply = r.last().sent('publish')[0] as unknown as { topic: string; payload: Buffer; properties: Record<string, unknown> };
    expect(reply.topic).toBe('back/here');
    expect(text(reply.payload)).toBe('{"op":"ping"}');
    expect(reply.properties).toMatchObject({
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: { status: '200' },
      contentType: 'application/json',
    });
  });

  it('reply() rejects when the message asked for none', async () => {
    const r = connected({ protocolVersion: 5 });
    const router = new Router(r.client);
    const errors = errorsOf(router);
    router.route('a', (ctx) => ctx.reply('x'));
    publish(r, 'a', 'x');
    await flush();
    expect(errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/asked for no reply/)]);
  });

  it('MQTT 3.1.1: a route with envelope: true reads the request envelope and replies in one', async () => {
    const r = connected({ protocolVersion: 4 });
    const router = new Router(r.client);
    const seen: Context[] = [];
    router.route('svc/{op}', (ctx) => {
      seen.push(ctx);
      return ctx.reply('pong', { status: 201 });
    }, { envelope: true });
    const req = encodeEnvelope('replies/me', new Uint8Array([9, 9]), [['token', 't1']], 'ping');
    publish(r, 'svc/ping', Buffer.from(req), { qos: 1, messageId: 2 });
    await flush();
    expect(seen[0].text()).toBe('ping');
    expect(seen[0].responseTopic).toBe('replies/me');
    expect(seen[0].properties.userProperties).toEqual([['token', 't1']]);
    const out = r.last().sent('publish')[0] as unknown as { topic: string; payload: Buffer };
    expect(out.topic).toBe('replies/me');
    const env = decodeEnvelope(new Uint8Array(out.payload));
    expect(env).not.toBeNull();
    expect(env?.responseTopic).toBe('');
    expect(Array.from(env?.correlationData ?? [])).toEqual([9, 9]);
    expect(env?.userProperties).toEqual([['status', '201']]);
    expect(text(Buffer.from(env?.payload ?? []))).toBe('pong');
    // A plain payload on the same route is an ordinary message that asks for no reply.
    publish(r, 'svc/plain', 'hello');
    await flush();
    expect(seen[1].text()).toBe('hello');
    expect(seen[1].wantsReply).toBe(false);
  });

  it('reports a malformed envelope and acknowledges the message', async () => {
    const r = connected({ manualAcks: true });
    const router = new Router(r.client);
    const errors = errorsOf(router);
    router.route('svc', () => undefined, { envelope: true, ackAfterHandler: true });
    publish(r, 'svc', Buffer.from([0xfe, 0x01, 0x00, 0x09, 0x61]), { qos: 1, messageId: 8 });
    await flush();
    expect(errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/malformed request envelope/)]);
    expect(ids(r.last().sent('puback'))).toEqual([8]);
  });
});

describe('detach', () => {
  it('stops handling messages', () => {
    const r = connected();
    const router = new Router(r.client);
    let n = 0;
    router.route('a', () => {
      n++;
    });
    publish(r, 'a', 'x');
    router.detach();
    publish(r, 'a', 'x');
    expect(n).toBe(1);
    expect(subscribedFilters(r.last())).toEqual(['a']);
  });
});
