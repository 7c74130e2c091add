// The default Clock for request timeouts: Date.now() and the engine's setTimeout, which
// Node, Espruino and Moddable all provide. Pass your own Clock (RpcOptions.clock) to
// drive time in tests or on an engine without setTimeout.
import { OneTimerClock } from '../client/clock';

// Declared here because src/ is compiled without the DOM or Node libraries.
declare function setTimeout(fn: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

export class TimeoutClock extends OneTimerClock {
  constructor() {
    super(Date.now, setTimer, clearTimer);
  }
}

function setTimer(fn: () => void, ms: number): unknown {
  if (typeof setTimeout !== 'function') throw new Error('no setTimeout on this engine: pass a Clock in the rpc options');
  return setTimeout(fn, ms);
}

function clearTimer(handle: unknown): void {
  clearTimeout(handle);
}
