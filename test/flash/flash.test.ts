// `firmqtt flash` (tools/cli/flash.ts, tools/flash/): errors that need no board (absent,
// busy and silent ports) everywhere; and, with ESPRUINO_BIN, the whole path end to end:
// Espruino's Linux interpreter with its console on a socat pty (a virtual serial port),
// `firmqtt flash` uploading the example sensor over it, the sensor connecting to aedes
// and publishing what a subscriber here expects, and `--save` surviving a restart.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { startAedes } from '../helpers/brokers';
import type { AedesBroker } from '../helpers/brokers';
import { socatAvailable, startSerialPair } from '../serial/socat';
import { until } from '../helpers/wait';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'tools/cli/firmqtt.mjs');
const ESPRUINO = process.env.ESPRUINO_BIN;
const espruinoAvailable = ESPRUINO !== undefined && ESPRUINO !== '' && existsSync(ESPRUINO);
const dir = mkdtempSync(join(tmpdir(), 'fq-flash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], timeoutMs = 60000): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((r) => child.on('close', (code) => {
    clearTimeout(timer);
    r({ code, stdout, stderr, ms: Date.now() - t0 });
  }));
}

const APP = join(dir, 'app.ts');
writeFileSync(APP, "import { connect } from 'firmqtt';\nconnect('mqtt://127.0.0.1:1');\n");

describe('firmqtt flash: errors without a board', () => {
  it('a port that does not exist fails fast, naming it', async () => {
    const r = await run(['flash', '--port', '/dev/ttyFIRMQTT-none', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/serial port \/dev\/ttyFIRMQTT-none not found \(is the board plugged in\?\)/);
    expect(r.ms).toBeLessThan(15000);
  }, 30000);

  it('usage: --port is required', async () => {
    const r = await run(['flash', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--port is required/);
  }, 30000);

  it('an app the Espruino gate refuses is not uploaded: file:line, before the port is opened', async () => {
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, "import { connect } from 'firmqtt';\nconst { a } = { a: 1 };\nconnect('mqtt://h:' + a);\n");
    const r = await run(['flash', '--port', '/dev/ttyFIRMQTT-none', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.ts:2:\d+: Transforming destructuring/);
    expect(r.stderr).not.toMatch(/not found/);
  }, 30000);

  it.skipIf(!socatAvailable())('a port nobody answers on: "did not answer" after --timeout', async () => {
    const pair = await startSerialPair();
    try {
      const r = await run(['flash', '--port', pair.board, '--timeout', '500', APP]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the board did not answer within 500 ms/);
    } finally {
      await pair.stop();
    }
  }, 30000);

  it.skipIf(!socatAvailable())('a port another program holds: "busy"', async () => {
    const pair = await startSerialPair();
    const { SerialPort } = await import('serialport');
    const holder = new SerialPort({ path: pair.board, baudRate: 115200, autoOpen: false, lock: true });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      const r = await run(['flash', '--port', pair.board, '--timeout', '500', APP]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is busy: another program has it open/);
    } finally {
      await new Promise<void>((res) => holder.close(() => res()));
      await pair.stop();
    }
  }, 30000);
});

/** Espruino's Linux interpreter with its console on a pty at `link` (socat), working directory `cwd` (its Storage). */
async function startEspruinoOnPty(cwd: string, link: string): Promise<{ stop(): Promise<void>; log(): string }> {
  const socat = spawn('socat', ['-d', '-d', `PTY,link=${link},raw,echo=0`, `EXEC:${ESPRUINO},pty,raw,echo=0`], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  socat.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const t0 = Date.now();
  while (!(existsSync(link) && /forked off child process (\d+)/.test(log))) {
    if (socat.exitCode !== null || Date.now() - t0 > 5000) throw new Error(`socat did not start Espruino on a pty: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const child = Number(/forked off child process (\d+)/.exec(log)![1]);
  await new Promise((r) => setTimeout(r, 300));
  return {
    log: () => log,
    async stop() {
      // the interpreter first (socat's end does not always take it along), then socat
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // gone already
      }
      await new Promise<void>((r) => {
        if (socat.exitCode !== null || socat.signalCode !== null) return r();
        (socat as ChildProcess).once('exit', () => r());
        socat.kill('SIGKILL');
      });
    },
  };
}

interface Seen {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

describe.skipIf(!espruinoAvailable || !socatAvailable())('firmqtt flash to Espruino on a virtual serial port (ESPRUINO_BIN)', () => {
  let broker: AedesBroker;
  let observer: MqttClient;
  const seen: Seen[] = [];

  /** The example sensor, pointed at the test broker under its own device name. */
  function sensorApp(device: string): string {
    const src = readFileSync(join(ROOT, 'examples/espruino/sensor.ts'), 'utf8')
      .replace("const BROKER = 'mqtt://192.168.1.10:1883';", `const BROKER = '${broker.url}';`)
      .replace("const DEVICE = 'sensor1';", `const DEVICE = '${device}';`);
    expect(src).toContain(broker.url);
    const p = join(dir, `${device}.ts`);
    writeFileSync(p, src);
    return p;
  }

  /** What a subscriber expects from the sensor: retained online status, QoS 1 telemetry, ping -> pong. */
  async function expectSensor(device: string): Promise<void> {
    const base = `sensors/${device}`;
    const t = await until(() => seen.find((m) => m.topic === `${base}/telemetry`), `${base}/telemetry`);
    expect(t.qos).toBe(1);
    const body = JSON.parse(t.payload);
    expect(body.n).toBeGreaterThanOrEqual(1);
    expect(typeof body.mem).toBe('number');
    const late = await connectAsync(broker.url, { clientId: `late-${device}` });
    const retained: string[] = [];
    late.on('message', (_t, payload, packet) => {
      if (packet.retain) retained.push(payload.toString());
    });
    await late.subscribeAsync(`${base}/status`, { qos: 1 });
    await until(() => retained.length > 0, 'the retained status');
    expect(retained[0]).toBe('online');
    await late.endAsync();
    await observer.publishAsync(`${base}/cmd/ping`, 'over-serial', { qos: 1 });
    await until(() => seen.find((m) => m.topic === `${base}/pong` && m.payload === 'over-serial'), 'the pong');
  }

  beforeAll(async () => {
    broker = await startAedes();
    observer = await connectAsync(broker.url, { clientId: 'flash-observer' });
    observer.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
    await observer.subscribeAsync('sensors/#', { qos: 1 });
  });

  afterAll(async () => {
    if (observer) await observer.endAsync();
    if (broker) await broker.stop();
  });

  it('uploads the example sensor to RAM; it connects and publishes; its Last Will follows a kill', async () => {
    const board = mkdtempSync(join(dir, 'board-'));
    const port = join(board, 'console');
    const esp = await startEspruinoOnPty(board, port);
    try {
      const r = await run(['flash', '--port', port, '--wait', '1', sensorApp('flash-ram')]);
      expect(r.stderr).toMatch(/sending \d+ bytes to RAM/);
      expect(r.stderr).toMatch(/100% \(\d+\/\d+ B\)/);
      expect(r.stderr).toMatch(/firmqtt flash: done/);
      expect(r.code, r.stderr).toBe(0);
      // the board's console, passed through: the app's own print()
      expect(r.stdout).toMatch(/connected to mqtt:\/\/127\.0\.0\.1:\d+/);
      expect(r.stdout).not.toMatch(/Uncaught|ASSERT/);
      await expectSensor('flash-ram');
      await esp.stop();
      await until(() => seen.find((m) => m.topic === 'sensors/flash-ram/status' && m.payload === 'offline'), 'the Last Will', 60000);
    } finally {
      await esp.stop();
    }
  }, 120000);

  it('--lite: the lite bundle (MQTT 3.1.1 only) flashed the same way', async () => {
    const board = mkdtempSync(join(dir, 'board-'));
    const port = join(board, 'console');
    const esp = await startEspruinoOnPty(board, port);
    try {
      const r = await run(['flash', '--port', port, '--lite', '--wait', '1', sensorApp('flash-lite')]);
      expect(r.stderr).toMatch(/espruino\/flash-lite \(lite\)/);
      expect(r.code, r.stderr).toBe(0);
      await expectSensor('flash-lite');
    } finally {
      await esp.stop();
    }
  }, 120000);

  // Found by this suite: the outbox compacted with TypedArray.prototype.copyWithin, which
  // Espruino 2v29 lacks ("Function "copyWithin" not found!"), so from about the 7th QoS 1
  // message on every publish failed while the client stayed connected. The build gate now
  // refuses copyWithin in Espruino bundles.
  it('keeps publishing QoS 1 telemetry past the outbox compaction (was: copyWithin, which Espruino lacks)', async () => {
    const board = mkdtempSync(join(dir, 'board-'));
    const port = join(board, 'console');
    const esp = await startEspruinoOnPty(board, port);
    try {
      const r = await run(['flash', '--port', port, '--wait', '0', sensorApp('flash-many')]);
      expect(r.code, r.stderr).toBe(0);
      await until(() => seen.find((m) => m.topic === 'sensors/flash-many/telemetry'), 'the first telemetry');
      await observer.publishAsync('sensors/flash-many/cmd/interval', '0.2', { qos: 1 });
      await until(() => seen.find((m) => m.topic === 'sensors/flash-many/telemetry' && JSON.parse(m.payload).n >= 20), 'telemetry #20', 8000);
    } finally {
      await esp.stop();
    }
  }, 60000);

  it('--save writes .bootcde and load()s it; after a restart of the interpreter the sensor runs again', async () => {
    const board = mkdtempSync(join(dir, 'board-'));
    const port = join(board, 'console');
    let esp = await startEspruinoOnPty(board, port);
    try {
      const r = await run(['flash', '--port', port, '--save', '--wait', '1', sensorApp('flash-save')]);
      expect(r.stderr).toMatch(/writing \d+ bytes to Storage \(\.bootcde\)/);
      expect(r.code, r.stderr).toBe(0);
      await expectSensor('flash-save');
      await esp.stop();
      expect(existsSync(join(board, 'espruino.flash'))).toBe(true);
      // a "reset": a new interpreter on the same Storage, nothing uploaded
      seen.length = 0;
      esp = await startEspruinoOnPty(board, port);
      await expectSensor('flash-save');
    } finally {
      await esp.stop();
    }
  }, 120000);
});

if (!espruinoAvailable) {
  console.log(`firmqtt flash end-to-end skipped: ESPRUINO_BIN ${ESPRUINO ? `(${ESPRUINO}) does not exist` : 'is not set'}; point it at an Espruino Linux executable to run it (CI has none, so it skips there too).`);
}

describe.skipIf(espruinoAvailable && socatAvailable())('firmqtt flash end to end (needs ESPRUINO_BIN and socat)', () => {
  it.skip(`skipped: ${!espruinoAvailable ? `ESPRUINO_BIN ${ESPRUINO ? `(${ESPRUINO}) does not exist` : 'is not set'} (CI has no Espruino binary)` : 'socat not found'}`, () => {});
});
