// build.mjs's device bundles: the Espruino module format, the lite build (FIRMQTT_LITE),
// compiled-out error texts, shortened internal names, and the size table.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLES, buildBundle, espruinoArrowsSafe, espruinoExports, internalNames, stripMessages } from '../../build.mjs';

const spec = (name: string) => ({ ...BUNDLES.find((b) => b.name === name)!, outfile: undefined });

/** Loads an Espruino bundle the way Espruino's module loader does: code run with `exports` in scope. */
function loadEspruinoModule(code: string): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  new Function('exports', code)(exports);
  return exports;
}

describe('Espruino bundles', () => {
  it('assign exports plainly at the end (no getters, no defineProperty helpers)', () => {
    expect(espruinoExports('var a=1;function b(){}export{a as x,b};')).toBe('var a=1;function b(){}exports.x=a;exports.b=b;\n');
  });

  it('keep arrow functions only when none uses `this` (Espruino 2v29 asserts skipping such an arrow)', async () => {
    expect(espruinoArrowsSafe('function f() {\n  return function() {\n    return 1;\n  };\n}')).toBe(true);
    expect(espruinoArrowsSafe('function f() {\n  var _this = this;\n  return function() {\n    return _this.x;\n  };\n}')).toBe(false);
    const lite = await buildBundle(spec('espruino-lite'));
    expect(espruinoArrowsSafe(lite.code)).toBe(true);
    expect(lite.minCode).toMatch(/=>/);
    expect(lite.minCode).not.toMatch(/\bthis\b[^;]*=>|=>[^;{]*\bthis\b/);
  });

  it('load as an Espruino module and export the device API only', async () => {
    const full = await buildBundle(spec('espruino'));
    const m = loadEspruinoModule(full.minCode);
    expect(Object.keys(m).sort()).toEqual(['EspruinoClock', 'MQTT', 'MqttClient', 'StorageStore', 'connect', 'create', 'netTransport', 'parseUrl', 'serialTransport']);
    // the compact core only: no router, no main session or codec
    expect(full.minCode).not.toMatch(/Object\.defineProperty|__export|\bRouter\b|maxQueuedBytes|MemoryStore/);
  });

  it('the lite bundle: MqttClient and connect over net, without MQTT 5 (smaller, refuses protocolVersion 5)', async () => {
    const full = await buildBundle(spec('espruino'));
    const lite = await buildBundle(spec('espruino-lite'));
    expect(lite.minified).toBeLessThan(full.minified - 2000);
    expect(lite.minCode).not.toMatch(/sessionExpiryInterval|receiveMaximum|topicAlias/);
    // no create(), StorageStore, Serial or TLS; no dynamic-require shim (Espruino's require is global)
    expect(lite.minCode).not.toMatch(/client_id|Storage|Serial|"tls"|Dynamic require/);
    expect(full.minCode).not.toMatch(/Dynamic require/);
    const m = loadEspruinoModule(lite.minCode) as { MqttClient: new (p: unknown, o: unknown) => unknown; connect: (url: unknown, o?: unknown) => unknown };
    expect(Object.keys(m).sort()).toEqual(['MqttClient', 'connect']);
    // a TLS URL is refused, not dialled unencrypted
    expect(() => m.connect('mqtts://broker.local')).toThrow('mqtts unsupported in firmqtt-lite');
    const platform = { transport: () => ({ open() {}, write: () => true, flush() {}, close() {} }), clock: { now: () => 0, setTimer() {}, clearTimer() {} } };
    let error: { code?: number; message: string } | null = null;
    try {
      new m.MqttClient(platform, { protocolVersion: 5 });
    } catch (e) {
      error = e as { code?: number; message: string };
    }
    // 0x84 Unsupported Protocol Version; the compact core keeps its short texts
    expect(error?.code).toBe(0x84);
    expect(error?.message).toBe('protocolVersion 5 unsupported');
  });

  it('compile error texts out to file:line and keep the codes', () => {
    const src = "throw mqttError(PROTOCOL_ERROR, 'a long explanation');\nthrow new Error(\"another one\");";
    expect(stripMessages(src, '/x/src/session/session.ts')).toBe("throw mqttError(PROTOCOL_ERROR, 'session/session:1');\nthrow new Error('session/session:2');");
  });

  it('shorten internal names only: nothing a user, the ES library or an engine object uses', () => {
    const names = new Set(internalNames());
    expect(names.size).toBeGreaterThan(50);
    for (const publicName of ['publish', 'subscribe', 'on', 'end', 'connected', 'clientId', 'keepalive', 'topic', 'payload', 'qos', 'messageId', 'length', 'set', 'write', 'toUint8Array', 'readArrayBuffer', 'onWritable']) {
      expect(names.has(publicName), publicName).toBe(false);
    }
    expect(names.has('deliverNotices')).toBe(true);
  });
});

describe('node build.mjs', () => {
  it('prints the size table and a JSON line with a budget per bundle, and passes while budgets are not enforced', () => {
    const r = spawnSync(process.execPath, ['build.mjs'], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', env: { ...process.env, FIRMQTT_ENFORCE_BUDGETS: '' } });
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const names = json.bundles.map((b: { name: string }) => b.name);
    expect(names).toEqual(['node', 'espruino', 'espruino-lite', 'moddable']);
    for (const b of json.bundles) {
      expect(b.minified).toBeGreaterThan(0);
      expect(b.gzip).toBeGreaterThan(0);
      expect(b).toHaveProperty('budget');
    }
    expect(json.bundles.find((b: { name: string }) => b.name === 'espruino').budget).toBe(16000);
    expect(json.bundles.find((b: { name: string }) => b.name === 'espruino-lite').budget).toBe(6000);
  }, 60000);
});
