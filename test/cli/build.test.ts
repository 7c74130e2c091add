// `firmqtt build` (tools/cli/build.ts): an app bundled with firmqtt per target, with the
// library's own settings. The Espruino gate names the app's file and line; the example
// apps build for every target they are written for; the Node example runs against aedes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, BuildError } from '../../tools/cli/build';
import type { Target } from '../../tools/cli/build';
import { connectAsync } from '../../targets/node/index';
import { startAedes } from '../helpers/brokers';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'tools/cli/firmqtt.mjs');
const dir = mkdtempSync(join(tmpdir(), 'fq-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function app(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, stdout, stderr })));
}

async function buildError(entry: string, target: Target = 'espruino'): Promise<string> {
  const e = await buildApp({ entry, target }).then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(BuildError);
  return (e as Error).message;
}

describe('firmqtt build: the Espruino gate on an app', () => {
  it('refuses destructuring with the app file and line (esbuild)', async () => {
    const entry = app('destructure.ts', "import { connect } from 'firmqtt';\n\nconst { host } = { host: '127.0.0.1' };\nconnect('mqtt://' + host);\n");
    expect(await buildError(entry)).toMatch(/destructure\.ts:3:\d+: Transforming destructuring/);
  });

  it('refuses object spread (lowered with Symbol helpers) with the app file and line (the output scan, mapped back)', async () => {
    const entry = app('spread.ts', "import { connect } from 'firmqtt';\nconst o = { port: 1883 };\n\n\nconst p = { ...o, host: 'h' };\nconnect(p);\n");
    expect(await buildError(entry)).toMatch(/spread\.ts:5: object spread or rest/);
  });

  it('refuses a default parameter, naming the line', async () => {
    const entry = app('defaults.ts', "import { connect } from 'firmqtt';\nfunction go(url = 'mqtt://x') { return connect(url); }\ngo();\n");
    expect(await buildError(entry)).toMatch(/defaults\.ts:2:\d+:/);
  });

  it('the same app builds for Node (the gate is Espruino only)', async () => {
    const entry = app('destructure-node.ts', "import { connect } from 'firmqtt';\nconst { host } = { host: '127.0.0.1' };\nexport const c = () => connect('mqtt://' + host);\n");
    const r = await buildApp({ entry, target: 'node' });
    expect(r.minified).toBeGreaterThan(0);
  });

  it('npx firmqtt build: exit status 1 and file:line on stderr', async () => {
    const entry = app('cli-bad.ts', "import { connect } from 'firmqtt';\nconst c = connect('mqtt://h');\nconst [a] = [c];\nprint(a);\n");
    const r = await run(['build', '--target', 'espruino', entry]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cli-bad\.ts:3:\d+: Transforming destructuring/);
  }, 30000);

  it('npx firmqtt build: usage errors', async () => {
    expect((await run(['build', 'x.ts'])).stderr).toMatch(/--target is required/);
    expect((await run(['build', '--target', 'esp', 'x.ts'])).stderr).toMatch(/Unknown target 'esp'/);
  }, 30000);
});

describe('firmqtt build --lite: the lite entry', () => {
  it("'firmqtt' is targets/espruino/lite.ts: its net-only connect(), none of the full entry's create(), TLS or Serial", async () => {
    const entry = app('lite-app.ts', "import { connect } from 'firmqtt';\nconnect('mqtt://127.0.0.1');\n");
    const lite = await buildApp({ entry, target: 'espruino', lite: true });
    const full = await buildApp({ entry, target: 'espruino' });
    // lite.ts's refusal of mqtts://, and no tls module to dial or Serial to set up
    expect(lite.minCode).toMatch(/unsupported in firmqtt-lite/);
    expect(lite.minCode).not.toMatch(/"tls"|\.setup\(/);
    expect(full.minCode).toMatch(/"tls"/);
    expect(lite.minified).toBeLessThan(full.minified);
    // create() is the full entry's alone
    const compat = app('lite-create.ts', "import { create } from 'firmqtt';\ncreate('127.0.0.1').connect();\n");
    expect((await buildApp({ entry: compat, target: 'espruino' })).minified).toBeGreaterThan(0);
    await expect(buildApp({ entry: compat, target: 'espruino', lite: true })).rejects.toThrow(/No matching export in "targets\/espruino\/lite\.ts" for import "create"/);
  }, 30000);
});

const EXAMPLES: { entry: string; targets: { target: Target; lite?: boolean }[] }[] = [
  { entry: 'examples/espruino/sensor.ts', targets: [{ target: 'espruino' }, { target: 'espruino', lite: true }, { target: 'moddable' }, { target: 'node' }] },
  { entry: 'targets/moddable/example/main.js', targets: [{ target: 'moddable' }] },
  { entry: 'examples/node/sensor.ts', targets: [{ target: 'node' }] },
];

describe('firmqtt build: the example apps', () => {
  for (const ex of EXAMPLES) {
    for (const t of ex.targets) {
      it(`builds ${ex.entry} for ${t.target}${t.lite ? ' (lite)' : ''}`, async () => {
        const r = await buildApp({ entry: join(ROOT, ex.entry), target: t.target, lite: t.lite });
        expect(r.minified).toBeGreaterThan(1000);
        expect(r.gzip).toBeLessThan(r.minified);
        // the app's payload fields are never mangled (they are what the subscriber reads)
        if (ex.entry.includes('sensor')) expect(r.minCode).toMatch(/uptime:/);
        // firmqtt was bundled in, not left as an import
        expect(r.minCode).not.toMatch(/from\s*["']firmqtt["']|require\(["']firmqtt["']\)/);
        if (t.target === 'espruino') expect(r.minCode).not.toMatch(/\bexport\b|\bimport\s*[{*\w]/);
        if (t.target === 'moddable') expect(r.minCode).toMatch(/from\s*"embedded:io\/socket\/tcp"/);
      }, 30000);
    }
  }

  it('npx firmqtt build --target espruino writes the bundle and prints the size table', async () => {
    const out = join(dir, 'sensor.js');
    const r = await run(['build', '--target', 'espruino', '--out', out, join(ROOT, 'examples/espruino/sensor.ts')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/minified\s+gzip/);
    const row = /espruino\/sensor\s+(\d+)\s+(\d+)/.exec(r.stdout);
    expect(row).not.toBeNull();
    expect(readFileSync(out).length).toBe(Number(row![1]));
  }, 30000);

  it('the Node example runs: retained online status, telemetry at QoS 1, ping -> pong through the Router', async () => {
    const broker = await startAedes();
    const out = join(ROOT, '.cache', 'test-build', `sensor-${process.pid}.mjs`);
    await buildApp({ entry: join(ROOT, 'examples/node/sensor.ts'), target: 'node', outfile: out });
    const child = spawn(process.execPath, [out], { env: { ...process.env, BROKER: broker.url, DEVICE: 'ex-node' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const observer = await connectAsync(broker.url, { clientId: 'ex-observer' });
    try {
      const seen: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
      observer.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
      await observer.subscribeAsync('sensors/ex-node/#', { qos: 1 });
      const until = async (f: () => boolean, what: string) => {
        const t0 = Date.now();
        while (!f()) {
          if (Date.now() - t0 > 10000) throw new Error(`timed out: ${what}\n${log}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until(() => seen.some((m) => m.topic === 'sensors/ex-node/telemetry'), 'telemetry');
      const t = seen.find((m) => m.topic === 'sensors/ex-node/telemetry')!;
      expect(t.qos).toBe(1);
      expect(JSON.parse(t.payload).n).toBeGreaterThanOrEqual(1);
      // the retained status, as a late subscriber sees it
      const late = await connectAsync(broker.url, { clientId: 'ex-late' });
      const retained: string[] = [];
      late.on('message', (_topic, payload, packet) => {
        if (packet.retain) retained.push(payload.toString());
      });
      await late.subscribeAsync('sensors/ex-node/status', { qos: 1 });
      await until(() => retained.length > 0, 'the retained status');
      expect(retained[0]).toBe('online');
      await late.endAsync();
      await observer.publishAsync('sensors/ex-node/cmd/ping', 'hello', { qos: 1 });
      await until(() => seen.some((m) => m.topic === 'sensors/ex-node/pong' && m.payload === 'hello'), 'the pong');
      // vanishing: the broker publishes the Last Will
      child.kill('SIGKILL');
      await until(() => seen.some((m) => m.topic === 'sensors/ex-node/status' && m.payload === 'offline'), 'the Last Will');
    } finally {
      child.kill('SIGKILL');
      await observer.endAsync();
      await broker.stop();
      rmSync(out, { force: true });
    }
  }, 30000);
});
