// 20,000 QoS 2 messages published at once through Mosquitto with its default in-flight
// limit (max_inflight_messages 20). firmqtt's session must keep its window within the
// limit, so the run completes without a disconnect and the subscriber gets every message
// exactly once, in order.
//
// MQTT 5: Mosquitto sends Receive Maximum 20 in CONNACK and the session adopts it.
// MQTT 3.1.1 has no way to say it. Mosquitto 2.0 then answers a QoS 1/2 PUBLISH beyond
// its 20 with an ordinary-looking PUBACK / PUBREC (the Quota Exceeded reason code exists
// only in MQTT 5) and drops the message: with a window of w > 20, only 20/w of a burst
// arrives (w = 21: 19,048; 32: 12,500; 40: 10,000 of 20,000, measured). So at 3.1.1 the
// run is made twice: with firmqtt's default window, and with maxInflight: 20.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/brokers';
import type { MosquittoBroker } from '../helpers/brokers';
import { describeMosquitto, endAll, firm, uniqueId, within } from './suite';
import type { MqttClient } from '../../targets/node/index';

const N = 20000;

function payload(i: number): Uint8Array {
  const b = Buffer.alloc(64, 0x2e);
  b.write(String(i).padStart(8, '0'));
  return b;
}

function watchDrops(c: MqttClient, log: string[], name: string): void {
  c.on('close', () => log.push(`${name}: close`));
  c.on('disconnect', (p) => log.push(`${name}: DISCONNECT ${p.reasonCode}`));
  c.on('error', (e) => log.push(`${name}: error ${e.message}`));
}

describeMosquitto('Mosquitto, 20,000 x QoS 2 burst', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterEach(async () => {
    await endAll();
  });
  afterAll(async () => {
    await endAll();
    if (broker !== undefined) await broker.stop();
  });

  const runs: { version: 4 | 5; maxInflight: number | undefined; name: string }[] = [
    { version: 5, maxInflight: undefined, name: 'MQTT 5, default options (Receive Maximum from CONNACK)' },
    { version: 4, maxInflight: 20, name: 'MQTT 3.1.1, maxInflight: 20 (Mosquitto\'s limit, configured)' },
    { version: 4, maxInflight: undefined, name: 'MQTT 3.1.1, default options' },
  ];
  for (const { version, maxInflight: window, name } of runs) {
    describe(name, () => {
      it(`delivers all ${N} exactly once, in order, without a disconnect`, async () => {
        const base = uniqueId(`burst${version}`);
        const topic = `${base}/t`;
        const drops: string[] = [];
        const sub = await firm(broker.url, { protocolVersion: version, clientId: `${base}-sub` });
        watchDrops(sub, drops, 'subscriber');
        const seqs = new Int32Array(N);
        let received = 0;
        let outOfOrder = 0;
        let markerSeen = false;
        sub.on('message', (t, p) => {
          if (t !== topic) {
            markerSeen = true;
            return;
          }
          const seq = Number(Buffer.from(p.subarray(0, 8)).toString());
          if (received < N) seqs[received] = seq;
          if (seq !== received) outOfOrder++;
          received++;
        });
        await sub.subscribeAsync([topic, `${base}/end`], { qos: 2 });
        const pub = await firm(broker.url, { protocolVersion: version, clientId: `${base}-pub`, maxQueued: N, maxQueuedBytes: 16 << 20, maxInflight: window });
        watchDrops(pub, drops, 'publisher');
        let maxInflight = 0;
        const done: Promise<unknown>[] = [];
        for (let i = 0; i < N; i++) {
          done.push(pub.publishAsync(topic, payload(i), { qos: 2 }));
          if (pub.inflightCount > maxInflight) maxInflight = pub.inflightCount;
        }
        const sampler = setInterval(() => {
          if (pub.inflightCount > maxInflight) maxInflight = pub.inflightCount;
        }, 1);
        try {
          await within(Promise.all(done), () => `PUBCOMP for all ${N}; inflight=${pub.inflightCount} queued=${pub.queuedCount} received=${received} drops=${drops.join('; ')}`, 50000);
          // Published after every PUBCOMP, so once it is in, everything the broker forwards is.
          await within(pub.publishAsync(`${base}/end`, 'end', { qos: 2 }), () => 'PUBCOMP for the end marker');
          const deadline = Date.now() + 20000;
          while (!markerSeen && drops.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        } finally {
          clearInterval(sampler);
        }
        expect(drops).toEqual([]);
        expect(received).toBe(N);
        expect(outOfOrder).toBe(0);
        expect(seqs.every((s, i) => s === i)).toBe(true);
        expect(maxInflight).toBeLessThanOrEqual(20);
      }, 60000);
    });
  }
});
