// MQTT.js (the `mqtt` package) as the other party: firmqtt publishes and MQTT.js
// receives, and back, at QoS 0, 1 and 2, through aedes (MQTT 3.1.1 only) and Mosquitto
// (3.1.1 and 5); with MQTT 5, properties survive the trip in both directions.
import { afterEach, describe, expect, it } from 'vitest';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { Broker } from '../helpers/brokers';
import { describeMosquitto, endAll, firm, inboxOf, inboxOfMqttJs, mqttjs, publish, sharedBroker, uniqueId, within } from './suite';

const QOS = [0, 1, 2] as const;

function interop(version: 4 | 5, broker: () => Broker): void {
  afterEach(async () => {
    await endAll();
  });

  it('firmqtt publishes at QoS 0, 1 and 2; MQTT.js receives each at that QoS, in order', async () => {
    const base = uniqueId('f2j');
    const sub = await mqttjs(broker().url, { protocolVersion: version, clientId: `${base}-js` });
    const granted = await sub.subscribeAsync({ [`${base}/0`]: { qos: 0 }, [`${base}/1`]: { qos: 1 }, [`${base}/2`]: { qos: 2 } });
    expect(granted.map((g) => g.qos)).toEqual([0, 1, 2]);
    const pub = await firm(broker().url, { protocolVersion: version, clientId: `${base}-firm` });
    const sent = [];
    for (let i = 0; i < 10; i++) for (const qos of QOS) sent.push(publish(pub, `${base}/${qos}`, Buffer.from(`m${i}`), { qos }));
    await Promise.all(sent);
    const inbox = inboxOfMqttJs(sub);
    for (const qos of QOS) {
      const got = await inbox.count(10, `${base}/${qos}`);
      expect(got.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(got.every((m) => m.qos === qos && !m.dup)).toBe(true);
    }
    expect(inbox.got).toHaveLength(30);
  });

  it('MQTT.js publishes at QoS 0, 1 and 2; firmqtt receives each at that QoS, in order', async () => {
    const base = uniqueId('j2f');
    const sub = await firm(broker().url, { protocolVersion: version, clientId: `${base}-firm` });
    const granted = await sub.subscribeAsync({ [`${base}/0`]: { qos: 0 }, [`${base}/1`]: { qos: 1 }, [`${base}/2`]: { qos: 2 } });
    expect(granted.map((g) => g.qos)).toEqual([0, 1, 2]);
    const pub = await mqttjs(broker().url, { protocolVersion: version, clientId: `${base}-js` });
    const sent = [];
    for (let i = 0; i < 10; i++) for (const qos of QOS) sent.push(pub.publishAsync(`${base}/${qos}`, `m${i}`, { qos }));
    await within(Promise.all(sent), () => 'MQTT.js publishes acknowledged');
    const inbox = inboxOf(sub);
    for (const qos of QOS) {
      const got = await inbox.count(10, `${base}/${qos}`);
      expect(got.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(got.every((m) => m.qos === qos && !m.dup)).toBe(true);
    }
    expect(inbox.got).toHaveLength(30);
  });

  it('a firmqtt request gets an MQTT.js reply (both directions on one pair of clients)', async () => {
    const base = uniqueId('pingpong');
    const js = await mqttjs(broker().url, { protocolVersion: version, clientId: `${base}-js` });
    js.on('message', (topic, payload, packet) => {
      if (topic === `${base}/ping`) js.publish(`${base}/pong`, `pong ${payload.toString()}`, { qos: packet.qos });
    });
    await js.subscribeAsync(`${base}/ping`, { qos: 2 });
    const f = await firm(broker().url, { protocolVersion: version, clientId: `${base}-firm` });
    await f.subscribeAsync(`${base}/pong`, { qos: 2 });
    for (const qos of QOS) await publish(f, `${base}/ping`, `q${qos}`, { qos });
    const got = await inboxOf(f).count(3, `${base}/pong`);
    expect(got.map((m) => [m.text, m.qos])).toEqual([['pong q0', 0], ['pong q1', 1], ['pong q2', 2]]);
  });

  if (version === 5) {
    it('MQTT 5 properties cross between the libraries (user properties: firmqtt pairs, MQTT.js object)', async () => {
      const base = uniqueId('props');
      const js = await mqttjs(broker().url, { protocolVersion: 5, clientId: `${base}-js` });
      await js.subscribeAsync(`${base}/to-js`, { qos: 1 });
      const f = await firm(broker().url, { protocolVersion: 5, clientId: `${base}-firm` });
      await f.subscribeAsync(`${base}/to-firm`, { qos: 1 });

      await publish(f, `${base}/to-js`, 'from firmqtt', {
        qos: 1,
        properties: {
          userProperties: [['a', '1'], ['b', '2'], ['a', '3']],
          contentType: 'text/plain',
          responseTopic: `${base}/to-firm`,
          correlationData: new Uint8Array([9, 8, 7]),
        },
      });
      const toJs = (await inboxOfMqttJs(js).first(`${base}/to-js`)).properties as Record<string, unknown>;
      expect(toJs.userProperties).toEqual({ a: ['1', '3'], b: '2' });
      expect(toJs.contentType).toBe('text/plain');
      expect(toJs.responseTopic).toBe(`${base}/to-firm`);
      expect(Array.from(toJs.correlationData as Buffer)).toEqual([9, 8, 7]);

      await js.publishAsync(`${base}/to-firm`, 'from MQTT.js', {
        qos: 1,
        properties: { userProperties: { x: 'y', z: ['1', '2'] }, contentType: 'application/cbor', correlationData: Buffer.from([1, 2]) },
      });
      const toFirm = (await inboxOf(f).first(`${base}/to-firm`)).properties as Record<string, unknown>;
      expect(toFirm.userProperties).toEqual([['x', 'y'], ['z', '1'], ['z', '2']]);
      expect(toFirm.contentType).toBe('application/cbor');
      expect(Array.from(toFirm.correlationData as Uint8Array)).toEqual([1, 2]);
    });
  }
}

describe('MQTT.js interop through aedes (MQTT 3.1.1)', () => {
  const broker = sharedBroker(startAedes);
  interop(4, broker);
});

describeMosquitto('MQTT.js interop through Mosquitto', () => {
  const broker = sharedBroker(startMosquitto);
  describe('MQTT 3.1.1', () => {
    interop(4, broker);
  });
  describe('MQTT 5', () => {
    interop(5, broker);
  });
});
