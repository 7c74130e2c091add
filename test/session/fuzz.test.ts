// Seeded model-based fuzz of the main session's delivery guarantees.
//
// A random list of operations (publish, a fake broker taking packets off the wire and
// answering them in any order, drops, reconnects with or without a session, process
// restarts on the same MemoryStore, broker-sent QoS 1/2 messages with DUP resends, manual
// acks) is run against Session through the test Harness; a model of the broker and of the
// application checks each packet and event as it happens, then a final connection where
// the broker answers everything drives the run to completion and the end state is checked.
//
// Replay one run:   FUZZ_SEED=1234 npx vitest run ...   (prints the shrunk operation list)
// Scale:            FUZZ_RUNS=5000 FUZZ_STEPS=120
import { describe, expect, it } from 'vitest';
import { Harness } from './harness';
import { MemoryStore } from '../../src/store/store';
import { mulberry32 } from '../../tools/lib/prng';
import { EV_CLOSE, EV_DONE, EV_ERROR, EV_MESSAGE, EV_SERVER_DISCONNECT } from '../../src/session/events';
import { CONNACK, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL } from '../../src/codec/packets';
import type { AckPacket, Packet, PublishPacket, ReceivedPublish } from '../../src/codec/packets';

// ---- operations (state-independent, so a list can be shrunk by deleting entries) -------
type Op =
  | { k: 'pub'; qos: 0 | 1 | 2; size: number }
  | { k: 'deliver'; n: number; refuse: boolean } // broker reads n packets off the wire (MQTT 5: refuses the first PUBLISH, 0x80)
  | { k: 'sack'; pick: number; dup: boolean } // broker sends one of its pending answers
  | { k: 'drop' }
  | { k: 'connect'; sp: boolean; rm: number } // open + CONNACK (rm 0: no Receive Maximum)
  | { k: 'open' }
  | { k: 'connack'; sp: boolean; rm: number }
  | { k: 'restart' }
  | { k: 'spub'; qos: 1 | 2 } // broker publishes a new message to the client
  | { k: 'sresend'; pick: number } // broker resends (DUP) on the same connection (3.1.1 only)
  | { k: 'appAck'; pick: number; stale: boolean };

interface Config {
  v: 4 | 5;
  maxInflight: number | undefined;
  manualAcks: boolean;
  clientRM: number | undefined; // our Receive Maximum (MQTT 5 CONNECT property)
  blockSize: number;
  finalSp: boolean;
  brokerLowestId: boolean; // broker gives its messages the lowest free packet id (else sequential)
  nearWrap: boolean; // the client's packet ids start at 65531, so they wrap within the run
}

function genConfig(r: () => number): Config {
  const v = r() < 0.5 ? 4 : 5;
  return {
    v,
    maxInflight: r() < 0.3 ? undefined : 1 + Math.floor(r() * 6),
    manualAcks: r() < 0.4,
    clientRM: v === 5 && r() < 0.5 ? 1 + Math.floor(r() * 4) : undefined,
    blockSize: [64, 256, 4096][Math.floor(r() * 3)],
    finalSp: r() < 0.8,
    brokerLowestId: r() < 0.5,
    nearWrap: r() < 0.2,
  };
}

function genOps(r: () => number, steps: number): Op[] {
  const ops: Op[] = [];
  const pick = <T>(xs: [number, () => T][]): T => {
    let total = 0;
    for (const [w] of xs) total += w;
    let x = r() * total;
    for (const [w, f] of xs) {
      if (x < w) return f();
      x -= w;
    }
    return xs[xs.length - 1][1]();
  };
  for (let i = 0; i < steps; i++) {
    ops.push(pick<Op>([
      [25, () => ({ k: 'pub', qos: Math.floor(r() * 3) as 0 | 1 | 2, size: r() < 0.1 ? Math.floor(r() * 3000) : Math.floor(r() * 80) })],
      [16, () => ({ k: 'deliver', n: 1 + Math.floor(r() * 4), refuse: r() < 0.05 })],
      [20, () => ({ k: 'sack', pick: r(), dup: r() < 0.15 })],
      [5, () => ({ k: 'drop' })],
      [8, () => ({ k: 'connect', sp: r() < 0.75, rm: r() < 0.5 ? 0 : 1 + Math.floor(r() * 5) })],
      [2, () => ({ k: 'open' })],
      [2, () => ({ k: 'connack', sp: r() < 0.75, rm: r() < 0.5 ? 0 : 1 + Math.floor(r() * 5) })],
      [3, () => ({ k: 'restart' })],
      [8, () => ({ k: 'spub', qos: r() < 0.7 ? 2 : 1 })],
      [3, () => ({ k: 'sresend', pick: r() })],
      [6, () => ({ k: 'appAck', pick: r(), stale: r() < 0.1 })],
    ]));
  }
  return ops;
}

// ---- the model ----------------------------------------------------------------------
interface OutMsg {
  idx: number;
  qos: 0 | 1 | 2;
  proc: number; // process that published it (its callback dies with the process)
  id: number; // packet id of its first PUBLISH (0 until sent)
  emitted: boolean;
  recReceived: boolean; // the client got a success PUBREC for it
  completed: boolean; // the client got its final ack (model view)
  refused: boolean;
  dones: number;
  srvRecv: number; // PUBLISHes of it the broker read
  srvDeliver: number; // times the broker passed it on (QoS 2: once per session state)
  srvStateLost: boolean; // the broker lost its QoS 2 state for it (clean session)
  onConn: number; // last connection it was written on
}

interface InMsg {
  sidx: number;
  qos: 1 | 2;
  id: number;
  stage: 'pub' | 'rel';
  deliveries: number;
  pubrecEmitted: boolean;
  forgotten: boolean;
  done: boolean;
}

class Violation extends Error {}

/** What the runs exercised (so a green run can be told from a run that did nothing). */
const stats: { [k: string]: number } = {};
function count(k: string): void {
  stats[k] = (stats[k] ?? 0) + 1;
}

class Run {
  log: string[] = [];
  cfg: Config;
  store = new MemoryStore();
  h!: Harness;
  proc = 0;
  conn = 0;
  connected = false;
  window = 0;
  msgs: OutMsg[] = [];
  // wire, client -> broker (lost on drop)
  wire: Packet[] = [];
  // broker's answers and sends it has not made yet on this connection
  pending: Packet[] = [];
  // broker session state
  srvQos2 = new Map<number, number>(); // id -> msg idx, PUBLISH received, PUBREL not yet
  outgoing: InMsg[] = []; // broker -> client messages unfinished
  inMsgs: InMsg[] = [];
  srvNextId = 0;
  // QoS 1 ids the broker retransmitted on this connection: a PUBACK for each copy may still
  // come, so a sane broker does not give the id to a new message before the next connection
  tainted = new Set<number>();
  // PUBRECs sent this step for ids the client holds nothing for (it may answer PUBREL 0x92)
  strayPubrec = new Set<number>();
  // application side (manual acks)
  unacked: { p: ReceivedPublish; conn: number; sidx: number }[] = [];
  stale: ReceivedPublish[] = [];
  // order checks
  lastFirst = -1;
  lastOnConn = -1;

  constructor(cfg: Config) {
    this.cfg = cfg;
    this.newProcess();
  }

  fail(msg: string): never {
    throw new Violation(msg);
  }

  newProcess(): void {
    this.proc++;
    this.h = new Harness({
      protocolVersion: this.cfg.v, clientId: 'fuzz', clean: false, keepalive: 0, store: this.store,
      maxInflight: this.cfg.maxInflight, manualAcks: this.cfg.manualAcks, outboxBlockSize: this.cfg.blockSize,
      properties: this.cfg.v === 5 && this.cfg.clientRM !== undefined ? { receiveMaximum: this.cfg.clientRM } : undefined,
    });
    this.connected = false;
    if (this.cfg.nearWrap) {
      // white-box: start the id counter near 65535 (ids in use are still skipped)
      const sx = this.h.session as unknown as { lastId: number };
      if (sx.lastId < 65530) sx.lastId = 65530;
    }
  }

  clientRM(): number {
    return this.cfg.clientRM === undefined ? 65535 : this.cfg.clientRM;
  }

  connLost(): void {
    this.connected = false;
    this.wire = [];
    this.pending = [];
    this.tainted.clear();
    for (const u of this.unacked) this.stale.push(u.p);
    this.unacked = [];
  }

  bound(id: number): OutMsg | undefined {
    for (const m of this.msgs) if (m.qos > 0 && m.emitted && !m.completed && m.id === id) return m;
    return undefined;
  }

  // what the client wrote, checked as it comes
  pump(): void {
    for (;;) {
      const out = this.h.sent();
      const evs = this.h.events();
      if (out.length === 0 && evs.length === 0) break;
      for (const p of out) this.onClientPacket(p);
      for (const e of evs) {
        if (e.kind === EV_DONE) e.done(e.error, e.packet);
        else if (e.kind === EV_MESSAGE) this.onDeliver(e.packet);
        else if (e.kind === EV_ERROR) this.fail('client error event: ' + e.error.message);
        else if (e.kind === EV_SERVER_DISCONNECT) this.fail('unexpected server disconnect event');
        else if (e.kind === EV_CLOSE) {
          if (e.error !== null) this.fail('client closed with error: ' + e.error.message);
          this.h.drop();
          this.connLost();
        }
      }
    }
    this.strayPubrec.clear();
  }

  onClientPacket(p: Packet): void {
    if (!this.connected) this.fail('client wrote packet type ' + p.type + ' while not connected');
    if (p.type === PUBLISH) {
      const pp = p as PublishPacket;
      const text = new TextDecoder().decode(pp.payload as Uint8Array);
      const idx = parseInt(text.slice(1), 10);
      const m = this.msgs[idx];
      if (m === undefined || pp.qos !== m.qos) this.fail('PUBLISH of unknown message or wrong QoS: ' + text.slice(0, 12));
      if (m.qos === 0) {
        if (pp.dup) this.fail(`QoS 0 message m${idx} with DUP`);
        if (m.emitted) this.fail(`QoS 0 message m${idx} written twice`);
      } else {
        const id = pp.messageId as number;
        if (!(id >= 1 && id <= 65535)) this.fail(`m${idx} bad packet id ${id}`);
        if (m.completed) this.fail(`m${idx} PUBLISH after it was completed`);
        if (m.recReceived) this.fail(`m${idx} PUBLISH again after PUBREC was received [MQTT-4.3.3]`);
        if (!m.emitted) {
          if (pp.dup) this.fail(`m${idx} first PUBLISH has DUP`);
          const other = this.bound(id);
          if (other !== undefined) this.fail(`packet id ${id} given to m${idx} while m${other.idx} still holds it`);
          m.id = id;
        } else {
          count('client PUBLISH resent (DUP)');
          if (!pp.dup) this.fail(`m${idx} resent without DUP [MQTT-3.3.1-1]`);
          if (id !== m.id) this.fail(`m${idx} resent with id ${id}, first sent as ${m.id} [MQTT-4.4.0-1]`);
        }
        if (m.onConn !== this.conn) {
          // first write of m on this connection: in publish order
          if (idx <= this.lastOnConn) this.fail(`m${idx} written after m${this.lastOnConn} on one connection: order broken`);
          this.lastOnConn = idx;
        }
        m.onConn = this.conn;
        let inflight = 0;
        for (const x of this.msgs) if (x.qos > 0 && !x.completed && x.onConn === this.conn) inflight++;
        if (inflight > this.window) this.fail(`${inflight} QoS 1/2 PUBLISHes in flight, window ${this.window}`);
      }
      if (!m.emitted) {
        if (idx <= this.lastFirst) this.fail(`first write of m${idx} after first write of m${this.lastFirst}: publish order broken`);
        this.lastFirst = idx;
      }
      if (m.qos === 0 && idx > this.lastOnConn) this.lastOnConn = idx;
      m.emitted = true;
    } else if (p.type === PUBREL) {
      const a = p as AckPacket;
      const m = this.bound(a.messageId);
      const code = a.reasonCode === undefined ? 0 : a.reasonCode;
      if (m !== undefined && m.recReceived) {
        if (code !== 0) this.fail(`PUBREL ${a.messageId} for m${m.idx} with reason ${code}`);
      } else if (this.strayPubrec.has(a.messageId)) count('client PUBREL for stray PUBREC');
      else {
        this.fail(`PUBREL ${a.messageId} but the broker sent no PUBREC for it`);
      }
    } else if (p.type === PUBREC) {
      const e = this.outgoing.find((x) => x.id === (p as AckPacket).messageId);
      if (e !== undefined && e.qos === 2) {
        const code = (p as AckPacket).reasonCode === undefined ? 0 : (p as AckPacket).reasonCode as number;
        if (code < 0x80) e.pubrecEmitted = true;
      }
    }
    this.wire.push(p);
  }

  onDeliver(p: ReceivedPublish): void {
    const text = new TextDecoder().decode(p.payload);
    const sidx = parseInt(text.slice(1), 10);
    const im = this.inMsgs[sidx];
    if (im === undefined) this.fail('delivered unknown message ' + text);
    // (auto acks: the PUBREC is written before the event is pulled, so deliveries is 0 then)
    if (im.qos === 2 && im.pubrecEmitted && im.deliveries > 0) this.fail(`inbound QoS 2 s${sidx} delivered again after the client sent PUBREC (delivery ${im.deliveries + 1})`);
    if (im.qos === 2 && !this.cfg.manualAcks && im.deliveries > 0) this.fail(`inbound QoS 2 s${sidx} delivered twice`);
    im.deliveries++;
    count(im.deliveries > 1 ? 'inbound redelivered (manual ack, not acked)' : 'inbound delivered');
    if (this.cfg.manualAcks) this.unacked.push({ p, conn: this.conn, sidx });
  }

  // ---- broker ----------------------------------------------------------------------
  brokerRead(p: Packet, refuse: boolean): void {
    const v5 = this.cfg.v === 5;
    if (p.type === PUBLISH) {
      const pp = p as PublishPacket;
      const idx = parseInt(new TextDecoder().decode(pp.payload as Uint8Array).slice(1), 10);
      const m = this.msgs[idx];
      const id = pp.messageId as number;
      m.srvRecv++;
      if (pp.qos === 1) {
        this.pending.push(refuse ? { type: PUBACK, messageId: id, reasonCode: 0x80 } : { type: PUBACK, messageId: id });
      } else if (pp.qos === 2) {
        const held = this.srvQos2.get(id);
        if (held !== undefined) {
          count('broker: QoS 2 duplicate PUBLISH held back');
          if (held !== idx) this.fail(`broker holds QoS 2 state for id ${id} (m${held}) and the client reused it for m${idx}: m${idx} would be dropped as a duplicate`);
        } else if (refuse) {
          this.pending.push({ type: PUBREC, messageId: id, reasonCode: 0x80 });
          return;
        } else {
          m.srvDeliver++;
          this.srvQos2.set(id, idx);
        }
        this.pending.push({ type: PUBREC, messageId: id });
      }
    } else if (p.type === PUBREL) {
      const id = (p as AckPacket).messageId;
      const held = this.srvQos2.get(id);
      if (held !== undefined) this.srvQos2.delete(id);
      this.pending.push(v5 && held === undefined ? { type: PUBCOMP, messageId: id, reasonCode: 0x92 } : { type: PUBCOMP, messageId: id });
    } else if (p.type === PUBREC) {
      const a = p as AckPacket;
      const e = this.outgoing.find((x) => x.id === a.messageId);
      if (e !== undefined && e.qos === 2) {
        if ((a.reasonCode ?? 0) >= 0x80) {
          this.outgoing.splice(this.outgoing.indexOf(e), 1);
          e.done = true;
        } else {
          e.stage = 'rel';
          this.pending.push({ type: PUBREL, messageId: e.id });
        }
      }
    } else if (p.type === PUBCOMP) {
      const e = this.outgoing.find((x) => x.id === (p as AckPacket).messageId);
      if (e !== undefined && e.stage === 'rel') {
        this.outgoing.splice(this.outgoing.indexOf(e), 1);
        e.done = true;
      }
    } else if (p.type === PUBACK) {
      const e = this.outgoing.find((x) => x.id === (p as AckPacket).messageId);
      if (e !== undefined && e.qos === 1) {
        this.outgoing.splice(this.outgoing.indexOf(e), 1);
        e.done = true;
      }
    }
  }

  brokerSend(p: Packet): void {
    // the model's view of what the client now knows
    if (p.type === PUBACK) {
      const m = this.bound((p as AckPacket).messageId);
      if (m !== undefined && m.qos === 1) {
        m.completed = true;
        if (((p as AckPacket).reasonCode ?? 0) >= 0x80) m.refused = true;
      }
    } else if (p.type === PUBREC) {
      const a = p as AckPacket;
      const m = this.bound(a.messageId);
      if (m !== undefined && m.qos === 2 && !m.recReceived) {
        if ((a.reasonCode ?? 0) >= 0x80) {
          m.completed = true;
          m.refused = true;
        } else m.recReceived = true;
      } else if (m === undefined || m.qos !== 2) this.strayPubrec.add(a.messageId);
    } else if (p.type === PUBCOMP) {
      const m = this.bound((p as AckPacket).messageId);
      if (m !== undefined && m.qos === 2 && m.recReceived) m.completed = true;
    }
    this.h.serverSends(p);
  }

  srvPublish(e: InMsg, dup: boolean): Packet {
    if (e.stage === 'rel') return { type: PUBREL, messageId: e.id };
    return { type: PUBLISH, topic: 'in', payload: new TextEncoder().encode('s' + e.sidx), qos: e.qos, retain: false, dup, messageId: e.id };
  }

  doConnack(sp: boolean, rm: number): void {
    this.conn++;
    this.lastOnConn = -1;
    this.connected = true;
    count(sp ? 'connack sessionPresent' : 'connack no session');
    if (!sp) {
      for (const idx of this.srvQos2.values()) this.msgs[idx].srvStateLost = true;
      this.srvQos2.clear();
      for (const e of this.outgoing) e.forgotten = true;
      this.outgoing = [];
    }
    const props = this.cfg.v === 5 && rm > 0 ? { receiveMaximum: rm } : undefined;
    const mi = this.cfg.maxInflight === undefined ? (this.cfg.v === 5 ? 65535 : 20) : this.cfg.maxInflight;
    this.window = props !== undefined ? Math.min(mi, rm) : mi;
    this.h.serverSends({ type: CONNACK, sessionPresent: sp, reasonCode: 0, properties: props });
    // the broker resends its unfinished messages, in order, DUP
    for (const e of this.outgoing) this.pending.push(this.srvPublish(e, true));
  }

  // ---- operations --------------------------------------------------------------------
  exec(op: Op): void {
    count('op ' + op.k);
    const h = this.h;
    const st = h.session.state;
    switch (op.k) {
      case 'pub': {
        const idx = this.msgs.length;
        const m: OutMsg = {
          idx, qos: op.qos, proc: this.proc, id: 0, emitted: false, recReceived: false, completed: false, refused: false,
          dones: 0, srvRecv: 0, srvDeliver: 0, srvStateLost: false, onConn: -1,
        };
        this.msgs.push(m);
        const proc = this.proc;
        const payload = 'm' + idx + ':' + 'x'.repeat(op.size);
        h.session.publish('o', payload, { qos: op.qos }, h.now, (err) => {
          if (this.proc !== proc) this.fail(`m${idx} callback ran in a later process`);
          m.dones++;
          count(err === null ? 'publish callback ok' : 'publish callback refused');
          if (m.dones > 1) this.fail(`m${idx} callback called ${m.dones} times`);
          if (m.qos === 0 ? !m.emitted : !m.completed) this.fail(`m${idx} callback (err=${err && err.message}) before the broker acknowledged it`);
          if (m.qos > 0 && (err !== null) !== m.refused) this.fail(`m${idx} callback error ${err && err.message}, refused=${m.refused}`);
        });
        break;
      }
      case 'deliver': {
        let refuse = op.refuse && this.cfg.v === 5;
        for (let i = 0; i < op.n && this.wire.length > 0; i++) {
          const p = this.wire.shift() as Packet;
          this.brokerRead(p, refuse && p.type === PUBLISH);
          if (p.type === PUBLISH) refuse = false;
        }
        break;
      }
      case 'sack': {
        if (!this.connected || this.pending.length === 0) return;
        const k = Math.floor(op.pick * this.pending.length);
        const p = this.pending.splice(k, 1)[0];
        if (p.type === PUBLISH || p.type === PUBREL) {
          const id = (p as AckPacket).messageId;
          const e = this.outgoing.find((x) => x.id === id);
          const sidx = p.type === PUBLISH ? parseInt(new TextDecoder().decode((p as PublishPacket).payload as Uint8Array).slice(1), 10) : -1;
          if (e === undefined || (p.type === PUBLISH ? e.stage !== 'pub' || e.sidx !== sidx : e.stage !== 'rel')) {
            count('broker: stale queued send discarded');
            break;
          }
        }
        this.brokerSend(p);
        // Only answers that cannot meet a reused id are duplicated: a second PUBACK/PUBREC X
        // can complete a new message the client gave the freed id X (a broker bug, not the client's).
        if (op.dup && (p.type === PUBCOMP || p.type === PUBREL)) {
          this.pump();
          if (this.connected) this.brokerSend(p);
        }
        break;
      }
      case 'drop':
        if (st === 0) return;
        h.drop();
        this.connLost();
        break;
      case 'open':
        if (st !== 0) return;
        this.connected = true; // the transport is up (CONNECT goes out)
        h.session.open(h.now);
        h.sent();
        break;
      case 'connack':
        if (st !== 1) return;
        this.doConnack(op.sp, op.rm);
        break;
      case 'connect':
        if (st !== 0) return;
        this.connected = true;
        h.session.open(h.now);
        h.sent();
        this.doConnack(op.sp, op.rm);
        break;
      case 'restart':
        this.connLost();
        this.newProcess();
        break;
      case 'spub': {
        if (!this.connected || st !== 2) return;
        if (this.outgoing.length >= this.clientRM()) return;
        let id = this.cfg.brokerLowestId ? 0 : this.srvNextId;
        do id = (id % 65535) + 1; while (this.outgoing.some((x) => x.id === id) || this.tainted.has(id));
        this.srvNextId = id;
        const e: InMsg = { sidx: this.inMsgs.length, qos: op.qos, id, stage: 'pub', deliveries: 0, pubrecEmitted: false, forgotten: false, done: false };
        this.inMsgs.push(e);
        this.outgoing.push(e);
        this.pending.push(this.srvPublish(e, false));
        break;
      }
      case 'sresend': {
        // MQTT 5 forbids resending on the same connection [MQTT-4.4.0-1]; 3.1.1 brokers may
        if (this.cfg.v === 5 || !this.connected || st !== 2 || this.outgoing.length === 0) return;
        const e = this.outgoing[Math.floor(op.pick * this.outgoing.length)];
        if (e.qos === 1) this.tainted.add(e.id);
        this.brokerSend(this.srvPublish(e, true));
        break;
      }
      case 'appAck': {
        if (op.stale && this.stale.length > 0) {
          h.session.ack(this.stale[Math.floor(op.pick * this.stale.length)], 0, h.now);
        } else if (this.unacked.length > 0) {
          const u = this.unacked.splice(Math.floor(op.pick * this.unacked.length), 1)[0];
          h.session.ack(u.p, 0, h.now);
        }
        break;
      }
    }
    this.pump();
  }

  /** A last connection on which the broker answers everything, then the end-state checks. */
  finish(): void {
    if (this.h.session.state !== 0) {
      this.h.drop();
      this.connLost();
    }
    this.exec({ k: 'connect', sp: this.cfg.finalSp, rm: 0 });
    let rounds = 0;
    while (this.wire.length > 0 || this.pending.length > 0 || this.unacked.length > 0) {
      if (++rounds > 10000) this.fail('no quiescence in the final connection');
      if (this.wire.length > 0) this.exec({ k: 'deliver', n: 1000, refuse: false });
      else if (this.pending.length > 0) this.exec({ k: 'sack', pick: 0, dup: false });
      else this.exec({ k: 'appAck', pick: 0, stale: false });
    }
    const s = this.h.session;
    for (const m of this.msgs) {
      if (m.qos > 0 && m.proc !== this.proc) count('message completed after a restart');
      if (m.qos === 0) {
        if (m.proc === this.proc && m.dones !== 1) this.fail(`QoS 0 m${m.idx} of the last process: callback called ${m.dones} times`);
        continue;
      }
      if (!m.completed) this.fail(`m${m.idx} (QoS ${m.qos}) never completed (emitted=${m.emitted}, srvRecv=${m.srvRecv})`);
      if (m.srvRecv < 1) this.fail(`m${m.idx} (QoS ${m.qos}) lost: the broker never received it`);
      if (m.proc === this.proc && m.dones !== 1) this.fail(`m${m.idx} of the last process: callback called ${m.dones} times`);
      if (m.qos === 2 && !m.refused) {
        if (m.srvDeliver < 1) this.fail(`QoS 2 m${m.idx} never passed on by the broker`);
        if (m.srvDeliver > 1 && !m.srvStateLost) this.fail(`QoS 2 m${m.idx} passed on ${m.srvDeliver} times by the broker`);
      }
    }
    if (s.inflightCount !== 0 || s.queuedCount !== 0) this.fail(`session still holds ${s.inflightCount} in flight, ${s.queuedCount} queued`);
    const keys = this.store.keys('');
    if (keys.length !== 0) this.fail('store not empty at the end: ' + keys.join(','));
    if (this.outgoing.length !== 0) this.fail('broker->client messages unfinished: ' + this.outgoing.map((e) => 's' + e.sidx + '/' + e.stage).join(','));
    for (const e of this.inMsgs) {
      if (e.done && e.deliveries < 1) this.fail(`inbound s${e.sidx} completed but never delivered`);
      if (e.qos === 2 && e.done && !e.forgotten && e.deliveries > 1 && !this.cfg.manualAcks) this.fail(`inbound s${e.sidx} delivered ${e.deliveries} times`);
    }
  }
}

function runOps(cfg: Config, ops: Op[]): string | null {
  const run = new Run(cfg);
  try {
    for (const op of ops) run.exec(op);
    run.finish();
    return null;
  } catch (e) {
    if (e instanceof Violation) return e.message;
    return 'exception: ' + (e as Error).stack;
  }
}

/** Greedy shrink: drop chunks, then single ops, while the run still fails (any violation). */
function shrink(cfg: Config, ops: Op[]): { ops: Op[]; msg: string } {
  let cur = ops;
  let msg = runOps(cfg, cur) as string;
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1; chunk = chunk >> 1) {
    let i = 0;
    while (i < cur.length) {
      const cand = cur.slice(0, i).concat(cur.slice(i + chunk));
      const m = runOps(cfg, cand);
      if (m !== null) {
        cur = cand;
        msg = m;
      } else i += chunk;
    }
  }
  return { ops: cur, msg };
}

function caseFor(seed: number, steps: number): { cfg: Config; ops: Op[] } {
  const r = mulberry32(seed);
  const cfg = genConfig(r);
  const n = 1 + Math.floor(r() * steps);
  return { cfg, ops: genOps(r, n) };
}

// 600 runs in CI (a few seconds); FUZZ_RUNS=30000 for a long search
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const STEPS = Number(process.env.FUZZ_STEPS ?? 80);
const BASE = Number(process.env.FUZZ_BASE ?? 1);
const ONE = process.env.FUZZ_SEED;

describe('session fuzz: no message lost, none twice', () => {
  it(`${ONE !== undefined ? 'seed ' + ONE : RUNS + ' seeded runs'} keep every invariant`, () => {
    const seeds = ONE !== undefined ? [Number(ONE)] : Array.from({ length: RUNS }, (_, i) => BASE + i);
    let steps = 0;
    const failures: string[] = [];
    const firstBySig = new Map<string, number>();
    for (const seed of seeds) {
      const { cfg, ops } = caseFor(seed, STEPS);
      steps += ops.length;
      const msg = runOps(cfg, ops);
      if (msg === null) continue;
      const sig = msg.replace(/\d+/g, 'N');
      if (!firstBySig.has(sig)) {
        firstBySig.set(sig, seed);
        const s = shrink(cfg, ops);
        failures.push(`seed ${seed} config ${JSON.stringify(cfg)}\n  ${msg}\n  shrunk (${s.ops.length} ops): ${s.msg}\n  ` +
          s.ops.map((o) => JSON.stringify(o)).join('\n  '));
      } else failures.push(`seed ${seed}: ${msg}`);
    }
    console.log(JSON.stringify(stats, null, 1));
    console.log(`fuzz: ${seeds.length} runs, ${steps} operations, ${failures.length} failing runs`);
    for (const f of failures.filter((f) => f.includes('shrunk'))) console.log(f);
    const counts = new Map<string, number>();
    for (const f of failures) {
      const k = (f.includes('\n') ? f.split('\n')[1].trim() : f.replace(/^seed \d+: /, '')).replace(/\d+/g, 'N');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of counts) console.log(n + 'x ' + k);
    expect(failures).toEqual([]);
  });
});
