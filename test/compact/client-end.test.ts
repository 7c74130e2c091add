// CompactClient end(): DISCONNECT then close, 'end', the callback; end(true); no
// reconnect afterwards; commands after end fail; reconnect() starts again.
import { describe, expect, it } from 'vitest';
import { connected, recorder, rig } from './harness';

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
