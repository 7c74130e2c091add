// The Espruino Clock (src/client/clock.ts states the contract): getTime() (seconds, a
// float) in integer ms, and one setTimeout. Its own few lines rather than a
// OneTimerClock over functions passed in: on Espruino the code is RAM, and those
// indirections cost more than they share.
import type { Clock } from '../../src/client/clock';
import { espTime } from './espruino';

export class EspruinoClock implements Clock {
  /** the armed setTimeout's id; undefined when none is (clearTimeout(undefined) throws on Espruino) */
  private tid?: ReturnType<typeof setTimeout>;
  /** what the armed timer calls; set by setTimer before any timer can fire */
  private due!: () => void;
  /** the timer callback, bound once: arming a timer allocates no closure */
  private readonly fire: () => void;
  /** the last getTime() reading, in ms */
  private last: number;
  /** how far the wall clock has been set back (setTime()) in all, in ms */
  private back: number;

  constructor() {
    this.last = 0;
    this.back = 0;
    // a function and a variable, not an arrow using `this` (build.mjs ESPRUINO_UNSUPPORTED)
    const self = this;
    this.fire = function () {
      self.tid = undefined;
      self.due();
    };
  }

  /**
   * getTime() is the wall clock (Espruino has no monotonic one): when setTime() moves it
   * back, time carries on from the last reading, so deadlines already set still come.
   */
  now(): number {
    const t = Math.floor(espTime() * 1000);
    if (t < this.last) this.back += this.last - t;
    this.last = t;
    return t + this.back;
  }

  setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    this.due = fn;
    this.tid = setTimeout(this.fire, ms);
  }

  clearTimer(): void {
    if (this.tid !== undefined) clearTimeout(this.tid);
    this.tid = undefined;
  }
}
