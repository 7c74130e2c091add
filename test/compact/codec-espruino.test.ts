// The compact codec on Espruino's Linux build: the Espruino bundles of src/compact/codec.ts
// (lite and full, built as build.mjs builds Espruino bundles, syntax gate included) run the
// same encoder calls and decode the same bytes as Node does, valid and mutated, and must
// give the same results. Strings are compared as their UTF-8 bytes, since an Espruino
// string is bytes (String.fromCharCode keeps 8 bits there; see rstr() in the codec).
//
// Runs only when ESPRUINO_BIN points at an Espruino executable (test/engines/
// espruino.test.ts does the same); says why it skips otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import * as mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { checkEspruinoOutput, espruinoExports, targetOptions } from '../../build.mjs';
import * as codec from '../../src/compact/codec';
import { AUTH, CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from '../../src/codec/packets';
import { Rng, packetOfType, seedFromEnv, type Version } from '../codec/corpus';
import { toMqttPacket, type MqttPacketObject } from '../codec/mqtt-packet-shape';

const BIN = process.env.ESPRUINO_BIN;
const available = BIN !== undefined && BIN !== '' && existsSync(BIN);
const SEED = seedFromEnv();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Bytes as {$b: hex}, so that a case survives JSON on its way to Espruino. */
function wire(x: unknown): Json {
  if (x instanceof Uint8Array) return { $b: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') };
  if (Array.isArray(x)) return x.map(wire);
  if (x === null || typeof x !== 'object') return x === undefined ? null : (x as Json);
  const o: { [k: string]: Json } = {};
  for (const k of Object.keys(x)) if ((x as Record<string, unknown>)[k] !== undefined) o[k] = wire((x as Record<string, unknown>)[k]);
  return o;
}

/** The one normal form both sides print: strings (keys too) and bytes as hex of their bytes. The same code runs on Espruino (NORM_JS). */
const NORM_JS = `
function hex(u) { var s = ''; for (var i = 0; i < u.length; i++) s += (u[i] < 16 ? '0' : '') + u[i].toString(16); return s; }
function norm(x) {
  if (typeof x === 'string') return 's' + hex(C.utf8(x));
  if (x instanceof Uint8Array) return 'b' + hex(x);
  if (Array.isArray(x)) return x.map(norm);
  if (x === null || typeof x !== 'object') return x;
  var o = {}; var ks = Object.keys(x);
  for (var i = 0; i < ks.length; i++) o[norm(ks[i])] = norm(x[ks[i]]);
  return o;
}
function unwire(x) {
  if (Array.isArray(x)) return x.map(unwire);
  if (x === null || typeof x !== 'object') return x === null ? undefined : x;
  if (typeof x.$b === 'string') { var b = new Uint8Array(x.$b.length / 2); for (var i = 0; i < b.length; i++) b[i] = parseInt(x.$b.substr(2 * i, 2), 16); return b; }
  var o = {}; var ks = Object.keys(x);
  for (var i = 0; i < ks.length; i++) o[ks[i]] = unwire(x[ks[i]]);
  return o;
}
function run(c) {
  try {
    if (c.fn === 'decode') return { ok: norm(C.decode(c.v, unwire(c.bytes))) };
    if (c.fn === 'frameLength') { var b = unwire(c.bytes); return { ok: C.frameLength(b, 0, b.length) }; }
    return { ok: norm(C[c.fn].apply(null, unwire(c.args))) };
  } catch (e) { return { err: e.name + ' ' + e.code }; }
}
`;

interface Case {
  fn: string;
  v?: number;
  args?: Json;
  bytes?: Json;
}

function node(cases: Case[]): unknown[] {
  const C = codec as unknown as Record<string, (...a: unknown[]) => unknown>;
  // eslint-disable-next-line no-new-func
  const runner = new Function('C', NORM_JS + 'return run;')(C) as (c: Case) => unknown;
  return cases.map((c) => JSON.parse(JSON.stringify(runner(c))));
}

/** Runs the cases on Espruino, in batches small enough for its memory. */
function espruino(bundle: string, cases: Case[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < cases.length; i += 25) out.push(...espruinoBatch(bundle, cases.slice(i, i + 25)));
  return out;
}

function espruinoBatch(bundle: string, cases: Case[]): unknown[] {
  const dir = mkdtempSync(join(tmpdir(), 'fq-compact-'));
  try {
    writeFileSync(join(dir, 'codec.js'), bundle);
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
    writeFileSync(join(dir, 'main.js'), [
      `Modules.addCached('codec', require('fs').readFileSync(${JSON.stringify(join(dir, 'codec.js'))}));`,
      "var C = require('codec');",
      NORM_JS,
      `var cases = JSON.parse(require('fs').readFileSync(${JSON.stringify(join(dir, 'cases.json'))}));`,
      "for (var i = 0; i < cases.length; i++) print('@@' + JSON.stringify(run(cases[i])));",
      "print('@@end');",
    ].join('\n'));
    const r = spawnSync(BIN as string, [join(dir, 'main.js')], { cwd: dir, encoding: 'latin1', timeout: 120000, input: '' });
    const out = (r.stdout || '') + (r.stderr || '');
    const lines = out.split('\n').filter((l) => l.startsWith('@@')).map((l) => l.slice(2).trim());
    if (lines[lines.length - 1] !== 'end') {
      const why = out.split('\n').filter((l) => /Uncaught|ASSERT|MEMORY|Error/i.test(l)).slice(0, 5).join('\n');
      throw new Error(`Espruino did not finish (after ${lines.length} of ${cases.length}; next ${JSON.stringify(cases[lines.length]).slice(0, 400)}):\n${why}`);
    }
    return lines.slice(0, -1).map((l) => JSON.parse(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bundle(lite: boolean): Promise<string> {
  const options = { ...targetOptions('espruino', lite), entryPoints: [new URL('../../src/compact/codec.ts', import.meta.url).pathname] };
  const plain = await esbuild.build(options);
  checkEspruinoOutput(plain.outputFiles![0].text, lite ? 'compact codec lite' : 'compact codec');
  const min = await esbuild.build({ ...options, minify: true });
  return espruinoExports(min.outputFiles![0].text);
}

function clientCall(o: MqttPacketObject, v: Version): Case {
  const p = o.properties;
  const a = (...xs: unknown[]): Case => ({ fn: '', args: wire(xs) });
  let c: Case;
  switch (o.cmd) {
    case 'connect':
      c = a(v, { clientId: o.clientId, keepalive: o.keepalive, clean: o.clean, username: o.username, password: o.password, will: o.will, properties: p });
      c.fn = 'encConnect';
      break;
    case 'publish':
      c = a(v, o.topic, o.payload, o.qos, o.retain, o.dup, o.messageId || 0, p);
      c.fn = 'encPublish';
      break;
    case 'subscribe':
      c = a(v, o.messageId, o.subscriptions, p);
      c.fn = 'encSubscribe';
      break;
    case 'unsubscribe':
      c = a(v, o.messageId, o.unsubscriptions, p);
      c.fn = 'encUnsubscribe';
      break;
    case 'pingreq':
      c = a();
      c.fn = 'encPingreq';
      break;
    case 'disconnect':
      c = a(v, o.reasonCode, p);
      c.fn = 'encDisconnect';
      break;
    case 'auth':
      c = a(o.reasonCode, p);
      c.fn = 'encAuth';
      break;
    default:
      c = a(v, ['puback', 'pubrec', 'pubrel', 'pubcomp'].indexOf(o.cmd) + 4, o.messageId, o.reasonCode, p);
      c.fn = 'encAck';
  }
  return c;
}

function makeCases(v: Version, n: number): Case[] {
  const rng = new Rng((SEED ^ (v * 0x51ed)) >>> 0);
  const cases: Case[] = [];
  const client = [CONNECT, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT].concat(v === 5 ? [AUTH] : []);
  const server = [CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP].concat(v === 5 ? [DISCONNECT, AUTH] : []);
  for (const t of client) {
    for (let i = 0; i < n; i++) {
      const o = toMqttPacket(packetOfType(rng, t, v), v);
      if (JSON.stringify(wire(o)).length > 3000) continue;
      cases.push(clientCall(o, v));
    }
  }
  for (const t of server) {
    for (let i = 0; i < n; i++) {
      const b = new Uint8Array(mqttPacket.generate(toMqttPacket(packetOfType(rng, t, v), v) as unknown as mqttPacket.Packet, { protocolVersion: v }));
      if (b.length > 1000) continue;
      cases.push({ fn: 'decode', v, bytes: wire(b) });
      cases.push({ fn: 'frameLength', bytes: wire(b.subarray(0, rng.int(b.length + 1))) });
      const m = b.slice();
      for (let k = 1 + rng.int(3); k--; ) m[rng.int(m.length)] = rng.int(256);
      cases.push({ fn: 'decode', v, bytes: wire(m) });
    }
  }
  // UTF-8 edge cases in a topic
  for (const h of ['c3a9', 'e282ac', 'f09f9880', 'c080', 'eda080', 'f4908080', 'ff', '80', 'e282', '00', 'f8a0809f', 'e241ac', 'f08fbfbf', 'c1bf', 'ed9fbf', 'ee8080', 'efbfbf', 'f48fbfbf', 'efbbbf41']) {
    const t = Buffer.from(h, 'hex');
    const b = new Uint8Array([0x30, 2 + t.length, 0, t.length, ...t]);
    cases.push({ fn: 'decode', v, bytes: wire(b) });
  }
  cases.push({ fn: 'encPublish', args: wire([v, 'caf\u00e9/\u20ac/\u{1f600}', new Uint8Array([1]), 0, false, false, 0]) });
  if (v === 5) {
    // the largest values of the integer property types, both ways
    const props = { messageExpiryInterval: 4294967295, topicAlias: 65535, subscriptionIdentifier: 268435455, payloadFormatIndicator: true };
    cases.push({ fn: 'encPublish', args: wire([v, 't', new Uint8Array(0), 1, false, false, 1, props]) });
    cases.push({ fn: 'decode', v, bytes: wire(codec.encPublish(v, 't', new Uint8Array(0), 1, false, false, 1, props)) });
    for (const h of ['3009000174050bffffff7f', '3009000174050b80808001']) cases.push({ fn: 'decode', v, bytes: wire(Buffer.from(h, 'hex')) });
  }
  return cases;
}

/**
 * Espruino limits, not the codec's: its Object.create(null) objects still answer
 * '__proto__' and 'constructor' and hide those keys from Object.keys and JSON once set
 * (measured on 2v29), so a case with such a user property name cannot round-trip there.
 */
function espruinoCanHold(c: Case): boolean {
  const text = JSON.stringify(c);
  return !text.includes('"__proto__"') && !text.includes('"constructor"');
}

describe.skipIf(!available)('compact codec on Espruino (ESPRUINO_BIN)', () => {
  for (const lite of [true, false]) {
    it(`the ${lite ? 'lite' : 'full'} Espruino bundle gives what Node gives (SEED=${SEED})`, async () => {
      const code = await bundle(lite);
      const cases = makeCases(4, 8).concat(lite ? [] : makeCases(5, 8)).filter(espruinoCanHold);
      const want = node(cases);
      const got = espruino(code, cases);
      expect(got.length).toBe(cases.length);
      const fails: string[] = [];
      for (let i = 0; i < cases.length; i++) {
        if (JSON.stringify(got[i]) !== JSON.stringify(want[i])) fails.push(`#${i} ${JSON.stringify(cases[i]).slice(0, 300)}\n  node     ${JSON.stringify(want[i]).slice(0, 300)}\n  espruino ${JSON.stringify(got[i]).slice(0, 300)}`);
      }
      if (fails.length) expect.fail(`${fails.length} of ${cases.length} differ:\n${fails.slice(0, 6).join('\n')}`);
    }, 180000);
  }
});

if (!available) describe('compact codec on Espruino (ESPRUINO_BIN not set)', () => {
  it.skip('skipped: ESPRUINO_BIN does not point at an Espruino executable', () => {});
});
