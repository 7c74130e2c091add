// CompactClient end(): DISCONNECT then close, 'end', the callback; a graceful end waits
// for what is in flight; end(true); no reconnect afterwards; commands after end fail;
// pending callbacks hear 0x83; reconnect() starts again, now, also during end().
import { describe, expect, it } from 'vitest';
import { connected, idOf, payloads, recorder, rig } from './harness';

type Any = Record<string, any>;

describe.each([4, 5])('end (MQTT %i)', (v) => {
  it("sends DISCONNECT, closes, then emits 'end' and calls back once the transport closed", () => {
    const r = connected({ protocolVersion: v });
    const done: string[] = [];
    r.client.end(() => done.push('cb'));
    const t = r.last();
    expect(t.received.map((p) => p.cmd)).toEqual(['connect', 'disconnect']);
    if (v === 5) expect((t.sent('disconnect')[0] as Any).reasonCode ?? 0).toBe(0);
    expect(t.closeCalls).toBe(1);
    expect(done).toEqual([]);
    t.end();
    r.clock.settle();
    expect(r.log).toEqual(['close', 'end']);
    expect(done).toEqual(['cb']);
  });

  it('DISCONNECT is E0 00 (MQTT 5: reason Success in the shortest encoding)', () => {
    const r = connected({ protocolVersion: v });
    r.client.end();
    const last = r.last().writes[r.last().writes.length - 1];
    expect([...last]).toEqual([0xe0, 0x00]);
  });

  it('end(true) closes without DISCONNECT', () => {
    const r = connected({ protocolVersion: v });
    const done: string[] = [];
    r.client.end(true, () => done.push('cb'));
    expect(r.last().sent('disconnect')).toHaveLength(0);
    expect(r.last().closeCalls).toBe(1);
    r.last().end();
    r.clock.settle();
    expect(done).toEqual(['cb']);
    expect(r.log).toContain('end');
  });

  it('does not reconnect after end', () => {
    const r = connected({ protocolVersion: v });
    r.client.end();
    r.last().end();
    r.clock.advance(3600_000);
    expect(r.transports).toHaveLength(1);
    expect(r.log).not.toContain('reconnect');
    expect(r.log).not.toContain('offline');
  });

  it('end while waiting to reconnect cancels the reconnect', () => {
    const r = connected({ protocolVersion: v });
    r.last().end();
    r.client.end();
    r.clock.advance(3600_000);
    expect(r.transports).toHaveLength(1);
    expect(r.log).toContain('end');
  });

  it('end while waiting to reconnect calls back after end() returns, not inside it', () => {
    const r = connected({ protocolVersion: v });
    r.last().end();
    const order: string[] = [];
    r.client.end(() => order.push('cb'));
    order.push('returned');
    r.clock.settle();
    expect(order).toEqual(['returned', 'cb']);
  });

  it('end before CONNACK abandons the attempt and sends no DISCONNECT', () => {
    const r = rig({ protocolVersion: v });
    r.last().accept();
    r.client.end();
    expect(r.last().sent('disconnect')).toHaveLength(0);
    expect(r.last().closeCalls).toBe(1);
    r.last().end();
    expect(r.log).toContain('end');
  });

  it('publish, subscribe and unsubscribe after end fail their callbacks and send nothing', () => {
    const r = connected({ protocolVersion: v });
    r.client.end();
    const rec = recorder();
    r.client.publish('t', 'x', { qos: 1 }, rec.cb);
    r.client.subscribe('s', rec.cb);
    r.client.unsubscribe('s', rec.cb);
    r.clock.settle();
    expect(rec.calls).toHaveLength(3);
    for (const c of rec.calls) expect(c[0]).not.toBeNull();
    expect(r.last().received.map((p) => p.cmd)).toEqual(['connect', 'disconnect']);
  });

  it('a second end() calls its callback too', () => {
    const r = connected({ protocolVersion: v });
    const done: string[] = [];
    r.client.end(() => done.push('first'));
    r.client.end(() => done.push('second'));
    r.last().end();
    r.clock.settle();
    expect(done.sort()).toEqual(['first', 'second']);
  });

  it('stops the keep-alive: no PINGREQ and no timer after end', () => {
    const r = connected({ protocolVersion: v, keepalive: 10 });
    r.client.end();
    r.last().end();
    r.clock.settle();
    expect(r.clock.timerAt).toBe(-1);
  });

  it('reconnect() after end dials again and publishing works', () => {
    const r = connected({ protocolVersion: v });
    r.client.end();
    r.last().end();
    r.client.reconnect();
    expect(r.transports).toHaveLength(2);
    r.last().accept();
    r.last().connack();
    r.client.publish('t', 'again');
    expect(r.last().sent('publish')).toHaveLength(1);
  });
});

describe('end() with options (MQTT 5), in every MQTT.js argument form', () => {
  it('end(false, {reasonCode}, cb) and end({reasonCode}, cb) send DISCONNECT with that reason and call back; neither closes without one', () => {
    for (const call of [(c: Any, cb: () => void) => c.end(false, { reasonCode: 4 }, cb), (c: Any, cb: () => void) => c.end({ reasonCode: 4 }, cb)]) {
      const r = connected({ protocolVersion: 5 });
      const done: string[] = [];
      call(r.client, () => done.push('cb'));
      const t = r.last();
      expect((t.sent('disconnect') as Any[]).map((p) => p.reasonCode)).toEqual([4]);
      t.end();
      r.clock.settle();
      expect(done).toEqual(['cb']);
    }
  });
});

describe.each([4, 5])('a graceful end waits for what is in flight (MQTT %i)', (v) => {
  it('sends DISCONNECT only once the PUBACK, the PUBCOMP and the SUBACK are in', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'one', { qos: 1 }, rec.cb);
    r.client.publish('t', 'two', { qos: 2 }, rec.cb);
    r.client.subscribe('s', rec.cb);
    const done: string[] = [];
    r.client.end(() => done.push('end'));
    const t = r.last();
    const [p1, p2] = t.sent('publish');
    t.send({ cmd: 'puback', messageId: idOf(p1) });
    t.send({ cmd: 'pubrec', messageId: idOf(p2) });
    t.send({ cmd: 'suback', messageId: idOf(t.sent('subscribe')[0]), granted: [0] });
    expect(t.sent('disconnect')).toHaveLength(0);
    expect(t.closeCalls).toBe(0);
    t.send({ cmd: 'pubcomp', messageId: idOf(p2) });
    expect(t.sent('disconnect')).toHaveLength(1);
    expect(t.closeCalls).toBe(1);
    t.end();
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([null, null, null]);
    expect(done).toEqual(['end']);
  });

  it('end(true) during the wait closes at once, without DISCONNECT; the waiting callback hears 0x83', () => {
    const r = connected({ protocolVersion: v });
    const rec = recorder();
    r.client.publish('t', 'one', { qos: 1 }, rec.cb);
    r.client.end();
    r.client.end(true);
    const t = r.last();
    expect(t.sent('disconnect')).toHaveLength(0);
    expect(t.closeCalls).toBe(1);
    t.end();
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x83]);
    expect(r.log).toEqual(['close', 'end']);
  });

  it('a link lost during the wait ends the client: no reconnect, callbacks hear 0x83, the message stays for reconnect()', () => {
    const r = connected({ protocolVersion: v, reconnectPeriod: 100 });
    const rec = recorder();
    r.client.publish('t', 'one', { qos: 1 }, rec.cb);
    r.client.end();
    r.last().end();
    r.clock.advance(1000);
    expect(r.transports).toHaveLength(1);
    expect(rec.calls.map((c) => c[0])).toEqual([0x83]);
    r.client.reconnect();
    r.last().accept();
    r.last().connack(false, 0);
    expect(payloads(r.last())).toEqual(['one']);
  });
});

describe.each([4, 5])('callbacks still waiting when end() has finished (MQTT %i)', (v) => {
  it('hear 0x83: QoS 1 in flight, QoS 0 queued offline, SUBSCRIBE and UNSUBSCRIBE waiting; once each', () => {
    const r = connected({ protocolVersion: v, reconnectPeriod: 0 });
    r.last().end();
    const rec = recorder();
    r.client.publish('t', 'q1', { qos: 1 }, rec.cb);
    r.client.publish('t', 'q0', { qos: 0 }, rec.cb);
    r.client.subscribe('s', rec.cb);
    r.client.unsubscribe('u', rec.cb);
    r.client.end();
    r.clock.settle();
    expect(rec.calls.map((c) => c[0])).toEqual([0x83, 0x83, 0x83, 0x83]);
    // the messages stay, the requests go: after reconnect() only the PUBLISHes are sent, and no callback runs twice
    r.client.reconnect();
    r.last().accept();
    r.last().connack(false, 0);
    expect(payloads(r.last())).toEqual(['q1', 'q0']);
    expect(r.last().sent('subscribe')).toHaveLength(0);
    expect(r.last().sent('unsubscribe')).toHaveLength(0);
    r.last().send({ cmd: 'puback', messageId: idOf(r.last().sent('publish')[0]) });
    r.clock.settle();
    expect(rec.calls).toHaveLength(4);
  });
});

describe.each([4, 5])('end() again, and end() while connecting (MQTT %i)', (v) => {
  it('end(), reconnect(), end() again: the last end() wins, no new connection (also with end(true) while a graceful end waits)', () => {
    for (const force of [false, true]) {
      const r = connected({ protocolVersion: v });
      r.client.publish('t', 'x', { qos: 1 });
      r.client.end();
      r.client.reconnect();
      r.client.end(force);
      r.last().end();
      r.clock.advance(60_000);
      expect(r.transports).toHaveLength(1);
      expect(r.log).not.toContain('reconnect');
    }
  });

  it('a second end(cb) while the first waits is called back once the client has ended, with the first', () => {
    const r = connected({ protocolVersion: v });
    r.client.publish('t', 'x', { qos: 1 });
    const order: string[] = [];
    r.client.end(() => order.push('first'));
    r.client.end(() => order.push('second'));
    r.clock.advance(10);
    expect(order).toEqual([]);
    r.last().send({ cmd: 'puback', messageId: idOf(r.last().sent('publish')[0]) });
    r.last().end();
    r.clock.settle();
    expect(order).toEqual(['first', 'second']);
  });

  it("end() while connecting: a CONNACK that comes before the close makes no 'connect'", () => {
    const r = rig({ protocolVersion: v });
    r.last().accept();
    r.client.end();
    r.last().connack(false, 0);
    r.clock.settle();
    expect(r.log).not.toContain('connect');
    expect(r.last().sent('disconnect')).toHaveLength(0);
  });
});

describe.each([4, 5])('reconnect() (MQTT %i)', (v) => {
  it('on a connected client: DISCONNECT (so no Will), close, then dials at once, whatever reconnectPeriod says', () => {
    for (const reconnectPeriod of [0, 5000]) {
      const r = connected({ protocolVersion: v, reconnectPeriod });
      r.client.reconnect();
      const t = r.last();
      expect(t.sent('disconnect')).toHaveLength(1);
      expect(t.closeCalls).toBe(1);
      t.end();
      expect(r.transports).toHaveLength(2);
      expect(r.log).toEqual(['close', 'reconnect']);
      r.last().accept();
      r.last().connack(false, 0);
      expect(r.client.connected).toBe(true);
    }
  });

  it('while waiting to reconnect: dials now', () => {
    const r = connected({ protocolVersion: v, reconnectPeriod: 5000 });
    r.last().end();
    r.client.reconnect();
    expect(r.transports).toHaveLength(2);
    expect(r.log).toEqual(['close', 'offline', 'reconnect']);
  });

  it('during end(): end() finishes first, its callback runs, then the client dials', () => {
    const r = connected({ protocolVersion: v });
    const done: string[] = [];
    r.client.end(() => done.push('end'));
    r.client.reconnect();
    expect(r.transports).toHaveLength(1);
    r.last().end();
    r.clock.settle();
    expect(done).toEqual(['end']);
    expect(r.transports).toHaveLength(2);
    expect(r.log).toEqual(['close', 'end', 'reconnect']);
  });
});
