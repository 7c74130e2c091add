// A Store on Espruino's `Storage` (flash files), so unacknowledged QoS 1/2 messages
// survive a reset. Names are the session's keys. Storage cuts a name to 28 characters
// without a word, so two keys could share a file: a longer name throws here, and a key
// prefix that leaves no room for a key (storePrefix over 20 characters) already fails
// the client's construction (it lists the keys first). Storage cannot hold a
// zero-length file and the session stores empty values (QoS 2 ids awaiting PUBREL), so
// each file is one marker byte + the value.
import { defineDelete } from '../../src/store/define-delete';
import type { Store } from '../../src/store/store';
import { espE, espRequire } from './espruino';

export class StorageStore implements Store {
  /** the Storage module; not named `storage`, a name the engine scenario's options use, so the bundle can shorten it */
  private readonly flash: any;
  /** defined on the prototype below: Espruino cannot parse a class method named delete */
  declare delete: (key: string) => void;

  /** `storage` defaults to require('Storage'). */
  constructor(storage?: any) {
    this.flash = storage || espRequire('Storage');
  }

  get(key: string): Uint8Array | undefined {
    const ab = this.flash.readArrayBuffer(fits(key, 0));
    // a copy: the ArrayBuffer maps flash, which a later compaction may move. Not
    // .slice(): on 2v29 that gives a typed array whose constructor is not Uint8Array
    if (ab) return new Uint8Array(new Uint8Array(ab, 1));
  }

  set(key: string, value: Uint8Array): void {
    this.flash.write(fits(key, 0), '\x01' + espE().toString(value));
  }

  keys(prefix: string): string[] {
    // room for the longest key after the prefix: a kind letter and 6 digits
    fits(prefix, 7);
    return this.flash.list().filter((name: string) => name.indexOf(prefix) === 0);
  }
}

/** The name, if `extra` more characters still fit a Storage name (28); throws otherwise. */
function fits(name: string, extra: number): string {
  if (name.length + extra > 28) throw new Error('Storage name too long: ' + name);
  return name;
}

defineDelete(StorageStore, function (this: StorageStore, key: string): void {
  (this as unknown as { flash: any }).flash.erase(key);
});
