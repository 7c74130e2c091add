import { describe, expect, it } from 'vitest';
import { Harness, errorCodes, kinds, messages } from './harness';
import { MemoryStore } from '../../src/store/store';
import { PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL } from '../../src/codec/packets';
import type { PublishPacket, QoS } from '../../src/codec/packets';
import { EV_MESSAGE } from '../../src/session/events';
import { encode } from '../../src/codec/index';
import type { MessageEvent } from '../../src/session/events';

function pub(id: number | undefined, qos: QoS, payload: string, dup?: boolean): PublishPacket {
  return { type: PUBLISH, topic: 'in/t', payload: payload, qos: qos, retain: false, dup: dup === true, messageId: id };
}

describe('receiving', () => {
  it('delivers QoS 0 without acknowledging', () => {
    const h = new Harness({});
    h.connect();
    h.serverSends(pub(undefined, 0, 'zero'));
    expect(h.sent()).toEqual([]);
    expect(messages(h.events())).toEqual(['in/t=zero']);
  });

  it('acknowledges QoS 1 before the message reaches the application', () => {
    const h = new Harness({});
    h.connect();
    h.serverSends(pub(5, 1, 'one'));
    // The driver writes output before it delivers events: the PUBACK is already queued.
    expect(h.sent()).toEqual([{ type: PUBACK, messageId: 5 }]);
    expect(messages(h.events())).toEqual(['in/t=one']);
  });

  it('delivers QoS 2 once: a resent PUBLISH before PUBREL is acknowledged but not delivered again', () => {
    const h = new Harness({});
    h.connect();
    h.serverSends(pub(7, 2, 'two'));
    expect(h.sent()).toEqual([{ type: PUBREC, messageId: 7 }]);
    expect(messages(h.events())).toEqual(['in/t=two']);
    h.serverSends(pub(7, 2, 'two', true));
    expect(h.sent()).toEqual([{ type: PUBREC, messageId: 7 }]);
    expect(h.events()).toEqual([]);
    h.serverSends({ type: PUBREL, messageId: 7 });
    expect(h.sent()).toEqual([{ type: PUBCOMP, messageId: 7 }]);
    // After PUBREL the id is free: the same id is a new message.
    h.serverSends(pub(7, 2, 'again'));
    expect(messages(h.events())).toEqual(['in/t=again']);
  });

  it('suppresses a QoS 2 duplicate across a reconnect with the session present', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.serverSends(pub(3, 2, 'x'));
    h.sent();
    h.events();
    h.drop();
    h.connect(true);
    h.serverSends(pub(3, 2, 'x', true));
    expect(h.sent()).toEqual([{ type: PUBREC, messageId: 3 }]);
    expect(h.events()).toEqual([]);
  });

  it('forgets QoS 2 ids awaiting PUBREL when the server has no session any more', () => {
    const h = new Harness({});
    h.connect();
    h.serverSends(pub(3, 2, 'x'));
    h.sent();
    h.events();
    h.drop();
    h.connect(false);
    h.serverSends(pub(3, 2, 'new'));
    expect(messages(h.events())).toEqual(['in/t=new']);
  });

  it('answers PUBREL for an unknown id with PUBCOMP (0x92 on MQTT 5)', () => {
    const h4 = new Harness({});
    h4.connect();
    h4.serverSends({ type: PUBREL, messageId: 44 });
    expect(h4.sent()).toEqual([{ type: PUBCOMP, messageId: 44 }]);
    const h5 = new Harness({ protocolVersion: 5 });
    h5.connect();
    h5.serverSends({ type: PUBREL, messageId: 44 });
    expect(h5.sent()).toEqual([{ type: PUBCOMP, messageId: 44, reasonCode: 0x92 }]);
  });

  it('fails the connection when the server exceeds our Receive Maximum', () => {
    const h = new Harness({ protocolVersion: 5, properties: { receiveMaximum: 2 } });
    h.connect();
    h.serverSends(pub(1, 2, 'a'));
    h.serverSends(pub(2, 2, 'b'));
    h.sent();
    h.events();
    h.serverSends(pub(3, 2, 'c'));
    expect(errorCodes(h.events())).toEqual([0x93, 0x93]);
  });

  it('delivers many packets from one chunk, in order', () => {
    const h = new Harness({});
    h.connect();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) parts.push(encode(pub(i + 1, 1, String(i)), 4));
    const chunk = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      chunk.set(p, o);
      o += p.length;
    }
    h.session.receive(chunk, h.now);
    expect(h.sent()).toHaveLength(50);
    const ev = h.events();
    expect(ev.filter((e) => e.kind === EV_MESSAGE).map((e) => new TextDecoder().decode((e as MessageEvent).packet.payload))).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
  });

  it('takes bytes one at a time', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    const b: Uint8Array = encode({ ...pub(9, 1, 'slow'), properties: { contentType: 'text/plain', userProperties: [['a', '1'], ['a', '2']] } }, 5);
    for (let i = 0; i < b.length; i++) h.session.receive(b.subarray(i, i + 1), h.now);
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_MESSAGE]);
    expect((ev[0] as MessageEvent).packet.properties!.userProperties).toEqual([['a', '1'], ['a', '2']]);
  });

  describe('manual acknowledgement', () => {
    it('sends PUBACK / PUBREC only when the application acks', () => {
      const h = new Harness({ manualAcks: true });
      h.connect();
      h.serverSends(pub(1, 1, 'a'));
      h.serverSends(pub(2, 2, 'b'));
      expect(h.sent()).toEqual([]);
      const ev = h.events() as MessageEvent[];
      h.session.ack(ev[1].packet, 0, h.now);
      h.session.ack(ev[0].packet, 0, h.now);
      expect(h.sent()).toEqual([{ type: PUBREC, messageId: 2 }, { type: PUBACK, messageId: 1 }]);
    });

    it.each([1, 2] as const)('QoS %i: acknowledgements go out in the order the messages came, whatever order the application acks in [MQTT-4.6.0-2]', (qos) => {
      const h = new Harness({ protocolVersion: 5, manualAcks: true });
      h.connect();
      h.serverSends(pub(1, qos, 'a'));
      h.serverSends(pub(2, qos, 'b'));
      h.serverSends(pub(3, qos, 'c'));
      const ev = h.events() as MessageEvent[];
      h.session.ack(ev[1].packet, 0, h.now);
      h.session.ack(ev[2].packet, 0x80, h.now);
      expect(h.sent()).toEqual([]); // held back by the first, not yet acked
      h.session.ack(ev[0].packet, 0, h.now);
      const type = qos === 1 ? PUBACK : PUBREC;
      expect(h.sent()).toEqual([{ type, messageId: 1 }, { type, messageId: 2 }, { type, messageId: 3, reasonCode: 0x80 }]);
      h.session.ack(ev[1].packet, 0, h.now); // twice: ignored
      expect(h.sent()).toEqual([]);
    });

    it('a QoS 2 message not yet acked holds back no PUBACK of a QoS 1 one (the order is per QoS)', () => {
      const h = new Harness({ manualAcks: true });
      h.connect();
      h.serverSends(pub(1, 2, 'a'));
      h.serverSends(pub(2, 1, 'b'));
      const ev = h.events() as MessageEvent[];
      h.session.ack(ev[1].packet, 0, h.now);
      expect(h.sent()).toEqual([{ type: PUBACK, messageId: 2 }]);
    });

    it.each([1, 2] as const)('QoS %i: a resend on the same connection (3.1.1) of a message still awaiting its ack is that message: delivered once, one ack answers both (found by the session fuzz)', (qos) => {
      const store = new MemoryStore();
      const h = new Harness({ clientId: 'c', clean: false, keepalive: 0, manualAcks: true, store });
      h.connect(true);
      const send = (dup: boolean, text: string) => h.serverSends({ type: PUBLISH, topic: 'in', payload: new TextEncoder().encode(text), qos, retain: false, dup, messageId: 1 });
      const got: MessageEvent[] = [];
      send(false, 'first');
      got.push(...(h.events() as MessageEvent[]));
      send(true, 'first'); // the server's retransmission, before the client answered
      got.push(...(h.events() as MessageEvent[]));
      expect(got).toHaveLength(1);
      h.session.ack(got[0].packet, 0, h.now);
      if (qos === 2) h.serverSends({ type: PUBREL, messageId: 1 });
      expect(h.sent().map((p) => p.type)).toEqual(qos === 1 ? [PUBACK] : [PUBREC, PUBCOMP]);
      // the exchange for id 1 is over: the server's next message with it is a new one
      send(false, 'second');
      got.push(...(h.events() as MessageEvent[]));
      expect(got.map((e) => new TextDecoder().decode(e.packet.payload))).toEqual(['first', 'second']);
      h.session.ack(got[1].packet, 0, h.now);
      if (qos === 2) h.serverSends({ type: PUBREL, messageId: 1 });
      expect(store.keys('')).toEqual([]);
    });

    it('unacknowledged QoS 1 messages count against our Receive Maximum: one more is 0x93', () => {
      const h = new Harness({ protocolVersion: 5, manualAcks: true, properties: { receiveMaximum: 2 } });
      h.connect();
      h.serverSends(pub(1, 1, 'a'));
      h.serverSends(pub(2, 1, 'b'));
      expect(errorCodes(h.events())).toEqual([]);
      h.serverSends(pub(3, 1, 'c'));
      expect(errorCodes(h.events())).toContain(0x93);
    });

    it('redelivers an unacknowledged QoS 2 message after a reconnect (it was never PUBREC\'d)', () => {
      const h = new Harness({ manualAcks: true, clean: false });
      h.connect();
      h.serverSends(pub(1, 2, 'a'));
      const [first] = h.events() as MessageEvent[];
      h.drop();
      h.connect(true);
      h.session.ack(first.packet, 0, h.now); // stale: ignored
      expect(h.sent()).toEqual([]);
      h.serverSends(pub(1, 2, 'a', true));
      expect(messages(h.events())).toEqual(['in/t=a']);
    });

    it('an ack for a message of an earlier connection never acknowledges a new message with the same id', () => {
      const h = new Harness({ manualAcks: true, clean: false });
      h.connect();
      h.serverSends(pub(1, 1, 'old'));
      const [old] = h.events() as MessageEvent[];
      h.drop();
      h.connect(true);
      h.serverSends(pub(1, 1, 'new'));
      const [fresh] = h.events() as MessageEvent[];
      h.session.ack(old.packet, 0, h.now);
      expect(h.sent()).toEqual([]);
      h.session.ack(fresh.packet, 0, h.now);
      expect(h.sent()).toEqual([{ type: PUBACK, messageId: 1 }]);
    });

    it('refuses a message with a reason code (MQTT 5)', () => {
      const h = new Harness({ protocolVersion: 5, manualAcks: true });
      h.connect();
      h.serverSends(pub(4, 1, 'a'));
      const [m] = h.events() as MessageEvent[];
      h.session.ack(m.packet, 0x80, h.now);
      expect(h.sent()).toEqual([{ type: PUBACK, messageId: 4, reasonCode: 0x80 }]);
    });
  });
});
