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
  /** how far the wall clock has been set back (setTime()) in all, in ms; forward jumps count negative */
  private back: number;
  /** when the armed timer is due, in now()'s ms; -1 when none is armed */
  private at: number;
  /** what now() returned last */
  private prev: number;

  constructor() {
    this.last = 0;
    this.back = 0;
    this.at = -1;
    this.prev = 0;
    // a function and a variable, not an arrow using `this` (build.mjs ESPRUINO_UNSUPPORTED)
    const self = this;
    this.fire = function () {
      const at = self.at;
      self.tid = undefined;
      self.at = -1;
      // it fires when due, so a reading far past that is a forward setTime() in between
      self.unjump(self.now(), at);
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
    // setTime() forward (SNTP after boot moves it by decades): a timer still pending well
    // past its time says so, and time resumes from the last reading; or every deadline
    // would fall due at once
    return this.unjump(t + this.back, this.at >= 0 ? this.prev : -1);
  }

  /**
   * `n` as now(), unless it is past the pending timer's time by more than a timer is ever
   * late: then the jump is taken out of the clock and time resumes at `to` (the last
   * reading; in the timer's callback, its due time). `to` -1: no timer, no check.
   */
  private unjump(n: number, to: number): number {
    if (to >= 0 && n > (this.at >= 0 ? this.at : to) + 2000) {
      this.back -= n - to;
      n = to;
    }
    this.prev = n;
    return n;
  }

  setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    this.due = fn;
    this.at = this.now() + ms;
    this.tid = setTimeout(this.fire, ms);
  }

  clearTimer(): void {
    if (this.tid !== undefined) clearTimeout(this.tid);
    this.tid = undefined;
    this.at = -1;
  }
}
