// The default Clock for request timeouts: Date.now() and the engine's setTimeout, which
// Node, Espruino and Moddable all provide. Pass your own Clock (RpcOptions.clock) to
// drive time in tests or on an engine without setTimeout.
import type { Clock } from '../client/clock';

// Declared here because src/ is compiled without the DOM or Node libraries.
declare function setTimeout(fn: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

export class TimeoutClock implements Clock {
  private handle: unknown;
  private armed: boolean;

  constructor() {
    this.handle = undefined;
    this.armed = false;
  }

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): void {
    if (typeof setTimeout !== 'function') throw new Error('no setTimeout on this engine: pass a Clock in the rpc options');
    if (this.armed) clearTimeout(this.handle);
    this.armed = true;
    this.handle = setTimeout(() => {
      this.armed = false;
      fn();
    }, ms);
  }

  clearTimer(): void {
    if (this.armed) clearTimeout(this.handle);
    this.armed = false;
    this.handle = undefined;
  }
}
