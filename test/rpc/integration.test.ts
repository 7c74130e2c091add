// Request / response on real brokers: aedes (MQTT 3.1.1, the envelope) and Mosquitto
// (3.1.1 envelope and MQTT 5 properties; skipped with a reason when not installed, a
// failure under CI=true): replies, error statuses, timeouts, concurrent requests, and on
// MQTT 5 interoperation with MQTT.js on either side (standard Response Topic +
// Correlation Data).
import { afterEach, describe, expect, it } from 'vitest';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { Broker } from '../helpers/brokers';
import { describeMosquitto, endAll, firm, mqttjs, sharedBroker, uniqueId, until } from '../integration/suite';
import { sleep } from '../helpers/wait';
import { Router } from '../../src/router/router';
import { Rpc, RPC_STATUS, RPC_TIMEOUT, rpcError } from '../../src/rpc/rpc';
import type { RpcError, RpcReply } from '../../src/rpc/rpc';
import { withRoutes } from '../../src/rpc/attach';

function failure(p: Promise<unknown>): Promise<RpcError> {
  return p.then(() => {
    throw new Error('the request resolved');
  }, (e: unknown) => e as RpcError);
}

function rpcScenarios(version: 4 | 5, broker: () => Broker): void {
  afterEach(async () => {
    await endAll();
  });

  /** A responder and a requester, each with a Router and an Rpc. */
  async function pair(base: string): Promise<{ server: Rpc; client: Rpc }> {
    const s = await firm(broker().url, { protocolVersion: version, clientId: `${base}-server` });
    const c = await firm(broker().url, { protocolVersion: version, clientId: `${base}-client` });
    return { server: new Rpc(new Router(s), { qos: 1 }), client: new Rpc(new Router(c), { timeout: 5000, qos: 1 }) };
  }

  it('answers a request with the handler\'s value, with params from the pattern', async () => {
    const base = uniqueId('rpc');
    const { server, client } = await pair(base);
    const r = server.respond(`${base}/calc/{op}`, (ctx) => {
      const { x, y } = ctx.json<{ x: number; y: number }>();
      if (ctx.params.op === 'add') return { result: x + y };
      if (ctx.params.op === 'mul') return Promise.resolve({ result: x * y });
      throw rpcError(400, `unknown operation ${ctx.params.op}`);
    });
    await r.subscribed;
    const reply = await client.request(`${base}/calc/add`, { x: 20, y: 22 });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ result: 42 });
    expect((await client.request(`${base}/calc/mul`, { x: 6, y: 7 })).json()).toEqual({ result: 42 });
    if (version === 5) expect(reply.properties.contentType).toBe('application/json');
  });

  it('rejects with status 400 and the reason for a bad request, 500 for a failure', async () => {
    const base = uniqueId('rpc');
    const { server, client } = await pair(base);
    const reported: string[] = [];
    server.router.on('error', (e) => reported.push(e.message));
    const r = server.respond(`${base}/calc/{op}`, (ctx) => {
      if (ctx.params.op === 'div') {
        const { x, y } = ctx.json<{ x: number; y: number }>();
        if (y === 0) throw rpcError(400, 'division by zero');
        return { result: x / y };
      }
      return Promise.reject(new Error('calculator on fire'));
    });
    await r.subscribed;
    const bad = await failure(client.request(`${base}/calc/div`, { x: 1, y: 0 }));
    expect([bad.code, bad.status, bad.reason]).toEqual([RPC_STATUS, 400, 'division by zero']);
    const broken = await failure(client.request(`${base}/calc/sqrt`, { x: 2 }));
    expect([broken.code, broken.status, broken.reason]).toEqual([RPC_STATUS, 500, 'calculator on fire']);
    expect(reported).toEqual(['calculator on fire']);
    // The responder still answers after both.
    expect((await client.request(`${base}/calc/div`, { x: 9, y: 3 })).json()).toEqual({ result: 3 });
  });

  it('times out when nobody answers, and drops the reply that comes too late', async () => {
    const base = uniqueId('rpc');
    const { server, client } = await pair(base);
    const dropped: string[] = [];
    client.on('dropped', (reason) => dropped.push(reason));
    const r = server.respond(`${base}/slow`, () => sleep(400).then(() => 'late'));
    await r.subscribed;
    const nobody = await failure(client.request(`${base}/nobody/home`, 'x', { timeout: 200 }));
    expect(nobody.code).toBe(RPC_TIMEOUT);
    const slow = await failure(client.request(`${base}/slow`, 'x', { timeout: 150 }));
    expect(slow.code).toBe(RPC_TIMEOUT);
    await until(() => dropped.length === 1, 'the late reply');
    expect(dropped).toEqual(['late']);
    expect(client.pendingCount).toBe(0);
  });

  it('keeps 20 concurrent requests apart, replies coming in any order', async () => {
    const base = uniqueId('rpc');
    const { server, client } = await pair(base);
    const r = server.respond(`${base}/echo/{n}`, (ctx) => {
      const n = Number(ctx.params.n);
      return sleep((n * 37) % 50).then(() => ({ n, body: ctx.text() }));
    });
    await r.subscribed;
    const requests: Promise<RpcReply>[] = [];
    for (let i = 0; i < 20; i++) requests.push(client.request(`${base}/echo/${i}`, `body ${i}`));
    const replies = await Promise.all(requests);
    expect(replies.map((rep) => rep.json())).toEqual(Array.from({ length: 20 }, (_, n) => ({ n, body: `body ${n}` })));
  });

  it('works through withRoutes: client.respond / client.request', async () => {
    const base = uniqueId('rpc');
    const a = withRoutes(await firm(broker().url, { protocolVersion: version, clientId: `${base}-a` }));
    const b = withRoutes(await firm(broker().url, { protocolVersion: version, clientId: `${base}-b` }));
    await a.respond(`${base}/time`, () => ({ now: 1234 })).subscribed;
    expect((await b.request(`${base}/time`, null)).json()).toEqual({ now: 1234 });
  });
}

describe('request / response on aedes (MQTT 3.1.1 envelope)', () => {
  const broker = sharedBroker(startAedes);
  rpcScenarios(4, broker);
});

describeMosquitto('request / response on Mosquitto', () => {
  const broker = sharedBroker(startMosquitto);
  describe('MQTT 3.1.1 (envelope)', () => {
    rpcScenarios(4, broker);
  });
  describe('MQTT 5 (Response Topic + Correlation Data)', () => {
    rpcScenarios(5, broker);

    it('answers a request from MQTT.js, and gets the answer of an MQTT.js responder', async () => {
      const base = uniqueId('interop');
      const server = withRoutes(await firm(broker().url, { protocolVersion: 5, clientId: `${base}-server` }));
      await server.respond(`${base}/upper`, (ctx) => ctx.text().toUpperCase()).subscribed;
      const js = await mqttjs(broker().url, { protocolVersion: 5, clientId: `${base}-js` });
      const replies: { text: string; correlation: string; status: unknown }[] = [];
      js.on('message', (topic, payload, packet) => {
        if (topic !== `${base}/js-replies`) return;
        const props = packet.properties ?? {};
        replies.push({ text: payload.toString(), correlation: Buffer.from(props.correlationData ?? []).toString(), status: props.userProperties?.status });
      });
      await js.subscribeAsync(`${base}/js-replies`, { qos: 1 });
      await js.publishAsync(`${base}/upper`, 'hello', {
        qos: 1, properties: { responseTopic: `${base}/js-replies`, correlationData: Buffer.from('corr-1') },
      });
      await until(() => replies.length === 1, 'the reply to MQTT.js');
      expect(replies).toEqual([{ text: 'HELLO', correlation: 'corr-1', status: '200' }]);

      // MQTT.js answering a firmqtt request, the plain MQTT 5 way (no status property: 200).
      await js.subscribeAsync(`${base}/js-service`, { qos: 1 });
      const answers: Promise<unknown>[] = [];
      js.on('message', (topic, payload, packet) => {
        if (topic !== `${base}/js-service`) return;
        const props = packet.properties ?? {};
        answers.push(js.publishAsync(props.responseTopic as string, `js got ${payload.toString()}`, { qos: 1, properties: { correlationData: props.correlationData } }));
      });
      const reply = await server.request(`${base}/js-service`, 'ping');
      expect([reply.status, reply.text()]).toEqual([200, 'js got ping']);
      // the answer can reach us before its PUBACK reaches MQTT.js: wait for that too, or
      // ending the clients rejects the still pending publishAsync (an unhandled rejection)
      await Promise.all(answers);
    });
  });
});
