// Events for the compact client where the engine has none built in (Node, XS). Espruino
// gives every object on / emit / removeListener / removeAllListeners natively, so its
// bundle adds only what those lack (addOnce): event code costs RAM there.
type Listener = (a?: unknown, b?: unknown, c?: unknown) => void;
type Listeners = { [event: string]: Listener[] };

interface Evented {
  on(event: string, fn: Listener): unknown;
  removeListener(event: string, fn: Listener): unknown;
}

/** once(event, fn) and off(event, fn) on top of on / removeListener. */
export function addOnce(proto: object): void {
  const p = proto as { [name: string]: unknown };
  p.once = function (this: Evented, event: string, fn: Listener) {
    const self = this;
    function once(a?: unknown, b?: unknown, c?: unknown) {
      self.removeListener(event, once);
      fn.call(self, a, b, c);
    }
    return this.on(event, once);
  };
  p.off = function (this: Evented, event: string, fn: Listener) {
    return this.removeListener(event, fn);
  };
}

/** on, once, off, removeListener, removeAllListeners and emit on a class's prototype. */
export function withEvents(proto: object): void {
  const p = proto as { [name: string]: unknown };
  const table = (self: unknown): Listeners => {
    const o = self as { events?: Listeners };
    if (o.events === undefined) o.events = {};
    return o.events;
  };
  p.on = function (event: string, fn: Listener) {
    const t = table(this);
    // a new array each time: emit() keeps iterating the one it started with
    t[event] = (t[event] || []).concat([fn]);
    return this;
  };
  p.removeListener = function (event: string, fn: Listener) {
    const t = table(this);
    const list = t[event] || [];
    const i = list.indexOf(fn);
    if (i >= 0) t[event] = list.slice(0, i).concat(list.slice(i + 1));
    return this;
  };
  p.removeAllListeners = function (event?: string) {
    const t = table(this);
    if (event === undefined) (this as { events?: Listeners }).events = {};
    else delete t[event];
    return this;
  };
  p.emit = function (event: string, a?: unknown, b?: unknown, c?: unknown) {
    const list = table(this)[event] || [];
    for (let i = 0; i < list.length; i++) list[i].call(this, a, b, c);
    return list.length > 0;
  };
  addOnce(proto);
}
