// The Store: a small synchronous key -> bytes map for the session state that must
// survive a reboot (unacknowledged QoS 1/2 messages, QoS 2 ids awaiting PUBREL).
//
// Synchronous on purpose: flash writes on Espruino (`Storage`) and Moddable (files,
// Preference) are synchronous, and a message counts as accepted only once its record is
// written, so publish() can promise "not lost" when it returns.
//
// Contract for implementations:
// - set() MUST have made the value durable (as durable as the medium allows) when it
//   returns; get() after a restart MUST return what the last set() wrote.
// - keys() returns every key with the given prefix, in any order; the session orders
//   records itself.
// - Keys are short ASCII strings (at most 28 characters, Espruino Storage's limit).
// - Methods may throw (flash full, I/O error); the session reports the error to the
//   caller of the operation that needed the write and keeps no half-made state.
import { defineDelete } from './define-delete';

export interface Store {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
  keys(prefix: string): string[];
}

/** The default store: a plain object, lost on restart. No Map: Espruino has none. */
export class MemoryStore implements Store {
  private data: { [key: string]: Uint8Array };
  // Espruino 2v29 cannot parse a class method named `delete` (SyntaxError "Got delete
  // expected '}'"), so it is assigned to the prototype below (defineDelete).
  declare delete: (key: string) => void;
  constructor() {
    this.data = {};
  }
  get(key: string): Uint8Array | undefined {
    return Object.prototype.hasOwnProperty.call(this.data, key) ? this.data[key] : undefined;
  }
  set(key: string, value: Uint8Array): void {
    this.data[key] = value;
  }
  keys(prefix: string): string[] {
    const out: string[] = [];
    for (const k in this.data) if (k.indexOf(prefix) === 0) out.push(k);
    return out;
  }
}

defineDelete(MemoryStore, function (this: MemoryStore, key: string): void {
  delete (this as unknown as { data: { [key: string]: Uint8Array } }).data[key];
});
