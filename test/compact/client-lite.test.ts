// The compact client as the lite Espruino bundle builds it (FIRMQTT_LITE=true: MQTT 3.1.1,
// no store): the same source with the MQTT 5 and store paths dropped by esbuild, checked
// for what the lite feature list promises (issue #4: QoS 0-2, keep-alive, Last Will,
// retain, resend, reconnect) on the fake clock and transports the other client tests use.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/store';
import { FakeClock, FakeTransport, payloads } from './harness';

type Any = Record<string, any>;
type Ctor = new (platform: unknown, options: Any) => Any;

let LiteClient: Ctor;
let liteCode = '';
const dir = mkdtempSync(join(tmpdir(), 'fq-lite-'));

beforeAll(async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = await build({
    stdin: {
      contents: "import { CompactClient } from './src/compact/client'; import { withEvents } from './src/compact/emitter'; withEvents(CompactClient.prototype); export { CompactClient };",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    // dead-code elimination, as in the device build; names stay readable
    minifySyntax: true,
    write: false,
    define: { FIRMQTT_LITE: 'true', DEBUG: 'false' },
  });
  liteCode = r.outputFiles[0].text;
  const file = join(dir, 'lite.mjs');
  writeFileSync(file, liteCode);
  LiteClient = (await import(pathToFileURL(file).href)).CompactClient;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function liteRig(options: Any = {}) {
  const clock = new FakeClock();
  const transports: FakeTransport[] = [];
  const client = new LiteClient({
    transport: () => {
      const t = new FakeTransport(4);
      transports.push(t);
      return t;
    },
    clock,
  }, { clientId: 'lite', ...options });
  const log: string[] = [];
  for (const name of ['connect', 'message', 'offline', 'close', 'error', 'end']) client.on(name, (a: any) => log.push(name === 'message' ? `message:${a}` : name === 'error' ? `error:${a.code}` : name));
  const last = () => transports[transports.length - 1];
  const up = (sessionPresent = false) => {
    last().accept();
    last().connack(sessionPresent, 0);
    clock.settle();
  };
  return { client, clock, transports, log, last, up };
}

describe('the lite build of the compact client', () => {
  it('has no MQTT 5 and no store code', () => {
    expect(liteCode).not.toMatch(/receiveMaximum|topicAliasMaximum|maximumPacketSize|keyPrefix|storeSeq/);
  });

  it('refuses protocolVersion 5 (0x84) and a store, with a clear error', () => {
    expect(() => liteRig({ protocolVersion: 5 })).toThrow(/protocolVersion 5 unsupported/);
    expect(() => liteRig({ store: new MemoryStore() })).toThrow(/lite bundle has none/);
  });

  it('sends CONNECT with the Last Will and keep-alive, then QoS 0, 1 and 2 with retain', () => {
    const r = liteRig({ keepalive: 10, will: { topic: 'w', payload: 'gone', qos: 1, retain: true } });
    r.up();
    const connect = r.last().sent('connect')[0] as Any;
    expect([connect.protocolVersion, connect.keepalive, connect.will.topic, String(connect.will.payload), connect.will.qos, connect.will.retain]).toEqual([4, 10, 'w', 'gone', 1, true]);
    const done: string[] = [];
    r.client.publish('t', 'q0', { qos: 0, retain: true }, (e: any) => done.push(`q0:${e}`));
    r.client.publish('t', 'q1', { qos: 1 }, (e: any) => done.push(`q1:${e}`));
    r.client.publish('t', 'q2', { qos: 2 }, (e: any) => done.push(`q2:${e}`));
    const sent = r.last().sent('publish') as Any[];
    expect(sent.map((p) => [String(p.payload), p.qos, p.retain])).toEqual([['q0', 0, true], ['q1', 1, false], ['q2', 2, false]]);
    r.last().send({ cmd: 'puback', messageId: sent[1].messageId });
    r.last().send({ cmd: 'pubrec', messageId: sent[2].messageId });
    expect(r.last().sent('pubrel').map((p: Any) => p.messageId)).toEqual([sent[2].messageId]);
    r.last().send({ cmd: 'pubcomp', messageId: sent[2].messageId });
    r.clock.settle();
    expect(done).toEqual(['q0:null', 'q1:null', 'q2:null']);
  });

  it('resends unacknowledged QoS 1 and 2 with DUP after a reconnect, in order', () => {
    const r = liteRig({ reconnectPeriod: 100 });
    r.up();
    r.client.publish('t', 'a', { qos: 1 });
    r.client.publish('t', 'b', { qos: 2 });
    r.last().end();
    r.clock.advance(100);
    r.up(true);
    const again = r.last().sent('publish') as Any[];
    expect(again.map((p) => [String(p.payload), p.dup])).toEqual([['a', true], ['b', true]]);
    expect(r.log).toEqual(['connect', 'close', 'offline', 'connect']);
  });

  it('delivers an incoming QoS 2 message once, acknowledged before delivery', () => {
    const r = liteRig();
    r.up();
    r.last().send({ cmd: 'publish', topic: 'in', payload: Buffer.from('x'), qos: 2, messageId: 7 });
    r.last().send({ cmd: 'publish', topic: 'in', payload: Buffer.from('x'), qos: 2, messageId: 7, dup: true });
    r.clock.settle();
    expect(r.last().sent('pubrec').length).toBe(2);
    r.last().send({ cmd: 'pubrel', messageId: 7 });
    expect(r.last().sent('pubcomp').map((p: Any) => p.messageId)).toEqual([7]);
    expect(r.log.filter((e) => e.startsWith('message'))).toEqual(['message:in']);
  });

  it('refuses a packet over maxIncomingPacketSize (default 8192) from its header with 0x95, then reconnects', () => {
    const r = liteRig({ reconnectPeriod: 100 });
    r.up();
    r.last().send({ cmd: 'publish', topic: 'in', payload: Buffer.alloc(8185), qos: 0 }); // 8,192 bytes in all
    expect(r.log.filter((e) => e.startsWith('message'))).toEqual(['message:in']);
    // a PUBLISH header announcing 8,194 bytes in all (Remaining Length 8,191)
    r.last().sendBytes(new Uint8Array([0x30, 0xff, 0x3f]));
    expect(r.log).toContain('error:149');
    expect(r.last().closeCalls).toBe(1);
    r.last().end();
    r.clock.advance(200);
    r.up();
    expect(r.log.filter((e) => e === 'connect').length).toBe(2);
  });

  it('pings at the keep-alive and closes a link that stops answering (0x8D), then reconnects', () => {
    const r = liteRig({ keepalive: 10, reconnectPeriod: 100 });
    r.up();
    r.clock.advance(10000);
    expect(r.last().sent('pingreq').length).toBe(1);
    r.clock.advance(5000);
    expect(r.log).toContain('error:141');
    expect(r.last().closeCalls).toBe(1);
    r.last().end();
    r.clock.advance(200);
    expect(r.transports.length).toBe(2);
    r.up();
    expect(payloads(r.last())).toEqual([]);
    expect(r.log.filter((e) => e === 'connect').length).toBe(2);
  });
});
