// The Clock: time and a single timer, injected so that the client runs unchanged on
// every engine and tests can drive time by hand (no sleeps).
//
// One timer is enough: the client folds every deadline it has (the session's keep-alive
// and acknowledgement deadlines, the next reconnect attempt, events still to deliver)
// into the earliest one and re-arms the timer after each input. Fewer timers also means
// less to allocate on Espruino, where each pending timer is a heap object.
//
// Rules for a Clock implementation
// - now() MUST return milliseconds as an integer that never decreases (a monotonic
//   source when the platform has one: a wall-clock step must not fire keep-alive
//   timeouts). The origin is arbitrary.
// - setTimer(ms, fn) MUST cancel any timer it armed before, then call fn once, no
//   earlier than `ms` from now (ms may be 0: "soon", from the event loop, never from
//   inside setTimer).
// - clearTimer() cancels the armed timer, if any; calling it with none armed is harmless.
// - fn is called from the platform's event loop, never from inside now(), setTimer() or
//   clearTimer().
//
// Example: Node (targets/node/clock.ts is the one shipped).
//
//   function nodeClock(): Clock {
//     let handle: ReturnType<typeof setTimeout> | undefined;
//     return {
//       now: () => Math.floor(performance.now()),
//       setTimer(ms, fn) { clearTimeout(handle); handle = setTimeout(fn, ms); },
//       clearTimer() { clearTimeout(handle); handle = undefined; },
//     };
//   }
//
// Example: Espruino, where getTime() is in seconds (float) and setTimeout returns an id.
//
//   function espruinoClock() {
//     var id;
//     return {
//       now: function () { return Math.floor(getTime() * 1000); },
//       setTimer: function (ms, fn) { if (id !== undefined) clearTimeout(id); id = setTimeout(function () { id = undefined; fn(); }, ms); },
//       clearTimer: function () { if (id !== undefined) clearTimeout(id); id = undefined; },
//     };
//   }

export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): void;
  clearTimer(): void;
}

/**
 * A Clock over a platform's one-shot timer functions (Timer.set/Timer.clear on
 * Moddable, setTimeout/clearTimeout elsewhere) and a millisecond counter. The timer
 * callback is bound once, so arming a timer allocates no closure. (The Espruino bundles
 * have a smaller Clock of their own: targets/espruino/clock.ts.)
 */
export class OneTimerClock implements Clock {
  private readonly ticks: () => number;
  private readonly set: (fn: () => void, ms: number) => unknown;
  private readonly clear: (id: unknown) => void;
  private id: unknown;
  private fn: () => void;
  private readonly fire: () => void;

  constructor(ticks: () => number, set: (fn: () => void, ms: number) => unknown, clear: (id: unknown) => void) {
    this.ticks = ticks;
    this.set = set;
    this.clear = clear;
    this.id = undefined;
    this.fn = nothingArmed;
    this.fire = () => {
      this.id = undefined;
      this.fn();
    };
  }

  now(): number {
    return Math.floor(this.ticks());
  }

  setTimer(ms: number, fn: () => void): void {
    if (this.id !== undefined) this.clear(this.id);
    this.fn = fn;
    this.id = this.set(this.fire, ms);
  }

  clearTimer(): void {
    if (this.id !== undefined) this.clear(this.id);
    this.id = undefined;
  }
}

function nothingArmed(): void {
  // the timer fired after clearTimer(): nothing to do
}
