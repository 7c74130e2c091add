// A tiny event emitter with Node's EventEmitter semantics, for code that must also run
// on Espruino and XS (no Node 'events' in src/, no Map, no rest or spread).
//
// Semantics copied from Node so MQTT.js users meet no surprises:
// - listeners run synchronously, in the order they were added;
// - a listener added or removed during an emit does not change that emit;
// - an exception thrown by a listener propagates to the caller of emit() and the
//   remaining listeners of that emit are skipped;
// - emit('error', err) with no 'error' listener throws err.
//
// Listener arrays are replaced, never mutated (copy on write), so emit() iterates the
// array it found without copying it: adding a listener allocates, emitting does not.
// emit() passes at most three arguments (the most any firmqtt event has: message
// topic, payload, packet), because a variadic emit would need rest and spread.

// `any` here only states that the map's values are functions; each subclass names the
// exact signatures in its own event map.
export type EventMap = { [event: string]: (...args: any[]) => void };

type AnyListener = (a?: unknown, b?: unknown, c?: unknown) => void;

interface ListenerRecord {
  fn: AnyListener;
  once: boolean;
}

function unhandledError(e: unknown): Error {
  return e instanceof Error ? e : new Error('Unhandled error event: ' + String(e));
}

/** Shared by every event without listeners; never mutated. */
const EMPTY: ListenerRecord[] = [];

export class Emitter<E extends EventMap> {
  private listenersByEvent: { [event: string]: ListenerRecord[] };

  constructor() {
    this.listenersByEvent = {};
  }

  on<K extends keyof E & string>(event: K, listener: E[K]): this {
    return this.add(event, listener as unknown as AnyListener, false);
  }

  /** Same as on(), by Node's older name. */
  addListener<K extends keyof E & string>(event: K, listener: E[K]): this {
    return this.add(event, listener as unknown as AnyListener, false);
  }

  /** The listener runs at the next emit of `event` only (it is removed before it runs). */
  once<K extends keyof E & string>(event: K, listener: E[K]): this {
    return this.add(event, listener as unknown as AnyListener, true);
  }

  /** Removes the most recently added registration of `listener` for `event` (on or once), as Node does. */
  removeListener<K extends keyof E & string>(event: K, listener: E[K]): this {
    const list = this.list(event);
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].fn === (listener as unknown as AnyListener)) {
        this.removeAt(event, list, i);
        break;
      }
    }
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: E[K]): this {
    return this.removeListener(event, listener);
  }

  /** Removes every listener of `event`, or of every event when called without one. */
  removeAllListeners(event?: keyof E & string): this {
    if (event === undefined) this.listenersByEvent = {};
    else delete this.listenersByEvent[event];
    return this;
  }

  listenerCount(event: keyof E & string): number {
    return this.list(event).length;
  }

  /** Calls every listener of `event`; returns whether there was any. */
  emit<K extends keyof E & string>(
    event: K, a?: Parameters<E[K]>[0], b?: Parameters<E[K]>[1], c?: Parameters<E[K]>[2],
  ): boolean {
    const list = this.list(event);
    if (list.length === 0) {
      if (event === 'error') throw unhandledError(a as unknown);
      return false;
    }
    for (let i = 0; i < list.length; i++) {
      const record = list[i];
      if (record.once) this.removeRecord(event, record);
      record.fn.call(this, a, b, c);
    }
    return true;
  }

  private list(event: string): ListenerRecord[] {
    return Object.prototype.hasOwnProperty.call(this.listenersByEvent, event) ? this.listenersByEvent[event] : EMPTY;
  }

  private add(event: string, fn: AnyListener, once: boolean): this {
    const next = this.list(event).slice();
    next.push({ fn, once });
    this.listenersByEvent[event] = next;
    return this;
  }

  private removeRecord(event: string, record: ListenerRecord): void {
    const list = this.list(event);
    const i = list.indexOf(record);
    if (i >= 0) this.removeAt(event, list, i);
  }

  private removeAt(event: string, list: ListenerRecord[], i: number): void {
    if (list.length === 1) {
      delete this.listenersByEvent[event];
      return;
    }
    const next = list.slice(0, i);
    for (let j = i + 1; j < list.length; j++) next.push(list[j]);
    this.listenersByEvent[event] = next;
  }
}
