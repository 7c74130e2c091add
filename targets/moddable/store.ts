// Stores for Moddable: Preference (NVS on ESP32; keys at most 15 characters) or files.
// Each value gets one marker byte in front, so an empty value is never an empty record.
import type { Store } from '../../src/store/store';

/** Moddable's `preference` module (Preference.set/get/delete/keys). */
export interface PreferenceModule {
  set(domain: string, key: string, value: ArrayBuffer): void;
  get(domain: string, key: string): ArrayBuffer | undefined;
  delete(domain: string, key: string): void;
  keys(domain: string): string[];
}

export class PreferenceStore implements Store {
  private readonly pref: PreferenceModule;
  private readonly domain: string;

  /** `domain`: at most 15 characters; default 'firmqtt'. Use a short storePrefix: key = prefix + '/o' + seq. */
  constructor(preference: PreferenceModule, domain?: string) {
    this.pref = preference;
    this.domain = domain === undefined ? 'firmqtt' : domain;
  }

  get(key: string): Uint8Array | undefined {
    const ab = this.pref.get(this.domain, key);
    return ab === undefined || ab === null ? undefined : new Uint8Array(ab).slice(1);
  }

  set(key: string, value: Uint8Array): void {
    const v = new Uint8Array(value.length + 1);
    v[0] = 1;
    v.set(value, 1);
    this.pref.set(this.domain, key, v.buffer);
  }

  delete(key: string): void {
    this.pref.delete(this.domain, key);
  }

  keys(prefix: string): string[] {
    const all = this.pref.keys(this.domain);
    const out: string[] = [];
    for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
    return out;
  }
}

/** The part of Moddable's `file` module the file store uses (File, Iterator, delete). */
export interface FileModule {
  File: any;
  Iterator: any;
}

/** One file per key in `dir` ('/' in keys becomes '_'). */
export class FileStore implements Store {
  private readonly file: FileModule;
  private readonly dir: string;

  constructor(file: FileModule, dir: string) {
    this.file = file;
    this.dir = dir.charAt(dir.length - 1) === '/' ? dir : dir + '/';
  }

  private path(key: string): string {
    return this.dir + key.split('/').join('_');
  }

  get(key: string): Uint8Array | undefined {
    const F = this.file.File;
    const p = this.path(key);
    if (!F.exists(p)) return undefined;
    const f = new F(p);
    try {
      return new Uint8Array(f.read(ArrayBuffer)).slice(1);
    } finally {
      f.close();
    }
  }

  set(key: string, value: Uint8Array): void {
    const F = this.file.File;
    const p = this.path(key);
    if (F.exists(p)) F.delete(p);
    const f = new F(p, true);
    const v = new Uint8Array(value.length + 1);
    v[0] = 1;
    v.set(value, 1);
    try {
      f.write(v.buffer);
    } finally {
      f.close();
    }
  }

  delete(key: string): void {
    const F = this.file.File;
    const p = this.path(key);
    if (F.exists(p)) F.delete(p);
  }

  keys(prefix: string): string[] {
    const p = prefix.split('/').join('_');
    const out: string[] = [];
    const it = new this.file.Iterator(this.dir);
    for (let item = it.next(); item !== undefined && item !== null; item = it.next()) {
      const name: string = item.name;
      if (name.indexOf(p) === 0) out.push(name.split('_').join('/'));
    }
    return out;
  }
}
