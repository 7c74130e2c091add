// The portable emitter follows Node's EventEmitter wherever firmqtt's users could tell.
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/util/emitter';

type Events = {
  ping: (n: number) => void;
  three: (a: string, b: number, c: boolean) => void;
  error: (e: Error) => void;
};

describe('Emitter', () => {
  it('calls listeners in the order they were added, with up to three arguments', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('three', (a, b, c) => seen.push(`1:${a},${b},${c}`));
    e.addListener('three', (a, b, c) => seen.push(`2:${a},${b},${c}`));
    expect(e.emit('three', 'x', 2, true)).toBe(true);
    expect(seen).toEqual(['1:x,2,true', '2:x,2,true']);
  });

  it('returns false from emit when nobody listens', () => {
    expect(new Emitter<Events>().emit('ping', 1)).toBe(false);
  });

  it('runs a once listener a single time, removing it before it runs', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    e.once('ping', (n) => {
      seen.push(n);
      e.emit('ping', n + 1);
    });
    e.emit('ping', 1);
    e.emit('ping', 10);
    expect(seen).toEqual([1]);
    expect(e.listenerCount('ping')).toBe(0);
  });

  it('does not let listeners added or removed during an emit change that emit', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const second = () => seen.push('second');
    e.on('ping', () => {
      seen.push('first');
      e.off('ping', second);
      e.on('ping', () => seen.push('added'));
    });
    e.on('ping', second);
    e.emit('ping', 0);
    expect(seen).toEqual(['first', 'second']);
    seen.length = 0;
    e.emit('ping', 0);
    expect(seen).toEqual(['first', 'added']);
  });

  it('removes the most recent registration of a listener, once-wrapped or not', () => {
    const e = new Emitter<Events>();
    let n = 0;
    const f = () => n++;
    e.on('ping', f);
    e.once('ping', f);
    e.removeListener('ping', f);
    e.emit('ping', 0);
    e.emit('ping', 0);
    expect(n).toBe(2);
    expect(e.listenerCount('ping')).toBe(1);
  });

  it('removes all listeners of one event, or of every event', () => {
    const e = new Emitter<Events>();
    e.on('ping', () => undefined);
    e.on('three', () => undefined);
    e.removeAllListeners('ping');
    expect(e.listenerCount('ping')).toBe(0);
    expect(e.listenerCount('three')).toBe(1);
    e.removeAllListeners();
    expect(e.listenerCount('three')).toBe(0);
  });

  it('throws an error event that nobody listens to, as Node does', () => {
    const e = new Emitter<Events>();
    const boom = new Error('boom');
    expect(() => e.emit('error', boom)).toThrow(boom);
    e.on('error', () => undefined);
    expect(e.emit('error', boom)).toBe(true);
  });

  it('lets a listener exception propagate and skips the remaining listeners of that emit', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('ping', () => {
      throw new Error('listener failed');
    });
    e.on('ping', () => seen.push('after'));
    expect(() => e.emit('ping', 0)).toThrow('listener failed');
    expect(seen).toEqual([]);
    expect(e.listenerCount('ping')).toBe(2);
  });

  it('ignores the removal of a listener that was never added', () => {
    const e = new Emitter<Events>();
    e.on('ping', () => undefined);
    e.off('ping', () => undefined);
    expect(e.listenerCount('ping')).toBe(1);
  });

  it('treats an event named like an Object.prototype member as an ordinary event', () => {
    const e = new Emitter<{ toString: () => void; constructor: () => void }>();
    expect(e.listenerCount('toString')).toBe(0);
    expect(e.emit('constructor')).toBe(false);
    let n = 0;
    e.on('toString', () => n++);
    e.emit('toString');
    expect(n).toBe(1);
  });
});
