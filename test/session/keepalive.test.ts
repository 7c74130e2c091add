import { describe, expect, it } from 'vitest';
import { Harness, errorCodes, kinds } from './harness';
import { PINGREQ, PINGRESP, PUBACK } from '../../src/codec/packets';
import { EV_CLOSE, EV_ERROR } from '../../src/session/events';

describe('keep-alive', () => {
  it('sends PINGREQ when nothing was sent for the keep-alive period', () => {
    const h = new Harness({ keepalive: 60 });
    h.connect();
    h.advance(59999);
    expect(h.sent()).toEqual([]);
    h.advance(1);
    expect(h.sent()).toEqual([{ type: PINGREQ }]);
  });

  it('counts from the last packet sent, not the last received', () => {
    const h = new Harness({ keepalive: 10 });
    h.connect();
    h.advance(8000);
    h.session.publish('t', 'x', {}, h.now);
    h.sent();
    h.advance(9999);
    expect(h.sent()).toEqual([]);
    h.advance(1);
    expect(h.sent()).toEqual([{ type: PINGREQ }]);
  });

  it('declares the connection lost when PINGRESP is late, and sends nothing more', () => {
    const h = new Harness({ keepalive: 10, pingTimeout: 3000 });
    h.connect();
    h.advance(10000);
    expect(h.sent()).toEqual([{ type: PINGREQ }]);
    expect(h.session.nextDeadline()).toBe(h.now + 3000);
    h.advance(2999);
    expect(h.events()).toEqual([]);
    h.advance(1);
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_ERROR, EV_CLOSE]);
    expect(errorCodes(ev)).toEqual([0x8d, 0x8d]);
    expect(h.sent()).toEqual([]);
  });

  it('a PINGRESP in time keeps the connection, and the next ping follows a period later', () => {
    const h = new Harness({ keepalive: 10 });
    h.connect();
    h.advance(10000);
    h.sent();
    h.advance(200);
    h.serverSends({ type: PINGRESP });
    h.advance(10000);
    expect(h.events()).toEqual([]);
    expect(h.sent()).toEqual([{ type: PINGREQ }]);
  });

  it('defaults the PINGRESP timeout to half the keep-alive, at most 10 s', () => {
    const a = new Harness({ keepalive: 4 });
    a.connect();
    a.advance(4000);
    expect(a.session.nextDeadline()).toBe(a.now + 2000);
    const b = new Harness({ keepalive: 120 });
    b.connect();
    b.advance(120000);
    expect(b.session.nextDeadline()).toBe(b.now + 10000);
  });

  it('honours the server\'s Server Keep Alive (MQTT 5)', () => {
    const h = new Harness({ protocolVersion: 5, keepalive: 60 });
    h.connect(false, { serverKeepAlive: 5 });
    h.advance(5000);
    expect(h.sent()).toEqual([{ type: PINGREQ }]);
  });

  it('does nothing with keep-alive 0', () => {
    const h = new Harness({ keepalive: 0 });
    h.connect();
    expect(h.session.nextDeadline()).toBe(-1);
    h.advance(10 * 60 * 1000);
    expect(h.sent()).toEqual([]);
  });

  it('works across a 32-bit millisecond tick wrap', () => {
    const wrap = 0x100000000;
    const h = new Harness({ keepalive: 10, pingTimeout: 2000 }, wrap - 5000);
    h.connect();
    // the clock wraps: now restarts near zero
    h.now = 5000;
    h.session.tick(h.now);
    expect(h.sent()).toEqual([{ type: PINGREQ }]);
    h.now = 6999;
    h.session.tick(h.now);
    expect(h.events()).toEqual([]);
    h.now = 7000;
    h.session.tick(h.now);
    expect(errorCodes(h.events())).toEqual([0x8d, 0x8d]);
  });

  it('stops keep-alive when the transport closes', () => {
    const h = new Harness({ keepalive: 10 });
    h.connect();
    h.drop();
    expect(h.session.nextDeadline()).toBe(-1);
    h.session.publish('t', 'x', { qos: 1 }, h.now);
    h.serverSends({ type: PUBACK, messageId: 1 });
    expect(h.events()).toEqual([]);
  });
});
