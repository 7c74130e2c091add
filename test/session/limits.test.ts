import { describe, expect, it } from 'vitest';
import { Harness } from './harness';
import { encodedLength } from '../../src/codec/index';
import { PUBLISH } from '../../src/codec/packets';

function code(fn: () => void): number | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code: number }).code;
  }
  return undefined;
}

describe('the server\'s limits fail the call locally and send nothing', () => {
  it('Maximum QoS', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect(false, { maximumQoS: 1 });
    expect(code(() => h.session.publish('t', 'x', { qos: 2 }, h.now))).toBe(0x9b);
    expect(h.sent()).toEqual([]);
    expect(h.session.queuedCount).toBe(0);
    h.session.publish('t', 'x', { qos: 1 }, h.now);
    expect(h.sent()).toHaveLength(1);
  });

  it('Retain Available', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect(false, { retainAvailable: false });
    expect(code(() => h.session.publish('t', 'x', { retain: true }, h.now))).toBe(0x9a);
    expect(h.sent()).toEqual([]);
  });

  it('Maximum Packet Size, counted over the whole packet', () => {
    const h = new Harness({ protocolVersion: 5 });
    const max = 100;
    h.connect(false, { maximumPacketSize: max });
    const base = encodedLength({ type: PUBLISH, topic: 't', payload: '', qos: 1, retain: false, dup: false, messageId: 1 }, 5);
    const fits = 'x'.repeat(max - base);
    h.session.publish('t', fits, { qos: 1 }, h.now);
    expect(h.sentBytes().length).toBe(max);
    expect(code(() => h.session.publish('t', fits + 'x', { qos: 1 }, h.now))).toBe(0x95);
    // QoS 0 has no packet id: two bytes more payload reach the same size
    expect(code(() => h.session.publish('t', fits + 'xx', { qos: 0 }, h.now))).toBeUndefined();
    h.sent();
    expect(code(() => h.session.publish('t', fits + 'xxx', { qos: 0 }, h.now))).toBe(0x95);
    expect(h.sent()).toEqual([]);
    expect(h.session.queuedCount).toBe(0);
  });

  it('a message queued offline that breaks the limits of the server it meets fails then, not silently', () => {
    const h = new Harness({ protocolVersion: 5 });
    const errors: (Error | null)[] = [];
    h.session.publish('t', 'x'.repeat(200), { qos: 1 }, h.now, (e) => errors.push(e));
    h.session.publish('t', 'small', { qos: 2 }, h.now, (e) => errors.push(e));
    h.session.publish('t', 'ok', { qos: 1 }, h.now, (e) => errors.push(e));
    h.connect(false, { maximumPacketSize: 100, maximumQoS: 1 });
    const sent = h.sent();
    expect(sent).toHaveLength(1);
    h.runDone(h.events());
    expect(errors.map((e) => (e as unknown as { code: number }).code)).toEqual([0x95, 0x9b]);
  });

  it('Topic Alias Maximum for an alias the application chose', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect(false, { topicAliasMaximum: 2 });
    expect(code(() => h.session.publish('t', 'x', { properties: { topicAlias: 3 } }, h.now))).toBe(0x94);
    h.session.publish('t', 'x', { properties: { topicAlias: 2 } }, h.now);
    expect(h.sent()).toHaveLength(1);
  });

  it('wildcard, shared and subscription-identifier support', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect(false, { wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false });
    expect(code(() => h.session.subscribe([{ topic: 'a/+', qos: 0 }], undefined, h.now))).toBe(0xa2);
    expect(code(() => h.session.subscribe([{ topic: '$share/g/a', qos: 0 }], undefined, h.now))).toBe(0x9e);
    expect(code(() => h.session.subscribe([{ topic: 'a', qos: 0 }], { subscriptionIdentifier: 4 }, h.now))).toBe(0xa1);
    expect(h.sent()).toEqual([]);
  });
});

describe('bad arguments fail the call and change nothing', () => {
  it('a wildcard in a publish topic', () => {
    const h = new Harness({});
    h.connect();
    expect(code(() => h.session.publish('a/+', 'x', { qos: 1 }, h.now))).toBeGreaterThanOrEqual(0x80);
    expect(code(() => h.session.publish('a/#', 'x', {}, h.now))).toBeGreaterThanOrEqual(0x80);
    expect(h.sent()).toEqual([]);
    expect(h.session.queuedCount).toBe(0);
    h.session.publish('a/b', 'x', { qos: 1 }, h.now);
    expect(h.sent()).toMatchObject([{ messageId: 1 }]);
  });

  it('QoS 3', () => {
    const h = new Harness({});
    expect(code(() => h.session.publish('a', 'x', { qos: 3 as 2 }, h.now))).toBeGreaterThanOrEqual(0x80);
    expect(h.session.queuedCount).toBe(0);
  });

  it('an invalid subscription filter', () => {
    const h = new Harness({});
    h.connect();
    expect(code(() => h.session.subscribe([{ topic: 'a/#/b', qos: 0 }], undefined, h.now))).toBeGreaterThanOrEqual(0x80);
    expect(h.sent()).toEqual([]);
  });
});

describe('every queue has a bound', () => {
  it('maxQueued: messages waiting to be sent', () => {
    const h = new Harness({ maxQueued: 3 });
    for (let i = 0; i < 3; i++) h.session.publish('t', 'x', { qos: 1 }, h.now);
    expect(code(() => h.session.publish('t', 'x', { qos: 1 }, h.now))).toBe(0x97);
    expect(code(() => h.session.publish('t', 'x', { qos: 0 }, h.now))).toBe(0x97);
    expect(h.session.queuedCount).toBe(3);
  });

  it('maxQueuedBytes: bytes held', () => {
    const h = new Harness({ maxQueuedBytes: 100 });
    h.session.publish('t', 'x'.repeat(60), { qos: 1 }, h.now);
    expect(code(() => h.session.publish('t', 'x'.repeat(60), { qos: 1 }, h.now))).toBe(0x97);
    expect(h.session.queuedCount).toBe(1);
  });

  it('maxIncomingPacketSize: a larger packet from the server closes the connection with 0x95', () => {
    const h = new Harness({ protocolVersion: 5, maxIncomingPacketSize: 64 });
    h.connect();
    h.serverSends({ type: PUBLISH, topic: 't', payload: 'y'.repeat(100), qos: 0, retain: false, dup: false });
    const ev = h.events();
    expect(ev.map((e) => ('error' in e && e.error ? (e.error as { code: number }).code : 0))).toEqual([0x95, 0x95]);
  });

  it('MQTT 5: the Maximum Packet Size the application announces is the one enforced, above or below maxIncomingPacketSize', () => {
    const errorsFor = (announced: number, size: number) => {
      const h = new Harness({ protocolVersion: 5, properties: { maximumPacketSize: announced } });
      const connect = h.connect() as unknown as { properties: { maximumPacketSize: number } };
      expect(connect.properties.maximumPacketSize).toBe(announced);
      h.serverSends({ type: PUBLISH, topic: 't', payload: new Uint8Array(size), qos: 0, retain: false, dup: false });
      return h.events().filter((e) => 'error' in e && e.error).length;
    };
    expect(errorsFor(1024 * 1024, 300 * 1024)).toBe(0); // over the 256 KiB default, within what was announced
    expect(errorsFor(1000, 5000)).toBeGreaterThan(0);
  });
});
