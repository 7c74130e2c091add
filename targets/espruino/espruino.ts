// The few Espruino globals the target uses, declared here (module scope) rather than in
// a global .d.ts, so Node code elsewhere in the project never sees them.

/** Espruino's `E` object: binary strings <-> bytes. */
export interface EspruinoE {
  /** bytes -> a binary string (one char per byte); what Espruino sockets write */
  toString(bytes: Uint8Array): string;
  /** a binary string -> a new Uint8Array (a copy) */
  toUint8Array(s: string): Uint8Array;
}

/** A socket from require('net').connect / require('tls').connect, or a Serial port. */
export interface EspruinoStream {
  on(event: string, fn: (a?: any) => void): void;
  removeAllListeners(event?: string): void;
  write(data: string): void;
  end?(): void;
  removeListener?(event: string, fn: (a?: any) => void): void;
}

declare const E: EspruinoE;
declare function getTime(): number;
// Espruino's require, reached through its `global` object: a bare require(name) in an
// ES module makes esbuild add its dynamic-require shim (~330 bytes) to the bundle.
declare const global: { require(name: string): any };

export function espE(): EspruinoE {
  return E;
}

export function espTime(): number {
  return getTime();
}

export function espRequire(name: string): any {
  return global.require(name);
}

/** Hands `fn` to the event loop (after `ms`, default at once): the Transport contract forbids callbacks from inside open() or close(). */
export function later(fn: () => void, ms?: number): void {
  setTimeout(fn, ms || 0);
}
