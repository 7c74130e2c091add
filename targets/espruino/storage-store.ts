// A Store on Espruino's `Storage` (flash files), so unacknowledged QoS 1/2 messages
// survive a reset. Names are the session's keys (at most 28 characters: keep
// storePrefix short). Storage cannot hold a zero-length file and the session stores
// empty values (QoS 2 ids awaiting PUBREL), so each file is one marker byte + the value.
import { defineDelete } from '../../src/store/define-delete';
import type { Store } from '../../src/store/store';
import { espE, espRequire } from './espruino';

export class StorageStore implements Store {
  private readonly storage: any;
  /** defined on the prototype below: Espruino cannot parse a class method named delete */
  declare delete: (key: string) => void;

  /** `storage` defaults to require('Storage'). */
  constructor(storage?: any) {
    this.storage = storage === undefined ? espRequire('Storage') : storage;
  }

  get(key: string): Uint8Array | undefined {
    const ab = this.storage.readArrayBuffer(key);
    if (ab === undefined) return undefined;
    // a copy: the ArrayBuffer maps flash, which a later compaction may move
    return new Uint8Array(new Uint8Array(ab, 1));
  }

  set(key: string, value: Uint8Array): void {
    this.storage.write(key, '\x01' + espE().toString(value));
  }

  keys(prefix: string): string[] {
    const all: string[] = this.storage.list();
    const out: string[] = [];
    for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
    return out;
  }
}

defineDelete(StorageStore, function (this: StorageStore, key: string): void {
  (this as unknown as { storage: any }).storage.erase(key);
});
