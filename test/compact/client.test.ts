// CompactClient: CONNECT, CONNACK, refusals, timeouts, reconnect and keep-alive, on a
// fake clock and a scripted server (mqtt-packet decodes what the client writes).
import { describe, expect, it } from 'vitest';
import { CompactClient } from '../../src/compact/client';
import { FakeClock, FakeTransport, connected, payloads, reconnect, rig, text } from './harness';

type Any = Record<string, any>;

describe.each([4, 5])('CONNECT (MQTT %i)', (v) => {
  it('sends the defaults: a generated client id fq + hex, keepalive 60, clean session', () => {
    const clock = new FakeClock();
    const t = new FakeTransport(v);
    const c = new CompactClient({ transport: () => t, clock }, { protocolVersion: v });
    t.accept();
    const p = t.sent('connect')[0] as Any;
    expect(p.protocolVersion).toBe(v);
    expect(p.clientId).toMatch(/^fq[0-9a-f]{1,8}$/);
    expect(p.keepalive).toBe(60);
    expect(p.clean).toBe(true);
    expect(p.username).toBeUndefined();
    expect(p.will).toBeUndefined();
    c.end(true);
  });

  it('sends clientId, keepalive, clean false, username and password as given', () => {
    const r = rig({ protocolVersion: v, clientId: 'dev-1', keepalive: 15, clean: false, username: 'u', password: 'secret' });
    r.last().accept();
    const p = r.last().sent('connect')[0] as Any;
    expect(p.clientId).toBe('dev-1');
    expect(p.keepalive).toBe(15);
    expect(p.clean).toBe(false);
    expect(p.username).toBe('u');
    expect(text(p.password)).toBe('secret');
  });

  it('sends the Last Will with its QoS and retain flag', () => {
    const r = rig({ protocolVersion: v, will: { topic: 'dev/status', payload: 'gone', qos: 1, retain: true } });
    r.last().accept();
    const w = (r.last().sent('connect')[0] as Any).will;
    expect(w.topic).toBe('dev/status');
    expect(text(w.payload)).toBe('gone');
    expect(w.qos).toBe(1);
    expect(w.retain).toBe(true);
  });

  it('writes nothing before the transport is open', () => {
    const r = rig({ protocolVersion: v });
    expect(r.last().writes).toHaveLength(0);
    r.last().accept();
    expect(r.last().received.map((p) => p.cmd)).toEqual(['connect']);
  });

  it("emits 'connect' with the CONNACK (sessionPresent)", () => {
    const r = rig({ protocolVersion: v, clean: false });
    const acks: Any[] = [];
    r.client.on('connect', (p) => acks.push(p as Any));
    r.last().accept();
    r.last().connack(true);
    expect(acks).toHaveLength(1);
    expect(acks[0].sessionPresent).toBe(true);
    expect(r.client.connected).toBe(true);
  });

  it('reports a refused CONNACK as an error with the MQTT 5 code (a 3.1.1 return code mapped, as the Node client does), closes, and dials again after reconnectPeriod', () => {
    const code = v === 5 ? 0x87 : 5;
    const r = rig({ protocolVersion: v, reconnectPeriod: 1000 });
    r.last().accept();
    r.last().connack(false, code);
    expect(r.errors.map((e) => [e.code, e.message])).toEqual([[0x87, 'connection refused: ' + code]]);
    expect(r.client.connected).toBe(false);
    expect(r.last().closeCalls).toBe(1);
    expect(r.last().sent('disconnect')).toHaveLength(0);
    r.last().end();
    expect(r.log).toContain('close');
    r.clock.advance(1000);
    expect(r.transports).toHaveLength(2);
    expect(r.log).toContain('reconnect');
  });

  it('gives up on a connection with no CONNACK after connectTimeout and dials again', () => {
    const r = rig({ protocolVersion: v, connectTimeout: 5000, reconnectPeriod: 1000 });
    r.last().accept();
    r.clock.advance(4999);
    expect(r.errors).toHaveLength(0);
    r.clock.advance(1);
    expect(r.errors.map((e) => e.code)).toEqual([0x8d]);
    expect(r.last().closeCalls).toBe(1);
    r.last().end();
    r.clock.advance(1000);
    expect(r.transports).toHaveLength(2);
  });

  it('gives up on a transport that never opens after connectTimeout', () => {
    const r = rig({ protocolVersion: v, connectTimeout: 5000 });
    r.clock.advance(5000);
    expect(r.errors.map((e) => e.code)).toEqual([0x8d]);
    expect(r.last().closeCalls).toBe(1);
  });

  it('does not reconnect when reconnectPeriod is 0', () => {
    const r = connected({ protocolVersion: v, reconnectPeriod: 0 });
    r.last().end();
    r.clock.advance(3600_000);
    expect(r.transports).toHaveLength(1);
  });

  it("emits 'offline' and 'close' when a connection is lost, then 'reconnect' when dialling again", () => {
    const r = connected({ protocolVersion: v });
    r.last().end();
    expect(r.log).toEqual(['close', 'offline']);
    r.clock.advance(1000);
    expect(r.log).toEqual(['close', 'offline', 'reconnect']);
  });

  it('reports a transport error with the close', () => {
    const r = connected({ protocolVersion: v });
    r.last().end(new Error('ECONNRESET'));
    expect(r.errors.map((e) => e.message)).toEqual(['ECONNRESET']);
  });

  it('backs off: each failed attempt waits longer, up to reconnectBackoffMax', () => {
    // 5000: not 1000 times a power of two, so doubling alone would pass it (8000)
    const r = rig({ protocolVersion: v, reconnectPeriod: 1000, reconnectBackoffMax: 5000 });
    const opened: number[] = [r.clock.t];
    for (let i = 0; i < 5; i++) {
      r.last().end(new Error('refused'));
      const n = r.transports.length;
      while (r.transports.length === n) r.clock.advance(10);
      opened.push(r.clock.t);
    }
    const gaps = opened.slice(1).map((t, i) => t - opened[i]);
    // jitter takes at most a quarter off
    expect(gaps[0]).toBeLessThanOrEqual(1010);
    expect(gaps[1]).toBeGreaterThan(1010);
    expect(gaps[2]).toBeGreaterThan(gaps[0] * 2);
    // never past reconnectBackoffMax
    for (const g of gaps) expect(g).toBeLessThanOrEqual(5010);
    expect(gaps[4]).toBeGreaterThan(3740);
  });
});

describe('CONNECT (MQTT 5 only)', () => {
  it('sends the CONNECT properties', () => {
    const r = rig({ protocolVersion: 5, properties: { sessionExpiryInterval: 3600, receiveMaximum: 10, maximumPacketSize: 4096 } });
    r.last().accept();
    const p = (r.last().sent('connect')[0] as Any).properties;
    expect(p).toMatchObject({ sessionExpiryInterval: 3600, receiveMaximum: 10, maximumPacketSize: 4096 });
  });

  it('sends the will properties', () => {
    const r = rig({ protocolVersion: 5, will: { topic: 'w', payload: 'x', properties: { willDelayInterval: 30, contentType: 'text/plain', userProperties: { a: 'b' } } } });
    r.last().accept();
    const w = (r.last().sent('connect')[0] as Any).will;
    expect(w.properties).toMatchObject({ willDelayInterval: 30, contentType: 'text/plain', userProperties: { a: 'b' } });
  });

  it('takes the assigned client identifier', () => {
    const r = rig({ protocolVersion: 5, clientId: '' });
    r.last().accept();
    r.last().connack(false, 0, { assignedClientIdentifier: 'srv-42' });
    expect(r.client.options.clientId).toBe('srv-42');
  });
});

describe('the options object', () => {
  it('two clients made from one options object without a clientId get different client ids', () => {
    const options = { keepalive: 30 };
    const clock = new FakeClock();
    const a = new FakeTransport(4);
    const b = new FakeTransport(4);
    const ca = new CompactClient({ transport: () => a, clock }, options);
    const cb = new CompactClient({ transport: () => b, clock }, options);
    a.accept();
    b.accept();
    const ida = (a.sent('connect')[0] as Any).clientId;
    const idb = (b.sent('connect')[0] as Any).clientId;
    expect(ida).not.toBe(idb);
    ca.end(true);
    cb.end(true);
  });

  it('refuses protocol versions other than 4 and 5', () => {
    expect(() => new CompactClient({ transport: () => new FakeTransport(4), clock: new FakeClock() }, { protocolVersion: 3 })).toThrow();
  });

  it('refuses what CONNECT cannot carry when made: a keep-alive over 65535 s, a Will of QoS 3 or with a wildcard, a payload that is no string or bytes', () => {
    expect(() => rig({ keepalive: 70000 })).toThrow(/keepalive/);
    expect(() => rig({ will: { topic: 'w', payload: 'x', qos: 3 } })).toThrow(/bad will/);
    expect(() => rig({ will: { topic: 'w/#', payload: 'x' } })).toThrow(/bad will/);
    expect(() => rig({ will: { topic: 'w', payload: 42 as unknown as string } })).toThrow(/payload/);
    expect(() => rig({ keepalive: 65535, will: { topic: 'w', payload: 'x', qos: 2 } })).not.toThrow();
  });

  it('refuses a password without a user name on MQTT 3.1.1 [MQTT-3.1.2-22]; MQTT 5 sends it', () => {
    expect(() => rig({ password: 'pw' })).toThrow(/password without username/);
    const r = rig({ protocolVersion: 5, password: 'pw' });
    r.last().accept();
    const c = r.last().sent('connect')[0] as Any;
    expect([c.username, String(c.password)]).toEqual([undefined, 'pw']);
  });
});

describe.each([4, 5])('keep-alive (MQTT %i)', (v) => {
  it('sends PINGREQ after keepalive seconds with nothing sent', () => {
    const r = connected({ protocolVersion: v, keepalive: 60 });
    r.clock.advance(59_999);
    expect(r.last().sent('pingreq')).toHaveLength(0);
    r.clock.advance(1);
    expect(r.last().sent('pingreq')).toHaveLength(1);
  });

  it('sends PINGREQ after a keepalive shorter than connectTimeout', () => {
    const r = connected({ protocolVersion: v, keepalive: 5, connectTimeout: 30000 });
    r.clock.advance(5000);
    expect(r.last().sent('pingreq')).toHaveLength(1);
  });

  it('counts silence from the last packet sent', () => {
    const r = connected({ protocolVersion: v, keepalive: 60 });
    r.clock.advance(40_000);
    r.client.publish('t', 'x');
    r.clock.advance(59_999);
    expect(r.last().sent('pingreq')).toHaveLength(0);
    r.clock.advance(1);
    expect(r.last().sent('pingreq')).toHaveLength(1);
  });

  it('keeps pinging while PINGRESPs come back', () => {
    const r = connected({ protocolVersion: v, keepalive: 10 });
    for (let i = 1; i <= 3; i++) {
      r.clock.advance(10_000);
      expect(r.last().sent('pingreq')).toHaveLength(i);
      r.last().send({ cmd: 'pingresp' });
    }
    expect(r.errors).toHaveLength(0);
  });

  it('with no PINGRESP within pingTimeout: error 0x8d, close, reconnect', () => {
    const r = connected({ protocolVersion: v, keepalive: 60, pingTimeout: 5000 });
    r.clock.advance(60_000);
    r.clock.advance(4_999);
    expect(r.errors).toHaveLength(0);
    r.clock.advance(1);
    expect(r.errors.map((e) => e.code)).toEqual([0x8d]);
    expect(r.last().closeCalls).toBe(1);
    if (v === 5) expect((r.last().sent('disconnect')[0] as Any).reasonCode).toBe(0x8d);
    r.last().end();
    r.clock.advance(1000);
    expect(r.transports).toHaveLength(2);
  });

  it('sends no PINGREQ with keepalive 0', () => {
    const r = connected({ protocolVersion: v, keepalive: 0 });
    r.clock.advance(3600_000);
    expect(r.last().sent('pingreq')).toHaveLength(0);
  });
});

describe('keep-alive (MQTT 5 server keep-alive)', () => {
  it('pings on the Server Keep Alive instead of its own keepalive', () => {
    const r = connected({ protocolVersion: 5, keepalive: 60 }, { properties: { serverKeepAlive: 20 } });
    r.clock.advance(20_000);
    expect(r.last().sent('pingreq')).toHaveLength(1);
  });

  it('pings on a Server Keep Alive longer than its own keepalive', () => {
    const r = connected({ protocolVersion: 5, keepalive: 10 }, { properties: { serverKeepAlive: 100 } });
    r.clock.advance(99_000);
    expect(r.last().sent('pingreq')).toHaveLength(0);
    r.clock.advance(1_000);
    expect(r.last().sent('pingreq')).toHaveLength(1);
  });
});

describe('offline queue across a reconnect', () => {
  it('QoS 0 published while offline goes out once connected', () => {
    const r = rig();
    r.client.publish('t', 'queued');
    r.last().accept();
    expect(payloads(r.last())).toEqual([]);
    r.last().connack();
    expect(payloads(r.last())).toEqual(['queued']);
  });

  it('the callback of a QoS 0 message queued offline is called once it is written', () => {
    const r = rig();
    const calls: unknown[] = [];
    r.client.publish('t', 'queued', (e) => calls.push(e));
    r.last().accept();
    r.clock.settle();
    expect(calls).toEqual([]);
    r.last().connack();
    r.clock.settle();
    expect(calls).toEqual([null]);
  });

  it('QoS 0 published while reconnecting goes out on the new connection', () => {
    const r = connected();
    r.last().end();
    r.client.publish('t', 'later');
    const t = reconnect(r);
    expect(payloads(t)).toEqual(['later']);
  });
});
