// The Moddable Clock: one Timer, and a millisecond counter (Time.ticks on a device).
import { OneTimerClock } from '../../src/client/clock';
import { host } from './host';
import type { TimerModule } from './host';

export class TimerClock extends OneTimerClock {
  constructor(timer?: TimerModule, ticks?: () => number) {
    const t = timer === undefined ? host.Timer : timer;
    if (t === undefined) throw new Error('firmqtt: no Timer (call setHost)');
    super(
      ticks === undefined ? (host.now === undefined ? Date.now : host.now) : ticks,
      (fn, ms) => t.set(fn, ms),
      (id) => t.clear(id),
    );
  }
}
