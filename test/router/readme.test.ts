// The examples of the README's "Routing" and "Request / response" sections run: each
// ```js block is bundled as written (with `firmqtt` resolved to the Node target and the
// broker URL replaced by a test broker's), run in its own Node process, and must exit 0
// and print what its comments say. MQTT 5 examples run on Mosquitto only (aedes 1.x is
// 3.1.1), the others on both.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { Broker } from '../helpers/brokers';
import { describeMosquitto, sharedBroker } from '../integration/suite';
import { bundleForNode } from '../../tools/lib/bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The ```js blocks from the "## Routing" heading to the end of "## Request / response". */
function examples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Routing\n');
  const rr = readme.indexOf('\n## Request / response\n');
  if (start < 0 || rr < 0) throw new Error('README lacks the Routing or Request / response section');
  const next = readme.indexOf('\n## ', rr + 1);
  const text = readme.slice(start, next < 0 ? readme.length : next);
  const blocks: string[] = [];
  const re = /```js\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) blocks.push(m[1]);
  return blocks;
}

/** What each example must print (in its comments), by a phrase of its first lines. */
const EXPECTED: { marker: string; out: string[]; v5: boolean }[] = [
  {
    marker: "clientId: 'gateway-1'",
    out: ['d7 temp = 21.5', '[d7] net/wifi: connected', 'reboot for the kitchen device', 'refused cmd/d7/reboot', 'sensors/{device}/data/{kind} took'],
    v5: false,
  },
  {
    marker: "clientId: 'billing-worker-1'",
    out: ['order 2: negative amount; unacknowledged: true', "billed [ '1' ]"],
    v5: false,
  },
  {
    marker: "clientId: 'calc-service'",
    out: ['200 { result: 5 }', '[ 8, 4, 2 ]', 'RPC_STATUS 400 division by zero', 'RPC_STATUS 500 no operation sqrt', 'RPC_TIMEOUT'],
    v5: true,
  },
];

async function run(code: string, url: string, name: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const outfile = await bundleForNode({
    code: code.split('mqtt://localhost:1883').join(url),
    resolveDir: root,
    outfile: join(root, '.cache', 'readme', `${name}.mjs`),
    alias: { firmqtt: join(root, 'targets/node/index.ts') },
    logLevel: 'silent',
  });
  // Not spawnSync: aedes runs in this process and must keep answering.
  const child = spawn(process.execPath, [outfile], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { status, stdout, stderr };
}

function suite(broker: () => Broker, v5: boolean, tag: string): void {
  const blocks = examples();
  it('finds the three examples', () => {
    expect(blocks).toHaveLength(EXPECTED.length);
  });
  EXPECTED.forEach((e, i) => {
    if (e.v5 && !v5) return;
    it(`runs the example with ${e.marker}`, async () => {
      const code = blocks.find((b) => b.includes(e.marker));
      expect(code, `an example containing ${e.marker}`).toBeDefined();
      const r = await run(code as string, broker().url, `${tag}-${i}`);
      expect(r.stderr.includes('Error') ? r.stderr : '').toBe('');
      expect(r.status).toBe(0);
      for (const line of e.out) expect(r.stdout + r.stderr).toContain(line);
    });
  });
}

describe('README examples on aedes (MQTT 3.1.1 ones)', () => {
  const broker = sharedBroker(startAedes);
  suite(broker, false, 'aedes');
});

describeMosquitto('README examples on Mosquitto', () => {
  const broker = sharedBroker(startMosquitto);
  suite(broker, true, 'mosquitto');
});
