// The chaos run: QoS 1 and QoS 2 messages through a faulty network, a restarting broker
// and a killed publisher, counting what arrives.
//
//   publisher process --(proxy A)--> Mosquitto (persistence on) --(proxy B)--> subscriber
//   (FileStore, clean=false)                                                 (this process,
//                                                                             clean=false, QoS 2)
//
// - The publisher (tools/chaos/publisher.ts, a child process) sends messages 1..N on
//   chaos/q1 at QoS 1 and chaos/q2 at QoS 2, each payload carrying its sequence number.
// - The subscriber keeps one clean=false session with a QoS 2 subscription to chaos/#,
//   so every message published is owed to it: while it is offline the broker queues, and
//   after a broker restart the queue comes back from the broker's database.
// - Faults, from a seeded PRNG, on both proxies, only while a connection is open: cuts
//   (now, or after a random number of bytes, so mid-packet), short stalls (resumed),
//   long stalls (until keep-alive notices), 1-byte fragmentation periods, delay periods,
//   and one corrupted byte: the first byte of a PUBLISH going to the subscriber becomes
//   0x00 (reserved packet type), so the client must detect it (malformed packet), drop
//   the connection and get the message again. A payload byte is deliberately not
//   corrupted: MQTT has no checksum, so no client could notice.
// - The broker is restarted (SIGTERM, which makes Mosquitto save its database, then
//   started again on the same port) at 30% and 70% of the messages; the publisher is
//   killed with SIGKILL at 50% and started again on the same FileStore.
//
// Two Mosquitto 2.0 limitations the run's broker configuration keeps out of the way
// (tools/chaos/broker-check.ts shows the first; the packet trace, CHAOS_TRACE=1, both):
// - Restoring a session from its database, Mosquitto puts back in flight at most
//   max_inflight_messages outgoing messages (and none with 0 = unlimited or 65535) and
//   re-queues the rest as new PUBLISHes, even QoS 2 messages it had already released with
//   PUBREL. A receiver that answered that PUBREL with PUBCOMP has rightly forgotten the
//   packet id, so it delivers the PUBLISH again: a QoS 2 duplicate no client can prevent
//   ([MQTT-4.3.3-2]: after PUBREL the sender must not send the PUBLISH again).
// - Mosquitto frees a send-quota slot at PUBREC instead of PUBCOMP, so it can hold more
//   QoS 2 messages in flight than max_inflight_messages, and more than an MQTT 5 client's
//   Receive Maximum ([MQTT-3.3.4-9]); firmqtt then rightly disconnects with 0x93.
// With max_inflight_messages 1000 (default 20) and the clients' default Receive Maximum
// (65535), the broker never has more in flight than it restores, and no limit is crossed.
//
// Counting, per QoS, over the sequence numbers 1..sent:
// - sent: numbers whose publish() returned (the publisher publishes 1..N in order);
// - received: deliveries to the subscriber's 'message' event, duplicates included;
// - lost: numbers never delivered;
// - duplicated: deliveries beyond the first of a number (allowed at QoS 1, not at QoS 2);
// - out_of_order: first deliveries of a number lower than one already delivered.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, Decoder, PUBCOMP, PUBLISH, PUBREC, PUBREL } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { TYPE_NAMES } from '../bridge/frames';
import { FaultProxy } from '../proxy/proxy';
import { bundleForNode } from '../lib/bundle.mjs';
import { padColumns } from '../lib/table';
import { mulberry32 } from '../lib/prng';
import { startMosquitto } from '../lib/brokers';
import type { MosquittoBroker } from '../lib/brokers';
import type { PublisherConfig, PublisherMessage } from './publisher';

/** Mosquitto's max_inflight_messages (default 20): above what is ever in flight here; see the note at the top. */
const BROKER_INFLIGHT = 1000;

export interface ChaosOptions {
  /** messages per QoS; default 5000 */
  messages?: number;
  /** proxy faults to inject, at least; default 55 */
  faults?: number;
  /** ms between fault injections; default 600 */
  faultInterval?: number;
  brokerRestarts?: number;
  clientRestarts?: number;
  /** corrupted bytes; default 1 */
  corruptions?: number;
  /** messages per QoS per second; default: spread over the fault schedule */
  rate?: number;
  /** 4 or 5; default 5 */
  protocolVersion?: 4 | 5;
  /** keep-alive of both clients, s; default 2 */
  keepalive?: number;
  seed?: number;
  /** ms without progress before the drain gives up and counts what is missing as lost; default 30000 */
  drainTimeout?: number;
  log?: (line: string) => void;
}

export interface QosCounts {
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  out_of_order: number;
}

export interface ChaosResult {
  qos1: QosCounts;
  qos2: QosCounts;
  faults: number;
  broker_restarts: number;
  client_restarts: number;
}

export interface ChaosReport {
  result: ChaosResult;
  seed: number;
  seconds: number;
  /** faults by kind */
  faultKinds: { [kind: string]: number };
  /** messages delivered that the publisher never sent (must be 0) */
  unexpected: number;
  /** problems that are not counts (publish errors, a publisher that never finished) */
  problems: string[];
  /** what happened when (ms since the start): faults, restarts, connections, QoS 2 duplicates */
  timeline: string[];
}

/** What the issue requires of a run. */
export function requirementsMet(r: ChaosResult): boolean {
  return r.qos1.lost === 0 && r.qos2.lost === 0 && r.qos2.duplicated === 0 && r.qos1.sent > 0 && r.qos2.sent > 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Per-QoS delivery bookkeeping on the subscriber side. */
class Tally {
  readonly counts: Uint32Array;
  received: number;
  distinct: number;
  outOfOrder: number;
  highest: number;
  unexpected: number;
  constructor(n: number) {
    this.counts = new Uint32Array(n + 1);
    this.received = 0;
    this.distinct = 0;
    this.outOfOrder = 0;
    this.highest = 0;
    this.unexpected = 0;
  }
  add(seq: number): void {
    if (!(seq >= 1 && seq < this.counts.length)) {
      this.unexpected++;
      return;
    }
    this.received++;
    if (this.counts[seq]++ === 0) {
      this.distinct++;
      if (seq < this.highest) this.outOfOrder++;
      else this.highest = seq;
    }
  }
  result(sent: number): QosCounts {
    let lost = 0;
    let received = 0;
    let distinct = 0;
    for (let s = 1; s <= sent; s++) {
      const c = this.counts[s];
      received += c;
      if (c === 0) lost++;
      else distinct++;
    }
    return { sent, received, lost, duplicated: received - distinct, out_of_order: this.outOfOrder };
  }
  /** The numbers in 1..sent delivered `want` times (0 = lost; 2 = once duplicated), as ranges "a-b". */
  ranges(sent: number, pick: (count: number) => boolean): string[] {
    const out: string[] = [];
    for (let s = 1; s <= sent; s++) {
      if (!pick(this.counts[s])) continue;
      let e = s;
      while (e + 1 <= sent && pick(this.counts[e + 1])) e++;
      out.push(s === e ? String(s) : `${s}-${e}`);
      s = e;
    }
    return out;
  }
}

/** The repository root: where tools/chaos/publisher.ts is (this file may run from a bundle in .cache/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'tools', 'chaos', 'publisher.ts'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('chaos: cannot find tools/chaos/publisher.ts above ' + fileURLToPath(import.meta.url));
}

/**
 * Decodes what each proxy forwards, per connection and direction, and logs the QoS 2
 * packets (PUBLISH at QoS 2, PUBREC, PUBREL, PUBCOMP) under their packet id.
 */
function packetTracer(v: 4 | 5, started: number, out: { [id: number]: string[] }): (proxy: string, conn: number, dir: 'up' | 'down', bytes: Uint8Array) => void {
  const decoders: { [key: string]: Decoder } = {};
  return (proxy, conn, dir, bytes) => {
    const key = `${proxy}#${conn}${dir}`;
    let d = decoders[key];
    if (d === undefined) d = decoders[key] = new Decoder({ protocolVersion: v });
    try {
      d.feed(Uint8Array.from(bytes));
      for (let p = d.read(); p !== null; p = d.read()) {
        let id = -1;
        let what = '';
        if (p.type === PUBLISH && p.qos === 2) {
          id = p.messageId as number;
          what = `PUBLISH dup ${p.dup ? 1 : 0} ${Buffer.from(p.payload).toString('latin1').slice(0, 12)}`;
        } else if (p.type === PUBREC || p.type === PUBREL || p.type === PUBCOMP) {
          id = p.messageId;
          what = TYPE_NAMES[p.type] + (p.reasonCode ? ` rc 0x${p.reasonCode.toString(16)}` : '');
        }
        if (id < 0) continue;
        const list = out[id] ?? (out[id] = []);
        if (list.length < 40) list.push(`${Date.now() - started} ms ${proxy} proxy #${conn} ${dir === 'up' ? 'client->broker' : 'broker->client'} ${what}`);
      }
    } catch {
      // a corrupted header on purpose: this stream is done
    }
  };
}

/** Bundles the publisher entry once per run (Node 20 cannot fork a .ts file). */
function bundlePublisher(root: string, dir: string): Promise<string> {
  return bundleForNode({
    entry: join(root, 'tools', 'chaos', 'publisher.ts'),
    outfile: join(dir, 'publisher.mjs'),
    logLevel: 'error',
  });
}

export async function runChaos(options?: ChaosOptions): Promise<ChaosReport> {
  const o = options ?? {};
  const messages = o.messages ?? 5000;
  const faultTarget = o.faults ?? 55;
  const faultInterval = o.faultInterval ?? 600;
  const brokerRestarts = o.brokerRestarts ?? 2;
  const clientRestarts = o.clientRestarts ?? 1;
  const corruptions = o.corruptions ?? 1;
  const protocolVersion = o.protocolVersion ?? 5;
  const keepalive = o.keepalive ?? 2;
  const seed = o.seed ?? (Date.now() % 1000000);
  const drainTimeout = o.drainTimeout ?? 30000;
  const log = o.log ?? (() => undefined);
  const random = mulberry32(seed);
  const started = Date.now();
  const problems: string[] = [];
  const timeline: string[] = [];
  const trace = (line: string) => {
    if (timeline.length < 5000) timeline.push(`${String(Date.now() - started).padStart(6)} ms  ${line}`);
  };
  /** CHAOS_TRACE=1: QoS 2 packets through the proxies, by packet id */
  const packetLog: { [id: number]: string[] } = {};
  /** first delivery of each QoS 2 number: time, packet id, DUP flag (to explain a duplicate) */
  const firstQ2: { [seq: number]: string } = {};
  const work = mkdtempSync(join(tmpdir(), 'firmqtt-chaos-'));
  // The bundle must resolve npm packages from the repository: keep it under .cache.
  const root = repoRoot();
  mkdirSync(join(root, '.cache'), { recursive: true });
  const bundleDir = mkdtempSync(join(root, '.cache', 'chaos-'));

  let broker: MosquittoBroker | null = null;
  let pubProxy: FaultProxy | null = null;
  let subProxy: FaultProxy | null = null;
  let subscriber: MqttClient | null = null;
  let child: ChildProcess | null = null;
  const tallies = [new Tally(0), new Tally(messages), new Tally(messages)];
  const periods: { [kind: string]: number } = {};
  let periodFaults = 0;
  let longStalls = 0;
  let brokerRestartsDone = 0;
  let clientRestartsDone = 0;
  let corruptionsDone = 0;
  let publisherDone = false;
  let sentQ1 = 0;
  let sentQ2 = 0;

  const countPeriod = (kind: string) => {
    periods[kind] = (periods[kind] ?? 0) + 1;
    periodFaults++;
  };
  const proxyFaults = () => {
    const a = pubProxy === null ? 0 : pubProxy.stats.cuts + pubProxy.stats.stalls + pubProxy.stats.corruptions;
    const b = subProxy === null ? 0 : subProxy.stats.cuts + subProxy.stats.stalls + subProxy.stats.corruptions;
    return a + b + periodFaults;
  };

  try {
    const publisherEntry = await bundlePublisher(root, bundleDir);
    broker = await startMosquitto({
      persistence: true,
      // Every message owed to the offline subscriber is kept (Mosquitto's default is 1000),
      // and what is in flight is restored as it was (see the note at the top).
      extraConfig: ['max_queued_messages 0', `max_inflight_messages ${BROKER_INFLIGHT}`],
    });
    log(`chaos: seed ${seed}; Mosquitto on ${broker.port} (persistence on), MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}, ${messages} messages per QoS, ${faultTarget} faults`);
    // CHAOS_TRACE=1: every QoS 2 packet through the proxies, by packet id, to explain a duplicate.
    const onForward = process.env.CHAOS_TRACE === '1' ? packetTracer(protocolVersion, started, packetLog) : undefined;
    pubProxy = new FaultProxy({ target: broker.port, fragmentDelay: 0, onForward: onForward === undefined ? undefined : (c, d, b) => onForward('pub', c.id, d, b) });
    subProxy = new FaultProxy({ target: broker.port, fragmentDelay: 0, onForward: onForward === undefined ? undefined : (c, d, b) => onForward('sub', c.id, d, b) });
    await pubProxy.start();
    await subProxy.start();
    for (const [name, px] of [['pub', pubProxy], ['sub', subProxy]] as const) {
      px.on('connection', (c: { id: number }) => trace(`${name} proxy: #${c.id} open`));
      px.on('close', (c: { id: number }) => trace(`${name} proxy: #${c.id} closed`));
      px.on('cut', (c: { id: number }) => trace(`${name} proxy: #${c.id} CUT`));
      px.on('stall', (c: { id: number }) => trace(`${name} proxy: #${c.id} STALLED`));
      px.on('corrupt', (c: { id: number }) => trace(`${name} proxy: #${c.id} CORRUPTED a header`));
    }

    // ---- the subscriber -----------------------------------------------------------------
    const sub = connect(subProxy.url, {
      clientId: `chaos-sub-${seed}`,
      clean: false,
      protocolVersion,
      keepalive,
      reconnectPeriod: 100,
      reconnectBackoffMax: 1000,
      connectTimeout: 3000,
      properties: protocolVersion === 5 ? { sessionExpiryInterval: 3600 } : undefined,
    });
    subscriber = sub;
    let lastDelivery = Date.now();
    sub.on('message', (topic, payload, packet) => {
      lastDelivery = Date.now();
      const m = /^\|q([12]):(\d+)\|/.exec(Buffer.from(payload).toString('latin1'));
      const qos = m === null ? 0 : Number(m[1]);
      if (m === null || topic !== `chaos/q${qos}` || packet.qos !== qos) {
        tallies[1].unexpected++;
        problems.push(`unexpected message on ${topic} at QoS ${packet.qos}`);
        return;
      }
      const seq = Number(m[2]);
      if (qos === 2) {
        const what = `id ${packet.messageId} dup ${packet.dup ? 1 : 0}`;
        if (firstQ2[seq] === undefined) firstQ2[seq] = `${Date.now() - started} ms ${what}`;
        else {
          trace(`subscriber: QoS 2 #${seq} delivered AGAIN (${what}); first at ${firstQ2[seq]}`);
          const ids = packetLog[packet.messageId as number];
          if (ids !== undefined) for (const l of ids) trace(`    ${l}`);
        }
      }
      tallies[qos].add(seq);
    });
    let subErrors = 0;
    sub.on('error', (e: Error) => {
      subErrors++;
      if (process.env.CHAOS_VERBOSE === '1') log(`subscriber: ${e.message}`);
    });
    sub.on('connect', (ack) => trace(`subscriber: connected (session present ${ack.sessionPresent})`));
    sub.on('offline', () => trace('subscriber: offline'));
    sub.on('error', (e: Error) => trace(`subscriber: error ${e.message}`));
    await new Promise<void>((res) => sub.once('connect', () => res()));
    await sub.subscribeAsync('chaos/#', { qos: 2 });

    // ---- the publisher ------------------------------------------------------------------
    const pubConfig: PublisherConfig = {
      url: pubProxy.url,
      clientId: `chaos-pub-${seed}`,
      storeDir: join(work, 'store'),
      stateFile: join(work, 'publisher-state.json'),
      messages,
      // Spread the messages over the fault schedule (at least 5 s), so faults meet traffic.
      rate: o.rate ?? Math.max(1, Math.round(messages / (Math.max(5000, faultTarget * faultInterval) / 1000))),
      protocolVersion,
      keepalive,
      padding: 24,
    };
    let progress = 0;
    let lastReport = 0;
    const startPublisher = (): ChildProcess => {
      const c = fork(publisherEntry, [], {
        env: Object.assign({}, process.env, { CHAOS_PUBLISHER: JSON.stringify(pubConfig) }),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      c.on('message', (m: PublisherMessage) => {
        if (m.type === 'progress') {
          if (process.env.CHAOS_VERBOSE === '1' && Math.floor(Date.now() / 1000) !== lastReport) {
            lastReport = Math.floor(Date.now() / 1000);
            log(`publisher: q1 ${m.q1} q2 ${m.q2} inflight ${m.inflight} queued ${m.queued} connected ${m.connected}; subscriber q1 ${tallies[1].distinct} q2 ${tallies[2].distinct}`);
          }
          sentQ1 = Math.max(sentQ1, m.q1);
          sentQ2 = Math.max(sentQ2, m.q2);
          progress = (sentQ1 + sentQ2) / (2 * messages);
        } else if (m.type === 'started') {
          log(`chaos: publisher started (pid ${c.pid}) at q1=${m.q1} q2=${m.q2} with ${m.restored} message(s) restored from its store`);
          trace(`publisher: started at q1=${m.q1} q2=${m.q2}, ${m.restored} restored`);
        } else if (m.type === 'error') {
          problems.push(`publisher: ${m.message}`);
        } else if (m.type === 'done') {
          sentQ1 = m.q1;
          sentQ2 = m.q2;
          publisherDone = true;
          log('chaos: publisher done: every message acknowledged');
        }
      });
      return c;
    };
    child = startPublisher();
    log(`chaos: publishing ${pubConfig.rate} messages/s per QoS`);

    // ---- faults, restarts, the kill ----------------------------------------------------
    const restartAt = brokerRestarts === 0 ? [] : brokerRestarts === 1 ? [0.5] : Array.from({ length: brokerRestarts }, (_, i) => 0.3 + (0.4 * i) / (brokerRestarts - 1));
    const killAt = clientRestarts === 0 ? [] : Array.from({ length: clientRestarts }, (_, i) => (i + 1) / (clientRestarts + 1));
    const corruptAt = corruptions === 0 ? [] : Array.from({ length: corruptions }, (_, i) => 0.4 + (0.2 * i) / Math.max(1, corruptions));
    const active = { pub: 0, sub: 0 }; // fault periods under way per proxy
    const proxies = { pub: pubProxy, sub: subProxy };

    const injectOne = () => {
      const which: 'pub' | 'sub' = random() < 0.5 ? 'pub' : 'sub';
      const p = proxies[which].connections.length > 0 ? which : which === 'pub' ? 'sub' : 'pub';
      const proxy = proxies[p];
      if (proxy.connections.length === 0) return;
      const r = random();
      trace(`${p} proxy: fault r=${r.toFixed(2)}`);
      if (r < 0.25) {
        // Lands anywhere, mostly inside a packet.
        proxy.cutAfter({ bytes: Math.floor(random() * 3000) });
      } else if (r < 0.35) {
        proxy.cut();
      } else if (r < 0.55) {
        proxy.stall();
        setTimeout(() => proxy.resume(), 200 + Math.floor(random() * 600));
      } else if (r < 0.65) {
        if (active[p] > 0) return;
        // Until the client's keep-alive notices (1.5x keep-alive) and it leaves; the
        // resume is only a safety net.
        if (proxy.stall() > 0) longStalls++;
        active[p]++;
        setTimeout(() => {
          active[p]--;
          proxy.resume();
        }, keepalive * 3000);
      } else if (r < 0.85) {
        if (proxy.fragmenting) return;
        proxy.fragment(true);
        countPeriod('fragment-1-byte');
        setTimeout(() => proxy.fragment(false), 500 + Math.floor(random() * 1500));
      } else {
        if (proxy.delayMs > 0) return;
        proxy.delay(20 + Math.floor(random() * 150));
        countPeriod('delay');
        setTimeout(() => proxy.delay(0), 500 + Math.floor(random() * 1000));
      }
    };

    let lastProgressAt = Date.now();
    let lastProgressValue = -1;
    for (;;) {
      await sleep(faultInterval * (0.5 + random()));
      if (restartAt.length > 0 && progress >= restartAt[0]) {
        restartAt.shift();
        log(`chaos: restarting Mosquitto at ${Math.round(progress * 100)}% (SIGTERM: it saves its database)`);
        trace('broker: restarting');
        await broker.restart('SIGTERM');
        trace('broker: up again');
        brokerRestartsDone++;
        continue;
      }
      if (killAt.length > 0 && progress >= killAt[0]) {
        killAt.shift();
        const c = child;
        log(`chaos: killing the publisher (SIGKILL, pid ${c.pid}) at ${Math.round(progress * 100)}%`);
        const exited = new Promise<void>((res) => c.once('exit', () => res()));
        trace(`publisher: SIGKILL at q1=${sentQ1} q2=${sentQ2}`);
        c.kill('SIGKILL');
        await exited;
        await sleep(300);
        child = startPublisher();
        clientRestartsDone++;
        continue;
      }
      if (corruptAt.length > 0 && progress >= corruptAt[0] && subProxy.connections.length > 0) {
        corruptAt.shift();
        log('chaos: corrupting the header of the next PUBLISH to the subscriber');
        void subProxy.corruptNext({ direction: 'down', packetType: 3 }).then(() => {
          corruptionsDone++;
        });
        continue;
      }
      const schedulesDone = restartAt.length === 0 && killAt.length === 0 && corruptAt.length === 0;
      if (proxyFaults() < faultTarget) injectOne();
      else if (schedulesDone) break;
      // A run that stops moving (the publisher stuck) ends with what it has.
      const moved = sentQ1 + sentQ2 + tallies[1].received + tallies[2].received;
      if (moved !== lastProgressValue) {
        lastProgressValue = moved;
        lastProgressAt = Date.now();
      } else if (Date.now() - lastProgressAt > drainTimeout) {
        problems.push(`no progress for ${drainTimeout} ms (publisher done: ${publisherDone})`);
        break;
      }
    }
    pubProxy.resume();
    subProxy.resume();
    pubProxy.fragment(false);
    subProxy.fragment(false);
    pubProxy.delay(0);
    subProxy.delay(0);
    if (!publisherDone) {
      log('chaos: faults done; waiting for the publisher to finish');
      const deadline = Date.now() + drainTimeout;
      while (!publisherDone && Date.now() < deadline) await sleep(50);
      if (!publisherDone) problems.push(`the publisher did not finish within ${drainTimeout} ms of the last fault`);
    }

    // ---- drain ------------------------------------------------------------------------
    log('chaos: waiting for the subscriber to receive everything');
    const complete = () => tallies[1].distinct >= sentQ1 && tallies[2].distinct >= sentQ2;
    while (!complete() && Date.now() - lastDelivery < drainTimeout) await sleep(50);
    // Late duplicates (a resend crossing an acknowledgement) would come now.
    await sleep(1000);
    if (subErrors > 0) log(`chaos: the subscriber saw ${subErrors} connection error(s) (faults at work)`);
  } finally {
    const c = child as ChildProcess | null;
    if (c !== null && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((res) => c.once('exit', () => res()));
      c.kill('SIGKILL');
      await exited;
    }
    if (subscriber !== null) await subscriber.endAsync(true);
    if (pubProxy !== null) await pubProxy.stop();
    if (subProxy !== null) await subProxy.stop();
    if (broker !== null) await broker.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  }
  const faultKinds = () => {
    const k: { [kind: string]: number } = Object.assign({}, periods);
    const stats = [pubProxy, subProxy].map((x) => (x === null ? { cuts: 0, stalls: 0, corruptions: 0 } : x.stats));
    k.cut = stats[0].cuts + stats[1].cuts;
    k['stall-short'] = stats[0].stalls + stats[1].stalls - longStalls;
    k['stall-until-keepalive'] = longStalls;
    k['corrupt-header'] = stats[0].corruptions + stats[1].corruptions;
    return k;
  };
  for (let q = 1; q <= 2; q++) {
    const sent = q === 1 ? sentQ1 : sentQ2;
    const lost = tallies[q].ranges(sent, (c) => c === 0);
    if (lost.length > 0) problems.push(`QoS ${q} lost: ${lost.slice(0, 20).join(', ')}${lost.length > 20 ? ', ...' : ''}`);
    const dup = tallies[q].ranges(sent, (c) => c > 1);
    if (q === 2 && dup.length > 0) problems.push(`QoS 2 duplicated: ${dup.slice(0, 20).join(', ')}${dup.length > 20 ? ', ...' : ''}`);
  }
  if (process.env.CHAOS_TRACE_FILE !== undefined) {
    const all: string[] = [];
    for (const id of Object.keys(packetLog)) for (const l of packetLog[Number(id)]) all.push(`${l} id ${id}`);
    all.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    writeFileSync(process.env.CHAOS_TRACE_FILE, all.concat(timeline).join('\n') + '\n');
  }
  if (corruptionsDone < corruptions) problems.push(`only ${corruptionsDone} of ${corruptions} corruption(s) happened`);
  return {
    result: {
      qos1: tallies[1].result(sentQ1),
      qos2: tallies[2].result(sentQ2),
      faults: proxyFaults(),
      broker_restarts: brokerRestartsDone,
      client_restarts: clientRestartsDone,
    },
    seed,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    faultKinds: faultKinds(),
    unexpected: tallies[1].unexpected + tallies[2].unexpected,
    problems,
    timeline,
  };
}

/** The per-QoS table and the final JSON line, as `npm run chaos` prints them. */
export function formatReport(r: ChaosReport): string {
  const rows = [['', 'sent', 'received', 'lost', 'duplicated', 'out of order']];
  for (const [name, c] of [['QoS 1', r.result.qos1], ['QoS 2', r.result.qos2]] as const) {
    rows.push([name, String(c.sent), String(c.received), String(c.lost), String(c.duplicated), String(c.out_of_order)]);
  }
  const lines = padColumns(rows, 1).map((row) => row.join('  '));
  const kinds = Object.keys(r.faultKinds).sort().map((k) => `${k} ${r.faultKinds[k]}`).join(', ');
  lines.push('');
  lines.push(`faults: ${r.result.faults} (${kinds}); broker restarts: ${r.result.broker_restarts}; publisher kills: ${r.result.client_restarts}; seed ${r.seed}; ${r.seconds} s`);
  if (r.unexpected > 0) lines.push(`unexpected messages: ${r.unexpected}`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  lines.push(JSON.stringify(r.result));
  return lines.join('\n');
}
