// The fault-injecting proxy (tools/proxy/proxy.ts), one fault at a time, between a raw
// TCP client and a raw TCP server that records what it gets: forwarding is exact, and
// each fault does what it says (cut at a byte count or a time, stall and resume, delay,
// 1-byte fragments, a corrupted byte at an offset or in a packet header).
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, parseTarget } from '../../tools/proxy/proxy';
import type { ProxyConnection } from '../../tools/proxy/proxy';
import { sleep, until as waitUntil } from '../helpers/wait';

interface Upstream {
  port: number;
  sockets: Socket[];
  chunks: Buffer[];
  received(): Buffer;
  closed: Promise<void>;
  server: Server;
}

let upstream: Upstream | null = null;
let proxy: FaultProxy | null = null;
const clients: Socket[] = [];

afterEach(async () => {
  for (const c of clients) c.destroy();
  clients.length = 0;
  if (proxy !== null) await proxy.stop();
  proxy = null;
  if (upstream !== null) {
    for (const s of upstream.sockets) s.destroy();
    await new Promise<void>((r) => upstream?.server.close(() => r()));
  }
  upstream = null;
});

/** A TCP server that records every chunk and can answer. */
async function startUpstream(): Promise<Upstream> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => {
    closedResolve = r;
  });
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => closedResolve());
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  upstream = {
    port: (server.address() as AddressInfo).port,
    sockets,
    chunks,
    received: () => Buffer.concat(chunks),
    closed,
    server,
  };
  return upstream;
}

async function startProxy(opts?: Partial<ConstructorParameters<typeof FaultProxy>[0]>): Promise<FaultProxy> {
  const up = await startUpstream();
  proxy = new FaultProxy(Object.assign({ target: up.port }, opts));
  await proxy.start();
  return proxy;
}

interface Client {
  socket: Socket;
  chunks: Buffer[];
  received(): Buffer;
  closed: Promise<void>;
  conn: ProxyConnection;
}

async function dial(p: FaultProxy): Promise<Client> {
  const accepted = p.nextConnection();
  const socket = connect({ host: '127.0.0.1', port: p.port });
  clients.push(socket);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const conn = await accepted;
  // wait until the upstream side has the connection too
  await until(() => (upstream as Upstream).sockets.length > 0);
  return { socket, chunks, received: () => Buffer.concat(chunks), closed, conn };
}

/** test/helpers/wait.ts's until() with this file's 3 s limit: everything here is loopback */
function until(cond: () => boolean): Promise<boolean> {
  return waitUntil(cond, 'the proxied bytes', 3000);
}

function bytes(n: number, start = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

describe('fault proxy: forwarding', () => {
  it('forwards both directions byte for byte', async () => {
    const p = await startProxy();
    const c = await dial(p);
    c.socket.write(bytes(1000));
    await until(() => (upstream as Upstream).received().length === 1000);
    expect((upstream as Upstream).received().equals(bytes(1000))).toBe(true);
    (upstream as Upstream).sockets[0].write(bytes(500, 7));
    await until(() => c.received().length === 500);
    expect(c.received().equals(bytes(500, 7))).toBe(true);
    expect(p.stats.bytesUp).toBe(1000);
    expect(p.stats.bytesDown).toBe(500);
  });

  it('closes the client when the server cannot be reached', async () => {
    const up = await startUpstream();
    const port = up.port;
    await new Promise<void>((r) => up.server.close(() => r()));
    upstream = null;
    proxy = new FaultProxy({ target: port });
    await proxy.start();
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    clients.push(socket);
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.on('close', () => r()));
    expect(proxy.stats.upstreamFailures).toBe(1);
  });

  it('parses targets written as port, host:port and URLs', () => {
    expect(parseTarget(1883)).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(parseTarget('broker.local:1884')).toEqual({ host: 'broker.local', port: 1884 });
    expect(parseTarget('mqtt://example.com')).toEqual({ host: 'example.com', port: 1883 });
    expect(parseTarget('[::1]:1885')).toEqual({ host: '::1', port: 1885 });
  });
});

describe('fault proxy: cut', () => {
  it('cuts after exactly N bytes, inside a chunk, and closes both sides', async () => {
    const p = await startProxy({ faults: { cutAfterBytes: 37, direction: 'up' } });
    const c = await dial(p);
    c.socket.write(bytes(100));
    await c.closed;
    await (upstream as Upstream).closed;
    expect((upstream as Upstream).received().equals(bytes(37))).toBe(true);
    expect(p.stats.cuts).toBe(1);
    expect(p.connections.length).toBe(0);
  });

  it('cuts a live connection on command, and after N more bytes', async () => {
    const p = await startProxy();
    const c = await dial(p);
    c.socket.write(bytes(10));
    await until(() => (upstream as Upstream).received().length === 10);
    p.cutAfter({ bytes: 5 });
    c.socket.write(bytes(10, 10));
    await c.closed;
    await (upstream as Upstream).closed;
    expect((upstream as Upstream).received().equals(bytes(15))).toBe(true);
    const c2 = await dial(p);
    expect(p.cut()).toBe(1);
    await c2.closed;
  });

  it('cuts after N ms', async () => {
    const p = await startProxy({ faults: { cutAfterMs: 100 } });
    const t0 = Date.now();
    const c = await dial(p);
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(p.stats.cuts).toBe(1);
  });
});

describe('fault proxy: stall', () => {
  it('holds bytes without closing, then delivers them in order on resume', async () => {
    const p = await startProxy();
    const c = await dial(p);
    expect(p.stall()).toBe(1);
    c.socket.write(bytes(50));
    (upstream as Upstream).sockets[0].write(bytes(20, 100));
    await sleep(150);
    expect((upstream as Upstream).received().length).toBe(0);
    expect(c.received().length).toBe(0);
    expect(c.socket.destroyed).toBe(false);
    expect(p.connections.length).toBe(1);
    p.resume();
    await until(() => (upstream as Upstream).received().length === 50 && c.received().length === 20);
    expect((upstream as Upstream).received().equals(bytes(50))).toBe(true);
    expect(c.received().equals(bytes(20, 100))).toBe(true);
  });

  it('a peer leaving a stalled link closes the other side, and what was held is dropped', async () => {
    const p = await startProxy();
    const c = await dial(p);
    p.stall();
    c.socket.write(bytes(30));
    await sleep(50);
    c.socket.destroy();
    await (upstream as Upstream).closed;
    expect((upstream as Upstream).received().length).toBe(0);
  });

  it('stalls after N bytes', async () => {
    const p = await startProxy({ faults: { stallAfterBytes: 12, direction: 'up' } });
    const c = await dial(p);
    c.socket.write(bytes(40));
    await until(() => (upstream as Upstream).received().length === 12);
    await sleep(100);
    expect((upstream as Upstream).received().length).toBe(12);
    expect(c.conn.stalled).toBe(true);
    c.conn.resume();
    await until(() => (upstream as Upstream).received().length === 40);
    expect((upstream as Upstream).received().equals(bytes(40))).toBe(true);
  });

  it('can keep new connections stalled until resume', async () => {
    const p = await startProxy();
    p.stall({ newConnections: true });
    const c = await dial(p);
    c.socket.write(bytes(5));
    await sleep(80);
    expect((upstream as Upstream).received().length).toBe(0);
    p.resume();
    await until(() => (upstream as Upstream).received().length === 5);
  });
});

describe('fault proxy: delay and fragmentation', () => {
  it('delays every chunk', async () => {
    const p = await startProxy({ faults: { delayMs: 150 } });
    const c = await dial(p);
    const t0 = Date.now();
    c.socket.write(bytes(10));
    await until(() => (upstream as Upstream).received().length === 10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    p.delay(0);
    const t1 = Date.now();
    c.socket.write(bytes(10));
    await until(() => (upstream as Upstream).received().length === 20);
    expect(Date.now() - t1).toBeLessThan(140);
  });

  it('fragments every write into 1-byte pieces, in order', async () => {
    const p = await startProxy({ faults: { fragment: true }, fragmentDelay: 2 });
    const c = await dial(p);
    c.socket.write(bytes(40));
    await until(() => (upstream as Upstream).received().length === 40);
    expect((upstream as Upstream).received().equals(bytes(40))).toBe(true);
    expect((upstream as Upstream).chunks.every((ch) => ch.length === 1)).toBe(true);
    p.fragment(false);
    (upstream as Upstream).chunks.length = 0;
    c.socket.write(bytes(40));
    await until(() => (upstream as Upstream).received().length === 40);
    expect((upstream as Upstream).chunks.length).toBeLessThan(40);
  });
});

describe('fault proxy: corruption', () => {
  it('flips the byte at an offset of one direction', async () => {
    const p = await startProxy({ faults: { corruptAt: 5, direction: 'down' } });
    const c = await dial(p);
    (upstream as Upstream).sockets[0].write(bytes(10));
    await until(() => c.received().length === 10);
    const expected = bytes(10);
    expected[5] ^= 0xff;
    expect(c.received().equals(expected)).toBe(true);
    expect(p.stats.corruptions).toBe(1);
  });

  it('turns the first byte of the next PUBLISH header into 0x00 and nothing else', async () => {
    const p = await startProxy();
    const c = await dial(p);
    const pingreq = Buffer.from([0xc0, 0x00]);
    const publish = Buffer.from([0x30, 0x05, 0x00, 0x01, 0x74, 0x68, 0x69]); // topic "t", payload "hi"
    const done = p.corruptNext({ direction: 'up', packetType: 3 });
    c.socket.write(Buffer.concat([pingreq, publish, publish]));
    const conn = await done;
    expect(conn).toBe(c.conn);
    await until(() => (upstream as Upstream).received().length === 16);
    const got = (upstream as Upstream).received();
    expect(got.subarray(0, 2).equals(pingreq)).toBe(true);
    expect(got[2]).toBe(0x00);
    expect(got.subarray(3, 9).equals(publish.subarray(1))).toBe(true);
    expect(got.subarray(9).equals(publish)).toBe(true);
  });

  it('counts a corruption only when the corrupted byte is forwarded; one that never left waits for the next packet', async () => {
    const p = await startProxy();
    const c1 = await dial(p);
    p.stall();
    const done = p.corruptNext({ direction: 'up', packetType: 12 });
    c1.socket.write(Buffer.from([0xc0, 0x00])); // PINGREQ, held by the stall
    await sleep(50);
    expect(p.stats.corruptions).toBe(0);
    c1.socket.destroy(); // the held PINGREQ is dropped with the connection
    await until(() => p.connections.length === 0);
    (upstream as Upstream).sockets.length = 0;
    const c2 = await dial(p);
    c2.socket.write(Buffer.from([0xc0, 0x00]));
    expect(await done).toBe(c2.conn);
    await until(() => (upstream as Upstream).received().length === 2);
    expect([...(upstream as Upstream).received()]).toEqual([0x00, 0x00]);
    expect(p.stats.corruptions).toBe(1);
  });

  it('aims at the Nth packet of each connection when set as a fault', async () => {
    const p = await startProxy({ faults: { corruptPacket: 2, direction: 'up' } });
    const c = await dial(p);
    // the second packet starts inside the second write
    c.socket.write(Buffer.from([0xc0]));
    await sleep(20);
    c.socket.write(Buffer.from([0x00, 0xc0, 0x00]));
    await until(() => (upstream as Upstream).received().length === 4);
    expect([...(upstream as Upstream).received()]).toEqual([0xc0, 0x00, 0x00, 0x00]);
  });
});
