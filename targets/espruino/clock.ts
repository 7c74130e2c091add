// The Espruino Clock: getTime() (seconds, a float) in integer ms, and one setTimeout.
import type { Clock } from '../../src/client/clock';
import { espTime } from './espruino';

export class EspruinoClock implements Clock {
  private id: any;
  private fn: () => void;
  private readonly fire: () => void;

  constructor() {
    this.id = undefined;
    this.fn = noop;
    // bound once: setTimer() allocates no closure per call
    this.fire = () => {
      this.id = undefined;
      this.fn();
    };
  }

  now(): number {
    return Math.floor(espTime() * 1000);
  }

  setTimer(ms: number, fn: () => void): void {
    if (this.id !== undefined) clearTimeout(this.id);
    this.fn = fn;
    this.id = setTimeout(this.fire, ms);
  }

  clearTimer(): void {
    if (this.id !== undefined) clearTimeout(this.id);
    this.id = undefined;
  }
}

function noop(): void {
  // the timer fired with nothing armed
}
