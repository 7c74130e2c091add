// Shows a Mosquitto limitation that turns into QoS 2 duplicates at any compliant
// receiver: MQTT requires that once the broker has sent PUBREL it resends PUBREL, never
// the PUBLISH ([MQTT-4.3.3-2]; 5.0 §4.3.3). Mosquitto 2.0, restoring a session from its
// database, puts back in flight at most max_inflight_messages messages (none at all with
// 0, "unlimited", or 65535) and re-queues the rest as new PUBLISHes, including those it
// had released with PUBREL.
//
//   node tools/run.mjs tools/chaos/broker-check.ts [4|5] [messages] [max_inflight_messages after the restart]
//   node tools/run.mjs tools/chaos/broker-check.ts 5 20 5      PUBREL 1-5, then PUBLISH 6-20: a violation
//   node tools/run.mjs tools/chaos/broker-check.ts 5 20 0      PUBLISH 1-20: a violation
//   node tools/run.mjs tools/chaos/broker-check.ts 5 20 1000   PUBREL 1-20: fine
//
// A raw subscriber (packets written by hand, clean=false) receives the messages at QoS 2,
// answers each PUBLISH with PUBREC and holds back every PUBCOMP, so all of them sit at the
// PUBREL stage in the broker. The broker is restarted (SIGTERM: it saves its database)
// with max_inflight_messages set to the given limit, and the subscriber reconnects and
// from then on answers everything. Prints what the broker sends. The chaos run
// (tools/chaos/run.ts) met this after broker restarts, and runs Mosquitto with
// max_inflight_messages 1000 so that everything in flight is restored as it was.
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { Decoder, encode, CONNACK, CONNECT, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, SUBSCRIBE } from '../../targets/node/index';
import type { Packet, ProtocolVersion } from '../../targets/node/index';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMosquitto } from '../lib/brokers';

interface Raw {
  socket: Socket;
  packets: Packet[];
  next(type: number, ms?: number): Promise<Packet>;
}

function raw(port: number, v: ProtocolVersion): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(r));
    socket.on('error', reject);
    const packets: Packet[] = [];
    const decoder = new Decoder({ protocolVersion: v });
    let waiter: (() => void) | null = null;
    socket.on('data', (chunk: Buffer) => {
      decoder.feed(Uint8Array.from(chunk));
      for (let p = decoder.read(); p !== null; p = decoder.read()) packets.push(p);
      if (waiter !== null) waiter();
    });
    const r: Raw = {
      socket,
      packets,
      async next(type, ms = 3000) {
        const deadline = Date.now() + ms;
        for (;;) {
          const i = packets.findIndex((p) => p.type === type);
          if (i >= 0) return packets.splice(i, 1)[0];
          if (Date.now() > deadline) throw new Error(`no packet of type ${type} within ${ms} ms; have ${packets.map((p) => p.type).join(',')}`);
          await new Promise<void>((res) => {
            waiter = res;
            setTimeout(res, 50);
          });
        }
      },
    };
  });
}

export async function checkBroker(v: ProtocolVersion, messages: number, restartInflight: number): Promise<string[]> {
  const out: string[] = [];
  const broker = await startMosquitto({ persistence: true, extraConfig: ['max_queued_messages 0'] });
  try {
    const props = v === 5 ? { sessionExpiryInterval: 3600 } : undefined;
    const sub = await raw(broker.port, v);
    sub.socket.write(encode({ type: CONNECT, protocolVersion: v, clientId: 'check-sub', clean: false, keepalive: 0, properties: props }, v));
    await sub.next(CONNACK);
    sub.socket.write(encode({ type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'check/t', qos: 2 }] }, v));
    await sub.next(SUBACK);
    const pub = await raw(broker.port, v);
    pub.socket.write(encode({ type: CONNECT, protocolVersion: v, clientId: 'check-pub', clean: true, keepalive: 0 }, v));
    await pub.next(CONNACK);
    // The subscriber answers PUBREC to every PUBLISH as it comes, and holds back every PUBCOMP.
    const released: number[] = [];
    const answered: number[] = [];
    sub.socket.on('data', () => {
      for (let k = 0; k < sub.packets.length; k++) {
        const p = sub.packets[k] as Packet & { messageId: number };
        if (p.type === PUBLISH && answered.indexOf(p.messageId) < 0) {
          answered.push(p.messageId);
          sub.socket.write(encode({ type: PUBREC, messageId: p.messageId }, v));
        } else if (p.type === PUBREL && released.indexOf(p.messageId) < 0) {
          released.push(p.messageId);
        }
      }
    });
    for (let i = 1; i <= messages; i++) {
      pub.socket.write(encode({ type: PUBLISH, topic: 'check/t', payload: Uint8Array.from([i]), qos: 2, retain: false, dup: false, messageId: i }, v));
      await pub.next(PUBREC);
      pub.socket.write(encode({ type: PUBREL, messageId: i }, v));
      await pub.next(PUBCOMP);
    }
    await new Promise((r) => setTimeout(r, 500));
    out.push(`${messages} messages published; the subscriber got ${answered.length} PUBLISH and answered PUBREC, got PUBREL for ${released.length} (ids ${released.join(' ')}); it sent no PUBCOMP`);
    pub.socket.destroy();
    await broker.kill('SIGTERM');
    sub.socket.destroy();
    const conf = join(broker.dir, 'mosquitto.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8') + `max_inflight_messages ${restartInflight}\n`);
    await broker.restart('SIGTERM');
    out.push(`broker restarted (SIGTERM, database saved) with max_inflight_messages ${restartInflight}`);
    const again = await raw(broker.port, v);
    again.socket.write(encode({ type: CONNECT, protocolVersion: v, clientId: 'check-sub', clean: false, keepalive: 0, properties: props }, v));
    const connack = await again.next(CONNACK) as Packet & { sessionPresent: boolean };
    out.push(`subscriber reconnected: session present ${connack.sessionPresent}`);
    // Now a well-behaved subscriber: PUBCOMP for PUBREL, PUBREC for PUBLISH, so the broker
    // goes on past its in-flight limit.
    const seenAgain: Packet[] = [];
    const answer = () => {
      for (let p = again.packets.shift(); p !== undefined; p = again.packets.shift()) {
        seenAgain.push(p);
        const id = (p as Packet & { messageId: number }).messageId;
        if (p.type === PUBREL) again.socket.write(encode({ type: PUBCOMP, messageId: id }, v));
        else if (p.type === PUBLISH) again.socket.write(encode({ type: PUBREC, messageId: id }, v));
      }
    };
    answer();
    again.socket.on('data', () => setImmediate(answer));
    await new Promise((r) => setTimeout(r, 800));
    answer();
    const resent: string[] = [];
    const violations: number[] = [];
    for (const p of seenAgain) {
      const q = p as Packet & { messageId: number; dup?: boolean };
      resent.push(`${p.type === PUBLISH ? 'PUBLISH' : p.type === PUBREL ? 'PUBREL' : p.type} ${q.messageId}`);
      if (p.type === PUBLISH && released.indexOf(q.messageId) >= 0) violations.push(q.messageId);
    }
    out.push(`broker resent: ${resent.join(', ')}`);
    out.push(violations.length > 0
      ? `VIOLATION: PUBLISH resent after PUBREL for ids ${violations.join(' ')}: a receiver that already sent PUBCOMP delivers them twice`
      : 'ok: every released message got PUBREL again, none its PUBLISH');
    again.socket.destroy();
  } finally {
    await broker.stop();
  }
  return out;
}

if (process.argv[1] !== undefined && /broker-check/.test(process.argv[1])) {
  const v = (process.argv[2] === '4' ? 4 : 5) as ProtocolVersion;
  const n = Number(process.argv[3] ?? 20);
  const inflight = Number(process.argv[4] ?? 5);
  for (const line of await checkBroker(v, n, inflight)) console.log(line);
}
