// CompactClient against real brokers over TCP on Node: the embedded aedes (MQTT 3.1.1
// only) and Mosquitto (3.1.1 and 5; skipped with a reason when it is not installed,
// a failure under CI=true). Each wait has a deadline; no test sleeps.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CompactClient } from '../../src/compact/client';
import type { CompactOptions, PublishOptions } from '../../src/compact/client';
import { withEvents } from '../../src/compact/emitter';
import { tcpTransport } from '../../targets/node/socket';
import { NodeClock } from '../../targets/node/clock';
import { startAedes, startMosquitto, startProxy, swallowAcks } from '../helpers/brokers';
import type { Broker, Proxy } from '../helpers/brokers';
import { describeMosquitto, uniqueId, within } from '../integration/suite';
import { until } from '../helpers/wait';
import { MemoryStore } from '../../src/store/store';

withEvents(CompactClient.prototype);

interface Msg { topic: string; text: string; qos: number; retain: boolean }

interface Live {
  c: CompactClient;
  inbox: Msg[];
  /** resolves once `n` messages (on `topic`, when given) have arrived */
  count(n: number, topic?: string): Promise<Msg[]>;
}

let clients: CompactClient[] = [];

function compact(target: { host: string; port: number }, options: CompactOptions): Live {
  const c = new CompactClient({ transport: tcpTransport({ host: target.host, port: target.port }), clock: new NodeClock() }, { reconnectPeriod: 100, ...options });
  clients.push(c);
  c.on('error', () => undefined);
  const inbox: Msg[] = [];
  let waiters: (() => void)[] = [];
  c.on('message', (topic, payload, packet) => {
    inbox.push({ topic, text: Buffer.from(payload).toString(), qos: (packet as any).qos, retain: !!(packet as any).retain });
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  const count = (n: number, topic?: string): Promise<Msg[]> => {
    const pick = () => inbox.filter((m) => topic === undefined || m.topic === topic);
    return within(new Promise<Msg[]>((resolve) => {
      const check = () => {
        const got = pick();
        if (got.length >= n) resolve(got.slice(0, n));
        else waiters.push(check);
      };
      check();
    }), () => `${n} messages${topic ? ' on ' + topic : ''}; got ${JSON.stringify(pick().map((m) => m.text))}`);
  };
  return { c, inbox, count };
}

function connectedOnce(c: CompactClient): Promise<any> {
  if (c.connected) return Promise.resolve(undefined);
  return within(new Promise((resolve, reject) => {
    c.once('connect', resolve);
    c.once('error', reject);
  }), () => 'CONNACK');
}

function publish(c: CompactClient, topic: string, payload: string, opts: PublishOptions): Promise<void> {
  return within(new Promise<void>((resolve, reject) => c.publish(topic, payload, opts, (e) => (e ? reject(e) : resolve()))), () => `publish ${topic} acknowledged`);
}

function subscribe(c: CompactClient, topic: string, qos: number): Promise<{ topic: string; qos: number }[]> {
  return within(new Promise((resolve, reject) => c.subscribe(topic, { qos }, (e, g) => (e ? reject(e) : resolve(g)))), () => `SUBACK for ${topic}`);
}

function end(c: CompactClient, force = false): Promise<void> {
  return within(new Promise<void>((resolve) => c.end(force, () => resolve())), () => 'end');
}

async function endAll(): Promise<void> {
  const all = clients;
  clients = [];
  await Promise.all(all.map((c) => end(c, true)));
}

function scenarios(version: 4 | 5, broker: () => Broker): void {
  const v = (o: CompactOptions): CompactOptions => ({ protocolVersion: version, ...o });
  let proxies: Proxy[] = [];

  afterEach(async () => {
    await endAll();
    await Promise.all(proxies.map((p) => p.stop()));
    proxies = [];
  });

  it('connects and reports the CONNACK', async () => {
    const a = compact(broker(), v({ clientId: uniqueId('conn') }));
    const connack = await connectedOnce(a.c);
    expect(connack.sessionPresent).toBe(false);
    expect(a.c.connected).toBe(true);
  });

  it('subscribes and gets the granted QoS', async () => {
    const a = compact(broker(), v({ clientId: uniqueId('sub') }));
    const granted = await subscribe(a.c, `${uniqueId('t')}/+`, 2);
    expect(granted).toHaveLength(1);
    expect(granted[0].qos).toBe(2);
  });

  for (const qos of [0, 1, 2]) {
    it(`round-trips QoS ${qos} messages through the broker, in order`, async () => {
      const topic = uniqueId(`rt${qos}`);
      const sub = compact(broker(), v({ clientId: uniqueId('sub') }));
      await subscribe(sub.c, topic, qos);
      const pub = compact(broker(), v({ clientId: uniqueId('pub') }));
      await connectedOnce(pub.c);
      await Promise.all(['a', 'b', 'c'].map((t) => publish(pub.c, topic, t, { qos })));
      const got = await sub.count(3, topic);
      expect(got.map((m) => [m.text, m.qos])).toEqual([['a', qos], ['b', qos], ['c', qos]]);
    });
  }

  it('receives a retained message on subscribing', async () => {
    const topic = uniqueId('retained');
    const pub = compact(broker(), v({ clientId: uniqueId('pub') }));
    await publish(pub.c, topic, 'kept', { qos: 1, retain: true });
    const sub = compact(broker(), v({ clientId: uniqueId('sub') }));
    await subscribe(sub.c, topic, 1);
    const [m] = await sub.count(1, topic);
    expect([m.text, m.retain]).toEqual(['kept', true]);
    await publish(pub.c, topic, '', { qos: 1, retain: true });
  });

  it('gets its Last Will published after an abrupt cut', async () => {
    const base = uniqueId('will');
    const proxy = await startProxy({ host: broker().host, port: broker().port });
    proxies.push(proxy);
    const watcher = compact(broker(), v({ clientId: `${base}-w` }));
    await subscribe(watcher.c, `${base}/status`, 1);
    const device = compact(proxy, v({ clientId: `${base}-d`, reconnectPeriod: 0, will: { topic: `${base}/status`, payload: 'died', qos: 1 } }));
    await publish(device.c, `${base}/status`, 'alive', { qos: 1 });
    const closed = new Promise<void>((resolve) => device.c.once('close', () => resolve()));
    proxy.cut();
    await within(closed, () => 'close after the cut');
    const got = await watcher.count(2, `${base}/status`);
    expect(got.map((m) => m.text)).toEqual(['alive', 'died']);
  });

  it('resends QoS 1 and 2 messages whose acks were swallowed, after a cut, and they complete', async () => {
    const base = uniqueId('resend');
    const proxy = await startProxy({ host: broker().host, port: broker().port });
    proxies.push(proxy);
    const sub = compact(broker(), v({ clientId: `${base}-sub` }));
    await subscribe(sub.c, `${base}/q`, 2);
    await subscribe(sub.c, `${base}/marker`, 1);
    const persistent = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
    const device = compact(proxy, v({ clientId: `${base}-d`, ...persistent }));
    await connectedOnce(device.c);
    proxy.setFilter(swallowAcks);
    const down = () => proxy.seen.down[4] + proxy.seen.down[5];
    const acksBefore = down();
    const done = [
      publish(device.c, `${base}/q`, 'one', { qos: 1 }),
      publish(device.c, `${base}/q`, 'two', { qos: 2 }),
    ];
    // the broker answered both (PUBACK, PUBREC) but the device saw neither
    await until(() => down() >= acksBefore + 2, 'the broker acks, swallowed by the proxy');
    expect(device.c.inflightCount).toBe(2);
    proxy.setFilter(undefined);
    const back = new Promise<void>((resolve) => device.c.once('connect', () => resolve()));
    proxy.cut();
    await within(back, () => 'reconnect');
    await Promise.all(done);
    expect(device.c.inflightCount).toBe(0);
    // after the marker, all the broker sent this subscriber before it is in too
    await publish(device.c, `${base}/marker`, 'marker', { qos: 1 });
    await sub.count(1, `${base}/marker`);
    const texts = sub.inbox.filter((m) => m.topic === `${base}/q`).map((m) => m.text);
    expect(texts.filter((t) => t === 'two')).toHaveLength(1); // QoS 2: exactly once
    expect(texts.filter((t) => t === 'one').length).toBeGreaterThanOrEqual(1); // QoS 1: at least once
  });

  it('a new client on the same store sends what the previous one left unacknowledged', async () => {
    const base = uniqueId('store');
    const proxy = await startProxy({ host: broker().host, port: broker().port });
    proxies.push(proxy);
    const sub = compact(broker(), v({ clientId: `${base}-sub` }));
    await subscribe(sub.c, `${base}/q`, 1);
    const store = new MemoryStore();
    const first = compact(proxy, v({ clientId: `${base}-d`, store }));
    await connectedOnce(first.c);
    proxy.setFilter((direction, type) => !(direction === 'up' && type === 3)); // the broker never sees the PUBLISH
    first.c.publish(`${base}/q`, 'survivor', { qos: 1 });
    await end(first.c, true);
    proxy.setFilter(undefined);
    const second = compact(broker(), v({ clientId: `${base}-d`, store }));
    await connectedOnce(second.c);
    const [m] = await sub.count(1, `${base}/q`);
    expect(m.text).toBe('survivor');
    await until(() => store.keys('').length === 0, 'the store emptied by the PUBACK');
  });

  it('end() disconnects cleanly: no Last Will, no reconnect', async () => {
    const base = uniqueId('end');
    const watcher = compact(broker(), v({ clientId: `${base}-w` }));
    await subscribe(watcher.c, `${base}/status`, 1);
    const device = compact(broker(), v({ clientId: `${base}-d`, will: { topic: `${base}/status`, payload: 'died', qos: 1 } }));
    await connectedOnce(device.c);
    const events: string[] = [];
    device.c.on('end', () => events.push('end'));
    device.c.on('reconnect', () => events.push('reconnect'));
    await end(device.c);
    expect(events).toEqual(['end']);
    expect(device.c.connected).toBe(false);
    const again = compact(broker(), v({ clientId: `${base}-d` }));
    await publish(again.c, `${base}/status`, 'marker', { qos: 1 });
    const got = await watcher.count(1, `${base}/status`);
    expect(got.map((m) => m.text)).toEqual(['marker']);
    expect(events).toEqual(['end']);
  });
}

describe('CompactClient against aedes (MQTT 3.1.1)', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await endAll();
    await broker.stop();
  });
  scenarios(4, () => broker);
});

describeMosquitto('CompactClient against Mosquitto', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await endAll();
    await broker.stop();
  });
  describe('MQTT 3.1.1', () => scenarios(4, () => broker));
  describe('MQTT 5', () => scenarios(5, () => broker));
});
