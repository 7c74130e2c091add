// Messages published while offline, and QoS 1/2 messages caught by a lost connection:
// queued, sent in order once connected, resent until acknowledged, reported once.
import { describe, expect, it } from 'vitest';
import { connected, idOf, rig, text } from './harness';
import type { Rig } from './harness';

function reconnect(r: Rig, sessionPresent: boolean): void {
  for (let i = 0; i < 100 && r.last().ended; i++) r.clock.advance(r.clock.timerAt - r.clock.t);
  r.last().accept();
  r.last().connack(sessionPresent);
}

describe('offline queue', () => {
  it('holds messages published before CONNACK and sends them, in order, once connected', () => {
    const r = rig();
    const acks: string[] = [];
    r.client.publish('a', 'one', { qos: 1 }, (err, packet) => acks.push(`${err}:${packet?.type}`));
    r.client.publish('b', 'two');
    r.client.publish('c', 'three', { qos: 2 });
    expect(r.client.queuedCount).toBe(3);
    const t = r.last();
    t.accept();
    expect(t.sent('publish')).toHaveLength(0);
    t.connack();
    const sent = t.sent('publish') as { topic: string; payload: Buffer; qos: number }[];
    expect(sent.map((p) => `${p.topic}=${text(p.payload)}@${p.qos}`)).toEqual(['a=one@1', 'b=two@0', 'c=three@2']);
    expect(r.client.queuedCount).toBe(0);
    expect(r.client.inflightCount).toBe(2);
    t.send({ cmd: 'puback', messageId: idOf(sent[0]) });
    expect(acks).toEqual(['null:4']);
  });

  it('queues while waiting to reconnect and sends after the reconnect', () => {
    const r = connected({ jitter: 0 });
    r.last().end();
    r.client.publish('t', 'while offline', { qos: 1 });
    expect(r.last().sent('publish')).toHaveLength(0);
    reconnect(r, false);
    expect((r.last().sent('publish') as { payload: Buffer }[]).map((p) => text(p.payload))).toEqual(['while offline']);
  });

  it('sends what was queued offline after earlier messages were acknowledged', () => {
    const r = connected({ jitter: 0 });
    const acked: number[] = [];
    for (let i = 1; i <= 7; i++) {
      r.client.publish('t', `m${i}`, { qos: 1 }, () => acked.push(i));
      r.last().send({ cmd: 'puback', messageId: idOf(r.last().sent('publish').at(-1)) });
    }
    r.last().end();
    r.client.publish('t', 'm8', { qos: 1 }, () => acked.push(8));
    r.client.publish('t', 'm9', { qos: 1 }, () => acked.push(9));
    reconnect(r, false);
    const sent = r.last().sent('publish');
    expect((sent as { payload: Buffer }[]).map((p) => text(p.payload))).toEqual(['m8', 'm9']);
    for (const p of sent) r.last().send({ cmd: 'puback', messageId: idOf(p) });
    r.client.publish('t', 'm10', { qos: 1 }, () => acked.push(10));
    r.last().send({ cmd: 'puback', messageId: idOf(r.last().sent('publish').at(-1)) });
    expect(acked).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('keeps sending while connected however many messages came and went before', () => {
    const r = connected();
    let acked = 0;
    for (let i = 1; i <= 100; i++) {
      r.client.publish('t', `m${i}`, { qos: 1 }, () => acked++);
      const sent = r.last().sent('publish');
      expect(sent).toHaveLength(i);
      r.last().send({ cmd: 'puback', messageId: idOf(sent[i - 1]) });
    }
    expect(acked).toBe(100);
  });

  it('resends an unacknowledged QoS 1 message with DUP after a reconnect and reports it once', () => {
    const r = connected({ jitter: 0 });
    const results: string[] = [];
    r.client.publish('t', 'm', { qos: 1 }, (err) => results.push(String(err)));
    const first = r.last().sent('publish')[0] as { messageId: number; dup: boolean };
    expect(first.dup).toBe(false);
    r.last().end();
    reconnect(r, true);
    const again = r.last().sent('publish') as { messageId: number; dup: boolean }[];
    expect(again).toHaveLength(1);
    expect(again[0].dup).toBe(true);
    expect(again[0].messageId).toBe(first.messageId);
    r.last().send({ cmd: 'puback', messageId: first.messageId });
    expect(results).toEqual(['null']);
  });

  it('resends unacknowledged messages in their original order, before newer ones', () => {
    const r = connected({ jitter: 0 });
    r.client.publish('t', '1', { qos: 1 });
    r.client.publish('t', '2', { qos: 2 });
    r.last().end();
    r.client.publish('t', '3', { qos: 1 });
    reconnect(r, true);
    expect((r.last().sent('publish') as { payload: Buffer }[]).map((p) => text(p.payload))).toEqual(['1', '2', '3']);
  });

  it('completes a QoS 2 flow across a reconnect with PUBREL', () => {
    const r = connected({ jitter: 0 });
    let result = 'pending';
    r.client.publish('t', 'q2', { qos: 2 }, (err, packet) => {
      result = `${err}:${packet?.type}`;
    });
    const id = idOf(r.last().sent('publish')[0]);
    r.last().send({ cmd: 'pubrec', messageId: id });
    expect(r.last().sent('pubrel')).toHaveLength(1);
    r.last().end();
    reconnect(r, true);
    expect(r.last().sent('publish')).toHaveLength(0);
    expect(r.last().sent('pubrel')).toHaveLength(1);
    r.last().send({ cmd: 'pubcomp', messageId: id });
    expect(result).toBe('null:7');
  });

  it('reports a full queue to the caller and changes nothing else', () => {
    const r = rig({ maxQueued: 2 });
    const errors: string[] = [];
    r.client.publish('t', '1', { qos: 1 });
    r.client.publish('t', '2', { qos: 1 });
    r.client.publish('t', '3', { qos: 1 }, (err) => errors.push(`${(err as Error & { code: number }).code}`));
    r.clock.settle();
    expect(errors).toEqual([String(0x97)]);
    expect(r.client.queuedCount).toBe(2);
  });
});
