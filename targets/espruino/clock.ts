// The Espruino Clock: getTime() (seconds, a float) in integer ms, and one setTimeout.
import { OneTimerClock } from '../../src/client/clock';
import { espTime } from './espruino';

export class EspruinoClock extends OneTimerClock {
  constructor() {
    super(espMillis, espSet, espClear);
  }
}

function espMillis(): number {
  return espTime() * 1000;
}

function espSet(fn: () => void, ms: number): unknown {
  return setTimeout(fn, ms);
}

function espClear(id: unknown): void {
  clearTimeout(id as ReturnType<typeof setTimeout>);
}
