// Real brokers for the tests (through test/helpers/brokers.ts, which re-exports this
// module), the chaos run and the benchmarks, each on a free port on 127.0.0.1:
//
// - startAedes(): aedes 1.x in this process, over TLS (mqtts://) when given a key and
//   certificate. aedes 1.x speaks MQTT 3.1 and 3.1.1 only (its README lists MQTT 5.0 as
//   "not supported yet"; a v5 CONNECT gets return code 1).
// - startMosquitto(): the `mosquitto` binary (Debian package; PATH or /usr/sbin) as a
//   child process with its own generated config in a temp dir: one listener on
//   127.0.0.1, anonymous access, optional persistence. max_inflight_messages is left at
//   Mosquitto's default (20, sent to MQTT 5 clients as Receive Maximum). stop() and
//   restart() (same port, same persistence dir) are for broker-restart scenarios.
// - startProxy(): a TCP proxy that frames MQTT packets in both directions, so a test can
//   cut every connection abruptly (no DISCONNECT: the broker publishes the Will), or
//   drop chosen packets (acknowledgements withheld, client->broker blackholed).
//
// No vitest import here: the chaos run and the benchmarks use these launchers outside
// the test runner, and tools/ imports nothing from test/. The
// Mosquitto suite policy (skip locally, fail under CI) is describeMosquitto() in
// test/integration/suite.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Aedes, type AedesOptions } from 'aedes';

export interface Broker {
  /** mqtt://127.0.0.1:<port> */
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

// ---- aedes --------------------------------------------------------------------------

export interface AedesBroker extends Broker {
  aedes: Aedes;
  /** the broker side of every open connection */
  sockets: Set<Socket>;
}

/** aedes on a free port; over TLS with the given key and certificate (url mqtts://). */
export async function startAedes(options?: AedesOptions, tls?: { key: string; cert: string }): Promise<AedesBroker> {
  const aedes = await Aedes.createBroker(options);
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  };
  const server: Server = tls !== undefined ? createTlsServer(tls, onSocket) : createServer(onSocket);
  const port = await listen(server, 0);
  let stopped = false;
  return {
    url: `${tls !== undefined ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    aedes,
    sockets,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

// ---- Mosquitto ------------------------------------------------------------------------

let mosquittoBinary: string | null | undefined;

/**
 * sh -c WATCHDOG _ <mosquitto> <conf>: starts Mosquitto, prints its pid, kills it (SIGKILL)
 * when stdin reaches end of file (our process ended), and exits with Mosquitto's status.
 * The shell ignores TERM/INT/HUP once Mosquitto runs (a signal to the whole process
 * group, as `timeout` sends, must not kill the watchdog and leave Mosquitto running);
 * the explicit `<&3` matters, as a non-interactive shell gives background jobs /dev/null.
 */
const WATCHDOG = 'exec 3<&0; "$1" -c "$2" </dev/null & m=$!; trap "" TERM INT HUP; echo $m; '
  + '( read _ <&3; kill -KILL $m 2>/dev/null ) & w=$!; '
  + 'wait $m; s=$?; kill -KILL $w 2>/dev/null; exit $s';

/**
 * The mosquitto executable: $MOSQUITTO_BIN when set ('' or 'none' meaning "not
 * installed", for testing the skip policy), else the first on PATH, else
 * /usr/sbin/mosquitto (Debian installs it there, often off a user's PATH); null if none.
 */
export function mosquittoPath(): string | null {
  if (mosquittoBinary !== undefined) return mosquittoBinary;
  mosquittoBinary = null;
  const forced = process.env.MOSQUITTO_BIN;
  if (forced !== undefined) {
    if (forced !== '' && forced !== 'none' && isExecutable(forced)) mosquittoBinary = forced;
    return mosquittoBinary;
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  dirs.push('/usr/sbin', '/usr/local/sbin');
  for (const d of dirs) {
    const candidate = join(d, 'mosquitto');
    if (isExecutable(candidate)) {
      mosquittoBinary = candidate;
      break;
    }
  }
  return mosquittoBinary;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function mosquittoAvailable(): boolean {
  return mosquittoPath() !== null;
}

export interface MosquittoOptions {
  /** keep sessions and retained messages in a database under persistenceDir (written on stop) */
  persistence?: boolean;
  /** where the database lives; default a directory inside the broker's temp dir */
  persistenceDir?: string;
  /** extra lines appended to the generated mosquitto.conf */
  extraConfig?: string[];
}

export interface MosquittoBroker extends Broker {
  /** the temp dir holding mosquitto.conf (and the database unless persistenceDir was given) */
  dir: string;
  persistenceDir: string | undefined;
  /** what the broker wrote to stderr (the last 64 KiB) */
  log(): string;
  /** whether the process is running */
  running(): boolean;
  /** the mosquitto process id (0 when stopped) */
  pid(): number;
  /** stops the process (SIGTERM: Mosquitto saves its database; SIGKILL: it does not) and keeps the temp dir */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** starts again on the same port with the same config and database (after kill(), or stops it first) */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** stops the process and removes the temp dir */
  stop(): Promise<void>;
}

export async function startMosquitto(options?: MosquittoOptions): Promise<MosquittoBroker> {
  const o = options ?? {};
  const bin = mosquittoPath();
  if (bin === null) throw new Error('mosquitto is not installed (looked on PATH and in /usr/sbin): apt-get install mosquitto');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'firmqtt-mosquitto-'));
  const persistenceDir = o.persistence === true ? (o.persistenceDir ?? join(dir, 'db')) : undefined;
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
  ];
  // Started as root (a container, CI), Mosquitto drops to the 'mosquitto' user, which
  // could not write the database into our temp dir: keep it as the user we are.
  if (typeof process.getuid === 'function' && process.getuid() === 0) lines.push('user root');
  if (persistenceDir !== undefined) {
    mkdirSync(persistenceDir, { recursive: true });
    lines.push('persistence true', `persistence_location ${persistenceDir}/`, 'autosave_interval 0');
  } else {
    lines.push('persistence false');
  }
  if (o.extraConfig !== undefined) lines.push(...o.extraConfig);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');

  let child: ChildProcess | null = null;
  let pid = 0;
  let log = '';
  const launch = async (): Promise<void> => {
    // Through a watchdog shell that kills Mosquitto when our end of its stdin closes, so a
    // test runner that dies (SIGKILL, a timeout) leaves no broker behind.
    const c = spawn('sh', ['-c', WATCHDOG, 'mosquitto-watchdog', bin, conf], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = c;
    pid = 0;
    let exited = false;
    let spawnError: Error | null = null;
    c.on('error', (e) => {
      spawnError = e;
    });
    c.on('exit', () => {
      exited = true;
    });
    let out = '';
    c.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (pid === 0 && nl >= 0) pid = Number(out.slice(0, nl));
    });
    c.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.length > 65536) log = log.slice(-65536);
    });
    const deadline = Date.now() + 10000;
    for (;;) {
      if (spawnError !== null) throw spawnError;
      if (exited) throw new Error(`mosquitto exited at start:\n${log}`);
      if (pid !== 0 && await canConnect(port)) return;
      if (Date.now() > deadline) {
        c.stdin!.end();
        throw new Error(`mosquitto did not accept connections on port ${port} within 10 s:\n${log}`);
      }
      await delay(20);
    }
  };
  const kill = async (signal?: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const c = child as ChildProcess | null;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    if (pid !== 0) {
      try {
        process.kill(pid, signal ?? 'SIGTERM');
      } catch {
        // already gone
      }
    } else {
      c.stdin!.end();
    }
    await exited;
  };
  try {
    await launch();
  } catch (e) {
    await kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let stopped = false;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    dir,
    persistenceDir,
    log: () => log,
    running: () => child !== null,
    pid: () => (child === null ? 0 : pid),
    kill,
    async restart(signal) {
      await kill(signal);
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- a packet-aware TCP proxy ----------------------------------------------------------

export type Direction = 'up' | 'down';

/** What the proxy knows about one client connection. */
export interface ProxiedConnection {
  /** the client's socket (accepted by the proxy) */
  client: Socket;
  /** the proxy's socket to the broker */
  broker: Socket;
  /** the broker has sent CONNACK on this connection */
  connacked: boolean;
}

/**
 * Decides whether one whole MQTT packet is forwarded. `type` is the control packet type
 * (1 CONNECT ... 15 AUTH); `packet` holds the whole packet, fixed header included.
 */
export type PacketFilter = (direction: Direction, type: number, packet: Uint8Array, conn: ProxiedConnection) => boolean;

export interface Proxy {
  url: string;
  host: string;
  port: number;
  /** every connection still open */
  connections: Set<ProxiedConnection>;
  /** packets seen (forwarded or not) per direction and type, over all connections */
  seen: { up: number[]; down: number[] };
  /** replaces the filter (undefined forwards everything) */
  setFilter(filter: PacketFilter | undefined): void;
  /** destroys every connection at once on both sides, like a network failure: no DISCONNECT, no FIN handshake */
  cut(): void;
  /** stops accepting, cuts every connection */
  stop(): Promise<void>;
}

/** Withholds what the client would need to complete QoS 1/2: the broker's PUBACK, PUBREC and PUBCOMP. */
export const swallowAcks: PacketFilter = (direction, type) => !(direction === 'down' && (type === 4 || type === 5 || type === 7));

/** Forwards CONNECT and CONNACK, then drops everything the client sends. */
export const blackholeAfterConnack: PacketFilter = (direction, _type, _packet, conn) => direction === 'down' || !conn.connacked;

export async function startProxy(target: { host?: string; port: number }, filter?: PacketFilter): Promise<Proxy> {
  const connections = new Set<ProxiedConnection>();
  const seen = { up: new Array<number>(16).fill(0), down: new Array<number>(16).fill(0) };
  let current = filter;
  const server = createServer((client) => {
    client.setNoDelay(true);
    const broker = netConnect({ host: target.host ?? '127.0.0.1', port: target.port });
    broker.setNoDelay(true);
    const conn: ProxiedConnection = { client, broker, connacked: false };
    connections.add(conn);
    const end = () => {
      connections.delete(conn);
      client.destroy();
      broker.destroy();
    };
    client.on('error', end);
    broker.on('error', end);
    client.on('close', end);
    broker.on('close', end);
    const pipe = (direction: Direction, from: Socket, to: Socket) => {
      const framer = new Framer((packet) => {
        const type = packet[0] >> 4;
        seen[direction][type]++;
        if (direction === 'down' && type === 2) conn.connacked = true;
        if (current === undefined || current(direction, type, packet, conn)) to.write(packet);
      });
      from.on('data', (chunk: Buffer) => framer.push(chunk));
    };
    pipe('up', client, broker);
    pipe('down', broker, client);
  });
  const port = await listen(server, 0);
  const cut = () => {
    for (const c of connections) {
      c.client.resetAndDestroy();
      c.broker.resetAndDestroy();
    }
    connections.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    connections,
    seen,
    setFilter(f) {
      current = f;
    },
    cut,
    async stop() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Splits a byte stream into whole MQTT packets (fixed header + remaining length). */
export class Framer {
  private buf: Buffer;
  private readonly onPacket: (packet: Buffer) => void;
  constructor(onPacket: (packet: Buffer) => void) {
    this.buf = Buffer.alloc(0);
    this.onPacket = onPacket;
  }
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (;;) {
        if (i >= b.length) return;
        if (i > 4) throw new Error('proxy: malformed remaining length');
        const byte = b[i++];
        len += (byte & 0x7f) * mul;
        mul *= 128;
        if ((byte & 0x80) === 0) break;
      }
      const total = i + len;
      if (b.length < total) return;
      this.onPacket(b.subarray(0, total));
      this.buf = b.subarray(total);
    }
  }
}

// ---- small helpers ---------------------------------------------------------------------

export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s, 0);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
