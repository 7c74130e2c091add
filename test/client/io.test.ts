// How the client drives the transport and the application: batching, backpressure,
// when user code runs, and what a throwing listener does.
import { describe, expect, it } from 'vitest';
import * as mqttPacket from 'mqtt-packet';
import { connected, text } from './harness';

function publishBytes(n: number, qos: 0 | 1): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    parts.push(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from(`m${i}`), qos, messageId: i, retain: false, dup: false }));
  }
  return Buffer.concat(parts);
}

describe('transport driving', () => {
  it('writes everything one input produced, then flushes once', () => {
    const r = connected();
    const t = r.last();
    const flushes = t.flushes;
    t.sendBytes(publishBytes(5, 1));
    expect(t.sent('puback')).toHaveLength(5);
    expect(t.flushes).toBe(flushes + 1);
  });

  it('stops writing when the transport is full and resumes on drain', () => {
    const r = connected();
    const t = r.last();
    t.full = true;
    r.client.publish('t', '1');
    r.client.publish('t', '2');
    r.client.publish('t', '3');
    expect((t.sent('publish') as { payload: Buffer }[]).map((p) => text(p.payload))).toEqual(['1']);
    t.drain();
    expect((t.sent('publish') as { payload: Buffer }[]).map((p) => text(p.payload))).toEqual(['1', '2', '3']);
  });

  it('still writes a DISCONNECT held back by backpressure before closing', () => {
    const r = connected();
    const t = r.last();
    t.full = true;
    r.client.publish('t', 'fills the buffer');
    r.client.end();
    expect(t.sent('disconnect')).toHaveLength(1);
    expect(t.closeCalls).toBe(1);
  });

  it('arms one timer and re-arms it only when a deadline comes earlier', () => {
    const r = connected({ keepalive: 60 });
    const arms = r.clock.arms;
    for (let i = 0; i < 20; i++) r.client.publish('t', 'x', { qos: 1 });
    expect(r.clock.arms).toBe(arms);
  });
});

describe('application code', () => {
  it('never runs inside a command: callbacks and events wait for the timer', () => {
    const r = connected();
    const order: string[] = [];
    r.client.subscribe('a', () => order.push('subscribe callback'));
    r.client.publish('t', 'x', () => order.push('publish callback'));
    r.client.end(() => order.push('end callback'));
    order.push('commands returned');
    r.last().end();
    r.clock.settle();
    expect(order[0]).toBe('commands returned');
  });

  it('may call the client from a listener: a reply published from a message handler goes out after the ack', () => {
    const r = connected();
    const t = r.last();
    r.client.on('message', (_topic, payload) => {
      r.client.publish('reply', payload, { qos: 1 });
    });
    t.sendBytes(publishBytes(1, 1));
    const kinds = t.received.map((p) => p.cmd).filter((c) => c === 'puback' || c === 'publish');
    expect(kinds).toEqual(['puback', 'publish']);
  });

  it('lets an exception from a message listener propagate, and delivers the rest afterwards', () => {
    const r = connected();
    const t = r.last();
    const seen: string[] = [];
    r.client.on('message', (_topic, payload) => {
      seen.push(text(payload));
      if (seen.length === 1) throw new Error('handler failed');
    });
    expect(() => t.sendBytes(publishBytes(3, 1))).toThrow('handler failed');
    expect(seen).toEqual(['m1']);
    // Every message was acknowledged before any listener ran: no state was left half done.
    expect(t.sent('puback')).toHaveLength(3);
    r.clock.settle();
    expect(seen).toEqual(['m1', 'm2', 'm3']);
    t.sendBytes(publishBytes(1, 0));
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm1']);
    expect(r.client.connected).toBe(true);
  });

  it('throws an error event that nobody listens to, like an EventEmitter, after recording the failure', () => {
    const r = connected({ jitter: 0 });
    r.client.removeAllListeners('error');
    const t = r.last();
    expect(() => t.end(new Error('ECONNRESET'))).toThrow('ECONNRESET');
    expect(r.client.connected).toBe(false);
    r.clock.settle();
    expect(r.log).toEqual(['close', 'offline']);
    r.clock.advance(r.clock.timerAt - r.clock.t);
    expect(r.transports).toHaveLength(2);
  });
});
