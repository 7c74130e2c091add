import { describe, expect, it } from 'vitest';
import { Harness } from './harness';
import { SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from '../../src/codec/packets';
import type { Packet, SubscribePacket } from '../../src/codec/packets';

describe('subscriptions', () => {
  it('sends SUBSCRIBE with MQTT 5 options and completes with the SUBACK', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    const got: (Packet | undefined)[] = [];
    h.session.subscribe([{ topic: 'a/+', qos: 1, nl: true, rap: true, rh: 2 }], { subscriptionIdentifier: 7 }, h.now, (e, p) => {
      expect(e).toBeNull();
      got.push(p);
    });
    const [s] = h.sent() as SubscribePacket[];
    expect(s).toMatchObject({ type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a/+', qos: 1, nl: true, rap: true, rh: 2 }] });
    expect(s.properties!.subscriptionIdentifier).toBe(7);
    h.serverSends({ type: SUBACK, messageId: 1, granted: [1] });
    h.runDone(h.events());
    expect(got).toEqual([{ type: SUBACK, messageId: 1, granted: [1] }]);
  });

  it('queues SUBSCRIBE while offline and sends it on connect', () => {
    const h = new Harness({});
    h.session.subscribe([{ topic: 'x', qos: 0 }], undefined, h.now);
    expect(h.sent()).toEqual([]);
    h.connect();
    expect(h.sent()).toMatchObject([{ type: SUBSCRIBE, subscriptions: [{ topic: 'x', qos: 0 }] }]);
  });

  it('restores granted subscriptions when the server has no session', () => {
    const h = new Harness({});
    h.connect();
    h.session.subscribe([{ topic: 'a', qos: 1 }, { topic: 'b', qos: 2 }, { topic: 'denied', qos: 0 }], undefined, h.now);
    h.sent();
    h.serverSends({ type: SUBACK, messageId: 1, granted: [1, 2, 0x80] });
    h.drop();
    h.connect(false);
    const [s] = h.sent() as SubscribePacket[];
    expect(s.type).toBe(SUBSCRIBE);
    expect(s.subscriptions.map((x) => [x.topic, x.qos])).toEqual([['a', 1], ['b', 2]]);
  });

  it('does not resubscribe when the server kept the session', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.session.subscribe([{ topic: 'a', qos: 1 }], undefined, h.now);
    h.sent();
    h.serverSends({ type: SUBACK, messageId: 1, granted: [1] });
    h.drop();
    h.connect(true);
    expect(h.sent()).toEqual([]);
  });

  it('keeps subscriptions with different properties in separate SUBSCRIBEs (MQTT 5)', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.session.subscribe([{ topic: 'a', qos: 0 }], { subscriptionIdentifier: 1 }, h.now);
    h.session.subscribe([{ topic: 'b', qos: 0 }], { subscriptionIdentifier: 2 }, h.now);
    h.sent();
    h.serverSends({ type: SUBACK, messageId: 1, granted: [0] });
    h.serverSends({ type: SUBACK, messageId: 2, granted: [0] });
    h.drop();
    h.connect(false);
    const subs = h.sent() as SubscribePacket[];
    expect(subs.map((s) => [s.subscriptions[0].topic, s.properties!.subscriptionIdentifier])).toEqual([['a', 1], ['b', 2]]);
  });

  it('forgets a subscription once UNSUBACK arrives', () => {
    const h = new Harness({});
    h.connect();
    h.session.subscribe([{ topic: 'a', qos: 0 }, { topic: 'b', qos: 0 }], undefined, h.now);
    h.serverSends({ type: SUBACK, messageId: 1, granted: [0, 0] });
    h.session.unsubscribe(['a'], undefined, h.now);
    expect(h.sent()).toMatchObject([{ type: SUBSCRIBE }, { type: UNSUBSCRIBE, messageId: 2, unsubscriptions: ['a'] }]);
    h.serverSends({ type: UNSUBACK, messageId: 2 });
    h.drop();
    h.connect(false);
    expect((h.sent() as SubscribePacket[]).map((s) => s.subscriptions.map((x) => x.topic))).toEqual([['b']]);
  });

  it('resends a SUBSCRIBE that was not acknowledged before the connection dropped', () => {
    const h = new Harness({});
    h.connect();
    let done = 0;
    h.session.subscribe([{ topic: 'a', qos: 0 }], undefined, h.now, () => { done++; });
    h.sent();
    h.drop();
    h.connect(false);
    const [s] = h.sent() as SubscribePacket[];
    expect(s).toMatchObject({ type: SUBSCRIBE, messageId: 1 });
    h.serverSends({ type: SUBACK, messageId: 1, granted: [0] });
    h.runDone(h.events());
    expect(done).toBe(1);
  });

  it('ignores a stray SUBACK', () => {
    const h = new Harness({});
    h.connect();
    h.serverSends({ type: SUBACK, messageId: 9, granted: [0] });
    expect(h.events()).toEqual([]);
  });
});
