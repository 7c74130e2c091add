// FileStore: the Store (src/store/store.ts) as one directory with one file per key, so
// unacknowledged QoS 1/2 messages survive a restart of the process or the Pi.
//
// Each set() writes a temporary file and renames it over the key's file. rename() is
// atomic on POSIX file systems, so after a crash a key holds either its old value or its
// new one, never a torn mix. With { fsync: true } the data and the directory entry are
// also flushed to the device before set() returns (slower: an SD card fsync costs
// milliseconds), which is what "durable when set() returns" means across a power cut.
import {
  closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../src/store/store';

export interface FileStoreOptions {
  /** fsync each write and the directory before set() returns; default false */
  fsync?: boolean;
}

const TEMP_SUFFIX = '.tmp';

// Keys are short ASCII strings chosen by the session; encodeURIComponent keeps '/' out of
// file names, and encoding '.' as well means an encoded name never contains a dot, so
// names with one (TEMP_SUFFIX) cannot collide with a key.
function fileName(key: string): string {
  return encodeURIComponent(key).replace(/\./g, '%2E');
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

export class FileStore implements Store {
  readonly dir: string;
  private readonly fsync: boolean;

  constructor(dir: string, options?: FileStoreOptions) {
    this.dir = dir;
    this.fsync = options !== undefined && options.fsync === true;
    mkdirSync(dir, { recursive: true });
    // A temporary file left by a crash between write and rename is an unfinished set():
    // the key still has its previous value, so the leftover is only garbage.
    for (const name of readdirSync(dir)) {
      if (name.endsWith(TEMP_SUFFIX)) unlinkSync(join(dir, name));
    }
  }

  get(key: string): Uint8Array | undefined {
    let data: Buffer;
    try {
      data = readFileSync(join(this.dir, fileName(key)));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    // A plain Uint8Array, as on every other target: the session must not see a Buffer.
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  set(key: string, value: Uint8Array): void {
    const path = join(this.dir, fileName(key));
    const temp = path + TEMP_SUFFIX;
    const fd = openSync(temp, 'w');
    try {
      let written = 0;
      while (written < value.byteLength) written += writeSync(fd, value, written, value.byteLength - written);
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    if (this.fsync) this.syncDirectory();
  }

  delete(key: string): void {
    try {
      unlinkSync(join(this.dir, fileName(key)));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (this.fsync) this.syncDirectory();
  }

  keys(prefix: string): string[] {
    const out: string[] = [];
    for (const name of readdirSync(this.dir)) {
      if (name.endsWith(TEMP_SUFFIX)) continue;
      const key = decodeURIComponent(name);
      if (key.startsWith(prefix)) out.push(key);
    }
    return out;
  }

  /** A rename or unlink is durable only once the directory itself is flushed. */
  private syncDirectory(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
