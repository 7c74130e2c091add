// Codec benchmark: firmqtt against mqtt-packet in the same process, encode and decode.
//
//   npm run bench:codec            (node tools/run.mjs tools/bench/codec.ts)
//   npm run bench:codec -- --quick (fewer, shorter runs; for a smoke test)
//
// Cases: PUBLISH QoS 1 with 16 B / 256 B / 4 KiB payloads, MQTT 3.1.1; the same in
// MQTT 5 with Response Topic, Correlation Data, Content Type and two User Properties;
// the 256 B one to 256 different topics in turn (past the codec's topic caches, which
// the single-topic cases hit every time, as a device publishing telemetry does); and a
// stream of 10,000 mixed packets (what a client receives) decoded from 1,460-byte
// chunks (a TCP segment) and from 1-byte chunks (a UART).
//
// Method (STYLE.md §5): every input is built before the timed loops; every case is
// warmed up before any is timed; each measurement is run REPS times, interleaved with
// the other two of its row, each run after a full GC, and the median is reported; time
// from process.hrtime.bigint(). mqtt-packet encodes with generate() (a Buffer) and decodes
// with one long-lived parser's parse(buf), counting 'packet' events; firmqtt encodes
// with encode() and decodes with one long-lived Decoder, feed() then read() until null.
// Both decoders get the same Buffer chunks (what a Node socket gives).
//
// "ratio (CPU time)" is the same ratio from process.cpuUsage() over the same runs: on a
// shared machine, time spent descheduled inflates wall time at random, CPU time much less.
//
// The "copy" column is a physical reference: allocate a Uint8Array of the packet's size
// and set() its bytes into it, per packet; no codec can do much better than that.
// "B/pkt" is an estimate of bytes allocated per packet: the change in V8 heap used plus
// ArrayBuffer memory over a short run with no GC inside it (gc() through V8 flags).
//
// Prints a table, then as the last line one JSON object:
//   {"rows":[{"case","op","firmqtt_pps","mqtt_packet_pps","ratio","ratio_cpu","copy_pps"}, ...]}
import * as os from 'node:os';
import * as mqttPacket from 'mqtt-packet';
import { Decoder, encode } from '../../src/codec/index';
import type { Packet, Properties } from '../../src/codec/packets';
import { CONNACK, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, UNSUBACK } from '../../src/codec/packets';
import { Rng } from '../lib/prng';
import { toMqttPacket } from '../lib/mqtt-packet-shape';
import { exposeGc } from '../lib/gc';
import { median } from '../lib/median';

const QUICK = process.argv.includes('--quick');
const REPS = QUICK ? 3 : 11;
const TARGET_NS = QUICK ? 20e6 : 100e6; // per run
const STREAM_PACKETS = 10000;

const gc = exposeGc();

// ---------------------------------------------------------------------------------
// Inputs

type Version = 4 | 5;

function bytesOf(n: number, seed: number): Uint8Array {
  return new Rng(seed).bytes(n);
}

const V5_PROPS: Properties = {
  responseTopic: 'devices/gw-0042/rpc/response',
  correlationData: bytesOf(16, 7),
  contentType: 'application/json',
  userProperties: [
    ['trace-id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['source', 'gw-0042'],
  ],
};

function publishOf(size: number, v: Version): Packet {
  const p: Packet = {
    type: PUBLISH,
    topic: 'sensors/building-7/floor-3/room-12/temperature',
    payload: bytesOf(size, size),
    qos: 1,
    retain: false,
    dup: false,
    messageId: 4242,
  };
  if (v === 5) p.properties = V5_PROPS;
  return p;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** What a client receives over a while: CONNACK, then mostly PUBLISH and acks. */
function mixedStream(n: number): Packet[] {
  const rng = new Rng(20260523);
  const out: Packet[] = [{ type: CONNACK, sessionPresent: false, reasonCode: 0 }];
  const topics = ['sensors/t1', 'home/kitchen/light/state', 'fleet/gw-0042/status', 'cmd/gw-0042/reboot', 'telemetry/energy/meter-17'];
  let id = 1;
  const nextId = (): number => (id = id === 65535 ? 1 : id + 1);
  while (out.length < n) {
    const r = rng.float();
    if (r < 0.65) {
      const q = rng.float();
      const qos = q < 0.4 ? 0 : q < 0.85 ? 1 : 2;
      const p: Packet = {
        type: PUBLISH,
        topic: rng.pick(topics),
        payload: rng.bytes(rng.chance(0.8) ? rng.range(2, 120) : rng.range(121, 1400)),
        qos,
        retain: rng.chance(0.05),
        dup: false,
      };
      if (qos > 0) p.messageId = nextId();
      out.push(p);
    } else if (r < 0.85) out.push({ type: PUBACK, messageId: nextId() });
    else if (r < 0.88) out.push({ type: PUBREC, messageId: nextId() });
    else if (r < 0.9) out.push({ type: PUBREL, messageId: nextId() });
    else if (r < 0.92) out.push({ type: PUBCOMP, messageId: nextId() });
    else if (r < 0.95) out.push({ type: SUBACK, messageId: nextId(), granted: [1, 0] });
    else if (r < 0.96) out.push({ type: UNSUBACK, messageId: nextId() });
    else out.push({ type: PINGRESP });
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Measurement

let sink = 0;

/** How many operations make one run of about TARGET_NS (this also warms `fn` up). */
function calibrate(fn: (n: number) => number): number {
  let n = 16;
  for (;;) {
    const t0 = process.hrtime.bigint();
    sink += fn(n);
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt > TARGET_NS / 4) return Math.max(1, Math.round((n * TARGET_NS) / dt));
    n *= 2;
  }
}

/**
 * ns per operation of each of `fns`, median of REPS runs. The runs are interleaved
 * (f, m, c, f, m, c, ...) so that GC and CPU frequency drift fall on all alike.
 * `fixedN`: operations per run instead of calibrating (for the slow stream cases).
 */
function nsPerOp(fns: ((n: number) => number)[], fixedN?: number): { wall: number[]; cpu: number[] } {
  const ns = fns.map((fn) => {
    if (fixedN !== undefined) {
      sink += fn(fixedN); // warm-up
      return fixedN;
    }
    return calibrate(fn);
  });
  const wall: number[][] = fns.map(() => []);
  const cpu: number[][] = fns.map(() => []);
  for (let r = 0; r < REPS; r++) {
    for (let k = 0; k < fns.length; k++) {
      // start each run on a clean heap, so that no run pays for the garbage of the one
      // before it (mqtt-packet's, or the copy reference's off-heap arrays)
      if (gc !== null) gc();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      sink += fns[k](ns[k]);
      const t1 = process.hrtime.bigint();
      const c1 = process.cpuUsage(c0);
      wall[k].push(Number(t1 - t0) / ns[k]);
      cpu[k].push(((c1.user + c1.system) * 1000) / ns[k]);
    }
  }
  spread = wall.map((xs) => `${Math.round((Math.min(...xs) / median(xs)) * 100)}..${Math.round((Math.max(...xs) / median(xs)) * 100)}%`);
  return { wall: wall.map(median), cpu: cpu.map(median) };
}

/** min..max of the last nsPerOp() runs, relative to the median, for the log */
let spread: string[] = [];

/** Bytes allocated per operation (JS heap + ArrayBuffers), or NaN if it cannot tell. */
function bytesPerOp(fn: (n: number) => number, n: number): number {
  if (gc === null) return NaN;
  for (let attempt = 0; attempt < 4; attempt++, n = Math.max(1, n >> 2)) {
    gc();
    gc();
    const a = process.memoryUsage();
    sink += fn(n);
    const b = process.memoryUsage();
    const d = b.heapUsed - a.heapUsed + (b.arrayBuffers - a.arrayBuffers);
    if (d >= 0) return d / n;
  }
  return NaN;
}

interface Row {
  case: string;
  op: 'encode' | 'decode';
  firmqtt_pps: number;
  mqtt_packet_pps: number;
  ratio: number;
  /** the same ratio from process CPU time: steadier on a shared machine */
  ratio_cpu: number;
  copy_pps: number;
  firmqtt_bytes_per_packet: number;
  mqtt_packet_bytes_per_packet: number;
}

const rows: Row[] = [];

interface Pending {
  name: string;
  op: 'encode' | 'decode';
  packetsPerOp: number;
  fns: ((n: number) => number)[]; // firmqtt, mqtt-packet, copy
  fixedN?: number;
}

const pending: Pending[] = [];
const ONLY = (process.argv.find((a) => a.startsWith('--only=')) || '').slice(7);

function row(name: string, op: 'encode' | 'decode', packetsPerOp: number, f: (n: number) => number, m: (n: number) => number, c: (n: number) => number, fixedN?: number): void {
  if (ONLY !== '' && !(name + ' ' + op).includes(ONLY)) return;
  pending.push({ name, op, packetsPerOp, fns: [f, m, c], fixedN });
}

/**
 * Warms every function of every case up first (so no case is timed while the JIT is
 * still learning the shapes of a later one), then measures each case.
 */
function measureAll(): void {
  for (let round = 0; round < 2; round++) {
    for (const p of pending) {
      for (const fn of p.fns) {
        const until = process.hrtime.bigint() + BigInt(Math.round(TARGET_NS / 5));
        let n = p.fixedN === undefined ? 64 : p.fixedN;
        do sink += fn(n);
        while (process.hrtime.bigint() < until && (n = Math.min(n * 2, 1 << 16)) > 0 && p.fixedN === undefined);
      }
    }
  }
  for (const p of pending) {
    const m = nsPerOp(p.fns, p.fixedN);
    const t = m.wall;
    const allocN = p.fixedN === undefined ? 500 : 1;
    const pps = (ns: number): number => Math.round((1e9 / ns) * p.packetsPerOp);
    const r: Row = {
      case: p.name,
      op: p.op,
      firmqtt_pps: pps(t[0]),
      mqtt_packet_pps: pps(t[1]),
      ratio: Math.round((t[1] / t[0]) * 100) / 100,
      ratio_cpu: Math.round((m.cpu[1] / m.cpu[0]) * 100) / 100,
      copy_pps: pps(t[2]),
      firmqtt_bytes_per_packet: Math.round(bytesPerOp(p.fns[0], allocN) / p.packetsPerOp),
      mqtt_packet_bytes_per_packet: Math.round(bytesPerOp(p.fns[1], allocN) / p.packetsPerOp),
    };
    rows.push(r);
    process.stderr.write(`  ${p.name} ${p.op}: ${r.ratio}x, CPU time ${r.ratio_cpu}x (spread of wall times: firmqtt ${spread[0]}, mqtt-packet ${spread[1]})\n`);
  }
}

/** An mqtt-packet parser, and how many packets it has emitted so far (a parse error throws). */
function countingParser(opts: { protocolVersion: Version }): { parser: ReturnType<typeof mqttPacket.parser>; parsed: () => number } {
  const parser = mqttPacket.parser(opts);
  let parsed = 0;
  parser.on('packet', () => {
    parsed++;
  });
  parser.on('error', (e: Error) => {
    throw e;
  });
  return { parser, parsed: () => parsed };
}

// ---------------------------------------------------------------------------------
// Single-packet cases

/**
 * One packet encoded and decoded over and over; or, with several, each in turn (a
 * power-of-two count), e.g. the same PUBLISH to many topics.
 */
function singleCase(name: string, ps: Packet[], v: Version): void {
  const k = ps.length;
  const mask = k - 1;
  if ((k & mask) !== 0) throw new Error('a power-of-two number of packets');
  const mpObjs = ps.map((p) => toMqttPacket(p, v) as unknown as mqttPacket.Packet);
  const opts = { protocolVersion: v };
  const bytes = ps.map((p) => encode(p, v));
  for (let i = 0; i < k; i++) {
    // the same packet on the wire (property order may differ, the length may not)
    const m = mqttPacket.generate(mpObjs[i], opts);
    if (bytes[i].length !== m.length) throw new Error(`${name}: firmqtt writes ${bytes[i].length} bytes, mqtt-packet ${m.length}`);
  }

  row(
    name,
    'encode',
    1,
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += encode(ps[i & mask], v).length;
      return s;
    },
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += mqttPacket.generate(mpObjs[i & mask], opts).length;
      return s;
    },
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const b = bytes[i & mask];
        const out = new Uint8Array(b.length);
        out.set(b);
        s += out.length;
      }
      return s;
    },
  );

  const inputs = bytes.map(asBuffer);
  const dec = new Decoder({ protocolVersion: v });
  const { parser, parsed } = countingParser(opts);
  // sanity: both decode them
  for (const input of inputs) {
    dec.feed(input);
    if (dec.read() === null || dec.read() !== null) throw new Error(`${name}: firmqtt does not decode its input`);
    parser.parse(input);
  }
  if (parsed() !== k) throw new Error(`${name}: mqtt-packet does not decode its input`);

  row(
    name,
    'decode',
    1,
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        dec.feed(inputs[i & mask]);
        for (let q = dec.read(); q !== null; q = dec.read()) s++;
      }
      return s;
    },
    (n) => {
      const before = parsed();
      for (let i = 0; i < n; i++) parser.parse(inputs[i & mask]);
      return parsed() - before;
    },
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const b = inputs[i & mask];
        const out = new Uint8Array(b.length);
        out.set(b);
        s += out.length;
      }
      return s;
    },
  );
}

// ---------------------------------------------------------------------------------
// Stream cases

function streamCase(name: string, packets: Packet[], v: Version, chunkSize: number): void {
  const parts = packets.map((p) => encode(p, v));
  let total = 0;
  for (const b of parts) total += b.length;
  const whole = Buffer.alloc(total);
  let pos = 0;
  for (const b of parts) {
    whole.set(b, pos);
    pos += b.length;
  }
  // chunks are Buffer views of one allocation, built before timing; both decoders get them
  const chunks: Buffer[] = [];
  for (let i = 0; i < total; i += chunkSize) chunks.push(whole.subarray(i, Math.min(total, i + chunkSize)));
  const opts = { protocolVersion: v };
  const dec = new Decoder(opts);
  const { parser, parsed } = countingParser(opts);

  const f = (n: number): number => {
    let s = 0;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < chunks.length; i++) {
        dec.feed(chunks[i]);
        for (let q = dec.read(); q !== null; q = dec.read()) s++;
      }
    }
    return s;
  };
  const m = (n: number): number => {
    const before = parsed();
    for (let r = 0; r < n; r++) for (let i = 0; i < chunks.length; i++) parser.parse(chunks[i]);
    return parsed() - before;
  };
  const c = (n: number): number => {
    let s = 0;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < parts.length; i++) {
        const out = new Uint8Array(parts[i].length);
        out.set(parts[i]);
        s += out.length;
      }
    }
    return s;
  };
  // sanity: both see every packet
  if (f(1) !== packets.length) throw new Error(`${name}: firmqtt decoded the wrong number of packets`);
  if (m(1) !== packets.length) throw new Error(`${name}: mqtt-packet decoded the wrong number of packets`);
  process.stderr.write(`  ${name}: ${total} bytes in ${chunks.length} chunks\n`);
  row(name, 'decode', packets.length, f, m, c, chunkSize === 1 ? 1 : undefined);
}

// ---------------------------------------------------------------------------------

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US');
}

function main(): void {
  process.stderr.write(`firmqtt codec benchmark: Node ${process.version}, ${REPS} runs per measurement${QUICK ? ' (quick)' : ''}\n`);
  // mqtt-packet builds its 65,536-entry number cache on the first generate(): do that
  // before anything is timed
  mqttPacket.generate({ cmd: 'pingreq' } as mqttPacket.Packet);
  for (const v of [4, 5] as Version[]) {
    for (const size of [16, 256, 4096]) {
      const label = `PUBLISH QoS1 ${size >= 1024 ? size / 1024 + ' KiB' : size + ' B'} v${v}${v === 5 ? '+props' : ''}`;
      singleCase(label, [publishOf(size, v)], v);
    }
  }
  // the same, to 256 different topics in turn: the codec's 16-slot topic caches miss
  const many: Packet[] = [];
  for (let i = 0; i < 256; i++) {
    const p = publishOf(256, 4);
    if (p.type === PUBLISH) p.topic = `sensors/building-${i >> 4}/floor-${i & 15}/room-12/temperature`;
    many.push(p);
  }
  singleCase('PUBLISH QoS1 256 B v4, 256 topics', many, 4);
  const stream = mixedStream(STREAM_PACKETS);
  streamCase(`stream ${STREAM_PACKETS} mixed v4, 1460 B chunks`, stream, 4, 1460);
  streamCase(`stream ${STREAM_PACKETS} mixed v4, 1 B chunks`, stream, 4, 1);
  measureAll();

  const head = ['case', 'op', 'firmqtt pps', 'mqtt-packet pps', 'ratio', 'ratio (CPU time)', 'copy pps', 'firmqtt B/pkt', 'mqtt-packet B/pkt'];
  const body = rows.map((r) => [
    r.case,
    r.op,
    fmt(r.firmqtt_pps),
    fmt(r.mqtt_packet_pps),
    r.ratio.toFixed(2) + 'x',
    r.ratio_cpu.toFixed(2) + 'x',
    fmt(r.copy_pps),
    fmt(r.firmqtt_bytes_per_packet),
    fmt(r.mqtt_packet_bytes_per_packet),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(
    `\nNode ${process.version}, ${process.platform}/${process.arch}, ${os.cpus().length} CPUs (${os.cpus()[0].model.trim()}), load average ${load} at the end; ` +
      `median of ${REPS} runs; pps = packets per second (higher is better); ratio = firmqtt pps / mqtt-packet pps; B/pkt = bytes allocated per packet\n`,
  );
  console.log(line(head));
  console.log('|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const b of body) console.log(line(b));
  if (sink === 42) console.log(''); // keep the results alive
  console.log(JSON.stringify({ rows: rows.map((r) => ({ case: r.case, op: r.op, firmqtt_pps: r.firmqtt_pps, mqtt_packet_pps: r.mqtt_packet_pps, ratio: r.ratio, ratio_cpu: r.ratio_cpu, copy_pps: r.copy_pps })) }));
}

main();
