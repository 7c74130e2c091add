// The Moddable Clock: one Timer, and a millisecond counter (Time.ticks on a device).
import type { Clock } from '../../src/client/clock';
import { host } from './host';
import type { TimerModule } from './host';

export class TimerClock implements Clock {
  private readonly timer: TimerModule;
  private readonly ticks: () => number;
  private id: any;
  private fn: () => void;
  private readonly fire: () => void;

  constructor(timer?: TimerModule, ticks?: () => number) {
    const t = timer === undefined ? host.Timer : timer;
    if (t === undefined) throw new Error('firmqtt: no Timer (call setHost)');
    this.timer = t;
    this.ticks = ticks === undefined ? (host.now === undefined ? Date.now : host.now) : ticks;
    this.id = undefined;
    this.fn = noop;
    this.fire = () => {
      this.id = undefined;
      this.fn();
    };
  }

  now(): number {
    return Math.floor(this.ticks());
  }

  setTimer(ms: number, fn: () => void): void {
    if (this.id !== undefined) this.timer.clear(this.id);
    this.fn = fn;
    this.id = this.timer.set(this.fire, ms);
  }

  clearTimer(): void {
    if (this.id !== undefined) this.timer.clear(this.id);
    this.id = undefined;
  }
}

function noop(): void {
  // fired with nothing armed
}
