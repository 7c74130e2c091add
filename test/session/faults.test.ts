import { describe, expect, it } from 'vitest';
import { Harness, errorCodes, kinds } from './harness';
import { CONNECT, DISCONNECT, PINGREQ, SUBSCRIBE } from '../../src/codec/packets';
import type { Packet } from '../../src/codec/packets';
import { EV_CLOSE, EV_ERROR, EV_SERVER_DISCONNECT } from '../../src/session/events';

describe('a misbehaving server', () => {
  it('malformed bytes: DISCONNECT with the reason (MQTT 5), an error with the code, then close; unacked messages kept', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.session.publish('t', 'keep', { qos: 1 }, h.now);
    h.sent();
    h.session.receive(new Uint8Array([0x42, 0x02, 0x00, 0x01]), h.now); // PUBACK with reserved flag bits set
    expect(h.sent()).toEqual([{ type: DISCONNECT, reasonCode: 0x81 }]);
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_ERROR, EV_CLOSE]);
    expect(errorCodes(ev)).toEqual([0x81, 0x81]);
    h.session.receive(new Uint8Array([0x40, 0x02, 0x00, 0x01]), h.now); // ignored after the failure
    expect(h.events()).toEqual([]);
    h.drop();
    h.connect(true);
    expect(h.sent()).toMatchObject([{ messageId: 1, dup: true }]);
  });

  it('malformed bytes on MQTT 3.1.1: no DISCONNECT (it has no reason codes), error and close', () => {
    const h = new Harness({});
    h.connect();
    h.session.receive(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), h.now); // 5-byte length
    expect(h.sent()).toEqual([]);
    expect(errorCodes(h.events())).toEqual([0x81, 0x81]);
  });

  it('packets only a client sends are protocol errors', () => {
    for (const p of [{ type: PINGREQ }, { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }] as Packet[]) {
      const h = new Harness({ protocolVersion: 5 });
      h.connect();
      h.serverSends(p);
      expect(errorCodes(h.events())).toEqual([0x82, 0x82]);
    }
    const h = new Harness({});
    h.connect();
    h.serverSends({ type: CONNECT, protocolVersion: 4, clientId: 'x', clean: true, keepalive: 0 });
    expect(errorCodes(h.events())).toEqual([0x82, 0x82]);
  });

  it('server DISCONNECT: reason code and reason string reach the application', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.serverSends({ type: DISCONNECT, reasonCode: 0x8b, properties: { reasonString: 'shutting down' } });
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_SERVER_DISCONNECT, EV_CLOSE]);
    expect(ev[0].kind === EV_SERVER_DISCONNECT && ev[0].packet.reasonCode).toBe(0x8b);
    expect(ev[1].kind === EV_CLOSE && ev[1].error!.code).toBe(0x8b);
    expect(ev[1].kind === EV_CLOSE && ev[1].error!.message).toContain('shutting down');
    expect(h.sent()).toEqual([]);
  });

  it('a normal server DISCONNECT closes without an error', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.serverSends({ type: DISCONNECT, reasonCode: 0 });
    expect(h.events()[1]).toEqual({ kind: EV_CLOSE, error: null });
  });

  it('bytes after the failing packet in the same chunk are not processed', () => {
    const h = new Harness({});
    h.connect();
    h.session.publish('t', 'x', { qos: 1 }, h.now);
    h.sent();
    // a PINGRESP with a body (malformed), then the PUBACK for our message
    h.session.receive(new Uint8Array([0xd0, 0x01, 0x00, 0x40, 0x02, 0x00, 0x01]), h.now);
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_ERROR, EV_CLOSE]);
    expect(h.session.inflightCount).toBe(1);
  });
});
