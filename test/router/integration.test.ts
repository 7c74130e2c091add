// Routes on real brokers: aedes (in-process, MQTT 3.1.1 only) and Mosquitto (spawned;
// 3.1.1 and 5; skipped with a reason when it is not installed, a failure under CI=true).
// Routes with params, middleware that blocks (auth) and that enriches, acknowledge-
// after-handler with redelivery after a reconnect (clean=false), and (Mosquitto only:
// aedes 1.x has no shared subscriptions) two workers on one shared group.
import { afterEach, describe, expect, it } from 'vitest';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { Broker } from '../helpers/brokers';
import { describeMosquitto, endAll, firm, publish, sharedBroker, uniqueId, until } from '../integration/suite';
import { sleep } from '../helpers/wait';
import { Router } from '../../src/router/router';
import type { RouteErrorInfo } from '../../src/router/router';
import type { MqttClient, NodeClientOptions } from '../../targets/node/index';

function routerOf(client: MqttClient): { router: Router; errors: { error: Error; info: RouteErrorInfo }[] } {
  const router = new Router(client);
  const errors: { error: Error; info: RouteErrorInfo }[] = [];
  router.on('error', (error, info) => errors.push({ error, info }));
  return { router, errors };
}

function routingScenarios(version: 4 | 5, broker: () => Broker, mosquitto: boolean): void {
  const shared = mosquitto;
  afterEach(async () => {
    await endAll();
  });

  it('routes by pattern with named parameters, including a multi-level one', async () => {
    const base = uniqueId('rt');
    const c = await firm(broker().url, { protocolVersion: version, clientId: `${base}-sub` });
    const { router, errors } = routerOf(c);
    const got: string[] = [];
    const unrouted: string[] = [];
    router.on('no-route', (topic) => unrouted.push(topic));
    const a = router.route(`${base}/sensors/{device}/data/{kind}`, (ctx) => {
      got.push(`data ${ctx.params.device} ${ctx.params.kind} ${ctx.json<{ v: number }>().v}`);
    }, { qos: 1 });
    const b = router.route(`${base}/logs/{app}/{path...}`, (ctx) => {
      got.push(`log ${ctx.params.app} [${ctx.params.path}] ${ctx.text()}`);
    });
    await Promise.all([a.subscribed, b.subscribed]);
    const pub = await firm(broker().url, { protocolVersion: version, clientId: `${base}-pub` });
    await publish(pub, `${base}/sensors/d1/data/temp`, '{"v":21}', { qos: 1 });
    await publish(pub, `${base}/sensors/d2/data/hum`, '{"v":40}', { qos: 1 });
    await publish(pub, `${base}/logs/web/2024/05/01`, 'started', { qos: 1 });
    await publish(pub, `${base}/logs/web`, 'parent level', { qos: 1 });
    await until(() => got.length === 4, `4 routed messages (have ${got.length})`);
    expect(got).toEqual([
      'data d1 temp 21',
      'data d2 hum 40',
      'log web [2024/05/01] started',
      'log web [] parent level',
    ]);
    expect(unrouted).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('middleware blocks what fails auth and enriches what passes; a failing handler does not stop the rest', async () => {
    const base = uniqueId('mw');
    const c = await firm(broker().url, { protocolVersion: version, clientId: `${base}-sub` });
    const { router, errors } = routerOf(c);
    const devices: { [token: string]: string } = { 'tok-1': 'pump', 'tok-2': 'valve' };
    const blocked: string[] = [];
    router.use((ctx, next) => {
      const token = ctx.json<{ token?: string }>().token;
      const name = token === undefined ? undefined : devices[token];
      if (name === undefined) {
        blocked.push(ctx.params.id);
        return undefined; // stop here: no handler
      }
      ctx.deviceName = name;
      return next();
    });
    const handled: string[] = [];
    const r = router.route(`${base}/cmd/{id}`, (ctx) => {
      if (ctx.params.id === 'crash') throw new Error('handler crashed');
      handled.push(`${ctx.params.id}:${String(ctx.deviceName)}`);
    }, { qos: 1 });
    await r.subscribed;
    const pub = await firm(broker().url, { protocolVersion: version, clientId: `${base}-pub` });
    await publish(pub, `${base}/cmd/1`, '{"token":"tok-1"}', { qos: 1 });
    await publish(pub, `${base}/cmd/2`, '{"token":"stolen"}', { qos: 1 });
    await publish(pub, `${base}/cmd/crash`, '{"token":"tok-2"}', { qos: 1 });
    await publish(pub, `${base}/cmd/4`, '{}', { qos: 1 });
    await publish(pub, `${base}/cmd/5`, '{"token":"tok-2"}', { qos: 1 });
    await until(() => handled.length + blocked.length + errors.length === 5, 'all five messages');
    expect(handled).toEqual(['1:pump', '5:valve']);
    expect(blocked).toEqual(['2', '4']);
    expect(errors.map((e) => [e.error.message, e.info.route, e.info.topic])).toEqual([
      ['handler crashed', `${base}/cmd/{id}`, `${base}/cmd/crash`],
    ]);
    expect(c.connected).toBe(true);
  });

  it('acknowledges after the handler: a failed message comes again after a reconnect with clean=false', async () => {
    const base = uniqueId('ack');
    const options: NodeClientOptions = {
      protocolVersion: version, clientId: `${base}-worker`, clean: false, manualAcks: true,
    };
    if (version === 5) options.properties = { sessionExpiryInterval: 300 };
    const worker = await firm(broker().url, options);
    const { router, errors } = routerOf(worker);
    let attempts = 0;
    const done: string[] = [];
    const r = router.route(`${base}/orders/{id}`, (ctx) => {
      attempts++;
      if (attempts === 1) return Promise.reject(new Error('database down'));
      done.push(`${ctx.params.id}${ctx.packet.dup ? ' (dup)' : ''}`);
      return sleep(10);
    }, { qos: 1, ackAfterHandler: true });
    await r.subscribed;
    const pub = await firm(broker().url, { protocolVersion: version, clientId: `${base}-pub` });
    await publish(pub, `${base}/orders/42`, 'x', { qos: 1 });
    await until(() => errors.length === 1, 'the first attempt to fail');
    expect(errors[0].info.unacked).toBe(true);
    // Give the broker time to (not) receive an acknowledgement, then reconnect.
    await sleep(100);
    expect(done).toEqual([]);
    const reconnected = new Promise<void>((resolve) => worker.once('connect', () => resolve()));
    worker.reconnect();
    await reconnected;
    await until(() => done.length === 1, 'the redelivered message to be processed');
    // Mosquitto sets DUP on the redelivery [MQTT-3.3.1-1]; aedes 1.x does not.
    expect(done).toEqual([mosquitto ? '42 (dup)' : '42']);
    // It was acknowledged this time: another reconnect brings nothing more.
    await sleep(100);
    const again = new Promise<void>((resolve) => worker.once('connect', () => resolve()));
    worker.reconnect();
    await again;
    await sleep(300);
    expect(attempts).toBe(2);
  });

  if (shared) {
    it('two workers on one shared group receive disjoint sets that together are every message', async () => {
      const base = uniqueId('share');
      const seen: string[][] = [[], []];
      for (let w = 0; w < 2; w++) {
        const c = await firm(broker().url, { protocolVersion: version, clientId: `${base}-w${w}` });
        const { router } = routerOf(c);
        const r = router.route(`${base}/jobs/{id}`, (ctx) => {
          seen[w].push(ctx.params.id);
        }, { share: 'workers', qos: 1 });
        const grant = await r.subscribed;
        expect(grant?.topic).toBe(`$share/workers/${base}/jobs/+`);
      }
      const pub = await firm(broker().url, { protocolVersion: version, clientId: `${base}-pub` });
      const n = 40;
      for (let i = 0; i < n; i++) await publish(pub, `${base}/jobs/${i}`, String(i), { qos: 1 });
      await until(() => seen[0].length + seen[1].length >= n, `${n} jobs (have ${seen[0].length}+${seen[1].length})`);
      await sleep(100); // nothing more may arrive
      const all = seen[0].concat(seen[1]).map(Number).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(seen[0].filter((id) => seen[1].includes(id))).toEqual([]);
      expect(seen[0].length).toBeGreaterThan(0);
      expect(seen[1].length).toBeGreaterThan(0);
    });
  }
}

describe('router on aedes (MQTT 3.1.1; no shared subscriptions in aedes 1.x)', () => {
  const broker = sharedBroker(startAedes);
  routingScenarios(4, broker, false);
});

describeMosquitto('router on Mosquitto', () => {
  const broker = sharedBroker(startMosquitto);
  describe('MQTT 3.1.1', () => {
    routingScenarios(4, broker, true);
  });
  describe('MQTT 5', () => {
    routingScenarios(5, broker, true);
  });
});
