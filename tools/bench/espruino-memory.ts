// Espruino memory benchmark: the variables (process.memory().usage) a client costs to load
// and to connect, firmqtt's full and lite bundles beside Espruino's own MQTT module (and
// tinyMQTT), on the same Espruino binary, against the same broker, in the same run.
//
//   ESPRUINO_BIN=/path/to/espruino ESPRUINO_MQTT_JS=/path/to/EspruinoDocs/modules/MQTT.js \
//     [ESPRUINO_TINYMQTT_JS=/path/to/EspruinoDocs/modules/tinyMQTT.js] [ESPRUINO_2500_BIN=...] \
//     npm run bench:espruino-memory
//
// The peers' sources are not in this repository (EspruinoDocs' licence is theirs): point
// the variables at a checkout. Without ESPRUINO_BIN the benchmark says so and exits 0.
//
// Method. Every client is minified by esbuild (firmqtt: build.mjs's bundles; the peers:
// esbuild's minify, as BENCHMARKS.md's size table). For each client and each way of
// loading it, a first Espruino process writes the client and a measuring script to Storage
// (as a device flashed beforehand; 512 bytes at a time, so even a 2,500-variable build has
// room), then a second process runs `eval(require('Storage').read('bench.js'))`, so no
// source text is a RAM string while it measures. The script reports usage (each
// process.memory() collects garbage first) at start, after require() ("loaded") and 10 ms
// after the first CONNACK ("connected"). Two ways of loading:
// - storage: require() finds the client in Storage; its functions' text stays in flash.
// - ram: Modules.addCached(name, a RAM copy of the source), what the Web IDE does with a
//   module it uploads; Espruino copies the functions' text into variables. The copy is
//   freed before "loaded" is read. Not run on ESPRUINO_2500_BIN: the copy alone of the
//   full bundle would take more than half of its variables.
// Each client connects with its defaults (keep-alive 60 s, no Will) to aedes in this
// process. "x MQTT" is a client's start -> connected over the MQTT module's.
//
// Prints a table, then as the last line one JSON object:
//   {"rows":[{"binary","client","loading","bytes","start","loaded","connected","load","total","ratio"}]}
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { startAedes } from '../lib/brokers';
import { padColumns } from '../lib/table';
import { spawnEspruino, storageWriter } from '../lib/espruino';

type BuildModule = typeof import('../../build.mjs');

/** The repository root: two up from tools/bench/ and from .cache/run/, where tools/run.mjs puts this bundled. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Client {
  name: string;
  /** the module name it is required by */
  module: string;
  source: string;
  /** JavaScript run with the module in `M`; calls connected() at the first CONNACK */
  connect: (host: string, port: number) => string;
}

interface Row {
  binary: string;
  client: string;
  loading: 'storage' | 'ram';
  bytes: number;
  start: number;
  loaded: number;
  connected: number;
  load: number;
  total: number;
  ratio: number | null;
}

const BIN = process.env.ESPRUINO_BIN;
const BIN_2500 = process.env.ESPRUINO_2500_BIN;

function minify(path: string): string {
  return transformSync(readFileSync(path, 'utf8'), { minify: true, loader: 'js' }).code;
}

async function clients(): Promise<Client[]> {
  const list: Client[] = [];
  const peer = (name: string, path: string | undefined) => {
    if (path === undefined || path === '') console.log(`${name}: not measured (${name === 'MQTT module' ? 'ESPRUINO_MQTT_JS' : 'ESPRUINO_TINYMQTT_JS'} is not set)`);
    else list.push({
      name,
      module: name === 'MQTT module' ? 'MQTT' : 'tinyMQTT',
      source: minify(path),
      connect: (host, port) => `var m = M.create(${JSON.stringify(host)}, { port: ${port}, client_id: 'bench' }); m.on('connected', connected); m.connect();`,
    });
  };
  peer('MQTT module', process.env.ESPRUINO_MQTT_JS);
  peer('tinyMQTT', process.env.ESPRUINO_TINYMQTT_JS);
  // imported at run time: build.mjs finds its sources from where it lives
  const { BUNDLES, buildBundle } = (await import(/* @vite-ignore */ pathToFileURL(join(ROOT, 'build.mjs')).href)) as BuildModule;
  for (const name of ['espruino-lite', 'espruino']) {
    const spec = { ...BUNDLES.find((b) => b.name === name)!, outfile: undefined };
    const built = await buildBundle(spec);
    list.push({
      name: name === 'espruino' ? 'firmqtt full' : 'firmqtt lite',
      module: 'firmqtt',
      source: built.minCode,
      connect: (host, port) => `var c = M.connect({ host: ${JSON.stringify(host)}, port: ${port}, clientId: 'bench' }); c.on('connect', connected);`,
    });
  }
  return list;
}

/** Runs `script` on `bin` in `dir` until its output matches `until` (end it with the line's end: output comes in pieces); returns what it printed. */
function runEspruino(bin: string, dir: string, script: string, until: RegExp, ms: number): Promise<string> {
  writeFileSync(join(dir, 'main.js'), script);
  return new Promise((resolve, reject) => {
    let out = '';
    const p = spawnEspruino(bin, dir, 'main.js', 'pipe', (text) => {
      out += text;
      if (until.test(out)) finish(null);
    });
    const timer = setTimeout(() => finish(new Error(`Espruino gave no ${until} within ${ms} ms:\n${out.slice(-1500)}`)), ms);
    function finish(error: Error | null): void {
      clearTimeout(timer);
      p.kill('SIGKILL');
      if (error) reject(error);
      else resolve(out);
    }
  });
}

async function measure(bin: string, client: Client, loading: 'storage' | 'ram', host: string, port: number): Promise<Omit<Row, 'ratio' | 'binary'>> {
  const dir = mkdtempSync(join(tmpdir(), 'fq-espmem-'));
  try {
    const load = loading === 'ram'
      // `+ ''` copies the flash string into RAM; the copy is garbage once addCached has run
      ? `Modules.addCached(${JSON.stringify(client.module)}, require('Storage').read(${JSON.stringify(client.module)}) + '');`
      : '';
    const bench = [
      "function mem(l) { print('@@' + l + ' ' + process.memory().usage); }",
      "function connected() { setTimeout(function () { mem('connected'); }, 10); }",
      "mem('start');",
      load,
      `var M = require(${JSON.stringify(client.module)});`,
      "mem('loaded');",
      client.connect(host, port),
    ].join('\n');
    const files: [string, string][] = [[client.module, client.source], ['bench.js', bench]];
    for (const [name, text] of files) writeFileSync(join(dir, name + '.src'), text, 'latin1');
    const writer = storageWriter(files.map(([name]) => ({ name, path: join(dir, name + '.src') })), "function (name) { print('@@written ' + name); }");
    await runEspruino(bin, dir, writer, /@@written bench\.js\r?\n/, 20000);
    const out = await runEspruino(bin, dir, "eval(require('Storage').read('bench.js'));", /@@connected \d+\r?\n/, 20000);
    const at = (label: string) => {
      const m = new RegExp(`@@${label} (\\d+)`).exec(out);
      if (m === null) throw new Error(`no ${label} figure:\n${out.slice(-1500)}`);
      return Number(m[1]);
    };
    const start = at('start');
    const loaded = at('loaded');
    const connected = at('connected');
    return { client: client.name, loading, bytes: client.source.length, start, loaded, connected, load: loaded - start, total: connected - start };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (BIN === undefined || BIN === '' || !existsSync(BIN)) {
    console.log(`Espruino memory benchmark skipped: ESPRUINO_BIN ${BIN ? `(${BIN}) does not exist` : 'is not set'}; point it at an Espruino Linux executable.`);
    return;
  }
  const list = await clients();
  const broker = await startAedes();
  const rows: Row[] = [];
  try {
    const binaries: [string, string, ('storage' | 'ram')[]][] = [['resizable', BIN, ['storage', 'ram']]];
    if (BIN_2500 !== undefined && BIN_2500 !== '' && existsSync(BIN_2500)) binaries.push(['2,500 variables', BIN_2500, ['storage']]);
    for (const [binary, bin, loadings] of binaries) {
      for (const loading of loadings) {
        const group: Row[] = [];
        for (const client of list) group.push({ binary, ...(await measure(bin, client, loading, broker.host, broker.port)), ratio: null });
        const peer = group.find((r) => r.client === 'MQTT module');
        for (const r of group) r.ratio = peer === undefined ? null : Math.round((r.total / peer.total) * 100) / 100;
        rows.push(...group);
      }
    }
  } finally {
    await broker.stop();
  }
  const head = ['binary', 'client', 'loading', 'bytes', 'start', 'loaded', 'connected', 'start -> loaded', 'start -> connected', 'x MQTT'];
  const body = rows.map((r) => [r.binary, r.client, r.loading, String(r.bytes), String(r.start), String(r.loaded), String(r.connected), `+${r.load}`, `+${r.total}`, r.ratio === null ? '-' : r.ratio.toFixed(2)]);
  for (const line of padColumns([head, ...body], 3)) console.log(line.join('  '));
  console.log(JSON.stringify({ rows }));
}

await main();
