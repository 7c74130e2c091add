// Target pieces that need no engine: the Moddable stores on fake Preference / file
// modules, the Espruino Storage store on a fake Storage, Espruino URL parsing and the
// Espruino clock (on a fake getTime and Node's timers, faked by vitest).
import { describe, expect, it, vi } from 'vitest';
import { FileStore, PreferenceStore } from '../../targets/moddable/store';
import { StorageStore } from '../../targets/espruino/storage-store';
import { parseUrl } from '../../targets/espruino/connect';
import { EspruinoClock } from '../../targets/espruino/clock';
import type { Store } from '../../src/store/store';

function fakePreference() {
  const domains: { [d: string]: { [k: string]: ArrayBuffer } } = {};
  return {
    set(d: string, k: string, v: ArrayBuffer) {
      if (k.length > 15) throw new Error('key too long');
      (domains[d] ??= {})[k] = v.slice(0);
    },
    get(d: string, k: string) {
      return domains[d]?.[k];
    },
    delete(d: string, k: string) {
      if (domains[d]) delete domains[d][k];
    },
    keys(d: string) {
      return Object.keys(domains[d] ?? {});
    },
  };
}

function fakeFile() {
  const files: { [p: string]: Uint8Array } = {};
  class File {
    path: string;
    constructor(path: string, write?: boolean) {
      this.path = path;
      if (write) files[path] = new Uint8Array(0);
      else if (!files[path]) throw new Error('no file');
    }
    static exists(p: string) {
      return files[p] !== undefined;
    }
    static delete(p: string) {
      delete files[p];
    }
    read(_type: unknown) {
      return files[this.path].slice().buffer;
    }
    write(ab: ArrayBuffer) {
      files[this.path] = new Uint8Array(ab.slice(0));
    }
    close() {
      // nothing to release
    }
  }
  class Iterator {
    names: string[];
    constructor(dir: string) {
      this.names = Object.keys(files).filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length));
    }
    next() {
      const n = this.names.shift();
      return n === undefined ? undefined : { name: n, length: files[n]?.length };
    }
  }
  return { File, Iterator };
}

function fakeStorage() {
  const files: { [k: string]: string } = {};
  return {
    write(k: string, s: string) {
      if (k.length > 28) throw new Error('name too long');
      if (s.length === 0) throw new Error("Can't create zero length file");
      files[k] = s;
    },
    readArrayBuffer(k: string) {
      const s = files[k];
      if (s === undefined) return undefined;
      return Uint8Array.from(s, (c) => c.charCodeAt(0)).buffer;
    },
    erase(k: string) {
      delete files[k];
    },
    list() {
      return Object.keys(files);
    },
  };
}

function contract(name: string, make: () => Store) {
  describe(name, () => {
    it('keeps values, empty ones included, and lists keys by prefix', () => {
      const s = make();
      s.set('fq/o1', new Uint8Array([1, 2, 0, 255]));
      s.set('fq/i7', new Uint8Array(0));
      s.set('zz/o1', new Uint8Array([9]));
      expect(s.get('fq/o1')).toEqual(new Uint8Array([1, 2, 0, 255]));
      expect(s.get('fq/i7')).toEqual(new Uint8Array(0));
      expect(s.get('fq/nothing')).toBeUndefined();
      expect(s.keys('fq/').sort()).toEqual(['fq/i7', 'fq/o1']);
      s.delete('fq/o1');
      expect(s.get('fq/o1')).toBeUndefined();
      expect(s.keys('fq/')).toEqual(['fq/i7']);
    });
  });
}

// Espruino's Storage stores binary strings; E.toString / E.toUint8Array stand-ins for Node
(globalThis as { E?: unknown }).E = {
  toString: (b: Uint8Array) => String.fromCharCode.apply(null, Array.from(b)),
  toUint8Array: (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0)),
};

contract('PreferenceStore (Moddable)', () => new PreferenceStore(fakePreference()));
contract('FileStore (Moddable)', () => new FileStore(fakeFile(), '/mod/fq'));
contract('StorageStore (Espruino)', () => new StorageStore(fakeStorage()));

describe('Espruino parseUrl', () => {
  it('takes protocol, credentials, host and port', () => {
    expect(parseUrl('mqtt://u%40x:p%3A@192.168.1.10:1884/ignored')).toEqual({ protocol: 'mqtt', username: 'u@x', password: 'p:', host: '192.168.1.10', port: 1884 });
    expect(parseUrl('mqtts://broker.local')).toEqual({ protocol: 'mqtts', host: 'broker.local' });
    expect(parseUrl('mqtt://[::1]:1883')).toEqual({ protocol: 'mqtt', host: '::1', port: 1883 });
  });
});

describe('EspruinoClock', () => {
  it('reads getTime() in integer ms that never decrease, also when setTime() moves it back', () => {
    const g = globalThis as { getTime?: () => number };
    try {
      g.getTime = () => 100.0015;
      const c = new EspruinoClock();
      expect(c.now()).toBe(100001);
      g.getTime = () => 100.5;
      expect(c.now()).toBe(100500);
      // setTime(40): the wall clock goes back 60.5 s; time carries on from 100,500 ms
      g.getTime = () => 40;
      expect(c.now()).toBe(100500);
      g.getTime = () => 40.25;
      expect(c.now()).toBe(100750);
    } finally {
      delete g.getTime;
    }
  });

  it('keeps one timer: arming again replaces it, clearTimer cancels it and is harmless with none', () => {
    vi.useFakeTimers();
    try {
      const c = new EspruinoClock();
      const fired: string[] = [];
      c.clearTimer();
      c.setTimer(100, () => fired.push('a'));
      c.setTimer(50, () => fired.push('b'));
      vi.advanceTimersByTime(200);
      expect(fired).toEqual(['b']);
      c.setTimer(10, () => fired.push('c'));
      c.clearTimer();
      c.clearTimer();
      vi.advanceTimersByTime(200);
      expect(fired).toEqual(['b']);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
