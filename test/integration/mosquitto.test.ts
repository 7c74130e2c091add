// firmqtt against Mosquitto 2.x (a child process with a generated config; default
// max_inflight_messages, i.e. Receive Maximum 20 for MQTT 5 clients): every scenario with
// MQTT 3.1.1 and with MQTT 5, then what only MQTT 5 carries end to end: user properties,
// content type, response topic, correlation data, message expiry.
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/brokers';
import { scenarios } from './scenarios';
import { connected, describeMosquitto, endAll, firm, firmUnawaited, inboxOf, publish, sharedBroker, uniqueId } from './suite';

describeMosquitto('Mosquitto', () => {
  const broker = sharedBroker(startMosquitto);

  describe('MQTT 3.1.1', () => {
    scenarios(4, broker);
  });

  describe('MQTT 5', () => {
    scenarios(5, broker);

    afterEach(async () => {
      await endAll();
    });

    it('learns the Receive Maximum of 20 from CONNACK', async () => {
      const c = firmUnawaited(broker().url, { protocolVersion: 5, clientId: uniqueId('connack') });
      const connack = await connected(c);
      expect(connack.reasonCode).toBe(0);
      expect(connack.properties?.receiveMaximum).toBe(20);
    });

    it('carries user properties, content type, response topic, correlation data and message expiry end to end', async () => {
      const base = uniqueId('props');
      const sub = await firm(broker().url, { protocolVersion: 5, clientId: `${base}-sub` });
      await sub.subscribeAsync(`${base}/t`, { qos: 1 });
      const pub = await firm(broker().url, { protocolVersion: 5, clientId: `${base}-pub` });
      const userProperties: [string, string][] = [['a', '1'], ['b', 'zwei'], ['a', '3'], ['ключ', 'значение']];
      for (const qos of [0, 1, 2] as const) {
        await publish(pub, `${base}/t`, `{"qos":${qos}}`, {
          qos,
          properties: {
            userProperties,
            contentType: 'application/json',
            responseTopic: `${base}/reply`,
            correlationData: new Uint8Array([0, 1, 2, 0xfe, 0xff]),
            messageExpiryInterval: 300,
            payloadFormatIndicator: true,
          },
        });
      }
      const got = await inboxOf(sub).count(3);
      for (const m of got) {
        const p = m.properties as Record<string, unknown>;
        // Repeated keys keep their order and multiplicity (MQTT 5.0 §3.3.2.3.7).
        expect(p.userProperties).toEqual(userProperties);
        expect(p.contentType).toBe('application/json');
        expect(p.responseTopic).toBe(`${base}/reply`);
        expect(Array.from(p.correlationData as Uint8Array)).toEqual([0, 1, 2, 0xfe, 0xff]);
        expect(p.payloadFormatIndicator).toBe(true);
        // The broker forwards the remaining lifetime [MQTT-3.3.2-6].
        expect(p.messageExpiryInterval).toBeGreaterThan(0);
        expect(p.messageExpiryInterval).toBeLessThanOrEqual(300);
      }
      expect(got.map((m) => m.qos)).toEqual([0, 1, 1]);
    });

    it('answers a request on its response topic with the same correlation data', async () => {
      const base = uniqueId('rpc');
      const responder = await firm(broker().url, { protocolVersion: 5, clientId: `${base}-responder` });
      responder.on('message', (_topic, payload, packet) => {
        const p = packet.properties;
        if (p === undefined || p.responseTopic === undefined) return;
        responder.publish(p.responseTopic, `echo ${Buffer.from(payload).toString()}`, { qos: 1, properties: { correlationData: p.correlationData } });
      });
      await responder.subscribeAsync(`${base}/req`, { qos: 1 });
      const requester = await firm(broker().url, { protocolVersion: 5, clientId: `${base}-requester` });
      await requester.subscribeAsync(`${base}/res`, { qos: 1 });
      for (let i = 0; i < 3; i++) {
        await publish(requester, `${base}/req`, `ping ${i}`, { qos: 1, properties: { responseTopic: `${base}/res`, correlationData: new Uint8Array([i, 42]) } });
      }
      const answers = await inboxOf(requester).count(3, `${base}/res`);
      expect(answers.map((m) => [m.text, Array.from((m.properties as { correlationData: Uint8Array }).correlationData)]))
        .toEqual([0, 1, 2].map((i) => [`echo ping ${i}`, [i, 42]]));
    });

    it('does not deliver a queued message whose expiry interval passed while the subscriber was offline', async () => {
      const base = uniqueId('expiry');
      const topic = `${base}/q`;
      const session = { protocolVersion: 5 as const, clientId: `${base}-sub`, clean: false, properties: { sessionExpiryInterval: 300 } };
      const first = await firm(broker().url, session);
      await first.subscribeAsync(topic, { qos: 1 });
      await first.endAsync();
      const pub = await firm(broker().url, { protocolVersion: 5, clientId: `${base}-pub` });
      await publish(pub, topic, 'short-lived', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await publish(pub, topic, 'long-lived', { qos: 1, properties: { messageExpiryInterval: 3600 } });
      await publish(pub, topic, 'immortal', { qos: 1 });
      // Mosquitto counts expiry in whole seconds of its own clock: nothing to wait on but time.
      await new Promise((r) => setTimeout(r, 2500));
      const back = firmUnawaited(broker().url, session);
      expect((await connected(back)).sessionPresent).toBe(true);
      const got = await inboxOf(back).count(2, topic);
      await publish(pub, topic, 'marker', { qos: 1 });
      await inboxOf(back).count(3, topic);
      expect(inboxOf(back).texts(topic)).toEqual(['long-lived', 'immortal', 'marker']);
      const remaining = (got[0].properties as { messageExpiryInterval: number }).messageExpiryInterval;
      expect(remaining).toBeGreaterThan(3590);
      expect(remaining).toBeLessThan(3600);
      expect(got[1].properties?.messageExpiryInterval).toBeUndefined();
    });
  });
});
