// end([force], [opts], [cb]) and reconnect() after it, with MQTT.js's semantics.
import { describe, expect, it } from 'vitest';
import { connected, idOf, rig } from './harness';

describe('end()', () => {
  it('waits for in-flight QoS 1 messages, then sends DISCONNECT and closes; no reconnect follows', () => {
    const r = connected({ jitter: 0 });
    const t = r.last();
    r.client.publish('t', 'last words', { qos: 1 });
    let ended = 0;
    r.client.end(() => ended++);
    expect(r.client.disconnecting).toBe(true);
    expect(t.sent('disconnect')).toHaveLength(0);
    expect(t.closeCalls).toBe(0);
    t.send({ cmd: 'puback', messageId: idOf(t.sent('publish')[0]) });
    expect(t.sent('disconnect')).toHaveLength(1);
    expect(t.closeCalls).toBe(1);
    expect(ended).toBe(0);
    t.end();
    expect(r.log).toEqual(['close', 'end']);
    expect(ended).toBe(1);
    expect(r.client.disconnected).toBe(true);
    expect(r.client.disconnecting).toBe(false);
    expect(r.clock.timerAt).toBe(-1);
    r.clock.advance(600000);
    expect(r.transports).toHaveLength(1);
  });

  it('waits for the SUBACK and UNSUBACK awaited too, as MQTT.js does', () => {
    const r = connected();
    const t = r.last();
    const results: string[] = [];
    r.client.subscribe('a/b', (err) => results.push(err ? 'subscribe failed' : 'subscribed'));
    r.client.unsubscribe('c/d', (err) => results.push(err ? 'unsubscribe failed' : 'unsubscribed'));
    r.client.end(() => results.push('ended'));
    t.send({ cmd: 'suback', messageId: idOf(t.sent('subscribe')[0]), granted: [0] });
    expect(t.sent('disconnect')).toHaveLength(0);
    t.send({ cmd: 'unsuback', messageId: idOf(t.sent('unsubscribe')[0]) });
    expect(t.sent('disconnect')).toHaveLength(1);
    t.end();
    r.clock.settle();
    expect(results).toEqual(['subscribed', 'unsubscribed', 'ended']);
  });

  it('with force closes at once, without DISCONNECT', () => {
    const r = connected();
    const t = r.last();
    r.client.publish('t', 'unacked', { qos: 1 });
    r.client.end(true);
    expect(t.closeCalls).toBe(1);
    expect(t.sent('disconnect')).toHaveLength(0);
    t.end();
    expect(r.log).toEqual(['close', 'end']);
  });

  it('with force fails the callbacks still waiting, and keeps the messages for a reconnect', () => {
    const r = connected();
    const t = r.last();
    const results: (string | null)[] = [];
    r.client.publish('t', 'unacked', { qos: 1 }, (err) => results.push(err ? (err as { code?: number }).code + ' ' + err.message : null));
    r.client.subscribe('s', (err) => results.push(err ? 'subscribe: ' + err.message : null));
    r.client.end(true);
    t.end();
    expect(results).toEqual(['131 client ended before the server acknowledged', 'subscribe: client ended before the server acknowledged']);
    r.client.reconnect();
    const t2 = r.last();
    expect(t2).not.toBe(t);
    t2.accept();
    t2.connack(true);
    expect(t2.sent('publish')).toMatchObject([{ topic: 't', dup: true }]);
    expect(t2.sent('subscribe')).toHaveLength(0);
  });

  it('with force after a graceful end() stops waiting for acknowledgements', () => {
    const r = connected();
    const t = r.last();
    r.client.publish('t', 'never acked', { qos: 1 });
    const calls: string[] = [];
    r.client.end(() => calls.push('graceful'));
    expect(t.closeCalls).toBe(0);
    r.client.end(true, () => calls.push('forced'));
    expect(t.closeCalls).toBe(1);
    expect(t.sent('disconnect')).toHaveLength(0);
    t.end();
    expect(calls).toEqual(['graceful', 'forced']);
    expect(r.log).toEqual(['close', 'end']);
  });

  it('sends the MQTT 5 reason code and properties given in opts', () => {
    const r = connected({ protocolVersion: 5 });
    r.client.end(false, { reasonCode: 4, properties: { reasonString: 'bye' } });
    expect(r.last().sent('disconnect')[0]).toMatchObject({ reasonCode: 4, properties: { reasonString: 'bye' } });
  });

  it('ends at once while waiting to reconnect, and cancels the reconnect', () => {
    const r = connected({ jitter: 0 });
    r.last().end();
    let called = false;
    r.client.end(() => {
      called = true;
    });
    expect(called).toBe(false);
    r.clock.settle();
    expect(called).toBe(true);
    expect(r.log).toEqual(['close', 'offline', 'end']);
    r.clock.advance(600000);
    expect(r.transports).toHaveLength(1);
  });

  it('abandons a connection attempt that has no CONNACK yet, without DISCONNECT', () => {
    const r = rig();
    const t = r.last();
    t.accept();
    r.client.end();
    expect(t.closeCalls).toBe(1);
    expect(t.sent('disconnect')).toHaveLength(0);
    t.end();
    expect(r.log).toEqual(['close', 'end']);
  });

  it('calls every end callback once, including one given after the end', () => {
    const r = connected();
    const calls: string[] = [];
    r.client.end(() => calls.push('first'));
    r.client.end(() => calls.push('second'));
    r.last().end();
    r.client.end(() => calls.push('after'));
    r.clock.settle();
    expect(calls).toEqual(['first', 'second', 'after']);
    expect(r.log.filter((e) => e === 'end')).toHaveLength(1);
  });

  it('fails publish, subscribe and unsubscribe once ending, through the callback or else error', () => {
    const r = connected();
    r.client.end();
    const errors: string[] = [];
    r.client.publish('t', 'x', (err) => errors.push(`publish:${err?.message}`));
    r.client.subscribe('t', (err) => errors.push(`subscribe:${err?.message}`));
    r.client.unsubscribe('t', (err) => errors.push(`unsubscribe:${err?.message}`));
    r.client.publish('t', 'no callback');
    r.clock.settle();
    expect(errors).toEqual(['publish:client disconnecting', 'subscribe:client disconnecting', 'unsubscribe:client disconnecting']);
    expect(r.log).toContain('error:client disconnecting');
  });

  it('endAsync resolves once closed', async () => {
    const r = connected();
    const done = r.client.endAsync();
    r.last().end();
    r.clock.settle();
    await expect(done).resolves.toBeUndefined();
  });

  it('endAsync(true) forces', async () => {
    const r = connected();
    r.client.publish('t', 'x', { qos: 1 });
    const done = r.client.endAsync(true);
    expect(r.last().closeCalls).toBe(1);
    r.last().end();
    r.clock.settle();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('reconnect()', () => {
  it('end() after reconnect() during an end: the last word wins, no new connection', () => {
    const r = connected({ jitter: 0 });
    r.client.publish('t', 'x', { qos: 1 });
    r.client.end();
    r.client.reconnect();
    r.client.end(true);
    r.last().end();
    r.clock.advance(60000);
    expect(r.transports).toHaveLength(1);
  });

  it('restores the subscriptions after end() came while their restoring SUBSCRIBE awaited its SUBACK', () => {
    const r = connected({ jitter: 0 });
    const t1 = r.last();
    r.client.subscribe('cmd/#', { qos: 1 });
    t1.send({ cmd: 'suback', messageId: idOf(t1.sent('subscribe')[0]), granted: [1] });
    t1.end(); // link lost
    r.clock.advance(1000);
    const t2 = r.last();
    t2.accept();
    t2.connack(false); // no session: the client restores cmd/#
    expect(t2.sent('subscribe')).toHaveLength(1);
    r.client.end(true); // before the SUBACK
    t2.end();
    r.clock.settle();
    r.client.reconnect();
    const t3 = r.last();
    t3.accept();
    t3.connack(false);
    expect(t3.sent('subscribe').map((p) => (p as unknown as { subscriptions: { topic: string }[] }).subscriptions[0].topic)).toEqual(['cmd/#']);
  });

  it('brings an ended client back and resends what was left unacknowledged', () => {
    const r = connected({ jitter: 0 });
    r.client.publish('t', 'kept', { qos: 1 });
    r.client.end(true);
    r.last().end();
    r.client.reconnect();
    expect(r.client.disconnected).toBe(false);
    expect(r.transports).toHaveLength(2);
    r.last().accept();
    r.last().connack(true);
    r.clock.settle();
    expect(r.log).toEqual(['close', 'end', 'reconnect', 'connect']);
    expect(r.last().sent('publish')).toHaveLength(1);
  });

  it('while connected, disconnects and opens a new connection at once', () => {
    const r = connected({ jitter: 0 });
    const first = r.last();
    r.client.reconnect();
    expect(first.sent('disconnect')).toHaveLength(1);
    expect(first.closeCalls).toBe(1);
    first.end();
    expect(r.transports).toHaveLength(2);
    expect(r.log).toEqual(['close', 'reconnect']);
    r.last().accept();
    r.last().connack();
    expect(r.log.at(-1)).toBe('connect');
  });

  it('while waiting for the backoff timer, tries at once', () => {
    const r = connected({ reconnectPeriod: 60000 });
    r.last().end();
    r.client.reconnect();
    expect(r.transports).toHaveLength(2);
  });

  it('during end(), starts again once the end has finished', () => {
    const r = connected();
    r.client.end();
    r.client.reconnect();
    expect(r.transports).toHaveLength(1);
    r.last().end();
    expect(r.transports).toHaveLength(2);
    expect(r.log).toEqual(['close', 'end', 'reconnect']);
    expect(r.client.disconnected).toBe(false);
  });
});
