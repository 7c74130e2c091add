// The chaos run's publishing process (started, killed and restarted by tools/chaos/run.ts
// through child_process.fork). A firmqtt client with the FileStore and clean=false sends
// sequence-numbered QoS 1 and QoS 2 messages at a steady pace, and reports progress to
// the parent.
//
// Surviving SIGKILL: a message counts as sent once publish() has returned, because its
// record is then in the FileStore and the client resends it after a restart. The
// process also notes, after each publish() returns, the next sequence number in a state
// file (written to a temporary file and renamed). A kill can land between the two
// writes; then the store holds a message the state file does not know about, so on
// start the publisher looks for the next number's payload in the store and, if it is
// there, starts after it: no number is published twice or skipped.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect, FileStore } from '../../targets/node/index';

export interface PublisherConfig {
  url: string;
  clientId: string;
  storeDir: string;
  stateFile: string;
  /** messages per QoS */
  messages: number;
  /** messages per QoS per second */
  rate: number;
  protocolVersion: 4 | 5;
  keepalive: number;
  /** bytes of padding after the sequence marker */
  padding: number;
}

export type PublisherMessage =
  | { type: 'started'; q1: number; q2: number; restored: number }
  | { type: 'progress'; q1: number; q2: number; inflight: number; queued: number; connected: boolean }
  | { type: 'error'; message: string }
  | { type: 'done'; q1: number; q2: number };

/** The payload of message `seq` at `qos`: a marker the subscriber parses and the restart check finds. */
export function payloadOf(qos: number, seq: number, padding: number): Buffer {
  return Buffer.from(`|q${qos}:${seq}|` + '.'.repeat(padding));
}

/** Most messages of this process not yet completed (kept below the client's maxQueued). */
const WINDOW = 200;

function send(m: PublisherMessage): void {
  if (process.send !== undefined) process.send(m);
}

function readState(file: string): { q1: number; q2: number } {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { q1: number; q2: number };
    return { q1: s.q1, q2: s.q2 };
  } catch {
    return { q1: 1, q2: 1 };
  }
}

function writeState(file: string, q1: number, q2: number): void {
  writeFileSync(file + '.tmp', JSON.stringify({ q1, q2 }));
  renameSync(file + '.tmp', file);
}

/** Whether some record in the store holds this exact payload marker. */
function storeHolds(store: FileStore, marker: Buffer): boolean {
  for (const key of store.keys('')) {
    const data = store.get(key);
    if (data !== undefined && Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(marker) >= 0) return true;
  }
  return false;
}

export function runPublisher(cfg: PublisherConfig): void {
  const store = new FileStore(cfg.storeDir);
  const state = readState(cfg.stateFile);
  const next = [0, state.q1, state.q2];
  for (let q = 1; q <= 2; q++) {
    if (next[q] <= cfg.messages && storeHolds(store, Buffer.from(`|q${q}:${next[q]}|`))) next[q]++;
  }
  writeState(cfg.stateFile, next[1], next[2]);
  const client = connect(cfg.url, {
    clientId: cfg.clientId,
    clean: false,
    store,
    protocolVersion: cfg.protocolVersion,
    keepalive: cfg.keepalive,
    reconnectPeriod: 100,
    reconnectBackoffMax: 1000,
    connectTimeout: 3000,
    properties: cfg.protocolVersion === 5 ? { sessionExpiryInterval: 3600 } : undefined,
  });
  send({ type: 'started', q1: next[1], q2: next[2], restored: client.inflightCount + client.queuedCount });
  let outstanding = 0;
  let finished = false;
  const t0 = Date.now();
  const first = [0, next[1], next[2]];
  const done = (error: Error | null) => {
    outstanding--;
    if (error) send({ type: 'error', message: `publish failed: ${error.message}` });
  };
  const tick = () => {
    const allowed = Math.floor(((Date.now() - t0) * cfg.rate) / 1000);
    while (outstanding < WINDOW) {
      let any = false;
      for (let q = 1; q <= 2; q++) {
        if (next[q] > cfg.messages || next[q] - first[q] >= allowed) continue;
        outstanding++;
        client.publish(`chaos/q${q}`, payloadOf(q, next[q], cfg.padding), { qos: q as 1 | 2 }, done);
        next[q]++;
        any = true;
      }
      if (!any) break;
      writeState(cfg.stateFile, next[1], next[2]);
    }
    if (!finished && next[1] > cfg.messages && next[2] > cfg.messages && outstanding === 0 && client.inflightCount + client.queuedCount === 0) {
      finished = true;
      clearInterval(timer);
      clearInterval(reporter);
      send({ type: 'done', q1: cfg.messages, q2: cfg.messages });
      client.end(false, () => process.exit(0));
    }
  };
  const timer = setInterval(tick, 5);
  const report = () => send({
    type: 'progress', q1: next[1] - 1, q2: next[2] - 1, inflight: client.inflightCount, queued: client.queuedCount, connected: client.connected,
  });
  const reporter = setInterval(report, 100);
  client.on('error', (e: Error) => {
    if (process.env.CHAOS_VERBOSE === '1') process.stderr.write(`publisher: ${e.message}\n`);
  });
}

if (process.env.CHAOS_PUBLISHER !== undefined) {
  runPublisher(JSON.parse(process.env.CHAOS_PUBLISHER) as PublisherConfig);
}
