// End-to-end benchmark: firmqtt against MQTT.js in the same run, through real brokers.
//
//   npm run bench:e2e                     (node tools/run.mjs tools/bench/e2e.ts)
//   npm run bench:e2e -- --runs 5 --n 20000 --brokers mosquitto,aedes --qos 0,1,2
//   npm run bench:e2e -- --quick          (1 run of 2,000 messages per cell: a smoke test)
//
// Throughput: N (20,000) messages of 64 B, one publisher and one subscriber (separate
// clients, same process), for QoS 0, 1 and 2, through Mosquitto (a child process, its
// default max_inflight_messages 20) and aedes (a child process too, so the broker's work
// does not share the clients' event loop; 2 cores: one for the broker, one for the
// clients). messages/s = N / (time from the first publish call to the N-th message at
// the subscriber); the median of --runs (5) runs per cell, the two libraries alternating
// run by run. MQTT 3.1.1 on both brokers (aedes speaks nothing newer).
//
// - The subscriber is the same library as the publisher: each column is what a user gets
//   from switching the whole application to that library (a fixed subscriber would add
//   the other library's receive cost to both columns and hide half the difference).
//   It subscribes at the publish QoS.
// - firmqtt is handed all N messages at once: its session keeps the window, maxInflight
//   20 (Mosquitto's limit: MQTT 3.1.1 cannot tell the client, and Mosquitto silently
//   drops what exceeds it; see test/integration/burst.test.ts); maxQueued is N.
// - MQTT.js has no window of its own: at QoS 1/2 the bench keeps at most 20 un-acked
//   publishes outstanding, publishing the next from each completion callback. At QoS 0
//   it is handed all N at once, as firmqtt is.
// - Payloads (64 B Buffers, distinct) are built before the clock starts.
//
// Memory per in-flight QoS 1 message: in a fresh `node --expose-gc` child per library,
// a client connects to a sink (a TCP server in that process that answers CONNECT with
// CONNACK and never acknowledges anything), publishes 100 warm-up messages, gc(); then
// publishes 10,000 QoS 1 messages of 64 B (each a new Buffer, as an application would
// make them) and waits until the sink has read every one of them off the socket (so no
// bytes wait in socket buffers), gc(); cost = growth of heapUsed + arrayBuffers / 10,000;
// the median of 3 such processes (the heap part varies by tens of bytes between them).
// firmqtt gets maxInflight 65535 so all 10,000 are truly in flight (not queued).
//
// Prints a table, then as the last line one JSON object:
//   {"rows":[{"broker","qos","firmqtt_mps","mqttjs_mps","ratio"}],
//    "memory_bytes_per_inflight":{"firmqtt","mqttjs"}}
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import type { MqttClient as MqttJsClient } from 'mqtt';
import { connect } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { mosquittoAvailable, startAedes, startMosquitto } from '../lib/brokers';

type QoS = 0 | 1 | 2;
type Lib = 'firmqtt' | 'mqttjs';
type BrokerName = 'mosquitto' | 'aedes';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}
const QUICK = argv.includes('--quick');
const N = Number(option('--n', QUICK ? '2000' : '20000'));
const RUNS = Number(option('--runs', QUICK ? '1' : '5'));
const BROKERS = option('--brokers', 'mosquitto,aedes').split(',') as BrokerName[];
const QOS_LIST = option('--qos', '0,1,2').split(',').map(Number) as QoS[];
/** --libs firmqtt (or mqttjs) runs one library only, e.g. under --cpu-prof */
const LIBS = option('--libs', 'firmqtt,mqttjs').split(',') as Lib[];
const WINDOW = 20;
const PAYLOAD = 64;
const MEMORY_N = 10000;
const MEMORY_RUNS = 3;
const WARMUP = 100;
/** A run in which no message arrives for this long has lost messages or stalled: it fails. */
const STALL_MS = 5000;

// ---- throughput ---------------------------------------------------------------------

function payloads(n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(PAYLOAD, 0x2e);
    b.write(String(i));
    out.push(b);
  }
  return out;
}

function waitEvent(emitter: { once(e: string, f: (...a: unknown[]) => void): unknown }, event: string): Promise<unknown> {
  return new Promise((resolve) => emitter.once(event, (a: unknown) => resolve(a)));
}

let runSerial = 0;

interface Sample {
  mps: number;
  /** CPU time of this process (publisher + subscriber, user + system) per message, µs */
  cpuUs: number;
  /** CPU seconds per second of this process during the run */
  clientBusy: number;
  /** CPU seconds per second of the broker process during the run (Linux /proc; NaN elsewhere) */
  brokerBusy: number;
}

/** User + system CPU seconds a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12]: utime, stime (fields 14 and 15 of proc(5)), in clock ticks
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** One run; throws when the subscriber did not get N messages. */
async function runOnce(lib: Lib, broker: RunningBroker, qos: QoS, data: Buffer[]): Promise<Sample> {
  const url = broker.url;
  const topic = `bench/${process.pid}/${++runSerial}`;
  const n = data.length;
  let received = 0;
  let t0 = 0;
  let t1 = 0;
  let cpu0 = process.cpuUsage();
  let cpu1 = cpu0;
  let broker0 = 0;
  let broker1 = 0;
  let finish: () => void = () => {};
  const allIn = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onMessage = () => {
    if (++received === n) {
      t1 = performance.now();
      cpu1 = process.cpuUsage(cpu0);
      broker1 = cpuSeconds(broker.pid());
      finish();
    }
  };
  let publisherState = (): string => '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    let last = -1;
    const check = () => {
      if (received === last) {
        reject(new Error(`${lib} QoS ${qos}: ${received} of ${n} messages, none for ${STALL_MS} ms; publisher: ${publisherState()}`));
        return;
      }
      last = received;
      timer = setTimeout(check, STALL_MS);
    };
    timer = setTimeout(check, STALL_MS);
  });

  if (lib === 'firmqtt') {
    const opts = { protocolVersion: 4 as const, reconnectPeriod: 0, maxInflight: WINDOW, maxQueued: n + 10, maxQueuedBytes: 64 << 20 };
    const sub: MqttClient = connect(url, Object.assign({ clientId: `bench-fsub-${runSerial}` }, opts));
    const pub: MqttClient = connect(url, Object.assign({ clientId: `bench-fpub-${runSerial}` }, opts));
    try {
      await Promise.all([waitEvent(sub, 'connect'), waitEvent(pub, 'connect')]);
      publisherState = () => `connected ${pub.connected}, in flight ${pub.inflightCount}, queued ${pub.queuedCount}`;
      sub.on('message', onMessage);
      await sub.subscribeAsync(topic, { qos });
      broker0 = cpuSeconds(broker.pid());
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      for (let i = 0; i < n; i++) pub.publish(topic, data[i], { qos });
      await Promise.race([allIn, timeout]);
    } finally {
      clearTimeout(timer);
      await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
    }
  } else {
    const opts = { protocolVersion: 4 as const, reconnectPeriod: 0 };
    const sub: MqttJsClient = mqtt.connect(url, Object.assign({ clientId: `bench-jsub-${runSerial}` }, opts));
    const pub: MqttJsClient = mqtt.connect(url, Object.assign({ clientId: `bench-jpub-${runSerial}` }, opts));
    try {
      await Promise.all([waitEvent(sub, 'connect'), waitEvent(pub, 'connect')]);
      sub.on('message', onMessage);
      await sub.subscribeAsync(topic, { qos });
      broker0 = cpuSeconds(broker.pid());
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      if (qos === 0) {
        for (let i = 0; i < n; i++) pub.publish(topic, data[i], { qos });
      } else {
        // The application window: at most WINDOW un-acked publishes outstanding.
        let next = 0;
        let acked = 0;
        publisherState = () => `connected ${pub.connected}, published ${next}, completed ${acked}, awaiting ack ${Object.keys((pub as unknown as { outgoing: object }).outgoing).length}`;
        const sendNext = (): void => {
          if (next >= n) return;
          pub.publish(topic, data[next++], { qos }, onAck);
        };
        // (The last acks may come after the subscriber has everything; end() then fails them.)
        const onAck = (error?: Error): void => {
          if (error === undefined || error === null) {
            acked++;
            sendNext();
          }
          else if (received < n) console.error(`MQTT.js publish failed: ${error.message}`);
        };
        for (let k = 0; k < WINDOW; k++) sendNext();
      }
      await Promise.race([allIn, timeout]);
    } finally {
      clearTimeout(timer);
      await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
    }
  }
  const seconds = (t1 - t0) / 1000;
  return {
    mps: n / seconds,
    cpuUs: (cpu1.user + cpu1.system) / n,
    clientBusy: (cpu1.user + cpu1.system) / 1e6 / seconds,
    brokerBusy: (broker1 - broker0) / seconds,
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface LibDetail {
  mps: number;
  cpuUs: number;
  clientBusy: number;
  brokerBusy: number;
  /** runs that lost messages or stalled (left out of the medians) */
  failed: number;
}
type Detail = Record<Lib, LibDetail>;

function summarise(xs: Sample[], failed: number): LibDetail {
  return {
    mps: median(xs.map((x) => x.mps)),
    cpuUs: median(xs.map((x) => x.cpuUs)),
    clientBusy: median(xs.map((x) => x.clientBusy)),
    brokerBusy: median(xs.map((x) => x.brokerBusy)),
    failed,
  };
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a';
}

interface Row {
  broker: BrokerName;
  qos: QoS;
  firmqtt_mps: number;
  mqttjs_mps: number;
  ratio: number;
}

interface RunningBroker {
  url: string;
  pid(): number;
  /** what the broker logged about dropping messages since the last call */
  drops(): string[];
  stop(): Promise<void>;
}

async function startAedesProcess(): Promise<RunningBroker> {
  const child = spawn(process.execPath, [process.argv[1], '--aedes-server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`aedes process exited (${code})`)));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: () => child.pid ?? 0,
    drops: () => [],
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

async function startBroker(name: BrokerName): Promise<RunningBroker> {
  if (name === 'aedes') return startAedesProcess();
  const m = await startMosquitto();
  let seen = 0;
  const drops = (): string[] => {
    const lines = m.log().split('\n');
    const fresh = lines.slice(Math.min(seen, lines.length));
    seen = lines.length;
    return fresh.filter((l) => /dropp/i.test(l)).map((l) => l.replace(/^\d+: /, ''));
  };
  return { url: m.url, pid: () => m.pid(), drops, stop: () => m.stop() };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'failed';
}

async function main(): Promise<void> {
  const data = payloads(N);
  const rows: Row[] = [];
  const details: Detail[] = [];
  const notes: string[] = [];
  console.log(`firmqtt vs MQTT.js end to end: ${N.toLocaleString('en-US')} x ${PAYLOAD} B, median of ${RUNS} run(s), MQTT 3.1.1, node ${process.version}`);
  for (const brokerName of BROKERS) {
    if (brokerName === 'mosquitto' && !mosquittoAvailable()) {
      notes.push('mosquitto: not installed (PATH, /usr/sbin), rows skipped');
      continue;
    }
    const broker = await startBroker(brokerName);
    try {
      // One unrecorded warm-up run per library (JIT, connection setup paths), QoS 1.
      const warm = data.slice(0, Math.min(N, 5000));
      for (const lib of LIBS) await runOnce(lib, broker, 1, warm).catch(() => undefined);
      for (const qos of QOS_LIST) {
        const samples: Record<Lib, Sample[]> = { firmqtt: [], mqttjs: [] };
        const failures: Record<Lib, number> = { firmqtt: 0, mqttjs: 0 };
        for (let r = 0; r < RUNS; r++) {
          const order: Lib[] = r % 2 === 0 ? ['firmqtt', 'mqttjs'] : ['mqttjs', 'firmqtt'];
          for (const lib of order) {
            if (!LIBS.includes(lib)) continue;
            broker.drops();
            try {
              samples[lib].push(await runOnce(lib, broker, qos, data));
            } catch (e) {
              const drops = broker.drops();
              notes.push(`${brokerName} QoS ${qos} ${lib} run ${r + 1}: ${(e as Error).message}`
                + (drops.length > 0 ? `; the broker logged: ${[...new Set(drops)].join(' | ')}` : ''));
              failures[lib]++;
            }
          }
        }
        const f = median(samples.firmqtt.map((x) => x.mps));
        const j = median(samples.mqttjs.map((x) => x.mps));
        const row: Row = { broker: brokerName, qos, firmqtt_mps: Math.round(f), mqttjs_mps: Math.round(j), ratio: Math.round((f / j) * 100) / 100 };
        rows.push(row);
        const detail: Detail = {
          firmqtt: summarise(samples.firmqtt, failures.firmqtt),
          mqttjs: summarise(samples.mqttjs, failures.mqttjs),
        };
        details.push(detail);
        console.log(`  ${brokerName} QoS ${qos}: x${row.ratio.toFixed(2)}`);
        for (const lib of LIBS) {
          const d = detail[lib];
          console.log(`    ${lib.padEnd(8)} ${fmt(d.mps).padStart(7)} msg/s  runs [${samples[lib].map((x) => fmt(x.mps)).join(', ')}]${d.failed > 0 ? ` + ${d.failed} failed` : ''}`
            + `  client CPU ${d.cpuUs.toFixed(1)} µs/msg, busy ${pct(d.clientBusy)}; broker busy ${pct(d.brokerBusy)}`);
        }
      }
    } finally {
      await broker.stop();
    }
  }

  const memory: Record<Lib, number> = { firmqtt: NaN, mqttjs: NaN };
  const memoryRuns: Record<Lib, number[]> = { firmqtt: [], mqttjs: [] };
  for (const lib of ['firmqtt', 'mqttjs'] as Lib[]) {
    if (!LIBS.includes(lib) || argv.includes('--no-memory')) continue;
    try {
      // The heap part varies by a few tens of bytes from process to process: median of 3.
      const runs: number[] = [];
      for (let k = 0; k < MEMORY_RUNS; k++) runs.push((await memoryChild(lib)).perMessage);
      memory[lib] = median(runs);
      memoryRuns[lib] = runs;
    } catch (e) {
      notes.push(`memory ${lib}: ${(e as Error).message}`);
    }
  }

  console.log('');
  console.log('| broker    | QoS | firmqtt msg/s | MQTT.js msg/s | firmqtt / MQTT.js | client CPU µs/msg firmqtt / MQTT.js | client busy firmqtt / MQTT.js | broker busy firmqtt / MQTT.js |');
  console.log('|-----------|-----|---------------|---------------|-------------------|-------------------------------------|-------------------------------|-------------------------------|');
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const d = details[i];
    const failed = d.firmqtt.failed + d.mqttjs.failed > 0 ? ` (failed runs: firmqtt ${d.firmqtt.failed}, MQTT.js ${d.mqttjs.failed})` : '';
    console.log(`| ${r.broker.padEnd(9)} | ${r.qos}   | ${fmt(r.firmqtt_mps).padStart(13)} | ${fmt(r.mqttjs_mps).padStart(13)} | ${r.ratio.toFixed(2).padStart(17)} `
      + `| ${`${d.firmqtt.cpuUs.toFixed(1)} / ${d.mqttjs.cpuUs.toFixed(1)}`.padStart(35)} | ${`${pct(d.firmqtt.clientBusy)} / ${pct(d.mqttjs.clientBusy)}`.padStart(29)} `
      + `| ${`${pct(d.firmqtt.brokerBusy)} / ${pct(d.mqttjs.brokerBusy)}`.padStart(29)} |${failed}`);
  }
  console.log('');
  console.log(`memory per in-flight QoS 1 message (${PAYLOAD} B payload, ${MEMORY_N.toLocaleString('en-US')} unacknowledged, median of ${MEMORY_RUNS} processes): `
    + `firmqtt ${Math.round(memory.firmqtt)} B [${memoryRuns.firmqtt.map(Math.round).join(', ')}], MQTT.js ${Math.round(memory.mqttjs)} B [${memoryRuns.mqttjs.map(Math.round).join(', ')}]`);
  for (const n of notes) console.log(`note: ${n}`);
  console.log(JSON.stringify({
    rows,
    memory_bytes_per_inflight: { firmqtt: Math.round(memory.firmqtt), mqttjs: Math.round(memory.mqttjs) },
  }));
}

// ---- memory ---------------------------------------------------------------------------

interface MemoryResult {
  lib: Lib;
  perMessage: number;
  heapUsed: number;
  arrayBuffers: number;
}

function memoryChild(lib: Lib): Promise<MemoryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', process.argv[1], '--memory', lib], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') reject(new Error(`memory child for ${lib} exited ${code}`));
      else resolve(JSON.parse(line) as MemoryResult);
    });
  });
}

/** A broker that accepts a connection and never acknowledges a message; counts PUBLISH packets read. */
async function startSink(): Promise<{ port: number; publishes: () => number; close: () => void }> {
  let count = 0;
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    // A tiny framer that keeps no bytes it has counted: only the partial packet at the end of a chunk.
    let rest: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let b = rest === null ? chunk : Buffer.concat([rest, chunk]);
      rest = null;
      let p = 0;
      for (;;) {
        if (b.length - p < 2) break;
        let len = 0;
        let mul = 1;
        let i = p + 1;
        let complete = false;
        while (i < b.length) {
          const byte = b[i++];
          len += (byte & 0x7f) * mul;
          mul *= 128;
          if ((byte & 0x80) === 0) {
            complete = true;
            break;
          }
        }
        if (!complete || b.length < i + len) break;
        const type = b[p] >> 4;
        if (type === 1) socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK
        else if (type === 3) count++;
        else if (type === 12) socket.write(Buffer.from([0xd0, 0x00])); // PINGRESP
        p = i + len;
      }
      if (p < b.length) rest = Buffer.from(b.subarray(p)); // a copy: never pin a 64 KiB read buffer
      b = Buffer.alloc(0);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    publishes: () => count,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function measureMemory(lib: Lib): Promise<MemoryResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const sink = await startSink();
  const url = `mqtt://127.0.0.1:${sink.port}`;
  const topic = 'bench/memory/device-0001';
  let publish: (payload: Buffer) => void;
  let close: () => Promise<void>;
  if (lib === 'firmqtt') {
    const c = connect(url, { clientId: 'mem-firmqtt', reconnectPeriod: 0, keepalive: 0, maxInflight: 65535, maxQueued: 65535, maxQueuedBytes: 64 << 20 });
    await waitEvent(c, 'connect');
    publish = (payload) => {
      c.publish(topic, payload, { qos: 1 });
    };
    close = () => c.endAsync(true);
  } else {
    const c = mqtt.connect(url, { clientId: 'mem-mqttjs', reconnectPeriod: 0, keepalive: 0 });
    await waitEvent(c, 'connect');
    publish = (payload) => {
      c.publish(topic, payload, { qos: 1 });
    };
    close = () => c.endAsync(true);
  }
  const untilSinkHas = async (n: number): Promise<void> => {
    const deadline = Date.now() + 60000;
    while (sink.publishes() < n) {
      if (Date.now() > deadline) throw new Error(`sink got ${sink.publishes()} of ${n} publishes`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const settle = async (): Promise<{ heapUsed: number; arrayBuffers: number }> => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
  };
  const make = (i: number): Buffer => {
    const b = Buffer.alloc(PAYLOAD, 0x2e);
    b.write(String(i));
    return b;
  };
  for (let i = 0; i < WARMUP; i++) publish(make(i));
  await untilSinkHas(WARMUP);
  const before = await settle();
  for (let i = 0; i < MEMORY_N; i++) publish(make(i));
  await untilSinkHas(WARMUP + MEMORY_N);
  const after = await settle();
  const heapUsed = (after.heapUsed - before.heapUsed) / MEMORY_N;
  const arrayBuffers = (after.arrayBuffers - before.arrayBuffers) / MEMORY_N;
  await close();
  sink.close();
  return { lib, perMessage: heapUsed + arrayBuffers, heapUsed, arrayBuffers };
}

// ---- entry: the bench, or one of its child processes ---------------------------------
// (At the end of the module, so every constant above is initialised when it runs.)

if (argv[0] === '--aedes-server') {
  const broker = await startAedes();
  process.stdout.write(JSON.stringify({ port: broker.port }) + '\n');
  // The parent ends us by closing stdin (or by a signal).
  process.stdin.resume();
  process.stdin.on('end', () => {
    void broker.stop().then(() => process.exit(0));
  });
} else if (argv[0] === '--memory') {
  const result = await measureMemory(argv[1] as Lib);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
} else {
  await main();
}
