// FileStore: the Store contract on disk, persistence across instances, atomic writes.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../targets/node/file-store';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'firmqtt-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (...b: number[]) => new Uint8Array(b);

describe('FileStore', () => {
  it('returns what was set, and undefined for a key never set or deleted', () => {
    const s = new FileStore(dir);
    expect(s.get('fq/o/1')).toBeUndefined();
    s.set('fq/o/1', bytes(1, 2, 3));
    expect(s.get('fq/o/1')).toEqual(bytes(1, 2, 3));
    s.set('fq/o/1', bytes(9));
    expect(s.get('fq/o/1')).toEqual(bytes(9));
    s.delete('fq/o/1');
    expect(s.get('fq/o/1')).toBeUndefined();
    s.delete('fq/o/1');
  });

  it('gives plain Uint8Arrays, not Buffers, as every other target does', () => {
    const s = new FileStore(dir);
    s.set('k', bytes(7));
    const v = s.get('k') as Uint8Array;
    expect(v.constructor).toBe(Uint8Array);
  });

  it('stores an empty value', () => {
    const s = new FileStore(dir);
    s.set('empty', bytes());
    expect(s.get('empty')).toEqual(bytes());
  });

  it('keeps values across instances, as across a restart', () => {
    const a = new FileStore(dir, { fsync: true });
    a.set('fq/o/1', bytes(1));
    a.set('fq/i/2', bytes(2));
    const b = new FileStore(dir);
    expect(b.get('fq/o/1')).toEqual(bytes(1));
    expect(b.keys('fq/').sort()).toEqual(['fq/i/2', 'fq/o/1']);
  });

  it('lists the keys with a prefix, whatever characters they hold', () => {
    const s = new FileStore(dir);
    for (const k of ['fq/o/1', 'fq/o/2', 'fq/i/1', 'other', '..', 'a.b', 'fq/o/%41']) s.set(k, bytes(1));
    expect(s.keys('fq/o/').sort()).toEqual(['fq/o/%41', 'fq/o/1', 'fq/o/2']);
    expect(s.keys('').sort()).toEqual(['..', 'a.b', 'fq/i/1', 'fq/o/%41', 'fq/o/1', 'fq/o/2', 'other']);
    expect(s.get('..')).toEqual(bytes(1));
    expect(readdirSync(dir)).toHaveLength(7);
  });

  it('writes through a temporary file and leaves none behind', () => {
    const s = new FileStore(dir);
    s.set('k', new Uint8Array(100000).fill(5));
    expect(readdirSync(dir)).toEqual(['k']);
  });

  it('keeps the previous value when a write was cut off before its rename, and clears the leftover', () => {
    const s = new FileStore(dir);
    s.set('fq/o/1', bytes(1, 1));
    // What a crash mid-set() leaves: the old file intact and a partial temporary file.
    const temp = join(dir, 'fq%2Fo%2F1.tmp');
    writeFileSync(temp, bytes(2));
    expect(s.get('fq/o/1')).toEqual(bytes(1, 1));
    expect(s.keys('fq/')).toEqual(['fq/o/1']);
    const after = new FileStore(dir);
    expect(existsSync(temp)).toBe(false);
    expect(after.get('fq/o/1')).toEqual(bytes(1, 1));
  });

  it('creates its directory', () => {
    const nested = join(dir, 'a', 'b');
    new FileStore(nested).set('k', bytes(1));
    expect(readdirSync(nested)).toEqual(['k']);
  });
});
