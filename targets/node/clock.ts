// The Node Clock: a monotonic millisecond counter and one timer per client
// (src/client/clock.ts's OneTimerClock over Node's timer functions).
import { performance } from 'node:perf_hooks';
import { OneTimerClock } from '../../src/client/clock';

export class NodeClock extends OneTimerClock {
  constructor() {
    // performance.now(), not Date.now(): a wall-clock step (NTP, a Pi booting without RTC)
    // must not fire keep-alive timeouts. The timer is not unref()ed: like MQTT.js's
    // reconnect timer, a client waiting to reconnect keeps the process alive until end().
    super(() => performance.now(), (fn, ms) => setTimeout(fn, ms), (id) => clearTimeout(id as ReturnType<typeof setTimeout>));
  }
}
