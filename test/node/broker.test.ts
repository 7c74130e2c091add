// Smoke tests over real sockets: firmqtt's Node connect() against aedes (MQTT 3.1.1,
// in-process) and Mosquitto (MQTT 3.1.1 and 5). QoS 0, 1 and 2 round trips, retained
// messages, the Last Will, and a reconnect after the broker cuts the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../targets/node/index';
import type { MqttClient, NodeClientOptions } from '../../targets/node/index';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { AedesBroker, Broker } from '../helpers/brokers';
import { describeMosquitto } from '../integration/suite';

function waitFor<T = unknown>(client: MqttClient, event: 'connect' | 'close' | 'offline' | 'reconnect' | 'end'): Promise<T> {
  return new Promise((resolve) => client.once(event, ((arg: T) => resolve(arg)) as never));
}

interface Received {
  topic: string;
  text: string;
  qos: number;
  retain: boolean;
  isBuffer: boolean;
}

/** Collects messages; resolves `until(n)` once n have arrived. */
function collector(client: MqttClient) {
  const got: Received[] = [];
  let want = 0;
  let wake: (() => void) | null = null;
  client.on('message', (topic, payload, packet) => {
    got.push({ topic, text: payload.toString(), qos: packet.qos, retain: packet.retain, isBuffer: Buffer.isBuffer(payload) });
    if (wake && got.length >= want) wake();
  });
  return {
    got,
    until(n: number): Promise<Received[]> {
      want = n;
      if (got.length >= n) return Promise.resolve(got);
      return new Promise((resolve) => {
        wake = () => resolve(got);
      });
    },
  };
}

const clients: MqttClient[] = [];

async function open(url: string, options: NodeClientOptions): Promise<MqttClient> {
  const c = connect(url, Object.assign({ reconnectPeriod: 50, jitter: 0 }, options));
  clients.push(c);
  await waitFor(c, 'connect');
  return c;
}

async function closeAll(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
}

function roundTrips(version: 4 | 5, broker: () => Broker) {
  it('publishes and receives at QoS 0, 1 and 2, with Buffer payloads', async () => {
    const url = broker().url;
    const sub = await open(url, { protocolVersion: version, clientId: `sub-v${version}` });
    const inbox = collector(sub);
    const granted = await sub.subscribeAsync('smoke/#', { qos: 2 });
    expect(granted).toEqual([{ topic: 'smoke/#', qos: 2 }]);
    const pub = await open(url, { protocolVersion: version, clientId: `pub-v${version}` });
    await pub.publishAsync('smoke/q0', 'zero', { qos: 0 });
    const ack1 = await pub.publishAsync('smoke/q1', 'one', { qos: 1 });
    const ack2 = await pub.publishAsync('smoke/q2', Buffer.from('two'), { qos: 2 });
    expect(ack1).toMatchObject({ type: 4 });
    expect(ack2).toMatchObject({ type: 7 });
    const got = await inbox.until(3);
    expect(got.map((m) => `${m.topic}=${m.text}@${m.qos}`).sort()).toEqual(['smoke/q0=zero@0', 'smoke/q1=one@1', 'smoke/q2=two@2']);
    expect(got.every((m) => m.isBuffer)).toBe(true);
    await sub.unsubscribeAsync('smoke/#');
    await closeAll();
  });

  it('delivers a retained status and the Last Will', async () => {
    const url = broker().url;
    const device = await open(url, {
      protocolVersion: version,
      clientId: `device-v${version}`,
      will: { topic: `status/device-v${version}`, payload: 'offline', qos: 1, retain: true },
    });
    await device.publishAsync(`status/device-v${version}`, 'online', { qos: 1, retain: true });
    const watcher = await open(url, { protocolVersion: version, clientId: `watcher-v${version}` });
    const inbox = collector(watcher);
    await watcher.subscribeAsync(`status/device-v${version}`, { qos: 1 });
    expect((await inbox.until(1))[0]).toMatchObject({ text: 'online', retain: true });
    // A forced end drops the socket without DISCONNECT: the broker publishes the will.
    await device.endAsync(true);
    expect((await inbox.until(2))[1]).toMatchObject({ text: 'offline' });
    await closeAll();
  });
}

describe('against aedes (MQTT 3.1.1)', () => {
  let broker: AedesBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await closeAll();
    await broker.stop();
  });

  roundTrips(4, () => broker);

  it('reconnects after the broker cuts the connection and resends the unacknowledged message', async () => {
    const c = await open(broker.url, { clientId: 'cut', clean: false });
    const inbox = collector(c);
    await c.subscribeAsync('cut/echo', { qos: 1 });
    const offline = waitFor(c, 'offline');
    const back = new Promise<void>((resolve) => {
      c.once('offline', () => c.once('connect', () => resolve()));
    });
    for (const s of broker.sockets) s.destroy();
    await offline;
    expect(c.connected).toBe(false);
    const sent = c.publishAsync('cut/echo', 'after the cut', { qos: 1 });
    await back;
    await sent;
    expect((await inbox.until(1))[0].text).toBe('after the cut');
    await closeAll();
  });

  it('reports a refused connection and retries', async () => {
    const { port } = broker;
    await broker.stop();
    const c = connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 20, jitter: 0 });
    clients.push(c);
    const errors: string[] = [];
    c.on('error', (e) => errors.push((e as Error & { code?: string }).code ?? e.message));
    await waitFor(c, 'reconnect');
    expect(errors[0]).toBe('ECONNREFUSED');
    await closeAll();
    broker = await startAedes();
  });
});

describeMosquitto('against Mosquitto', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await closeAll();
    if (broker) await broker.stop();
  });

  describe('MQTT 3.1.1', () => {
    roundTrips(4, () => broker);
  });

  describe('MQTT 5', () => {
    roundTrips(5, () => broker);

    it('carries user properties and reports the server limits in connack', async () => {
      const sub = await open(broker.url, { protocolVersion: 5, clientId: 'props-sub' });
      const seen: unknown[] = [];
      sub.on('message', (_topic, _payload, packet) => seen.push(packet.properties));
      await sub.subscribeAsync('props/t', { qos: 1 });
      const pub = connect(broker.url, { protocolVersion: 5, clientId: 'props-pub' });
      clients.push(pub);
      const connack = await waitFor<{ properties?: Record<string, unknown> }>(pub, 'connect');
      expect(connack.properties).toBeDefined();
      await pub.publishAsync('props/t', 'x', { qos: 1, properties: { userProperties: [['a', '1'], ['a', '2']], contentType: 'text/plain' } });
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(seen[0]).toMatchObject({ userProperties: [['a', '1'], ['a', '2']], contentType: 'text/plain' });
      await closeAll();
    });
  });
});
