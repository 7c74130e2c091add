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
  /** when the setTimeout now pending ends, in now()'s ms (a wait is made of steps of at most STEP); -1 when none is */
  private step: number;
  /** what now() returned last */
  private prev: number;

  constructor() {
    this.last = 0;
    this.back = 0;
    this.at = -1;
    this.step = -1;
    this.prev = 0;
    // bound once, and a method (not a closure over a variable): its `this.` names are the
    // clock's own, which the device builds shorten
    this.fire = this.ring.bind(this);
  }

  /** A step has ended: the next one, or the timer's callback. */
  private ring(): void {
    const end = this.step;
    this.tid = undefined;
    this.step = -1;
    // a step fires when it ends, so a reading far past that is a forward setTime() in
    // between: time resumes from the step's end
    this.unjump(this.now(), end);
    if (this.prev < this.at) this.wait();
    else {
      this.at = -1;
      this.due();
    }
  }

  /**
   * getTime() is the wall clock (Espruino has no monotonic one): when setTime() moves it
   * back, time carries on from the last reading, so deadlines already set still come.
   */
  now(): number {
    const t = Math.floor(espTime() * 1000);
    if (t < this.last) this.back += this.last - t;
    this.last = t;
    // setTime() forward (SNTP after boot moves it by decades): a step still pending well
    // past its end says so, and time resumes from the last reading (at most a step late);
    // or every deadline would fall due at once
    return this.unjump(t + this.back, this.step >= 0 ? this.prev : -1);
  }

  /**
   * `n` as now(), unless it is past the pending step's end by more than a timer is ever
   * late: then the jump is taken out of the clock and time resumes at `to` (the last
   * reading; in the timer's callback, the step's end). `to` -1: no step pending, no check.
   */
  private unjump(n: number, to: number): number {
    if (to >= 0 && n > (this.step >= 0 ? this.step : to) + 2000) {
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
    this.wait();
  }

  /** The next step towards `at`, from now()'s last reading: at most STEP, so a jump shows within one. */
  private wait(): void {
    const left = this.at - this.prev;
    const ms = left > STEP ? STEP : left > 0 ? left : 0;
    this.step = this.prev + ms;
    this.tid = setTimeout(this.fire, ms);
  }

  clearTimer(): void {
    if (this.tid !== undefined) clearTimeout(this.tid);
    this.tid = undefined;
    this.at = -1;
    this.step = -1;
  }
}

/** The longest single setTimeout: a forward setTime() costs at most this much of a wait. */
const STEP = 10000;
