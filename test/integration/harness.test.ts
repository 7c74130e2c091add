// The test helpers themselves: Mosquitto restarts on the same port with its database,
// leaves no orphan when its owner dies, the proxy frames and cuts, and the Mosquitto
// suite policy (skip locally, fail under CI=true) holds.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Framer, startMosquitto } from '../helpers/brokers';
import type { MosquittoBroker } from '../helpers/brokers';
import { connected, describeMosquitto, endAll, firm, firmUnawaited, inboxOf, publish, uniqueId, until } from './suite';

const root = resolve(__dirname, '../..');

describe('Framer', () => {
  it('splits coalesced packets and joins fragmented ones', () => {
    const packets: string[] = [];
    const f = new Framer((p) => packets.push(Buffer.from(p).toString('hex')));
    // PINGREQ, PUBACK id 1, a PUBLISH with a 2-byte remaining length (200 bytes of payload)
    const publishHeader = Buffer.from([0x30, 0xcf, 0x01, 0x00, 0x01, 0x74]);
    const bytes = Buffer.concat([Buffer.from('c000', 'hex'), Buffer.from('40020001', 'hex'), publishHeader, Buffer.alloc(204, 1)]);
    f.push(bytes.subarray(0, 3));
    for (let i = 3; i < bytes.length; i += 7) f.push(bytes.subarray(i, Math.min(bytes.length, i + 7)));
    expect(packets.slice(0, 2)).toEqual(['c000', '40020001']);
    expect(packets).toHaveLength(3);
    expect(packets[2].length / 2).toBe(3 + 0xcf - 0x80 + 128);
  });
});

describeMosquitto('startMosquitto', () => {
  const brokers: MosquittoBroker[] = [];
  afterEach(async () => {
    await endAll();
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });

  it('restarts on the same port with its persistence dir: retained messages and sessions survive', async () => {
    const b = await startMosquitto({ persistence: true });
    brokers.push(b);
    const base = uniqueId('persist');
    const session = { clientId: `${base}-sub`, clean: false };
    const sub = await firm(b.url, session);
    await sub.subscribeAsync(`${base}/q`, { qos: 1 });
    await sub.endAsync();
    const pub = await firm(b.url, { clientId: `${base}-pub` });
    await publish(pub, `${base}/status`, 'kept', { qos: 1, retain: true });
    await publish(pub, `${base}/q`, 'queued', { qos: 1 });
    await pub.endAsync();
    const pid = b.pid();
    await b.restart();
    expect(b.pid()).not.toBe(pid);
    const back = firmUnawaited(b.url, session);
    expect((await connected(back)).sessionPresent).toBe(true);
    expect((await inboxOf(back).first(`${base}/q`)).text).toBe('queued');
    await back.subscribeAsync(`${base}/status`, { qos: 1 });
    expect((await inboxOf(back).first(`${base}/status`)).retain).toBe(true);
  });

  it('without persistence, a restart forgets everything', async () => {
    const b = await startMosquitto();
    brokers.push(b);
    const base = uniqueId('volatile');
    const pub = await firm(b.url, { clientId: `${base}-pub` });
    await publish(pub, `${base}/status`, 'lost', { qos: 1, retain: true });
    await pub.endAsync();
    await b.restart();
    const sub = await firm(b.url, { clientId: `${base}-sub` });
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });
    await publish(sub, `${base}/marker`, 'marker', { qos: 1 });
    await inboxOf(sub).first(`${base}/marker`);
    expect(inboxOf(sub).texts()).toEqual(['marker']);
  });

  it('takes Mosquitto down with it when the process that started it is SIGKILLed', async () => {
    const owner = spawn(process.execPath, [join(root, 'tools/run.mjs'), 'test/integration/fixtures/mosquitto-owner.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    owner.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    await until(() => out.includes('\n'), 'the owner process to start Mosquitto', 20000);
    const { pid, dir } = JSON.parse(out) as { pid: number; dir: string };
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    owner.kill('SIGKILL');
    await until(() => !alive(), `mosquitto ${pid} to exit after its owner died`);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('describeMosquitto policy when Mosquitto is missing', () => {
  function runFixture(ci: boolean): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), 'firmqtt-policy-'));
    try {
      const config = join(dir, 'vitest.config.mjs');
      writeFileSync(config, `export default { test: { root: ${JSON.stringify(root)}, include: ['test/integration/fixtures/policy.suite.ts'] } };\n`);
      const env = Object.assign({}, process.env, { MOSQUITTO_BIN: 'none', CI: ci ? 'true' : '' });
      delete env.VITEST;
      delete env.VITEST_WORKER_ID;
      delete env.VITEST_POOL_ID;
      const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config], { cwd: root, env, encoding: 'utf8', timeout: 60000 });
      return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('skips locally and says why', () => {
    const r = runFixture(false);
    expect(r.output).toContain('SKIPPED Mosquitto suite "policy fixture"');
    expect(r.output).toContain('MOSQUITTO_BIN="none"');
    expect(r.status).toBe(0);
  }, 60000);

  it('fails under CI=true', () => {
    const r = runFixture(true);
    expect(r.output).toContain('CI=true but');
    expect(r.status).not.toBe(0);
  }, 60000);
});
