import { describe, expect, it } from 'vitest';
import { Harness, kinds } from './harness';
import { PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL } from '../../src/codec/packets';
import type { Packet, PublishPacket } from '../../src/codec/packets';
import { EV_DONE } from '../../src/session/events';
import type { DoneEvent } from '../../src/session/events';
import { isMqttError } from '../../src/codec/errors';

function ids(packets: Packet[]): number[] {
  return packets.map((p) => (p as PublishPacket).messageId as number);
}

describe('publishing', () => {
  it('sends QoS 0 at once and completes it when written', () => {
    const h = new Harness({});
    h.connect();
    let called = 0;
    h.session.publish('a/b', 'hi', {}, h.now, () => { called++; });
    const [p] = h.sent() as PublishPacket[];
    expect(p).toMatchObject({ type: PUBLISH, topic: 'a/b', qos: 0, retain: false, dup: false });
    h.runDone(h.events());
    expect(called).toBe(1);
  });

  it('numbers QoS 1/2 messages sequentially from 1', () => {
    const h = new Harness({});
    h.connect();
    h.session.publish('t', 'a', { qos: 1 }, h.now);
    h.session.publish('t', 'b', { qos: 2 }, h.now);
    h.session.publish('t', 'c', { qos: 1 }, h.now);
    expect(ids(h.sent())).toEqual([1, 2, 3]);
  });

  it('completes QoS 1 on PUBACK with the PUBACK', () => {
    const h = new Harness({});
    h.connect();
    const got: (Packet | undefined)[] = [];
    h.session.publish('t', 'a', { qos: 1 }, h.now, (err, pkt) => { expect(err).toBeNull(); got.push(pkt); });
    h.sent();
    h.serverSends({ type: PUBACK, messageId: 1 });
    h.runDone(h.events());
    expect(got).toEqual([{ type: PUBACK, messageId: 1 }]);
    expect(h.session.inflightCount).toBe(0);
  });

  it('runs the QoS 2 flow: PUBREC is answered with PUBREL, PUBCOMP completes', () => {
    const h = new Harness({});
    h.connect();
    let done = 0;
    h.session.publish('t', 'a', { qos: 2 }, h.now, (err) => { expect(err).toBeNull(); done++; });
    h.sent();
    h.serverSends({ type: PUBREC, messageId: 1 });
    expect(h.sent()).toEqual([{ type: PUBREL, messageId: 1 }]);
    expect(h.events()).toEqual([]);
    h.serverSends({ type: PUBCOMP, messageId: 1 });
    h.runDone(h.events());
    expect(done).toBe(1);
    expect(h.session.inflightCount).toBe(0);
  });

  it('answers a repeated PUBREC with PUBREL again', () => {
    const h = new Harness({});
    h.connect();
    h.session.publish('t', 'a', { qos: 2 }, h.now);
    h.sent();
    h.serverSends({ type: PUBREC, messageId: 1 });
    h.serverSends({ type: PUBREC, messageId: 1 });
    expect(h.sent()).toEqual([{ type: PUBREL, messageId: 1 }, { type: PUBREL, messageId: 1 }]);
  });

  it('ends a QoS 2 message refused by PUBREC (MQTT 5) with the reason, and sends no PUBREL', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    const errs: unknown[] = [];
    h.session.publish('t', 'a', { qos: 2 }, h.now, (err) => errs.push(err));
    h.sent();
    h.serverSends({ type: PUBREC, messageId: 1, reasonCode: 0x87, properties: { reasonString: 'acl' } });
    expect(h.sent()).toEqual([]);
    h.runDone(h.events());
    expect(isMqttError(errs[0]) && (errs[0] as { code: number }).code).toBe(0x87);
    expect((errs[0] as Error).message).toContain('acl');
  });

  it('reports a QoS 1 message refused by PUBACK (MQTT 5)', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    const errs: unknown[] = [];
    h.session.publish('t', 'a', { qos: 1 }, h.now, (err) => errs.push(err));
    h.sent();
    h.serverSends({ type: PUBACK, messageId: 1, reasonCode: 0x97 });
    h.runDone(h.events());
    expect((errs[0] as { code: number }).code).toBe(0x97);
  });

  it('treats PUBCOMP 0x92 (id forgotten after a lost session) as delivered', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    const errs: unknown[] = [];
    h.session.publish('t', 'a', { qos: 2 }, h.now, (err) => errs.push(err));
    h.sent();
    h.serverSends({ type: PUBREC, messageId: 1 });
    h.serverSends({ type: PUBCOMP, messageId: 1, reasonCode: 0x92 });
    h.runDone(h.events());
    expect(errs).toEqual([null]);
  });

  it('ignores stray PUBACK and PUBCOMP', () => {
    const h = new Harness({});
    h.connect();
    h.session.publish('t', 'a', { qos: 1 }, h.now);
    h.sent();
    h.serverSends({ type: PUBACK, messageId: 7 });
    h.serverSends({ type: PUBCOMP, messageId: 1 });
    h.serverSends({ type: PUBACK, messageId: 1 });
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(h.sent()).toEqual([]);
    expect(kinds(h.events())).toEqual([]);
    expect(h.session.inflightCount).toBe(0);
  });

  it('answers a PUBREC for an unknown id with PUBREL 0x92 (MQTT 5)', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.serverSends({ type: PUBREC, messageId: 9 });
    expect(h.sent()).toEqual([{ type: PUBREL, messageId: 9, reasonCode: 0x92 }]);
  });

  it('uses the two-byte-body form for MQTT 5 acks with Success: 62 02 00 01', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.session.publish('t', 'a', { qos: 2 }, h.now);
    h.sent();
    h.serverSends({ type: PUBREC, messageId: 1 });
    expect(Array.from(h.sentBytes())).toEqual([0x62, 0x02, 0x00, 0x01]);
  });

  it('skips packet ids still in use and wraps after 65535', () => {
    const h = new Harness({ maxInflight: 65535 });
    h.connect();
    h.session.publish('t', 'held', { qos: 1 }, h.now); // id 1 stays in flight
    h.sent();
    for (let i = 2; i <= 65535; i++) {
      h.session.publish('t', '', { qos: 1 }, h.now);
      h.session.takeOutput();
      h.serverSends({ type: PUBACK, messageId: i });
    }
    h.events();
    h.session.publish('t', 'next', { qos: 1 }, h.now);
    expect(ids(h.sent())).toEqual([2]);
  });

  it('keeps a window: no more than maxInflight QoS 1/2 messages unacknowledged', () => {
    const h = new Harness({ maxInflight: 2 });
    h.connect();
    for (let i = 0; i < 5; i++) h.session.publish('t', String(i), { qos: 1 }, h.now);
    expect(ids(h.sent())).toEqual([1, 2]);
    expect(h.session.inflightCount).toBe(2);
    expect(h.session.queuedCount).toBe(3);
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(ids(h.sent())).toEqual([3]);
    h.serverSends({ type: PUBACK, messageId: 3 });
    h.serverSends({ type: PUBACK, messageId: 2 });
    expect(ids(h.sent())).toEqual([4, 5]);
  });

  it('narrows the window to the server\'s Receive Maximum', () => {
    const h = new Harness({ protocolVersion: 5, maxInflight: 10 });
    h.connect(false, { receiveMaximum: 1 });
    h.session.publish('t', 'a', { qos: 2 }, h.now);
    h.session.publish('t', 'b', { qos: 1 }, h.now);
    expect(ids(h.sent())).toEqual([1]);
    h.serverSends({ type: PUBREC, messageId: 1 });
    // PUBREL still holds the slot: Receive Maximum counts until PUBCOMP.
    expect(h.sent()).toEqual([{ type: PUBREL, messageId: 1 }]);
    h.serverSends({ type: PUBCOMP, messageId: 1 });
    expect(ids(h.sent())).toEqual([2]);
  });

  it('keeps publication order: a QoS 0 message waits behind QoS 1 messages queued before it', () => {
    const h = new Harness({ maxInflight: 1 });
    h.connect();
    h.session.publish('t', 'a', { qos: 1 }, h.now);
    h.session.publish('t', 'b', { qos: 1 }, h.now);
    h.session.publish('t', 'c', { qos: 0 }, h.now);
    const text = (ps: Packet[]) => ps.map((p) => new TextDecoder().decode((p as PublishPacket).payload as Uint8Array));
    expect(text(h.sent())).toEqual(['a']);
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(text(h.sent())).toEqual(['b', 'c']);
  });

  it('queues while offline and sends in order once connected', () => {
    const h = new Harness({});
    h.session.publish('t', '1', { qos: 0 }, h.now);
    h.session.publish('t', '2', { qos: 1 }, h.now);
    h.session.publish('t', '3', { qos: 2 }, h.now);
    expect(h.session.queuedCount).toBe(3);
    h.connect();
    const sent = h.sent() as PublishPacket[];
    expect(sent.map((p) => [new TextDecoder().decode(p.payload as Uint8Array), p.qos, p.messageId])).toEqual([
      ['1', 0, undefined], ['2', 1, 1], ['3', 2, 2],
    ]);
    expect(sent.every((p) => !p.dup)).toBe(true);
  });

  it('reports completion through EV_DONE, never by calling back inside receive()', () => {
    const h = new Harness({});
    h.connect();
    let calls = 0;
    h.session.publish('t', 'a', { qos: 1 }, h.now, () => { calls++; });
    h.sent();
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(calls).toBe(0);
    const ev = h.events();
    expect(ev.filter((e) => e.kind === EV_DONE)).toHaveLength(1);
    (ev[0] as DoneEvent).done(null);
    expect(calls).toBe(1);
  });
});

describe('abandon()', () => {
  it('fails every waiting callback but keeps the messages for the next connection', () => {
    const h = new Harness({});
    h.connect();
    const results: string[] = [];
    h.session.publish('t', 'a', { qos: 1 }, h.now, (e) => results.push('pub ' + (e && e.message)));
    h.session.publish('t', 'b', { qos: 2 }, h.now);
    h.session.subscribe([{ topic: 's', qos: 0 }], undefined, h.now, (e) => results.push('sub ' + (e && e.message)));
    h.sent();
    h.session.abandon(new Error('ended'));
    h.runDone(h.events());
    expect(results).toEqual(['pub ended', 'sub ended']);
    h.drop();
    h.connect(true);
    expect((h.sent() as PublishPacket[]).map((p) => [p.messageId, p.dup])).toEqual([[1, true], [2, true]]);
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(h.events()).toEqual([]);
  });
});
