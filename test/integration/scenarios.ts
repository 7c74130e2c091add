// The broker scenarios every broker and protocol version runs, with firmqtt's Node
// connect() on both ends (MQTT.js as the other party is in interop.test.ts):
// QoS 0/1/2 both ways, retained messages, the Last Will (abrupt close vs clean end),
// a persistent session's offline queue, unsubscribe, and $-topics under '#'.
//
// "Nothing arrived" is proven without sleeping: after the action under test, a marker
// message is published on a topic the same subscriber holds, and once the marker is in,
// anything the broker would have sent before it is in too (a broker keeps the order of
// the messages it sends one subscriber).
import { afterEach, expect, it } from 'vitest';
import type { NodeClientOptions } from '../../targets/node/index';
import type { Broker } from '../helpers/brokers';
import { startProxy } from '../helpers/brokers';
import type { Proxy } from '../helpers/brokers';
import { connected, endAll, firm, firmUnawaited, inboxOf, publish, uniqueId } from './suite';

export function scenarios(version: 4 | 5, broker: () => Broker): void {
  const v: NodeClientOptions = { protocolVersion: version };
  const opts = (o: NodeClientOptions): NodeClientOptions => Object.assign({}, v, o);
  /** MQTT 5 ends a session with the connection unless Session Expiry Interval says otherwise. */
  const persistent = (clientId: string): NodeClientOptions =>
    opts(version === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId, clean: false });
  let proxies: Proxy[] = [];

  afterEach(async () => {
    await endAll();
    await Promise.all(proxies.map((p) => p.stop()));
    proxies = [];
  });

  it('delivers what firmqtt publishes at QoS 0, 1 and 2 to a firmqtt subscriber at the same QoS, in order', async () => {
    const base = uniqueId('qos');
    const sub = await firm(broker().url, opts({ clientId: `${base}-sub` }));
    const granted = await sub.subscribeAsync({ [`${base}/0`]: { qos: 0 }, [`${base}/1`]: { qos: 1 }, [`${base}/2`]: { qos: 2 } });
    expect(granted.map((g) => g.qos)).toEqual([0, 1, 2]);
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    const acks = [];
    for (let i = 0; i < 5; i++) {
      for (const qos of [0, 1, 2] as const) acks.push(publish(pub, `${base}/${qos}`, `m${i}`, { qos }));
    }
    const packets = await Promise.all(acks);
    // QoS 0 completes when written (no packet); QoS 1 with PUBACK (4); QoS 2 with PUBCOMP (7).
    expect(packets.map((p) => (p === undefined ? 0 : p.type))).toEqual([0, 4, 7, 0, 4, 7, 0, 4, 7, 0, 4, 7, 0, 4, 7]);
    const inbox = inboxOf(sub);
    for (const qos of [0, 1, 2]) {
      const got = await inbox.count(5, `${base}/${qos}`);
      expect(got.map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect(got.every((m) => m.qos === qos && !m.retain && !m.dup)).toBe(true);
    }
    expect(inbox.got).toHaveLength(15);
    expect(pub.inflightCount + pub.queuedCount).toBe(0);
  });

  it('sends every QoS 1 and QoS 2 message when each publish waits for the previous one to complete', async () => {
    // The awaited, one-at-a-time pattern of a sensor loop: `await publishAsync()` in a for loop.
    const base = uniqueId('sequential');
    const sub = await firm(broker().url, opts({ clientId: `${base}-sub` }));
    await sub.subscribeAsync(`${base}/#`, { qos: 2 });
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    for (const qos of [1, 2] as const) {
      for (let i = 0; i < 20; i++) await publish(pub, `${base}/${qos}`, `m${i}`, { qos });
    }
    const got = await inboxOf(sub).count(40);
    expect(got.map((m) => `${m.topic.slice(base.length + 1)}:${m.text}`)).toEqual(
      [1, 2].flatMap((qos) => Array.from({ length: 20 }, (_, i) => `${qos}:m${i}`)));
  });

  it('receives at the lower of the published and the granted QoS', async () => {
    const base = uniqueId('downgrade');
    const sub = await firm(broker().url, opts({ clientId: `${base}-sub` }));
    await sub.subscribeAsync({ [`${base}/s0`]: { qos: 0 }, [`${base}/s1`]: { qos: 1 } });
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    await publish(pub, `${base}/s0`, 'two-to-zero', { qos: 2 });
    await publish(pub, `${base}/s1`, 'two-to-one', { qos: 2 });
    await publish(pub, `${base}/s1`, 'zero-stays-zero', { qos: 0 });
    const inbox = inboxOf(sub);
    expect((await inbox.first(`${base}/s0`)).qos).toBe(0);
    const s1 = await inbox.count(2, `${base}/s1`);
    expect(s1.map((m) => [m.text, m.qos])).toEqual([['two-to-one', 1], ['zero-stays-zero', 0]]);
  });

  it('keeps retained messages for a later wildcard subscriber and clears one with an empty retained publish', async () => {
    const base = uniqueId('retain');
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    await publish(pub, `${base}/a`, 'status-a', { qos: 1, retain: true });
    await publish(pub, `${base}/b/c`, 'status-bc', { qos: 1, retain: true });
    await publish(pub, `${base}/plain`, 'not kept', { qos: 1 });

    const first = await firm(broker().url, opts({ clientId: `${base}-s1` }));
    await first.subscribeAsync(`${base}/#`, { qos: 1 });
    const got = await inboxOf(first).count(2);
    expect(got.map((m) => [m.topic, m.text, m.retain]).sort()).toEqual([[`${base}/a`, 'status-a', true], [`${base}/b/c`, 'status-bc', true]]);

    // An empty retained payload deletes the retained message [MQTT-3.3.1-10].
    await publish(pub, `${base}/a`, '', { qos: 1, retain: true });
    const second = await firm(broker().url, opts({ clientId: `${base}-s2` }));
    await second.subscribeAsync(`${base}/#`, { qos: 1 });
    await publish(pub, `${base}/marker`, 'marker', { qos: 1 });
    const after = await inboxOf(second).count(2);
    expect(after.map((m) => [m.topic, m.text, m.retain])).toEqual([[`${base}/b/c`, 'status-bc', true], [`${base}/marker`, 'marker', false]]);
  });

  it('gets its Last Will published when the connection drops without DISCONNECT', async () => {
    const base = uniqueId('will');
    const proxy = await startProxy({ host: broker().host, port: broker().port });
    proxies.push(proxy);
    const watcher = await firm(broker().url, opts({ clientId: `${base}-watcher` }));
    await watcher.subscribeAsync(`${base}/status`, { qos: 1 });
    const device = await firm(proxy.url, opts({
      clientId: `${base}-device`,
      will: { topic: `${base}/status`, payload: 'died', qos: 1, retain: false },
    }));
    await publish(device, `${base}/status`, 'alive', { qos: 1 });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    proxy.cut();
    await closed;
    const got = await inboxOf(watcher).count(2, `${base}/status`);
    expect(got.map((m) => m.text)).toEqual(['alive', 'died']);
    expect(got[1].qos).toBe(1);
  });

  it('does not get its Last Will published after a clean end()', async () => {
    const base = uniqueId('nowill');
    const watcher = await firm(broker().url, opts({ clientId: `${base}-watcher` }));
    await watcher.subscribeAsync(`${base}/status`, { qos: 1 });
    const device = await firm(broker().url, opts({
      clientId: `${base}-device`,
      will: { topic: `${base}/status`, payload: 'died', qos: 1, retain: false },
    }));
    await publish(device, `${base}/status`, 'alive', { qos: 1 });
    await device.endAsync();
    // The same client id connecting again means the broker is done with the old
    // connection (a Will, had there been one, is out by then); then a marker.
    const again = await firm(broker().url, opts({ clientId: `${base}-device` }));
    await publish(again, `${base}/status`, 'marker', { qos: 1 });
    const got = await inboxOf(watcher).count(2, `${base}/status`);
    expect(got.map((m) => m.text)).toEqual(['alive', 'marker']);
  });

  it('receives, on resuming a clean=false session, the QoS 1 messages queued while it was offline', async () => {
    const base = uniqueId('offline');
    const topic = `${base}/q`;
    const first = await firm(broker().url, persistent(`${base}-sub`));
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => publish(pub, topic, `queued ${i}`, { qos: 1 })));
    const back = firmUnawaited(broker().url, persistent(`${base}-sub`));
    const connack = await connected(back);
    expect(connack.sessionPresent).toBe(true);
    const got = await inboxOf(back).count(10, topic);
    expect(got.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `queued ${i}`));
    expect(got.every((m) => m.qos === 1)).toBe(true);
    // The session holds the subscription too: live messages keep coming.
    await publish(pub, topic, 'live', { qos: 1 });
    expect((await inboxOf(back).count(11, topic))[10].text).toBe('live');
  });

  it('starts without the queued messages when it connects clean again', async () => {
    const base = uniqueId('cleanagain');
    const topic = `${base}/q`;
    const first = await firm(broker().url, persistent(`${base}-sub`));
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    await publish(pub, topic, 'queued', { qos: 1 });
    const fresh = firmUnawaited(broker().url, opts({ clientId: `${base}-sub`, clean: true }));
    expect((await connected(fresh)).sessionPresent).toBe(false);
    await fresh.subscribeAsync(`${base}/marker`, { qos: 1 });
    await publish(pub, `${base}/marker`, 'marker', { qos: 1 });
    await inboxOf(fresh).first(`${base}/marker`);
    expect(inboxOf(fresh).texts()).toEqual(['marker']);
  });

  it('stops delivering a topic after unsubscribe', async () => {
    const base = uniqueId('unsub');
    const sub = await firm(broker().url, opts({ clientId: `${base}-sub` }));
    await sub.subscribeAsync([`${base}/t`, `${base}/marker`], { qos: 1 });
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    await publish(pub, `${base}/t`, 'before', { qos: 1 });
    await inboxOf(sub).first(`${base}/t`);
    const unsuback = await sub.unsubscribeAsync(`${base}/t`);
    expect(unsuback).toMatchObject({ type: 11 });
    await publish(pub, `${base}/t`, 'after', { qos: 1 });
    await publish(pub, `${base}/marker`, 'marker', { qos: 1 });
    await inboxOf(sub).first(`${base}/marker`);
    expect(inboxOf(sub).texts()).toEqual(['before', 'marker']);
  });

  it('does not match $-topics with a # subscription [MQTT-4.7.2-1]', async () => {
    const base = uniqueId('dollar');
    const all = await firm(broker().url, opts({ clientId: `${base}-all` }));
    await all.subscribeAsync('#', { qos: 1 });
    const dollar = await firm(broker().url, opts({ clientId: `${base}-dollar` }));
    await dollar.subscribeAsync(`$${base}/#`, { qos: 1 });
    const pub = await firm(broker().url, opts({ clientId: `${base}-pub` }));
    await publish(pub, `$${base}/bar`, 'dollar', { qos: 1 });
    await publish(pub, `${base}/marker`, 'marker', { qos: 1 });
    // The $ message was routed (an explicit $ filter gets it) ...
    expect((await inboxOf(dollar).first(`$${base}/bar`)).text).toBe('dollar');
    // ... but not to '#', which has the later marker by now.
    await inboxOf(all).first(`${base}/marker`);
    expect(inboxOf(all).got.filter((m) => m.topic.startsWith('$'))).toEqual([]);
  });
}
