import { describe, expect, it } from 'vitest';
import { Harness } from './harness';
import { PUBACK, PUBCOMP, PUBREC, PUBREL } from '../../src/codec/packets';
import type { Packet, PublishPacket } from '../../src/codec/packets';

function summary(packets: Packet[]): string[] {
  return packets.map((p) => {
    if (p.type === 3) {
      const pp = p as PublishPacket;
      return `PUBLISH ${pp.messageId} ${new TextDecoder().decode(pp.payload as Uint8Array)}${pp.dup ? ' dup' : ''}`;
    }
    if (p.type === PUBREL) return `PUBREL ${p.messageId}`;
    return 'type ' + p.type;
  });
}

describe('after any reconnect', () => {
  it('resends unacknowledged QoS 1/2 messages first, in their original order, with DUP set', () => {
    const h = new Harness({ maxInflight: 10 });
    h.connect();
    h.session.publish('t', 'a', { qos: 1 }, h.now);
    h.session.publish('t', 'b', { qos: 2 }, h.now);
    h.session.publish('t', 'c', { qos: 1 }, h.now);
    h.session.publish('t', 'd', { qos: 2 }, h.now);
    h.sent();
    h.serverSends({ type: PUBACK, messageId: 3 });
    h.serverSends({ type: PUBREC, messageId: 4 });
    h.sent();
    h.drop();
    h.session.publish('t', 'e', { qos: 1 }, h.now); // published while offline
    h.connect(true);
    expect(summary(h.sent())).toEqual(['PUBLISH 1 a dup', 'PUBLISH 2 b dup', 'PUBREL 4', 'PUBLISH 5 e']);
  });

  it('resends even when the server has no session (clean start): nothing is dropped', () => {
    const h = new Harness({ clean: true });
    h.connect();
    h.session.publish('t', 'a', { qos: 1 }, h.now);
    h.sent();
    h.drop();
    h.connect(false);
    expect(summary(h.sent())).toEqual(['PUBLISH 1 a dup']);
  });

  it('resends after every reconnect until acknowledged', () => {
    const h = new Harness({});
    h.connect();
    let done = 0;
    h.session.publish('t', 'a', { qos: 2 }, h.now, () => { done++; });
    h.sent();
    for (let i = 0; i < 3; i++) {
      h.drop();
      h.connect(true);
      expect(summary(h.sent())).toEqual(['PUBLISH 1 a dup']);
    }
    h.serverSends({ type: PUBREC, messageId: 1 });
    h.drop();
    h.connect(true);
    expect(summary(h.sent())).toEqual(['PUBREL 1']);
    h.serverSends({ type: PUBCOMP, messageId: 1 });
    h.runDone(h.events());
    expect(done).toBe(1);
    h.drop();
    h.connect(true);
    expect(h.sent()).toEqual([]);
  });

  it('respects a smaller window on the new connection, then continues in order', () => {
    const h = new Harness({ protocolVersion: 5, maxInflight: 10 });
    h.connect();
    for (const x of ['a', 'b', 'c']) h.session.publish('t', x, { qos: 1 }, h.now);
    h.sent();
    h.drop();
    h.connect(true, { receiveMaximum: 1 });
    expect(summary(h.sent())).toEqual(['PUBLISH 1 a dup']);
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(summary(h.sent())).toEqual(['PUBLISH 2 b dup']);
    h.serverSends({ type: PUBACK, messageId: 2 });
    expect(summary(h.sent())).toEqual(['PUBLISH 3 c dup']);
  });

  it('keeps the messages when the connection drops before CONNACK', () => {
    const h = new Harness({});
    h.session.publish('t', 'a', { qos: 1 }, h.now);
    h.session.open(h.now);
    h.sent();
    h.drop();
    h.connect();
    expect(summary(h.sent())).toEqual(['PUBLISH 1 a']);
  });

  it('sends QoS 0 messages queued offline once, and does not resend QoS 0 already written', () => {
    const h = new Harness({});
    h.session.publish('t', 'q0', {}, h.now);
    h.connect();
    expect(summary(h.sent())).toEqual(['PUBLISH undefined q0']);
    h.drop();
    h.connect();
    expect(h.sent()).toEqual([]);
  });
});

describe('long runs', () => {
  it('keeps sending in order after the outbox compacted, connected and across a reconnect', () => {
    const h = new Harness({ maxInflight: 3 });
    h.connect();
    let next = 0;
    const seen: string[] = [];
    const take = () => {
      for (const p of h.sent()) {
        if (p.type !== 3) continue;
        const pp = p as PublishPacket;
        seen.push(new TextDecoder().decode(pp.payload as Uint8Array));
        h.serverSends({ type: PUBACK, messageId: pp.messageId as number });
      }
    };
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 5; k++) h.session.publish('t', String(next++), { qos: 1 }, h.now);
      // acks arrive; each frees a slot and lets the next message out
      for (let spin = 0; spin < 5; spin++) take();
      if (round % 7 === 3) {
        h.drop();
        h.session.publish('t', String(next++), { qos: 1 }, h.now);
        h.connect(true);
        for (let spin = 0; spin < 5; spin++) take();
      }
    }
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => String(i)));
    expect(h.session.queuedCount).toBe(0);
    expect(h.session.inflightCount).toBe(0);
  });

  it('a record acknowledged before it was resent does not stop the ones behind it', () => {
    const h = new Harness({ maxInflight: 1 });
    h.connect();
    for (let i = 0; i < 12; i++) h.session.publish('t', String(i), { qos: 1 }, h.now);
    h.sent();
    h.drop();
    h.connect(true);
    // first resend goes out; the server (oddly) acks it twice and all is well
    expect(summary(h.sent())).toEqual(['PUBLISH 1 0 dup']);
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(summary(h.sent())).toEqual(['PUBLISH 2 1']);
  });
});
