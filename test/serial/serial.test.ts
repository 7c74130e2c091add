// The serial path end to end, on socat virtual serial pairs: a firmqtt client on the
// board end (serial:// transport), the bridge (tools/bridge) on the host end, and a real
// broker behind it (aedes in-process; Mosquitto for MQTT 5). A second client on plain TCP
// is the rest of the world.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, parseSerialUrl, encode, Decoder, CONNACK, SUBACK, PUBACK, PUBLISH } from '../../targets/node/index';
import type { MqttClient, NodeClientOptions, Packet } from '../../targets/node/index';
import { SerialBridge } from '../../tools/bridge/bridge';
import { FaultProxy } from '../../tools/proxy/proxy';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { AedesBroker, MosquittoBroker } from '../helpers/brokers';
import { describeMosquitto } from '../integration/suite';
import { describeSocat, startSerialPair } from './socat';
import type { SerialPair } from './socat';
import { sleep, until } from '../helpers/wait';

const BAUD = 115200;

function once<T extends unknown[]>(c: MqttClient, event: string, ms = 10000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    (c as unknown as { once(e: string, f: (...a: T) => void): void }).once(event, (...a: T) => {
      clearTimeout(timer);
      resolve(a);
    });
  });
}

interface Received {
  topic: string;
  text: string;
  qos: number;
}

function inbox(c: MqttClient): Received[] {
  const got: Received[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, text: Buffer.from(payload).toString(), qos: packet.qos }));
  return got;
}

/** Everything one test starts, stopped in reverse order afterwards. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

async function serialSetup(brokerPort: number, log?: string[]): Promise<{ pair: SerialPair; bridge: SerialBridge }> {
  const pair = await startSerialPair();
  cleanups.push(() => pair.stop());
  const bridge = new SerialBridge({ port: pair.host, baudRate: BAUD, broker: `mqtt://127.0.0.1:${brokerPort}`, log: log === undefined ? undefined : (l) => log.push(l) });
  await bridge.start();
  cleanups.push(() => bridge.stop());
  return { pair, bridge };
}

/** The board end of a pair driven by hand: raw bytes out, the packets the bridge sends back decoded. */
async function rawBoard(pair: SerialPair): Promise<{ port: import('serialport').SerialPort; fromBridge: Packet[] }> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: pair.board, baudRate: BAUD });
  cleanups.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
  await new Promise<void>((r, j) => port.once('open', r).once('error', j));
  const decoder = new Decoder({ protocolVersion: 4 });
  const fromBridge: Packet[] = [];
  port.on('data', (chunk: Buffer) => {
    decoder.feed(chunk);
    for (let p = decoder.read(); p !== null; p = decoder.read()) fromBridge.push(p);
  });
  return { port, fromBridge };
}

function client(url: string, o: NodeClientOptions): MqttClient {
  const c = connect(url, o);
  cleanups.push(() => c.endAsync(true));
  return c;
}

describe('serial:// URLs', () => {
  it('parse into a device path and serial settings', () => {
    expect(parseSerialUrl('serial:///dev/ttyUSB0?baudRate=115200')).toEqual({ path: '/dev/ttyUSB0', baudRate: 115200 });
    expect(parseSerialUrl('serial:///dev/serial0')).toEqual({ path: '/dev/serial0' });
    expect(parseSerialUrl('serial://COM3?baudRate=9600&parity=even&rtscts=true')).toEqual({ path: 'COM3', baudRate: 9600, parity: 'even', rtscts: true });
    expect(() => parseSerialUrl('serial://')).toThrow(/Missing device/);
    expect(() => parseSerialUrl('serial:///dev/x?baudRate=fast')).toThrow(/Bad baudRate/);
  });

  it('a device that does not exist is reported as a failed connection, and retried', async () => {
    const c = client('serial:///dev/firmqtt-no-such-tty?baudRate=9600', { reconnectPeriod: 50 });
    const [error] = await once<[Error]>(c, 'error');
    expect(error.message).toMatch(/cannot open serial port \/dev\/firmqtt-no-such-tty/);
    await once(c, 'reconnect');
  });
});

describeSocat('serial bridge with aedes', () => {
  let broker: AedesBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('carries QoS 0, 1 and 2 both ways between a serial client and a TCP client', async () => {
    const { pair, bridge } = await serialSetup(broker.port);
    const board = client(`serial://${pair.board}?baudRate=${BAUD}`, { clientId: 'board-rt', keepalive: 5 });
    const peer = client(broker.url, { clientId: 'peer-rt' });
    await Promise.all([once(board, 'connect'), once(peer, 'connect')]);
    const toBoard = inbox(board);
    const toPeer = inbox(peer);
    await board.subscribeAsync('down/#', { qos: 2 });
    await peer.subscribeAsync('up/#', { qos: 2 });
    for (const qos of [0, 1, 2] as const) {
      await peer.publishAsync(`down/q${qos}`, `to board at QoS ${qos}`, { qos });
      await board.publishAsync(`up/q${qos}`, `from board at QoS ${qos}`, { qos });
    }
    await until(() => toBoard.length === 3 && toPeer.length === 3, 'three messages each way');
    expect(toBoard).toEqual([0, 1, 2].map((q) => ({ topic: `down/q${q}`, text: `to board at QoS ${q}`, qos: q })));
    expect(toPeer).toEqual([0, 1, 2].map((q) => ({ topic: `up/q${q}`, text: `from board at QoS ${q}`, qos: q })));
    expect(bridge.stats.connects).toBe(1);
    expect(bridge.stats.brokerConnections).toBe(1);
    expect(bridge.stats.droppedBytes).toBe(0);
  });

  it('the board reconnects through the bridge after the broker drops its connection', async () => {
    const log: string[] = [];
    const before = new Set(broker.sockets);
    const { pair, bridge } = await serialSetup(broker.port, log);
    const board = client(`serial://${pair.board}?baudRate=${BAUD}`, { clientId: 'board-drop', keepalive: 1, clean: false, reconnectPeriod: 100 });
    await once(board, 'connect');
    await board.subscribeAsync('drop/t', { qos: 1 });
    const mine = [...broker.sockets].filter((s) => !before.has(s));
    expect(mine.length).toBe(1);
    const closed = new Promise<void>((r) => bridge.once('broker-close', () => r()));
    const reconnected = once(board, 'connect', 5000);
    mine[0].destroy(); // the broker drops the bridge's connection
    await closed;
    expect(log.some((l) => /broker connection #1 closed by the broker/.test(l))).toBe(true);
    // No close reaches the board over a serial line: its keep-alive notices, it reopens
    // the port and sends a CONNECT, which opens broker connection #2.
    await reconnected;
    expect(bridge.stats.brokerCloses).toBe(1);
    expect(bridge.stats.connects).toBe(2);
    const got = inbox(board);
    const peer = client(broker.url, { clientId: 'peer-drop' });
    await once(peer, 'connect');
    await peer.publishAsync('drop/t', 'still subscribed', { qos: 1 });
    await until(() => got.length === 1, 'the message after the reconnect');
    expect(got[0].text).toBe('still subscribed');
  });

  it('reassembles packets fed one byte at a time, after line noise, and each CONNECT opens a fresh broker connection', async () => {
    const log: string[] = [];
    const { pair, bridge } = await serialSetup(broker.port, log);
    const peer = client(broker.url, { clientId: 'peer-frag' });
    await once(peer, 'connect');
    const toPeer = inbox(peer);
    await peer.subscribeAsync('frag/#', { qos: 1 });

    const { port, fromBridge } = await rawBoard(pair);
    const writeSlowly = async (bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) {
        port.write(Buffer.from([bytes[i]]));
        await new Promise<void>((r) => port.drain(() => r()));
        await sleep(1);
      }
    };
    const session = (id: string, payload: string) => Buffer.concat([
      encode({ type: 1, protocolVersion: 4, clientId: id, clean: true, keepalive: 30 }, 4),
      encode({ type: PUBLISH, topic: 'frag/t', payload: Buffer.from(payload), qos: 1, retain: false, dup: false, messageId: 7 }, 4),
      encode({ type: 8, messageId: 8, subscriptions: [{ topic: 'frag/echo', qos: 0 }] }, 4),
    ]);
    // A board's boot log, then a session, byte by byte.
    await writeSlowly(Buffer.concat([Buffer.from('ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n'), session('raw-1', 'first')]));
    await until(() => fromBridge.length === 3 && toPeer.length === 1, 'CONNACK, PUBACK, SUBACK and the message');
    expect(fromBridge.map((p) => p.type)).toEqual([CONNACK, PUBACK, SUBACK]);
    expect(toPeer[0].text).toBe('first');
    expect(bridge.stats.droppedBytes).toBe(51);
    // A second CONNECT: the bridge closes connection #1 and opens #2 (aedes would refuse
    // a second CONNECT on one connection), and nothing of #2 went to #1.
    await writeSlowly(session('raw-2', 'second'));
    await until(() => fromBridge.length === 6 && toPeer.length === 2, 'the second session');
    expect(fromBridge.slice(3).map((p) => p.type)).toEqual([CONNACK, PUBACK, SUBACK]);
    expect(toPeer[1].text).toBe('second');
    expect(bridge.stats.connects).toBe(2);
    expect(log.some((l) => /new CONNECT from the serial side: closing broker connection #1/.test(l))).toBe(true);
  });

  it('a board reset half-way through a packet: after a silence its next CONNECT opens a new broker session', async () => {
    const log: string[] = [];
    const { pair, bridge } = await serialSetup(broker.port, log);
    const { port, fromBridge } = await rawBoard(pair);
    const connect = Buffer.from(encode({ type: 1, protocolVersion: 4, clientId: 'board-reset', clean: true, keepalive: 30 }, 4));
    port.write(connect);
    await until(() => fromBridge.length === 1, 'the first CONNACK');
    // 40 bytes of a 300-byte PUBLISH, then the board resets (silence), then it connects again
    const publish = encode({ type: PUBLISH, topic: 'half/t', payload: Buffer.alloc(290, 0x41), qos: 0, retain: false, dup: false }, 4);
    port.write(Buffer.from(publish.subarray(0, 40)));
    await sleep(1000);
    port.write(connect);
    await until(() => fromBridge.length === 2, 'a CONNACK for the CONNECT after the reset');
    expect(fromBridge.map((p) => p.type)).toEqual([CONNACK, CONNACK]);
    expect(bridge.stats.connects).toBe(2);
    expect(log.some((l) => /left unfinished for 500 ms/.test(l))).toBe(true);
  });

  it('a firmqtt client gets broker bytes one at a time (1-byte fragments between bridge and broker)', async () => {
    const proxy = new FaultProxy({ target: broker.port, faults: { fragment: true }, fragmentDelay: 0 });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const { pair } = await serialSetup(proxy.port);
    const board = client(`serial://${pair.board}?baudRate=${BAUD}`, { clientId: 'board-frag', keepalive: 5 });
    await once(board, 'connect');
    const got = inbox(board);
    await board.subscribeAsync('ffrag/#', { qos: 2 });
    const peer = client(broker.url, { clientId: 'peer-ffrag' });
    await once(peer, 'connect');
    for (const qos of [0, 1, 2] as const) await peer.publishAsync(`ffrag/${qos}`, 'x'.repeat(100) + qos, { qos });
    await board.publishAsync('ffrag/self', 'round trip', { qos: 2 });
    await until(() => got.length === 4, 'four messages through 1-byte fragments', 15000);
    expect(got.map((m) => m.text)).toEqual(['x'.repeat(100) + '0', 'x'.repeat(100) + '1', 'x'.repeat(100) + '2', 'round trip']);
    expect(proxy.stats.bytesDown).toBeGreaterThan(300);
  }, 20000);

  it('says clearly when the serial port or the broker is unavailable', async () => {
    const missing = new SerialBridge({ port: '/dev/firmqtt-no-such-tty', broker: broker.url });
    await expect(missing.start()).rejects.toThrow(/cannot open serial port \/dev\/firmqtt-no-such-tty/);

    const log: string[] = [];
    const { pair, bridge } = await serialSetup(1, log); // nothing listens on port 1
    expect(log.some((l) => /WARNING: broker 127\.0\.0\.1:1 unavailable \(ECONNREFUSED\)/.test(l))).toBe(true);
    const board = client(`serial://${pair.board}?baudRate=${BAUD}`, { clientId: 'board-nobroker', connectTimeout: 300, reconnectPeriod: 100 });
    await until(() => bridge.stats.brokerFailures >= 1, 'a failed broker connection');
    expect(log.some((l) => /broker 127\.0\.0\.1:1 unavailable \(ECONNREFUSED\)/.test(l))).toBe(true);
    expect(board.connected).toBe(false);
  });
});

describeMosquitto('serial bridge with Mosquitto (MQTT 5)', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.stop();
  });

  describeSocat('over socat', () => {
    it('QoS 2 round trip with MQTT 5 properties over the serial line', async () => {
      const { pair } = await serialSetup(broker.port);
      const board = client(`serial://${pair.board}?baudRate=${BAUD}`, { clientId: 'board-v5', protocolVersion: 5, keepalive: 5 });
      await once(board, 'connect');
      const got: { text: string; props: unknown }[] = [];
      board.on('message', (_t, payload, packet) => got.push({ text: Buffer.from(payload).toString(), props: packet.properties }));
      await board.subscribeAsync('v5/#', { qos: 2 });
      await board.publishAsync('v5/t', 'over serial', { qos: 2, properties: { contentType: 'text/plain', userProperties: [['k', 'v']] } });
      await until(() => got.length === 1, 'the v5 message');
      expect(got[0].text).toBe('over serial');
      expect(got[0].props).toMatchObject({ contentType: 'text/plain', userProperties: [['k', 'v']] });
    });
  });
});
