// The Node Clock: a monotonic millisecond counter and one timer per client.
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../src/client/clock';

export class NodeClock implements Clock {
  private handle: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.handle = undefined;
  }

  /** performance.now(), not Date.now(): a wall-clock step (NTP, a Pi booting without RTC) must not fire keep-alive timeouts. */
  now(): number {
    return Math.floor(performance.now());
  }

  // The timer is not unref()ed: like MQTT.js's reconnect timer, a client waiting to
  // reconnect keeps the process alive until end().
  setTimer(ms: number, fn: () => void): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = setTimeout(fn, ms);
  }

  clearTimer(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
