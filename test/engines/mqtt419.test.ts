// The ECMA-419 "MQTT client" class (targets/moddable/mqtt419.ts) on a stand-in for an
// ECMA-419 TCP socket that throws past its send window, as Moddable's lwip sockets do, and
// a broker played with mqtt-packet: onControl messages with their operation, the write
// budget and onWritable turns, read() whole or into a buffer, onReadable once a message,
// and what write() must refuse by throwing (ECMA-419 2nd edition §25).
import * as mqttPacket from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setHost } from '../../targets/moddable/host';
import { MQTTClient } from '../../targets/moddable/mqtt419';

type Any = Record<string, any>;

const sockets: FakeTCP[] = [];

/** ECMA-419 TCP stand-in, as test/engines/xs/host.js and Moddable's lwip tcp.c: write past the window throws. */
class FakeTCP {
  options: any;
  format: string;
  /** received and not yet read */
  pending = new Uint8Array(0);
  writableCount = 0;
  written: number[] = [];
  closed = false;
  constructor(options: any) {
    this.options = options;
    this.format = options.format ?? 'buffer';
    sockets.push(this);
  }
  read(count?: number) {
    const out = this.pending.slice(0, count);
    this.pending = this.pending.subarray(out.length);
    return out.buffer;
  }
  write(data: ArrayBuffer | Uint8Array) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.length > this.writableCount) throw new Error('would block');
    this.writableCount -= bytes.length;
    for (const b of bytes) this.written.push(b);
    return this.writableCount;
  }
  close() {
    this.closed = true;
  }
  // driver side
  grant(n: number) {
    this.writableCount = n;
    this.options.onWritable?.call(this, n);
  }
  deliver(bytes: Uint8Array) {
    const all = new Uint8Array(this.pending.length + bytes.length);
    all.set(this.pending);
    all.set(bytes, this.pending.length);
    this.pending = all;
    this.options.onReadable?.call(this, all.length);
  }
  fail() {
    this.options.onError?.call(this);
  }
}

function setup() {
  vi.useFakeTimers();
  const Timer = {
    set: (fn: () => void, ms?: number) => setTimeout(fn, ms ?? 0),
    clear: (id: any) => clearTimeout(id),
  };
  setHost({ Timer, TCP: FakeTCP as any, now: () => Date.now() });
  sockets.length = 0;
}

/** Packets the client wrote on socket s since last call. */
function parserFor(s: FakeTCP, protocolVersion = 4) {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: any[] = [];
  parser.on('packet', (p) => packets.push(p));
  let seen = 0;
  return () => {
    if (s.written.length > seen) {
      parser.parse(Buffer.from(s.written.slice(seen)));
      seen = s.written.length;
    }
    return packets.splice(0);
  };
}

async function tick(ms = 0) {
  await vi.advanceTimersByTimeAsync(ms);
}

function reply(s: FakeTCP, p: object) {
  s.deliver(new Uint8Array(mqttPacket.generate(p as mqttPacket.Packet)));
}

/** A connected MQTTClient; log of callbacks. */
async function connected(extra: any = {}, window = 100000) {
  const log: any[] = [];
  const c = new MQTTClient({
    host: '127.0.0.1', port: 1883, id: 'x',
    onControl(op: number, msg: any) { log.push(['control', op, msg]); },
    onWritable(n: number) { log.push(['writable', n]); },
    onReadable(n: number, o: any) { log.push(['readable', n, o]); },
    onError(e?: Error) { log.push(['error', e && e.message]); },
    ...extra,
  });
  await tick(0);
  const s = sockets[sockets.length - 1];
  const sent = parserFor(s);
  s.grant(window);
  await tick(0);
  const connect = sent();
  reply(s, { cmd: 'connack', returnCode: 0, sessionPresent: false });
  await tick(0);
  return { c, s, sent, log, connect };
}

const pub = (topic: string, text: string) => ({ cmd: 'publish', topic, payload: Buffer.from(text), qos: 0, retain: false, dup: false });

beforeEach(setup);
afterEach(() => vi.useRealTimers());

describe('ECMA-419 MQTTClient', () => {
  it('onControl messages carry their operation (§25 onControl)', async () => {
    const { c, s, sent, log } = await connected();
    c.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'a/b', QoS: 1 }] });
    c.write(new Uint8Array([1, 2]), { topic: 'a/b', QoS: 1 });
    await tick(0);
    const out = sent();
    reply(s, { cmd: 'suback', messageId: out.find((p: Any) => p.cmd === 'subscribe').messageId, granted: [1] });
    reply(s, { cmd: 'puback', messageId: out.find((p: Any) => p.cmd === 'publish').messageId });
    await tick(0);
    const ctl = log.filter((e) => e[0] === 'control');
    expect(ctl.map((e) => e[1])).toEqual([MQTTClient.CONNACK, MQTTClient.SUBACK, MQTTClient.PUBACK]);
    for (const [, op, msg] of ctl) expect(msg.operation).toBe(op);
  });

  it('a keepAlive under a second still keeps alive: rounded up to 1 s', async () => {
    const { connect } = await connected({ keepAlive: 400 });
    expect(connect[0].keepalive).toBe(1);
  });

  it('a PUBLISH written in parts from onWritable (Moddable\'s streaming pattern) goes out whole', async () => {
    let remain = 16 * 1024;
    const { s, sent } = await connected({
      onControl(this: MQTTClient, op: number) {
        if (op === MQTTClient.CONNACK) this.write(new Uint8Array(3), { topic: 'xxl', byteLength: 3 + remain, QoS: 1 });
      },
      onWritable(this: MQTTClient, count: number) {
        if (!remain) return;
        const n = count < remain ? count : remain;
        remain -= n;
        this.write(new Uint8Array(n));
      },
    }, 1460);
    for (let i = 0; i < 50 && remain > 0; i++) {
      s.grant(1460);
      await tick(10);
    }
    for (let i = 0; i < 50; i++) {
      s.grant(1460);
      await tick(10);
    }
    expect(remain).toBe(0);
    const p = sent().find((x: Any) => x.cmd === 'publish');
    expect([p.topic, p.payload.length]).toEqual(['xxl', 3 + 16 * 1024]);
  });

  it('write() returns what is left of the turn\'s budget; onWritable renews it once the turn is over', async () => {
    const { c, log } = await connected();
    log.length = 0;
    const left = [1, 2, 3, 4, 5].map(() => c.write(new Uint8Array(1000), { topic: 't' }) as number);
    expect(left).toEqual([3096, 2096, 1096, 96, 0]);
    await tick(0);
    expect(log).toEqual([['writable', 4096]]);
    await tick(100);
    expect(log).toHaveLength(1);
  });

  it('throws for what it cannot send: QoS 3, a topic with wildcards or none, no items, data beyond byteLength', async () => {
    const { c, sent } = await connected();
    expect(() => c.write(new Uint8Array(1), { topic: 't', QoS: 3 })).toThrow();
    expect(() => c.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 't', QoS: 3 }] })).toThrow();
    expect(() => c.write(new Uint8Array(1), { topic: 'a/#', QoS: 1 })).toThrow();
    expect(() => c.write(new Uint8Array(1), {} as Any)).toThrow();
    expect(() => c.write(null, { operation: MQTTClient.SUBSCRIBE, items: [] })).toThrow();
    expect(() => c.write(null, { operation: MQTTClient.UNSUBSCRIBE })).toThrow();
    expect(() => c.write(new Uint8Array(10), { topic: 't', byteLength: 4 })).toThrow('invalid');
    await tick(100);
    expect(sent()).toEqual([]);
  });
});

describe('ECMA-419 MQTTClient: read and onReadable', () => {
  it('offers each message once, also when one is read inside onReadable and the next later', async () => {
    const seen: string[] = [];
    const later: (() => void)[] = [];
    const { s } = await connected({
      onReadable(this: MQTTClient, count: number, o: Any) {
        seen.push(o.topic + ':' + count);
        if (o.topic === 'b') this.read(count);
        else later.push(() => this.read());
      },
    });
    reply(s, pub('a', '1'));
    reply(s, pub('b', '22'));
    reply(s, pub('c', '333'));
    await tick(0);
    later.shift()!();
    await tick(0);
    expect(seen).toEqual(['a:1', 'b:2', 'c:3']);
    later.shift()!();
    await tick(0);
    expect(seen).toEqual(['a:1', 'b:2', 'c:3']);
  });

  it('read(buffer) fills the buffer and returns the count (the IO class pattern); read(count) the rest', async () => {
    const got: unknown[] = [];
    const { s } = await connected({
      onReadable(this: MQTTClient) {
        const buf = new Uint8Array(2);
        got.push(this.read(buf), Buffer.from(buf).toString());
        got.push(Buffer.from(this.read(10) as ArrayBuffer).toString());
        got.push(this.read(1));
      },
    });
    reply(s, pub('t', 'hey'));
    await tick(0);
    expect(got).toEqual([2, 'he', 'y', undefined]);
  });
});
