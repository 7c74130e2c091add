// Connecting, losing the connection and getting it back: events, their order, backoff
// and jitter. Fake transport and clock: no sockets, no sleeps.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reconnectDelay } from '../../src/client/client';
import { connected, idOf, rig } from './harness';
import type { Rig } from './harness';

/** Fires timers until the client opens its next transport; returns the time that took. */
function untilNextAttempt(r: Rig): number {
  const start = r.clock.t;
  const n = r.transports.length;
  for (let i = 0; i < 100 && r.transports.length === n; i++) {
    if (r.clock.timerAt < 0) throw new Error('no timer armed: the client will not reconnect');
    r.clock.advance(r.clock.timerAt - r.clock.t);
  }
  return r.clock.t - start;
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('connecting', () => {
  it('sends CONNECT once the transport is open and emits connect with the CONNACK', () => {
    const r = rig({ keepalive: 30, username: 'u', password: 'p' });
    expect(r.transports).toHaveLength(1);
    const t = r.last();
    expect(t.writes).toHaveLength(0);
    t.accept();
    expect(t.sent('connect')).toHaveLength(1);
    expect(t.sent('connect')[0]).toMatchObject({ clientId: 'test', keepalive: 30, clean: true, protocolVersion: 4, username: 'u' });
    expect(r.client.connected).toBe(false);
    let connack: unknown;
    r.client.on('connect', (p) => {
      connack = p;
    });
    t.connack(true);
    expect(r.log).toEqual(['connect']);
    expect(connack).toMatchObject({ type: 2, sessionPresent: true, reasonCode: 0 });
    expect(r.client.connected).toBe(true);
    expect(r.client.reconnecting).toBe(false);
  });

  it('exposes the resolved options, MQTT.js style', () => {
    const r = rig({ reconnectPeriod: 2500, keepalive: 15 });
    expect(r.client.options).toMatchObject({ clientId: 'test', keepalive: 15, reconnectPeriod: 2500, protocolVersion: 4, clean: true });
  });

  it('emits nothing before the constructor has returned, even when the transport fails at once', () => {
    const r = rig({}, {
      transport: () => {
        throw new Error('no transport factory should be called twice here');
      },
    });
    // The factory threw inside the constructor; the error waits for the timer.
    expect(r.log).toEqual([]);
    r.clock.settle();
    expect(r.log[0]).toMatch(/^error:/);
    expect(r.log.slice(1)).toEqual(['close', 'offline']);
  });

  it('reports a failed open with error, then close and offline, and tries again', () => {
    const r = rig({ jitter: 0 });
    r.last().end(refused());
    expect(r.log).toEqual(['error:connect ECONNREFUSED 127.0.0.1:1883', 'close', 'offline']);
    expect(r.client.reconnecting).toBe(true);
    expect(untilNextAttempt(r)).toBe(1000);
    expect(r.log).toEqual(['error:connect ECONNREFUSED 127.0.0.1:1883', 'close', 'offline', 'reconnect']);
    r.last().accept();
    r.last().connack();
    expect(r.log.at(-1)).toBe('connect');
    expect(r.client.reconnecting).toBe(false);
  });

  it('gives up on a transport that does not open within connectTimeout', () => {
    const r = rig({ connectTimeout: 5000, jitter: 0 });
    const t = r.last();
    r.clock.advance(4999);
    expect(t.closeCalls).toBe(0);
    r.clock.advance(1);
    expect(t.closeCalls).toBe(1);
    expect(r.log).toHaveLength(1);
    expect(r.log[0]).toMatch(/^error:connect timeout/);
    t.end();
    expect(r.log.slice(1)).toEqual(['close', 'offline']);
    expect(untilNextAttempt(r)).toBe(1000);
  });

  it('closes a connection whose CONNACK does not come within connectTimeout', () => {
    const r = rig({ connectTimeout: 3000, jitter: 0 });
    const t = r.last();
    t.accept();
    r.clock.advance(3000);
    expect(t.closeCalls).toBe(1);
    expect(r.log).toHaveLength(1);
    expect(r.log[0]).toMatch(/^error:.*CONNACK/);
    t.end();
    expect(r.log.slice(1)).toEqual(['close', 'offline']);
  });

  it('bounds dialling and waiting for CONNACK together by one connectTimeout (as MQTT.js)', () => {
    const r = rig({ connectTimeout: 3000, jitter: 0 });
    const t = r.last();
    r.clock.advance(2000);
    t.accept();
    r.clock.advance(999);
    expect(t.closeCalls).toBe(0);
    r.clock.advance(1);
    expect(t.closeCalls).toBe(1);
    expect(r.log[0]).toMatch(/^error:.*CONNACK/);
  });

  it('does not reconnect after the server refuses the connection (MQTT.js default)', () => {
    const r = rig({ jitter: 0 });
    const t = r.last();
    t.accept();
    t.connack(false, 5);
    expect(r.log).toHaveLength(1);
    expect(r.log[0]).toMatch(/^error:/);
    expect(t.closeCalls).toBe(1);
    t.end();
    expect(r.log.slice(1)).toEqual(['close']);
    r.clock.advance(120000);
    expect(r.transports).toHaveLength(1);
    expect(r.client.connected).toBe(false);
  });

  it('reports the refusal code on the error', () => {
    const r = rig({ protocolVersion: 5 });
    let code: unknown;
    r.client.on('error', (e) => {
      code = (e as Error & { code: number }).code;
    });
    r.last().accept();
    r.last().connack(false, 0x87);
    expect(code).toBe(0x87);
  });

  it('reconnects after a refusal when reconnectOnConnackError is set', () => {
    const r = rig({ jitter: 0, reconnectOnConnackError: true });
    r.last().accept();
    r.last().connack(false, 3);
    r.last().end();
    expect(r.log.slice(1)).toEqual(['close', 'offline']);
    expect(untilNextAttempt(r)).toBe(1000);
  });

  it('reconnects by hand with reconnect() after a refusal', () => {
    const r = rig({ jitter: 0 });
    r.last().accept();
    r.last().connack(false, 4);
    r.last().end();
    r.client.reconnect();
    expect(r.transports).toHaveLength(2);
    r.clock.settle();
    expect(r.log.at(-1)).toBe('reconnect');
  });
});

describe('losing the connection', () => {
  it('emits close then offline, waits reconnectPeriod, emits reconnect and connects again', () => {
    const r = connected({ reconnectPeriod: 1000, jitter: 0 });
    r.last().end();
    expect(r.log).toEqual(['close', 'offline']);
    expect(r.client.connected).toBe(false);
    expect(r.client.reconnecting).toBe(true);
    r.clock.advance(999);
    expect(r.transports).toHaveLength(1);
    r.clock.advance(1);
    expect(r.transports).toHaveLength(2);
    expect(r.log).toEqual(['close', 'offline', 'reconnect']);
    r.last().accept();
    r.last().connack();
    expect(r.log).toEqual(['close', 'offline', 'reconnect', 'connect']);
    expect(r.client.connected).toBe(true);
    expect(r.client.reconnecting).toBe(false);
  });

  it('emits offline once per outage, however many attempts fail', () => {
    const r = connected({ jitter: 0 });
    r.last().end();
    for (let i = 0; i < 3; i++) {
      untilNextAttempt(r);
      r.last().end(refused());
    }
    expect(r.log.filter((e) => e === 'offline')).toHaveLength(1);
    expect(r.log.filter((e) => e === 'reconnect')).toHaveLength(3);
    expect(r.log.filter((e) => e === 'close')).toHaveLength(4);
  });

  it('does not reconnect when reconnectPeriod is 0', () => {
    const r = connected({ reconnectPeriod: 0 });
    r.last().end();
    expect(r.log).toEqual(['close']);
    expect(r.clock.timerAt).toBe(-1);
    r.clock.advance(600000);
    expect(r.transports).toHaveLength(1);
  });

  it('emits disconnect with the packet when an MQTT 5 server disconnects, then reconnects', () => {
    const r = connected({ protocolVersion: 5, jitter: 0 });
    let packet: unknown;
    r.client.on('disconnect', (p) => {
      packet = p;
    });
    const t = r.last();
    t.send({ cmd: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'shutting down' } });
    expect(packet).toMatchObject({ type: 14, reasonCode: 0x8b });
    expect(r.log).toEqual(['disconnect']);
    expect(t.closeCalls).toBe(1);
    t.end();
    expect(r.log).toEqual(['disconnect', 'close', 'offline']);
    expect(untilNextAttempt(r)).toBe(1000);
  });

  it('sends PINGREQ when idle and drops a connection whose PINGRESP is late', () => {
    const r = connected({ keepalive: 10, jitter: 0 });
    const t = r.last();
    r.clock.advance(10000);
    expect(t.sent('pingreq')).toHaveLength(1);
    r.clock.advance(4999);
    expect(t.closeCalls).toBe(0);
    r.clock.advance(1);
    expect(t.closeCalls).toBe(1);
    expect(r.log).toHaveLength(1);
    expect(r.log[0]).toMatch(/^error:.*PINGRESP/);
    t.end();
    expect(r.log.slice(1)).toEqual(['close', 'offline']);
  });

  it('keeps a connection whose PINGRESP comes in time', () => {
    const r = connected({ keepalive: 10 });
    const t = r.last();
    for (let i = 0; i < 5; i++) {
      r.clock.advance(10000);
      t.send({ cmd: 'pingresp' });
    }
    expect(t.sent('pingreq')).toHaveLength(5);
    expect(t.closeCalls).toBe(0);
    expect(r.log).toEqual([]);
  });

  it('ignores callbacks from a transport it has moved on from', () => {
    const r = connected({ jitter: 0 });
    const old = r.last();
    old.end();
    untilNextAttempt(r);
    r.last().accept();
    const events = r.log.length;
    old.handler?.onData(new Uint8Array([0x20, 0x02, 0x00, 0x00]));
    old.handler?.onClose(new Error('late'));
    expect(r.log).toHaveLength(events);
    expect(r.client.connected).toBe(false);
  });

  it('subscribes again when the server comes back without the session', () => {
    const r = connected({ jitter: 0 });
    r.client.subscribe('room/+/temp', { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: idOf(r.last().sent('subscribe')[0]), granted: [1] });
    r.last().end();
    untilNextAttempt(r);
    r.last().accept();
    r.last().connack(false);
    const again = r.last().sent('subscribe');
    expect(again).toHaveLength(1);
    expect((again[0] as { subscriptions: unknown[] }).subscriptions).toEqual([expect.objectContaining({ topic: 'room/+/temp', qos: 1 })]);
  });

  it('does not subscribe again when the server kept the session', () => {
    const r = connected({ jitter: 0, clean: false });
    r.client.subscribe('room/+/temp', { qos: 1 });
    r.last().send({ cmd: 'suback', messageId: idOf(r.last().sent('subscribe')[0]), granted: [1] });
    r.last().end();
    untilNextAttempt(r);
    r.last().accept();
    r.last().connack(true);
    expect(r.last().sent('subscribe')).toHaveLength(0);
  });
});

describe('protocol versions', () => {
  it('refuses anything but 4 and 5 when the client is made (3, MQTT 3.1, went out as 3.1.1 before)', () => {
    for (const v of [3, 6]) expect(() => rig({ protocolVersion: v as 4 })).toThrow(/protocolVersion/);
  });
});

describe('keep-alive in force', () => {
  it.each([0, 1])('keepalive %i, a Server Keep Alive of 60 s: the PINGRESP is awaited half of that (at most 10 s), not half of ours', (keepalive) => {
    const r = rig({ protocolVersion: 5, keepalive, jitter: 0 });
    const t = r.last();
    t.accept();
    t.connack(false, 0, { serverKeepAlive: 60 });
    r.log.length = 0;
    r.clock.advance(60000);
    expect(t.sent('pingreq')).toHaveLength(1);
    r.clock.advance(9000);
    t.send({ cmd: 'pingresp' });
    expect(t.closeCalls).toBe(0);
    expect(r.log).toEqual([]);
    // the next one, 60 s after the last, left unanswered: given up 10 s on
    r.clock.advance(51000);
    expect(t.sent('pingreq')).toHaveLength(2);
    r.clock.advance(9990);
    expect(r.log).toEqual([]);
    r.clock.advance(10);
    expect(r.log.some((l) => /no PINGRESP/.test(l))).toBe(true);
  });
});

describe("end() from an 'error' listener", () => {
  it("after a failed attempt: no 'offline' follows, since no reconnect does", () => {
    const r = rig({ jitter: 0 });
    r.client.on('error', () => r.client.end());
    r.last().end(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' }));
    r.clock.advance(5000);
    expect(r.transports).toHaveLength(1);
    expect(r.log).toEqual(['error:connect ECONNREFUSED 127.0.0.1:1883', 'close', 'end']);
  });
});

describe('backoff and jitter', () => {
  it('doubles the delay after each failed attempt, up to reconnectBackoffMax', () => {
    const r = rig({ reconnectPeriod: 1000, reconnectBackoffMax: 8000, jitter: 0 });
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      r.last().end(refused());
      gaps.push(untilNextAttempt(r));
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('starts again from reconnectPeriod after a successful connection', () => {
    const r = rig({ reconnectPeriod: 500, jitter: 0 });
    r.last().end(refused());
    untilNextAttempt(r);
    r.last().end(refused());
    expect(untilNextAttempt(r)).toBe(1000);
    r.last().accept();
    r.last().connack();
    r.last().end();
    expect(untilNextAttempt(r)).toBe(500);
  });

  it('never uses a cap below reconnectPeriod', () => {
    const r = rig({ reconnectPeriod: 5000, reconnectBackoffMax: 1000, jitter: 0 });
    r.last().end(refused());
    expect(untilNextAttempt(r)).toBe(5000);
    r.last().end(refused());
    expect(untilNextAttempt(r)).toBe(5000);
  });

  it('shortens each delay by at most the jitter fraction', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const full = reconnectDelay(attempt, 1000, 30000, 0, 0.5);
      for (const random of [0, 0.1, 0.5, 0.9, 0.999999]) {
        const d = reconnectDelay(attempt, 1000, 30000, 0.3, random);
        expect(d).toBeLessThanOrEqual(full);
        expect(d).toBeGreaterThanOrEqual(Math.floor(full * 0.7));
      }
    }
    expect(reconnectDelay(3, 1000, 30000, 0, 0.7)).toBe(8000);
    expect(reconnectDelay(10, 1000, 30000, 0, 0.7)).toBe(30000);
  });

  it('draws the jitter from Math.random for each attempt', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const r = rig({ reconnectPeriod: 1000, jitter: 0.5 });
    r.last().end(refused());
    expect(untilNextAttempt(r)).toBe(Math.round(1000 * (1 - 0.5 * 0.999)));
    random.mockReturnValue(0);
    r.last().end(refused());
    expect(untilNextAttempt(r)).toBe(2000);
  });

  it('keeps every delay within its bounds with the default jitter', () => {
    const r = rig({ reconnectPeriod: 1000, reconnectBackoffMax: 4000 });
    const expected = [1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000];
    for (const full of expected) {
      r.last().end(refused());
      const gap = untilNextAttempt(r);
      expect(gap).toBeLessThanOrEqual(full);
      expect(gap).toBeGreaterThanOrEqual(full * 0.75);
    }
  });
});
