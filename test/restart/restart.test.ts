// Messages survive a crash of the publishing process because of the FileStore.
//
// A child process (test/restart/child.ts, bundled by esbuild) runs firmqtt with
// targets/node FileStore, clean=false and a fixed client id, and publishes N QoS 1 and N
// QoS 2 messages (interleaved) while they cannot complete; the parent kills it with
// SIGKILL (no exit handlers, no flush), then starts it again with the same store against
// a working broker. A subscriber that was subscribed before it all must get every QoS 1
// message at least once and every QoS 2 message exactly once.
//
// How the acknowledgements are withheld, one test each:
//   offline    - the broker is unreachable: nothing left the process, so the messages
//                existed only in the killed process and its store;
//   blackhole  - a proxy forwards CONNECT/CONNACK, then drops everything the client
//                sends: 20 messages (the window) were sent and given packet ids, the broker
//                saw none. After the restart they must go out again with DUP and the same ids;
//   no acks    - the broker gets everything, its PUBACK/PUBREC are dropped: the window's
//                messages reached the subscriber before the kill. After the restart QoS 1
//                may repeat, QoS 2 must not (same ids, so the broker recognises them);
//   no PUBCOMP - QoS 2 got PUBREC (stored: now awaiting PUBCOMP) and sent PUBREL; after
//                the restart the client must send PUBREL, not the PUBLISH again.
// And a control: the same crash, restarted with an empty store, delivers nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from '../../targets/node/index';
import {
  blackholeAfterConnack, freePort, startAedes, startMosquitto, startProxy,
} from '../helpers/brokers';
import type { Broker, PacketFilter, Proxy } from '../helpers/brokers';
import { bundleForNode } from '../../tools/lib/bundle.mjs';
import { describeMosquitto, endAll, firm, inboxOf, publish, sharedBroker, uniqueId, until } from '../integration/suite';

const N = 100;
const WINDOW = 20;

let workDir: string;
let childBundle: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'firmqtt-restart-'));
  childBundle = join(workDir, 'child.mjs');
  // npm packages bundled in: the bundle lives in a temp dir, outside node_modules' reach.
  await bundleForNode({ entry: resolve(__dirname, 'child.ts'), outfile: childBundle, external: false, logLevel: 'warning' });
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

interface ChildEvent {
  event: string;
  [k: string]: unknown;
}

class Child {
  readonly proc: ChildProcess;
  readonly events: ChildEvent[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(args: Record<string, unknown>) {
    this.proc = spawn(process.execPath, [childBundle, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let line = '';
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      line += chunk.toString();
      let nl: number;
      while ((nl = line.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(line.slice(0, nl)) as ChildEvent);
        line = line.slice(nl + 1);
      }
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((res) => this.proc.once('exit', (code, signal) => res({ code, signal })));
  }
  async event(name: string, ms = 15000): Promise<ChildEvent> {
    await until(() => this.events.some((e) => e.event === name) || this.proc.exitCode !== null,
      `child event "${name}" (events: ${this.events.map((e) => e.event).join(', ')}; stderr: ${this.stderr})`, ms);
    const e = this.events.find((x) => x.event === name);
    if (e === undefined) throw new Error(`child exited (${this.proc.exitCode}) before "${name}": ${this.stderr}`);
    return e;
  }
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Outgoing-message records in a FileStore directory (keys 'fq/o...', file names URI-encoded). */
function storedMessages(dir: string): number {
  return readdirSync(dir).filter((name) => decodeURIComponent(name).startsWith('fq/o')).length;
}

/** PUBLISH packets as they crossed a proxy toward the broker. */
interface SeenPublish {
  topic: string;
  dup: boolean;
  qos: number;
  id: number;
}

function parsePublish(p: Uint8Array): SeenPublish {
  let i = 1;
  while (p[i] & 0x80) i++;
  i++;
  const len = (p[i] << 8) | p[i + 1];
  const topic = Buffer.from(p.subarray(i + 2, i + 2 + len)).toString();
  const qos = (p[0] >> 1) & 3;
  const id = qos > 0 ? (p[i + 2 + len] << 8) | p[i + 3 + len] : 0;
  return { topic, dup: (p[0] & 0x08) !== 0, qos, id };
}

/** A filter that forwards what `pass` allows and records every PUBLISH the client sends. */
function recording(sink: SeenPublish[], pass?: PacketFilter): PacketFilter {
  return (direction, type, packet, conn) => {
    if (direction === 'up' && type === 3) sink.push(parsePublish(packet));
    return pass === undefined ? true : pass(direction, type, packet, conn);
  };
}

const dropAcks: PacketFilter = (direction, type) => !(direction === 'down' && (type === 4 || type === 5 || type === 7));
const dropPubackAndPubcomp: PacketFilter = (direction, type) => !(direction === 'down' && (type === 4 || type === 7));

function restartSuite(version: 4 | 5, broker: () => Broker): void {
  const children: Child[] = [];
  const proxies: Proxy[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
    await endAll();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function child(args: Record<string, unknown>): Child {
    const c = new Child(Object.assign({ version, n: N }, args));
    children.push(c);
    return c;
  }

  function storeDir(): string {
    const d = mkdtempSync(join(workDir, 'store-'));
    dirs.push(d);
    return d;
  }

  async function proxy(filter?: PacketFilter): Promise<Proxy> {
    const p = await startProxy({ host: broker().host, port: broker().port }, filter);
    proxies.push(p);
    return p;
  }

  /** A subscriber to prefix/#, connected before the publisher starts, that stays connected. */
  async function subscriber(prefix: string): Promise<MqttClient> {
    const sub = await firm(broker().url, { protocolVersion: version, clientId: `${prefix}-sub` });
    await sub.subscribeAsync(`${prefix}/#`, { qos: 2 });
    return sub;
  }

  /** Publishes a marker and waits for it: whatever the broker had for `sub` is in by then. */
  let markers = 0;
  async function settle(sub: MqttClient, prefix: string): Promise<void> {
    const marker = `marker ${++markers}`;
    const pub = await firm(broker().url, { protocolVersion: version, clientId: uniqueId(`${prefix}-marker`) });
    await publish(pub, `${prefix}/marker`, marker, { qos: 1 });
    await until(() => inboxOf(sub).texts(`${prefix}/marker`).includes(marker), `marker "${marker}" at the subscriber`);
    await pub.endAsync();
  }

  function received(sub: MqttClient, prefix: string, qos: 1 | 2): Map<number, number> {
    const counts = new Map<number, number>();
    for (const m of inboxOf(sub).got) {
      if (!m.topic.startsWith(`${prefix}/q${qos}/`)) continue;
      const i = Number(m.topic.slice(`${prefix}/q${qos}/`.length));
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    return counts;
  }

  /** Every QoS 1 message at least once, every QoS 2 message exactly once, nothing else. */
  async function expectDelivered(sub: MqttClient, prefix: string): Promise<void> {
    await until(() => received(sub, prefix, 1).size === N && received(sub, prefix, 2).size === N,
      `all ${N} + ${N} messages (have QoS 1: ${received(sub, prefix, 1).size}, QoS 2: ${received(sub, prefix, 2).size})`);
    await settle(sub, prefix); // late duplicates would be in by now
    const q1 = received(sub, prefix, 1);
    const q2 = received(sub, prefix, 2);
    for (let i = 0; i < N; i++) {
      expect(q1.get(i) ?? 0, `QoS 1 message ${i}`).toBeGreaterThanOrEqual(1);
      expect(q2.get(i) ?? 0, `QoS 2 message ${i}`).toBe(1);
    }
    for (const m of inboxOf(sub).got) {
      if (m.topic.includes('/q1/')) expect(m.text).toBe(`one ${m.topic.split('/').pop()}`);
      if (m.topic.includes('/q2/')) expect(m.text).toBe(`two ${m.topic.split('/').pop()}`);
    }
  }

  /** Starts the same client again with `dir` against the broker (through `via` when given) and waits until it has nothing left. */
  async function resume(prefix: string, dir: string, via?: Proxy): Promise<void> {
    const c = child({ mode: 'resume', url: (via ?? broker()).url, storeDir: dir, clientId: `${prefix}-device`, prefix });
    await c.event('drained');
    expect(await c.exited).toEqual({ code: 0, signal: null });
  }

  it('offline: messages published while the broker was unreachable are delivered after SIGKILL and a restart', async () => {
    const prefix = uniqueId(`offline-v${version}`);
    const sub = await subscriber(prefix);
    const dir = storeDir();
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const first = child({ mode: 'publish', url: dead, storeDir: dir, clientId: `${prefix}-device`, prefix });
    expect(await first.event('published')).toMatchObject({ inflight: 0, queued: 2 * N });
    await first.kill();
    expect(first.events.some((e) => e.event === 'connect')).toBe(false);
    // The messages exist only in the store: no broker has seen any of them.
    expect(storedMessages(dir)).toBe(2 * N);
    await settle(sub, prefix);
    expect(inboxOf(sub).got.filter((m) => !m.topic.endsWith('/marker'))).toEqual([]);

    await resume(prefix, dir);
    await expectDelivered(sub, prefix);
    expect(storedMessages(dir)).toBe(0);
  });

  it('control: the same crash restarted with an empty store delivers nothing', async () => {
    const prefix = uniqueId(`control-v${version}`);
    const sub = await subscriber(prefix);
    const dir = storeDir();
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const first = child({ mode: 'publish', url: dead, storeDir: dir, clientId: `${prefix}-device`, prefix });
    await first.event('published');
    await first.kill();
    expect(storedMessages(dir)).toBe(2 * N);
    await resume(prefix, storeDir());
    await settle(sub, prefix);
    expect(inboxOf(sub).got.filter((m) => !m.topic.endsWith('/marker'))).toEqual([]);
    expect(storedMessages(dir)).toBe(2 * N);
  });

  it('blackhole: messages sent into a dead link are resent with DUP and their packet ids after SIGKILL and a restart', async () => {
    const prefix = uniqueId(`blackhole-v${version}`);
    const sub = await subscriber(prefix);
    const dir = storeDir();
    const before: SeenPublish[] = [];
    const hole = await proxy(recording(before, blackholeAfterConnack));
    const first = child({ mode: 'publish', url: hole.url, storeDir: dir, clientId: `${prefix}-device`, prefix });
    await first.event('connect');
    await until(() => before.length >= WINDOW, `${WINDOW} PUBLISHes into the blackhole (saw ${before.length})`);
    await first.kill();
    await hole.stop();
    expect(before).toHaveLength(WINDOW);
    expect(storedMessages(dir)).toBe(2 * N);
    await settle(sub, prefix);
    expect(inboxOf(sub).got.filter((m) => !m.topic.endsWith('/marker'))).toEqual([]);

    const after: SeenPublish[] = [];
    await resume(prefix, dir, await proxy(recording(after)));
    await expectDelivered(sub, prefix);
    // The window went out again first, in order, with DUP and the same packet ids [MQTT-3.3.1-1].
    expect(after.slice(0, WINDOW)).toEqual(before.map((p) => Object.assign({}, p, { dup: true })));
    expect(after.slice(WINDOW).every((p) => !p.dup)).toBe(true);
    expect(after).toHaveLength(2 * N);
    expect(storedMessages(dir)).toBe(0);
  });

  it('no acks: QoS 2 messages the broker already has are not delivered twice after SIGKILL and a restart', async () => {
    const prefix = uniqueId(`noacks-v${version}`);
    const sub = await subscriber(prefix);
    const dir = storeDir();
    const before: SeenPublish[] = [];
    const link = await proxy(recording(before, dropAcks));
    const first = child({ mode: 'publish', url: link.url, storeDir: dir, clientId: `${prefix}-device`, prefix });
    await until(() => link.seen.down[4] + link.seen.down[5] >= WINDOW, `the broker acknowledging ${WINDOW} messages (dropped by the proxy)`);
    // The window's QoS 1 messages reached the subscriber before the crash. (Its QoS 2
    // messages did too on aedes, which forwards on PUBLISH; Mosquitto holds them until PUBREL.)
    await until(() => received(sub, prefix, 1).size === WINDOW / 2, 'the first window\'s QoS 1 messages at the subscriber');
    await first.kill();
    await link.stop();
    expect(storedMessages(dir)).toBe(2 * N);

    const after: SeenPublish[] = [];
    await resume(prefix, dir, await proxy(recording(after)));
    await expectDelivered(sub, prefix);
    expect(after.slice(0, WINDOW)).toEqual(before.slice(0, WINDOW).map((p) => Object.assign({}, p, { dup: true })));
    expect(storedMessages(dir)).toBe(0);
  });

  it('no PUBCOMP: QoS 2 messages past PUBREC are released (PUBREL), not published again, after SIGKILL and a restart', async () => {
    const prefix = uniqueId(`nopubcomp-v${version}`);
    const sub = await subscriber(prefix);
    const dir = storeDir();
    const before: SeenPublish[] = [];
    const link = await proxy(recording(before, dropPubackAndPubcomp));
    const first = child({ mode: 'publish', url: link.url, storeDir: dir, clientId: `${prefix}-device`, prefix });
    await until(() => link.seen.down[4] >= WINDOW / 2 && link.seen.down[7] >= WINDOW / 2, 'PUBACK and PUBCOMP for the first window (dropped by the proxy)');
    await first.kill();
    await link.stop();
    expect(link.seen.up[6]).toBe(WINDOW / 2);
    expect(storedMessages(dir)).toBe(2 * N);

    const after: SeenPublish[] = [];
    const watch = await proxy(recording(after));
    await resume(prefix, dir, watch);
    await expectDelivered(sub, prefix);
    const releasedIds = before.filter((p) => p.qos === 2).map((p) => p.id);
    // Not one of the released QoS 2 messages was published again; each got its PUBREL.
    expect(after.filter((p) => p.qos === 2 && releasedIds.includes(p.id) && p.dup)).toEqual([]);
    expect(watch.seen.up[6]).toBe(N);
    expect(after.filter((p) => p.qos === 2)).toHaveLength(N - WINDOW / 2);
    expect(storedMessages(dir)).toBe(0);
  });
}

describe('restart with a FileStore, through aedes (MQTT 3.1.1)', () => {
  const broker = sharedBroker(startAedes);
  restartSuite(4, broker);
});

describeMosquitto('restart with a FileStore, through Mosquitto', () => {
  const broker = sharedBroker(startMosquitto);
  describe('MQTT 3.1.1', () => {
    restartSuite(4, broker);
  });
  describe('MQTT 5', () => {
    restartSuite(5, broker);
  });
});
