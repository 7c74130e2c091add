// Target pieces that need no engine: the Moddable stores on fake Preference / file
// modules, the Espruino Storage store on a fake Storage, Espruino URL parsing, the
// Espruino clock (on a fake getTime and Node's timers, faked by vitest), the Espruino
// transports on fake net / tls modules and a fake Serial port, and create() (the MQTT
// module's shape) over a fake connected socket, its server played through mqtt-packet.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as mqttPacket from 'mqtt-packet';
import { FileStore, PreferenceStore } from '../../targets/moddable/store';
import { StorageStore } from '../../targets/espruino/storage-store';
import { parseUrl } from '../../targets/espruino/connect';
import { EspruinoClock } from '../../targets/espruino/clock';
import { socketTransport } from '../../targets/espruino/socket';
import { tlsTransport } from '../../targets/espruino/tls';
import { transportFor } from '../../targets/espruino/transport';
import { serialTransport } from '../../targets/espruino/serial';
import { create, MQTT } from '../../targets/espruino/compat';
import { CompactClient } from '../../src/compact/client';
import { withEvents } from '../../src/compact/emitter';
import type { TransportHandler } from '../../src/client/transport';
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

/** Espruino's Storage: as 2v29 does, a name over 28 characters is cut to 28 without a word. */
function fakeStorage() {
  const files: { [k: string]: string } = {};
  const name = (k: string) => k.slice(0, 28);
  return {
    write(k: string, s: string) {
      if (s.length === 0) throw new Error("Can't create zero length file");
      files[name(k)] = s;
    },
    readArrayBuffer(k: string) {
      const s = files[name(k)];
      if (s === undefined) return undefined;
      return Uint8Array.from(s, (c) => c.charCodeAt(0)).buffer;
    },
    erase(k: string) {
      delete files[name(k)];
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

describe('StorageStore and 28-character Storage names', () => {
  it('a name Storage would cut (and so share with another key) throws instead', () => {
    const s = new StorageStore(fakeStorage());
    s.set('x'.repeat(28), new Uint8Array([1]));
    expect(() => s.set('x'.repeat(28) + '2', new Uint8Array([2]))).toThrow(/too long/);
    expect(() => s.get('x'.repeat(29))).toThrow(/too long/);
    expect(s.get('x'.repeat(28))).toEqual(new Uint8Array([1]));
  });

  it('a client whose storePrefix leaves no room for its keys (over 20 characters) is refused when made', () => {
    const platform = () => ({ transport: () => ({ open() {}, write: () => true, flush() {}, close() {} }), clock: { now: () => 0, setTimer() {}, clearTimer() {} } });
    expect(() => new CompactClient(platform(), { store: new StorageStore(fakeStorage()), storePrefix: 's'.repeat(21) })).toThrow(/too long/);
    expect(() => new CompactClient(platform(), { store: new StorageStore(fakeStorage()), storePrefix: 's'.repeat(20) })).not.toThrow();
  });
});

describe('Espruino parseUrl', () => {
  it('takes protocol, credentials, host and port', () => {
    expect(parseUrl('mqtt://u%40x:p%3A@192.168.1.10:1884/ignored')).toEqual({ protocol: 'mqtt', username: 'u@x', password: 'p:', host: '192.168.1.10', port: 1884 });
    expect(parseUrl('mqtts://broker.local')).toEqual({ protocol: 'mqtts', host: 'broker.local' });
    expect(parseUrl('mqtt://[::1]:1883')).toEqual({ protocol: 'mqtt', host: '::1', port: 1883 });
    expect(parseUrl('[fe80::1]')).toEqual({ host: 'fe80::1' });
    expect(parseUrl('broker:1884')).toEqual({ host: 'broker', port: 1884 });
    // the credentials end at the last '@' and the user at the first ':'
    expect(parseUrl('mqtt://a@b:c:d@h/x@y:z')).toEqual({ protocol: 'mqtt', username: 'a@b', password: 'c:d', host: 'h' });
    expect(parseUrl('mqtt://u@h')).toEqual({ protocol: 'mqtt', username: 'u', host: 'h' });
    expect(parseUrl('mqtts://u:@h')).toEqual({ protocol: 'mqtts', username: 'u', password: '', host: 'h' });
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

  /** Runs `body` on fake timers, with Espruino's getTime() reading them, plus what `jump` adds (as setTime() would). */
  function onEspruinoTime(body: (jump: (seconds: number) => void) => void): void {
    vi.useFakeTimers();
    const g = globalThis as { getTime?: () => number };
    let offset = 0;
    g.getTime = () => Date.now() / 1000 + offset;
    try {
      body((seconds) => {
        offset += seconds;
      });
    } finally {
      delete g.getTime;
      vi.useRealTimers();
    }
  }

  it('keeps one timer: arming again replaces it, clearTimer cancels it and is harmless with none', () => {
    onEspruinoTime(() => {
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
    });
  });

  it('takes a forward setTime() (SNTP at boot) out of the clock: deadlines set before neither fall due at once nor come early, and come at most one step (10 s) late', () => {
    onEspruinoTime((jump) => {
      for (const [due, jumpAt, readAt] of [[3000, 1000, 1000], [60000, 50000, 55000]]) {
        const c = new EspruinoClock();
        const t0 = c.now();
        const fired: { clock: number; real: number }[] = [];
        const real0 = Date.now();
        c.setTimer(due, () => fired.push({ clock: c.now() - t0, real: Date.now() - real0 }));
        vi.advanceTimersByTime(jumpAt);
        jump(1.7e9); // setTime() to the real date
        vi.advanceTimersByTime(readAt - jumpAt);
        // read while the timer is pending: not decades on, and not past its due time
        expect(c.now() - t0).toBeLessThanOrEqual(due);
        vi.advanceTimersByTime(due - readAt + 10000);
        expect(fired).toHaveLength(1);
        expect(fired[0].clock).toBeGreaterThanOrEqual(due); // never early (the Clock contract)
        expect(fired[0].real).toBeLessThanOrEqual(due + 10000); // late by one step at most
        // and time goes on from there at its own pace
        const at = c.now();
        vi.advanceTimersByTime(500);
        expect(c.now() - at).toBe(500);
      }
    });
  });

  it('waits in steps of at most 10 s: a long timer still fires once, on time', () => {
    onEspruinoTime(() => {
      const c = new EspruinoClock();
      const t0 = c.now();
      const fired: number[] = [];
      c.setTimer(35000, () => fired.push(c.now() - t0));
      vi.advanceTimersByTime(34999);
      expect(fired).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(fired).toEqual([35000]);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

/** An Espruino socket or Serial port: on / emit (a listener's `this` is the stream, as on Espruino), what was written (binary strings), end(). */
class FakeStream {
  listeners: { [event: string]: ((a?: unknown) => void)[] } = {};
  written: string[] = [];
  ended = false;
  on(event: string, fn: (a?: unknown) => void) {
    (this.listeners[event] ??= []).push(fn);
  }
  removeAllListeners(event: string) {
    delete this.listeners[event];
  }
  emit(event: string, a?: unknown) {
    for (const fn of this.listeners[event] ?? []) fn.call(this, a);
  }
  removeListener(event: string, fn: (a?: unknown) => void) {
    this.listeners[event] = (this.listeners[event] ?? []).filter((f) => f !== fn);
  }
  write(s: string) {
    // as Espruino's: once end() was called, until 'close' and after
    if (this.ended) throw new Error('This socket is closed');
    this.written.push(s);
  }
  end() {
    this.ended = true;
  }
}

/** The handler calls, in order, as strings. */
function recorder(): TransportHandler & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onOpen: () => calls.push('open'),
    onData: (b) => calls.push('data ' + Array.from(b).join(',')),
    onDrain: () => calls.push('drain'),
    onClose: (e) => calls.push('close ' + (e === null ? 'null' : e.message)),
  };
}

describe('Espruino transports', () => {
  const g = globalThis as { require?: unknown };
  /** `opened`: the connect callback, called as Espruino does, on the socket */
  let dials: { module: string; options: unknown; socket: FakeStream; opened: () => void }[];
  let refuse: boolean;

  beforeEach(() => {
    vi.useFakeTimers();
    dials = [];
    refuse = false;
    // Espruino's require('net') / require('tls') (espruino.ts reaches it as global.require)
    g.require = (module: string) => ({
      connect(options: unknown, opened: () => void) {
        if (refuse) throw new Error('Unable to find host');
        const socket = new FakeStream();
        dials.push({ module, options, socket, opened: () => opened.call(socket) });
        return socket;
      },
    });
  });

  afterEach(() => {
    delete g.require;
    vi.useRealTimers();
  });

  it('net: bytes out as binary strings, in as Uint8Array; the first error closes it once; writes after close are dropped', () => {
    const h = recorder();
    const t = socketTransport('net', { host: 'b', port: 1 })();
    t.open(h);
    expect(dials.map((d) => [d.module, d.options])).toEqual([['net', { host: 'b', port: 1 }]]);
    const d = dials[0];
    d.opened();
    expect(t.write(new Uint8Array([0x10, 0xff]))).toBe(true);
    expect(d.socket.written).toEqual(['\x10\xff']);
    d.socket.emit('data', '\x20\x02');
    d.socket.emit('error', { code: -1, message: 'reset' });
    d.socket.emit('error', { code: -2, message: 'later' });
    d.socket.emit('close');
    expect(h.calls).toEqual(['open', 'data 32,2', 'close reset']);
    t.write(new Uint8Array([1]));
    t.close();
    expect(d.socket.written).toEqual(['\x10\xff']);
    expect(d.socket.ended).toBe(false);
  });

  it('net: a connect() that throws is reported by onClose from the event loop, not from inside open()', () => {
    refuse = true;
    const h = recorder();
    socketTransport('net', { host: 'nowhere', port: 1 })().open(h);
    expect(h.calls).toEqual([]);
    vi.runAllTimers();
    expect(h.calls).toEqual(['close Unable to find host']);
  });

  it('net: close() ends the socket, writes from then on are dropped (Espruino throws on them), and its close event reports an orderly close', () => {
    const h = recorder();
    const t = socketTransport('net', { host: 'b', port: 1 })();
    t.open(h);
    dials[0].opened();
    t.close();
    expect(dials[0].socket.ended).toBe(true);
    // the client may still write until 'close' is reported (an ack, a queued PUBLISH)
    expect(t.write(new Uint8Array([0x40, 0x02, 0x00, 0x01]))).toBe(true);
    expect(dials[0].socket.written).toEqual([]);
    dials[0].socket.emit('close');
    expect(h.calls).toEqual(['open', 'close null']);
  });

  it('TLS: dials, writes (in order, in one go) and ends from a timer, never from the caller', () => {
    const h = recorder();
    const o = { host: 'b', port: 8883, ca: 'CA' };
    const t = tlsTransport(o)();
    t.open(h);
    expect(dials).toEqual([]);
    vi.runAllTimers();
    expect(dials.map((d) => [d.module, d.options])).toEqual([['tls', o]]);
    const d = dials[0];
    d.opened();
    t.write(new Uint8Array([1]));
    t.flush();
    t.write(new Uint8Array([2, 3]));
    t.flush();
    t.close();
    expect(d.socket.written).toEqual([]);
    expect(d.socket.ended).toBe(false);
    vi.runAllTimers();
    expect(d.socket.written).toEqual(['\x01', '\x02\x03']);
    expect(d.socket.ended).toBe(true);
    d.socket.emit('close');
    expect(h.calls).toEqual(['open', 'close null']);
  });

  it('TLS: ca, key and cert given as PEM are dialled as DER (all mbedTLS on Espruino reads)', () => {
    const der = Buffer.from([0x30, 0x82, 0x01, 0x0a, 0xff]);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const t = tlsTransport({ host: 'b', port: 8883, ca: pem, cert: 'already DER' })();
    t.open(recorder());
    vi.runAllTimers();
    const o = dials[0].options as { ca: string; cert: string; key?: string };
    expect([o.ca, o.cert, o.key]).toEqual([der.toString('latin1'), 'already DER', undefined]);
  });

  it('net: a close() the socket never answers (a peer not reading, a TLS handshake that stalls) drops the unsent bytes, ends again, and is reported at last', () => {
    const h = recorder();
    const t = socketTransport('net', { host: 'b', port: 1 })();
    t.open(h);
    const d = dials[0];
    d.opened();
    const s = d.socket as unknown as { dSnd?: string; end(): void; ended: boolean };
    s.dSnd = '\x10\x0c';
    let ends = 0;
    s.end = () => {
      ends++;
      s.ended = true;
    };
    t.close();
    expect(ends).toBe(1);
    vi.advanceTimersByTime(2000);
    expect([ends, 'dSnd' in s]).toEqual([2, false]);
    expect(h.calls).toEqual(['open']);
    vi.advanceTimersByTime(2000);
    expect(h.calls).toEqual(['open', 'close null']);
    d.socket.emit('close'); // late: already reported
    expect(h.calls).toEqual(['open', 'close null']);
  });

  it('transportFor: schemes in any case; an unknown one throws rather than go out unencrypted; over Serial the keep-alive bounds the wait for CONNACK', () => {
    transportFor({ protocol: 'MQTTS', host: 'h' })().open(recorder());
    vi.runAllTimers();
    expect(dials.map((d) => d.module)).toEqual(['tls']);
    expect(() => transportFor({ protocol: 'wss', host: 'h' })).toThrow(/wss unsupported/);
    expect(() => transportFor({ protocol: 'mqtts+x', host: 'h' })).toThrow(/unsupported/);
    const serial = { on() {}, removeListener() {}, write() {} };
    const short: Record<string, unknown> = { serial, keepalive: 2 };
    transportFor(short);
    expect(short.connectTimeout).toBe(2000);
    const given: Record<string, unknown> = { serial, keepalive: 2, connectTimeout: 9000 };
    transportFor(given);
    expect(given.connectTimeout).toBe(9000);
    const plain: Record<string, unknown> = { serial };
    transportFor(plain);
    expect(plain.connectTimeout).toBe(30000);
  });

  it('TLS: closed before the dial, it never dials and reports an orderly close', () => {
    const h = recorder();
    const t = tlsTransport({ host: 'b', port: 8883 })();
    t.open(h);
    t.close();
    vi.runAllTimers();
    expect(dials).toEqual([]);
    expect(h.calls).toEqual(['close null']);
  });

  it('Serial: set up at 115200 baud by default, open once the line is quiet (what is left of the last session dropped), closed once; the sketch\'s own listener stays', () => {
    const port = Object.assign(new FakeStream(), { setups: [] as unknown[][], setup(...a: unknown[]) { this.setups.push(a); } });
    const own: unknown[] = [];
    port.on('data', (d) => own.push(d)); // a listener of the sketch's own
    const h = recorder();
    const t = serialTransport(port, { setup: { rx: 'A0' } })();
    t.open(h);
    expect(port.setups).toEqual([[115200, { rx: 'A0' }]]);
    vi.advanceTimersByTime(50);
    port.emit('data', '\x20\x02\x00\x00'); // the last session's CONNACK, still on its way
    vi.advanceTimersByTime(100);
    expect(h.calls).toEqual([]); // not quiet yet
    vi.advanceTimersByTime(100);
    expect(h.calls).toEqual(['open']);
    port.emit('data', '\x30');
    t.write(new Uint8Array([0xc0, 0]));
    expect(port.written).toEqual(['\xc0\x00']);
    t.close();
    t.close();
    port.emit('data', '\x31');
    t.write(new Uint8Array([1]));
    vi.runAllTimers();
    expect(h.calls).toEqual(['open', 'data 48', 'close null']);
    expect(port.written).toEqual(['\xc0\x00']);
    expect(own).toEqual(['\x20\x02\x00\x00', '\x30', '\x31']);
    expect(port.listeners.data).toHaveLength(1);
  });
});

describe('Espruino create() (the MQTT module shape)', () => {
  const g = globalThis as { getTime?: () => number };
  // Espruino gives every object on / emit; Node's objects get them here
  withEvents(MQTT.prototype);
  withEvents(CompactClient.prototype);

  beforeEach(() => {
    vi.useFakeTimers();
    g.getTime = () => Date.now() / 1000;
  });

  afterEach(() => {
    delete g.getTime;
    vi.useRealTimers();
  });

  /** An MQTT object connected over a fake socket; its events and the client's packets, in order. */
  function compat(options: object) {
    const m = create('broker', options);
    const events: unknown[][] = [];
    for (const e of ['connected', 'connect', 'publish', 'message', 'puback', 'pubcomp', 'subscribed', 'subscribed_fail', 'unsubscribed', 'disconnected', 'close', 'error']) {
      // Node's stand-in passes every listener three arguments: the trailing undefined ones are dropped
      (m as unknown as { on(e: string, f: (...a: unknown[]) => void): void }).on(e, (...a: unknown[]) => {
        while (a.length && a[a.length - 1] === undefined) a.pop();
        events.push([e, ...a]);
      });
    }
    const socket = new FakeStream();
    const packets: mqttPacket.Packet[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => packets.push(p));
    let seen = 0;
    /** the client's packets since the last call */
    const sent = () => {
      for (; seen < socket.written.length; seen++) parser.parse(Buffer.from(socket.written[seen], 'latin1'));
      return packets.splice(0);
    };
    const reply = (p: object) => {
      socket.emit('data', mqttPacket.generate(p as mqttPacket.Packet).toString('latin1'));
      vi.advanceTimersByTime(0);
    };
    m.connect(socket);
    // the transport's open (after the line's quiet 100 ms), not the client's connect timeout
    vi.advanceTimersByTime(100);
    return { m, socket, events, sent, reply };
  }

  it('connects with the module\'s options; publish, subscribe, unsubscribe and disconnect answer with its events', () => {
    const { m, events, sent, reply } = compat({ client_id: 'c1', keep_alive: 0, clean_session: false });
    expect(m.client_id).toBe('c1');
    expect(m.connected).toBe(false);
    const [connect] = sent() as mqttPacket.IConnectPacket[];
    expect([connect.cmd, connect.clientId, connect.keepalive, connect.clean, connect.protocolVersion]).toEqual(['connect', 'c1', 0, false, 4]);
    reply({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    expect(m.connected).toBe(true);
    expect(events.splice(0)).toEqual([['connected'], ['connect']]);

    // {filter: qos}; an event per filter, as the module sends a SUBSCRIBE per filter:
    // subscribed_fail for the one refused (0x80)
    m.subscribe({ a: 1, b: 0 });
    const [sub] = sent() as mqttPacket.ISubscribePacket[];
    expect(sub.subscriptions.map((x) => [x.topic, x.qos])).toEqual([['a', 1], ['b', 0]]);
    reply({ cmd: 'suback', messageId: sub.messageId, granted: [1, 0x80] });
    // a filter with the QoS as a number
    m.subscribe('x', 2);
    const [sub2] = sent() as mqttPacket.ISubscribePacket[];
    expect(sub2.subscriptions.map((x) => [x.topic, x.qos])).toEqual([['x', 2]]);
    reply({ cmd: 'suback', messageId: sub2.messageId, granted: [2] });
    expect(events.splice(0)).toEqual([['subscribed'], ['subscribed_fail'], ['subscribed']]);

    // anything but bytes goes out as a string; QoS as a number or {qos, retain}
    m.publish('t', 42, 1);
    m.publish('u', new Uint8Array([1, 2]), { qos: 2, retain: true });
    m.publish('v', 'zero');
    const [p1, p2, p0] = sent() as mqttPacket.IPublishPacket[];
    expect([p1.topic, String(p1.payload), p1.qos, p1.retain]).toEqual(['t', '42', 1, false]);
    expect([p2.topic, [...(p2.payload as Buffer)], p2.qos, p2.retain]).toEqual(['u', [1, 2], 2, true]);
    expect([p0.topic, String(p0.payload), p0.qos]).toEqual(['v', 'zero', 0]);
    reply({ cmd: 'puback', messageId: p1.messageId });
    reply({ cmd: 'pubrec', messageId: p2.messageId });
    expect((sent() as mqttPacket.IPubrelPacket[]).map((x) => x.cmd)).toEqual(['pubrel']);
    reply({ cmd: 'pubcomp', messageId: p2.messageId });
    expect(events.splice(0)).toEqual([['puback', p1.messageId], ['pubcomp', p2.messageId]]);

    // a message: {topic, message (a string), dup, qos, retain} and (topic, message)
    reply({ cmd: 'publish', topic: 'in', payload: Buffer.from('hi'), qos: 0, retain: true, dup: false });
    expect(events.splice(0)).toEqual([['publish', { topic: 'in', message: 'hi', dup: 0, qos: 0, retain: 1 }], ['message', 'in', 'hi']]);

    m.unsubscribe('x');
    const [unsub] = sent() as mqttPacket.IUnsubscribePacket[];
    expect(unsub.unsubscriptions).toEqual(['x']);
    reply({ cmd: 'unsuback', messageId: unsub.messageId });
    expect(events.splice(0)).toEqual([['unsubscribed']]);

    m.disconnect();
    vi.advanceTimersByTime(0);
    expect(sent().map((x) => x.cmd)).toEqual(['disconnect']);
    expect(m.connected).toBe(false);
    expect(events.splice(0)).toEqual([['disconnected'], ['close']]);
  });

  it('errors are strings; the module never reconnects by itself, connect() does', () => {
    const { m, events, sent, reply } = compat({});
    expect(m.client_id).toMatch(/^fq[0-9a-f]+$/);
    const [connect] = sent() as mqttPacket.IConnectPacket[];
    expect([connect.clientId, connect.keepalive, connect.clean]).toEqual([m.client_id, 60, true]);
    reply({ cmd: 'connack', sessionPresent: false, returnCode: 5 });
    expect(events.splice(0)).toEqual([['error', 'connection refused: 5'], ['disconnected'], ['close']]);
    vi.advanceTimersByTime(60000);
    expect(sent()).toEqual([]);
    m.connect();
    vi.advanceTimersByTime(100); // the line's quiet 100 ms, then CONNECT
    expect(sent().map((x) => x.cmd)).toEqual(['connect']);
  });

  it('subscriptions are the sketch\'s to make on connected: a reconnect does not resubscribe by itself (no retained message twice)', () => {
    const { m, sent, reply } = compat({});
    reply({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    sent(); // the CONNECT
    m.subscribe('in/ret');
    const [sub] = sent() as mqttPacket.ISubscribePacket[];
    reply({ cmd: 'suback', messageId: sub.messageId, granted: [0] });
    // connect() again (what sketches do on 'disconnected'): the same client, a new connection
    m.connect();
    vi.advanceTimersByTime(101);
    expect(sent().map((x) => x.cmd)).toEqual(['disconnect', 'connect']);
    reply({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    expect(sent()).toEqual([]);
  });

  it('gives up on a CONNACK after 10 s, as the module does', () => {
    const { events, socket } = compat({});
    vi.advanceTimersByTime(9899);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(1); // the transport reports its close from the event loop
    expect(events.splice(0)).toEqual([['error', 'connect timeout'], ['disconnected'], ['close']]);
    expect(socket.listeners.data).toEqual([]); // its listener gone: closed
  });

  it('options the client cannot send and refused publishes are reported as error events, never thrown', () => {
    for (const options of [{ protocol_level: 3 }, { password: 'pw' }]) {
      const m = create('broker', options);
      const events: unknown[][] = [];
      for (const e of ['error', 'disconnected']) (m as unknown as { on(e: string, f: (a?: unknown) => void): void }).on(e, (a?: unknown) => events.push(a === undefined ? [e] : [e, a]));
      expect(() => m.connect(new FakeStream())).not.toThrow();
      expect(events).toEqual([['error', options.password ? 'password without username' : 'protocolVersion 3 unsupported'], ['disconnected']]);
    }
    const { m, events, reply } = compat({});
    reply({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    events.splice(0);
    m.publish('temp/' + String.fromCharCode(0) + 'C', 'x');
    vi.advanceTimersByTime(0);
    expect(events).toEqual([['error', 'bad topic']]);
  });
});
