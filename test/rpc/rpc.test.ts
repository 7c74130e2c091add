// Request / response between two clients on scripted transports, joined by a tiny
// in-test "broker" that forwards PUBLISH packets (QoS 0), on MQTT 5 and 3.1.1: the
// lazily made response subscription, correlation, status codes, timeouts, late and
// unknown replies, the bound on pending requests, and the 3.1.1 envelope.
import { describe, expect, it } from 'vitest';
import { FakeClock, connected, text } from '../client/harness';
import type { Rig } from '../client/harness';
import { Router } from '../../src/router/router';
import type { RouteErrorInfo } from '../../src/router/router';
import { decodeEnvelope } from '../../src/router/envelope';
import { Rpc, RPC_CLOSED, RPC_STATUS, RPC_TIMEOUT, RPC_TOO_MANY, rpcError } from '../../src/rpc/rpc';
import type { RpcError } from '../../src/rpc/rpc';
import { withRoutes } from '../../src/rpc/attach';
import { answerSubscriptions, deferred, flush, subscribedFilters } from '../router/helpers';

interface Side {
  rig: Rig;
  router: Router;
  rpc: Rpc;
  clock: FakeClock;
  errors: { error: Error; info: RouteErrorInfo }[];
  forwarded: number;
}

function side(version: 4 | 5, clientId: string, maxPending?: number): Side {
  const rig = connected({ protocolVersion: version, clientId });
  const router = new Router(rig.client);
  const clock = new FakeClock();
  const rpc = new Rpc(router, { qos: 0, timeout: 1000, clock, maxPending });
  const errors: { error: Error; info: RouteErrorInfo }[] = [];
  router.on('error', (error, info) => errors.push({ error, info }));
  return { rig, router, rpc, clock, errors, forwarded: 0 };
}

/** Answers subscriptions and forwards each side's new PUBLISHes to the other, until quiet. */
async function pump(a: Side, b: Side): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await flush();
    answerSubscriptions(a.rig.last());
    answerSubscriptions(b.rig.last());
    await flush();
    const moved = forward(a, b) + forward(b, a);
    if (moved === 0) return;
  }
}

function forward(from: Side, to: Side): number {
  const pubs = from.rig.last().sent('publish');
  let n = 0;
  for (; from.forwarded < pubs.length; from.forwarded++, n++) {
    const p = pubs[from.forwarded] as unknown as { topic: string; payload: Buffer; properties?: Record<string, unknown> };
    const packet: Record<string, unknown> = { cmd: 'publish', topic: p.topic, payload: p.payload, qos: 0, retain: false, dup: false };
    if (p.properties !== undefined) packet.properties = p.properties;
    to.rig.last().send(packet);
  }
  return n;
}

/** close() unsubscribes the response topic: answer the UNSUBSCRIBE. */
async function closeRpc(s: Side): Promise<void> {
  const closing = s.rpc.close();
  for (let i = 0; i < 3; i++) {
    await flush();
    answerSubscriptions(s.rig.last());
  }
  await closing;
  expect(s.rig.last().sent('unsubscribe')).toHaveLength(1);
}

/** The RpcError a request rejects with (fails the test if it resolves). */
function failure(p: Promise<unknown>): Promise<RpcError> {
  return p.then(() => {
    throw new Error('the request resolved');
  }, (e: unknown) => e as RpcError);
}

function codeOf(e: unknown): string {
  return (e as RpcError).code;
}

for (const version of [5, 4] as const) {
  describe(`request / response on MQTT ${version === 5 ? '5' : '3.1.1'}`, () => {
    it('answers with the handler\'s return value, JSON or bytes, status 200', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      server.rpc.respond('svc/{op}', (ctx) => {
        if (ctx.params.op === 'add') {
          const a = ctx.json<{ x: number; y: number }>();
          return { sum: a.x + a.y };
        }
        return Promise.resolve(new Uint8Array([1, 2, 3]));
      });
      const add = client.rpc.request('svc/add', { x: 2, y: 3 });
      const bytes = client.rpc.request('svc/bytes', 'ignored');
      await pump(server, client);
      const r1 = await add;
      expect(r1.status).toBe(200);
      expect(r1.json()).toEqual({ sum: 5 });
      const r2 = await bytes;
      expect(Array.from(r2.payload)).toEqual([1, 2, 3]);
      expect(client.rpc.pendingCount).toBe(0);
    });

    it('rejects with the responder\'s status: 400 for an rpcError(400), 500 for any other failure (reported there)', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      server.rpc.respond('svc/div', (ctx) => {
        const a = ctx.json<{ x: number; y: number }>();
        if (a.y === 0) throw rpcError(400, 'division by zero');
        return Promise.reject(new Error('disk on fire'));
      });
      const bad = failure(client.rpc.request('svc/div', { x: 1, y: 0 }));
      const broken = failure(client.rpc.request('svc/div', { x: 1, y: 1 }));
      await pump(server, client);
      const e400 = await bad;
      expect([e400.code, e400.status, e400.reason, e400.message]).toEqual([RPC_STATUS, 400, 'division by zero', 'division by zero']);
      expect(e400.reply?.text()).toBe('division by zero');
      const e500 = await broken;
      expect([e500.code, e500.status, e500.reason]).toEqual([RPC_STATUS, 500, 'disk on fire']);
      // The 500 is a failure of the responder: its router reports it; the 400 is the caller's fault and is not.
      expect(server.errors.map((e) => [e.error.message, e.info.route])).toEqual([['disk on fire', 'svc/div']]);
    });

    it('keeps concurrent requests apart by correlation, whatever order the replies come in', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      const gates: { resolve: (v: number) => void }[] = [];
      server.rpc.respond('svc/slow/{n}', (ctx) => {
        const d = deferred<number>();
        gates[Number(ctx.params.n)] = d;
        return d.promise;
      });
      const pending: Promise<number>[] = [];
      for (let i = 0; i < 10; i++) pending.push(client.rpc.request(`svc/slow/${i}`, '').then((r) => r.json<number>()));
      await pump(server, client);
      for (let i = 9; i >= 0; i--) gates[i].resolve(i * 100);
      await pump(server, client);
      expect(await Promise.all(pending)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    });

    it('times out, then drops the late reply with a "late" event', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      const gate = deferred<string>();
      server.rpc.respond('svc/slow', () => gate.promise);
      const dropped: string[] = [];
      client.rpc.on('dropped', (reason, topic) => dropped.push(`${reason}:${topic}`));
      const req = failure(client.rpc.request('svc/slow', '', { timeout: 500 }));
      await pump(server, client);
      client.clock.advance(499);
      expect(client.rpc.pendingCount).toBe(1);
      client.clock.advance(1);
      const e = await req;
      expect([codeOf(e), e.message]).toEqual([RPC_TIMEOUT, 'request timed out']);
      expect(client.rpc.pendingCount).toBe(0);
      gate.resolve('too late');
      await pump(server, client);
      expect(dropped).toEqual([`late:${client.rpc.responseTopic}`]);
    });

    it('drops a reply nobody asked for with an "unknown" event', async () => {
      const client = side(version, 'client');
      const dropped: string[] = [];
      client.rpc.on('dropped', (reason) => dropped.push(reason));
      const req = client.rpc.request('svc/x', '');
      await flush();
      answerSubscriptions(client.rig.last());
      await flush();
      const t = client.rig.last();
      if (version === 5) {
        t.send({ cmd: 'publish', topic: client.rpc.responseTopic, payload: Buffer.from('?'), qos: 0, properties: { correlationData: Buffer.from('nobody') } });
      } else {
        const { encodeEnvelope } = await import('../../src/router/envelope');
        t.send({ cmd: 'publish', topic: client.rpc.responseTopic, payload: Buffer.from(encodeEnvelope('', new TextEncoder().encode('nobody'), [], '?')), qos: 0 });
      }
      t.send({ cmd: 'publish', topic: client.rpc.responseTopic, payload: Buffer.from('no correlation at all'), qos: 0 });
      expect(dropped).toEqual(['unknown', 'unknown']);
      expect(client.rpc.pendingCount).toBe(1);
      void client.rpc.close();
      await expect(req).rejects.toMatchObject({ code: RPC_CLOSED });
    });

    it('refuses more than maxPending waiting requests at once', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client', 2);
      server.rpc.respond('svc/echo', (ctx) => ctx.text());
      const a = client.rpc.request('svc/echo', 'a');
      const b = client.rpc.request('svc/echo', 'b');
      await expect(client.rpc.request('svc/echo', 'c')).rejects.toMatchObject({ code: RPC_TOO_MANY });
      await pump(server, client);
      expect([(await a).text(), (await b).text()]).toEqual(['a', 'b']);
      const d = client.rpc.request('svc/echo', 'd');
      await pump(server, client);
      expect((await d).text()).toBe('d');
    });

    it('a request refused at once (a route already on the response topic) rejects and leaves nothing pending', async () => {
      const client = side(version, 'client', 1);
      const taken = client.rpc.responseTopic;
      client.router.route(taken, () => undefined);
      await expect(client.rpc.request('svc/echo', 'x')).rejects.toMatchObject({ code: 'ROUTE_CONFLICT' });
      expect(client.rpc.pendingCount).toBe(0);
    });

    it('subscribes to the response topic once, lazily, and publishes a request only after its SUBACK', async () => {
      const client = side(version, 'client-7');
      await flush();
      expect(subscribedFilters(client.rig.last())).toEqual([]);
      void client.rpc.request('svc/a', '1').catch(() => undefined);
      void client.rpc.request('svc/b', '2').catch(() => undefined);
      await flush();
      const t = client.rig.last();
      expect(subscribedFilters(t)).toEqual(['firmqtt/reply/client-7']);
      expect(t.sent('publish')).toHaveLength(0);
      answerSubscriptions(t);
      await flush();
      const pubs = t.sent('publish') as unknown as { topic: string; payload: Buffer; properties?: Record<string, unknown> }[];
      expect(pubs.map((p) => p.topic)).toEqual(['svc/a', 'svc/b']);
      if (version === 5) {
        expect(pubs[0].properties).toMatchObject({ responseTopic: 'firmqtt/reply/client-7' });
        expect(text(pubs[0].properties?.correlationData as Buffer)).not.toBe(text(pubs[1].properties?.correlationData as Buffer));
        expect(text(pubs[0].payload)).toBe('1');
      } else {
        const env = decodeEnvelope(new Uint8Array(pubs[0].payload));
        expect(env?.responseTopic).toBe('firmqtt/reply/client-7');
        expect(text(Buffer.from(env?.payload ?? []))).toBe('1');
      }
      void client.rpc.request('svc/c', '3').catch(() => undefined);
      await flush();
      expect(subscribedFilters(t)).toEqual(['firmqtt/reply/client-7']);
      await closeRpc(client);
    });

    it('rejects the requests when the response subscription is refused, and tries again at the next one', async () => {
      const client = side(version, 'client');
      const req = client.rpc.request('svc/a', '1');
      await flush();
      answerSubscriptions(client.rig.last(), version === 5 ? 0x87 : 0x80);
      await expect(req).rejects.toThrow(/refused/);
      void client.rpc.request('svc/b', '2').catch(() => undefined);
      await flush();
      expect(subscribedFilters(client.rig.last())).toEqual([client.rpc.responseTopic, client.rpc.responseTopic]);
      await closeRpc(client);
    });

    it('passes user properties with the request (auth middleware on the responder) and can refuse with 403', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      server.router.use((ctx, next) => {
        const token = ctx.properties.userProperties?.find((p) => p[0] === 'token');
        if (token === undefined || token[1] !== 'open sesame') throw rpcError(403, 'forbidden');
        ctx.user = 'ali';
        return next();
      });
      server.rpc.respond('svc/whoami', (ctx) => ({ user: ctx.user }));
      const ok = client.rpc.request('svc/whoami', '', { properties: { userProperties: [['token', 'open sesame']] } });
      const denied = failure(client.rpc.request('svc/whoami', ''));
      await pump(server, client);
      expect((await ok).json()).toEqual({ user: 'ali' });
      expect((await denied).status).toBe(403);
      expect(server.errors).toEqual([]);
    });

    it('sends no reply for a request stopped by middleware without an error (the request times out)', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      server.router.use(() => undefined);
      server.rpc.respond('svc/x', () => 'never');
      const req = failure(client.rpc.request('svc/x', '', { timeout: 100 }));
      await pump(server, client);
      expect(server.rig.last().sent('publish')).toHaveLength(0);
      client.clock.advance(100);
      expect(codeOf(await req)).toBe(RPC_TIMEOUT);
    });

    it('a handler that replied itself with ctx.reply() gets no second reply', async () => {
      const server = side(version, 'server');
      const client = side(version, 'client');
      server.rpc.respond('svc/x', (ctx) => ctx.reply('accepted', { status: 202 }).then(() => 'ignored'));
      const req = client.rpc.request('svc/x', '');
      await pump(server, client);
      const r = await req;
      expect([r.status, r.text()]).toEqual([202, 'accepted']);
      expect(server.rig.last().sent('publish')).toHaveLength(1);
    });
  });
}

describe('withRoutes', () => {
  it('puts route, use, request and respond on the client, once', async () => {
    const a = connected({ protocolVersion: 5, clientId: 'a' });
    const b = connected({ protocolVersion: 5, clientId: 'b' });
    const ca = withRoutes(a.client, { rpc: { qos: 0, clock: new FakeClock() } });
    const cb = withRoutes(b.client, { rpc: { qos: 0, clock: new FakeClock() } });
    expect(withRoutes(a.client)).toBe(ca);
    expect(withRoutes(a.client).router).toBe(ca.router);
    const log: string[] = [];
    ca.use((ctx, next) => {
      log.push('mw:' + ctx.topic);
      return next();
    });
    ca.route('news/{id}', (ctx) => {
      log.push('news:' + ctx.params.id);
    });
    ca.respond('svc/ping', () => 'pong');
    const sa: Side = { rig: a, router: ca.router, rpc: ca.rpc, clock: new FakeClock(), errors: [], forwarded: 0 };
    const sb: Side = { rig: b, router: cb.router, rpc: cb.rpc, clock: new FakeClock(), errors: [], forwarded: 0 };
    const reply = cb.request('svc/ping', '');
    b.client.publish('news/7', 'x');
    await pump(sa, sb);
    expect((await reply).text()).toBe('pong');
    // the request waits for the response subscription, so news/7 arrives first
    expect(log).toEqual(['mw:news/7', 'news:7', 'mw:svc/ping']);
  });
});
