// The serial <-> TCP bridge: a board with no network stack speaks MQTT over its UART;
// this host-side program carries those bytes to a TCP (or TLS) broker and back.
//
//   npx firmqtt bridge --port /dev/ttyUSB0 --baud 115200 --broker mqtt://localhost:1883
//
// A serial line has no connections, TCP has: the bridge makes one broker connection per
// MQTT session. It follows the MQTT framing of the serial stream (fixed headers only,
// tools/bridge/frames.ts), and each CONNECT packet from the board closes the current
// broker connection and opens a fresh one, which gets the CONNECT and everything after
// it; a packet is never split across two connections. Until the first CONNECT (and after
// the framing is lost, e.g. noise from a board's boot log) the bridge discards bytes
// until it sees the start of a CONNECT.
//
// When the broker closes the connection the bridge reports it and drops what the board
// sends until its next CONNECT; the board notices through keep-alive (its PINGREQ goes
// unanswered) and reconnects, which opens a new broker connection. When the serial
// device goes away (a USB adapter unplugged) the bridge closes the broker connection and
// tries to open the device again every `reopenDelay` ms.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { isTlsProtocol, parseBrokerUrl } from '../../targets/node/connect';
import { CONNECT, DISCONNECT, FrameScanner, findConnect } from './frames';

export interface BridgeOptions {
  /** the serial device: /dev/ttyUSB0, COM3 */
  port: string;
  /** default 115200 */
  baudRate?: number;
  /** mqtt://host:port (TCP) or mqtts://host:port (TLS); default port 1883 / 8883 */
  broker: string;
  /** extra tls.connect() options for mqtts:// (ca, cert, key, rejectUnauthorized, ...) */
  tls?: tls.ConnectionOptions;
  /** where the bridge reports what happens (one line per event); default none */
  log?: (line: string) => void;
  /** ms between attempts to reopen a serial device that went away; 0 = give up (emit 'serial-close'); default 1000 */
  reopenDelay?: number;
  /**
   * ms of silence inside a packet after which its framing is taken as lost (a board reset
   * half-way through a packet): the broker connection is closed and the bridge waits for a
   * CONNECT, rather than count the board's next CONNECTs as the rest of the old packet.
   * Default 500; 0 = never
   */
  resyncAfter?: number;
}

export interface BridgeStats {
  /** CONNECT packets seen on the serial side */
  connects: number;
  /** broker connections that reached the broker */
  brokerConnections: number;
  /** broker connections closed by the broker or the network (not after the board's DISCONNECT, a new CONNECT or stop()) */
  brokerCloses: number;
  /** connection attempts that failed (broker unavailable) */
  brokerFailures: number;
  bytesToBroker: number;
  bytesToSerial: number;
  /** bytes from the serial side with no broker connection to go to */
  droppedBytes: number;
}

interface BrokerAddress {
  host: string;
  port: number;
  tls: boolean;
}

interface SerialPortLike {
  on(event: string, fn: (...args: never[]) => void): unknown;
  once(event: string, fn: () => void): unknown;
  open(cb: (error: Error | null) => void): void;
  write(bytes: Uint8Array): boolean;
  close(cb?: (error: Error | null) => void): void;
  pause(): unknown;
  resume(): unknown;
  readonly isOpen: boolean;
}

type SerialPortClass = new (o: { path: string; baudRate: number; autoOpen: boolean }) => SerialPortLike;

/** One broker connection, made for one CONNECT from the board. */
interface BrokerConnection {
  id: number;
  socket: net.Socket;
  connected: boolean;
  /** closed by the bridge (a newer CONNECT, framing lost, stop()): not reported as a broker close */
  dropped: boolean;
  error: Error | null;
  /** the last packet the board sent on it was a DISCONNECT: a close is the normal end */
  disconnected: boolean;
}

const SYNC = 0;
const FRAMED = 1;
/** bytes kept while looking for a CONNECT across chunk boundaries (0x10, 4 length bytes, "\0\6MQIsdp") */
const SYNC_KEEP = 16;

export function parseBrokerAddress(url: string): BrokerAddress {
  // the client's URL parser (targets/node/connect.ts); a bare host:port is mqtt://
  const o = parseBrokerUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : 'mqtt://' + url);
  const scheme = o.protocol as string;
  const secure = isTlsProtocol(scheme);
  if (!secure && scheme !== 'mqtt' && scheme !== 'tcp') throw new Error(`bridge: unsupported broker URL "${url}" (use mqtt://host:port or mqtts://host:port)`);
  return { host: o.host ?? 'localhost', port: o.port ?? (secure ? 8883 : 1883), tls: secure };
}

export class SerialBridge extends EventEmitter {
  readonly options: BridgeOptions;
  readonly broker: BrokerAddress;
  readonly stats: BridgeStats;
  private serial: SerialPortLike | null;
  private conn: BrokerConnection | null;
  private mode: number;
  private syncBuf: Uint8Array;
  private readonly scanner: FrameScanner;
  private nextId: number;
  private stopped: boolean;
  private reopenTimer: ReturnType<typeof setTimeout> | null;
  /** runs while a packet from the serial side is unfinished (resyncAfter) */
  private resyncTimer: ReturnType<typeof setTimeout> | null;
  /** a drop is being counted (reported once per run of dropped bytes) */
  private dropping: boolean;

  constructor(options: BridgeOptions) {
    super();
    if (!options.port) throw new Error('bridge: missing serial port (--port /dev/ttyUSB0)');
    this.options = options;
    this.broker = parseBrokerAddress(options.broker);
    this.stats = { connects: 0, brokerConnections: 0, brokerCloses: 0, brokerFailures: 0, bytesToBroker: 0, bytesToSerial: 0, droppedBytes: 0 };
    this.serial = null;
    this.conn = null;
    this.mode = SYNC;
    this.syncBuf = new Uint8Array(0);
    this.scanner = new FrameScanner();
    this.nextId = 1;
    this.stopped = false;
    this.reopenTimer = null;
    this.resyncTimer = null;
    this.dropping = false;
  }

  get baudRate(): number {
    return this.options.baudRate ?? 115200;
  }

  private log(line: string): void {
    if (this.options.log) this.options.log(line);
  }

  /**
   * Opens the serial port (rejects with a clear message when it cannot) and checks that
   * the broker answers (only reported: the broker may come up later; each CONNECT from
   * the board tries again).
   */
  async start(): Promise<void> {
    await this.openSerial();
    const b = this.broker;
    this.log(`bridge: serial ${this.options.port} at ${this.baudRate} baud <-> broker ${b.tls ? 'mqtts' : 'mqtt'}://${b.host}:${b.port}`);
    const problem = await probe(b);
    if (problem === null) this.log(`bridge: broker ${b.host}:${b.port} is reachable; waiting for a CONNECT from the serial side`);
    else this.log(`bridge: WARNING: broker ${b.host}:${b.port} unavailable (${problem}); will try again at each CONNECT from the serial side`);
  }

  /** Closes the broker connection and the serial port. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reopenTimer !== null) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.unfinished(false);
    this.dropConnection();
    const serial = this.serial;
    this.serial = null;
    if (serial !== null && serial.isOpen) await new Promise<void>((resolve) => serial.close(() => resolve()));
  }

  private async openSerial(): Promise<void> {
    let SerialPort: SerialPortClass;
    try {
      SerialPort = ((await import('serialport')) as unknown as { SerialPort: SerialPortClass }).SerialPort;
    } catch (e) {
      throw new Error(`bridge: the "serialport" package is missing (npm install serialport): ${(e as Error).message}`);
    }
    const port = new SerialPort({ path: this.options.port, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((e) => {
        if (e === null) resolve();
        else reject(new Error(`bridge: cannot open serial port ${this.options.port}: ${e.message}`));
      });
    });
    if (this.stopped) {
      port.close();
      return;
    }
    this.serial = port;
    this.mode = SYNC;
    this.syncBuf = new Uint8Array(0);
    port.on('data', (chunk: Uint8Array) => this.fromSerial(chunk));
    port.on('error', (e: Error) => this.log(`bridge: serial error: ${e.message}`));
    port.on('close', () => this.serialClosed(port));
    this.emit('serial-open');
  }

  private serialClosed(port: SerialPortLike): void {
    if (this.serial !== port) return; // stop()
    this.serial = null;
    this.log(`bridge: serial port ${this.options.port} closed`);
    this.dropConnection();
    const delay = this.options.reopenDelay ?? 1000;
    if (delay <= 0 || this.stopped) {
      this.emit('serial-close');
      return;
    }
    this.log(`bridge: trying to reopen ${this.options.port} every ${delay} ms`);
    const retry = () => {
      this.reopenTimer = null;
      if (this.stopped) return;
      this.openSerial().then(
        () => this.log(`bridge: serial port ${this.options.port} open again`),
        () => {
          if (!this.stopped) this.reopenTimer = setTimeout(retry, delay);
        },
      );
    };
    this.reopenTimer = setTimeout(retry, delay);
  }

  // ---- serial -> broker -------------------------------------------------------------

  private fromSerial(input: Uint8Array): void {
    this.frame(input);
    this.unfinished(this.mode === FRAMED && this.scanner.inPacket);
  }

  /** Starts (or restarts) the resyncAfter clock while a packet is unfinished; stops it otherwise. */
  private unfinished(waiting: boolean): void {
    if (this.resyncTimer !== null) clearTimeout(this.resyncTimer);
    this.resyncTimer = null;
    const ms = this.options.resyncAfter ?? 500;
    if (!waiting || ms <= 0 || this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      this.framingLost(`a packet left unfinished for ${ms} ms, the board reset half-way through it?`);
    }, ms);
  }

  private frame(input: Uint8Array): void {
    let chunk = input;
    let start = 0;
    while (start < chunk.length) {
      if (this.mode === SYNC) {
        const buf = concat(this.syncBuf, chunk.subarray(start));
        const k = findConnect(buf);
        if (k < 0) {
          const keep = Math.max(-(k + 1), buf.length - SYNC_KEEP);
          this.drop(keep);
          this.syncBuf = buf.slice(keep);
          return;
        }
        this.drop(k);
        this.syncBuf = new Uint8Array(0);
        this.mode = FRAMED;
        this.scanner.reset();
        chunk = buf;
        start = k;
      }
      start = this.forwardFramed(chunk, start);
    }
  }

  /** Forwards chunk[start..] packet by packet; returns where to go on (chunk.length when done). */
  private forwardFramed(chunk: Uint8Array, start: number): number {
    const s = this.scanner;
    let segment = start;
    for (let i = s.nextStart(chunk, start); i >= 0; i = s.nextStart(chunk, i + 1)) {
      if (s.type === CONNECT) {
        this.forward(chunk.subarray(segment, i));
        segment = i;
        this.openConnection();
      } else if (this.conn !== null) {
        this.conn.disconnected = s.type === DISCONNECT;
      }
      if (s.type === 0) {
        // Type 0 is reserved: no client sends it. The framing is lost (noise, a reset board).
        this.forward(chunk.subarray(segment, i));
        this.framingLost('a packet of reserved type 0');
        return i + 1;
      }
    }
    if (s.malformed) {
      this.framingLost('a malformed Remaining Length');
      this.drop(chunk.length - segment);
      return chunk.length;
    }
    this.forward(chunk.subarray(segment));
    return chunk.length;
  }

  private framingLost(why: string): void {
    this.log(`bridge: MQTT framing lost on the serial side (${why}); closing the broker connection and waiting for a CONNECT`);
    this.dropConnection();
    this.mode = SYNC;
    this.syncBuf = new Uint8Array(0);
  }

  private forward(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const c = this.conn;
    if (c === null) {
      this.drop(bytes.length);
      return;
    }
    this.dropping = false;
    this.stats.bytesToBroker += bytes.length;
    if (!c.socket.write(bytes) && this.serial !== null) {
      const serial = this.serial;
      serial.pause();
      c.socket.once('drain', () => serial.resume());
      c.socket.once('close', () => serial.resume());
    }
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.stats.droppedBytes += n;
    if (!this.dropping) {
      this.dropping = true;
      this.log(this.mode === SYNC
        ? 'bridge: discarding serial bytes until the start of a CONNECT'
        : 'bridge: no broker connection: discarding serial bytes until the next CONNECT');
    }
    this.emit('dropped', n);
  }

  // ---- broker connections -------------------------------------------------------------

  private openConnection(): void {
    this.stats.connects++;
    const previous = this.conn;
    if (previous !== null) this.log(`bridge: new CONNECT from the serial side: closing broker connection #${previous.id}`);
    this.dropConnection();
    const b = this.broker;
    const socket = b.tls
      ? tls.connect(Object.assign({ servername: net.isIP(b.host) === 0 ? b.host : undefined }, this.options.tls, { host: b.host, port: b.port }))
      : net.connect({ host: b.host, port: b.port });
    socket.setNoDelay(true);
    const c: BrokerConnection = { id: this.nextId++, socket, connected: false, dropped: false, error: null, disconnected: false };
    this.conn = c;
    this.dropping = false;
    this.log(`bridge: CONNECT from the serial side: opening broker connection #${c.id} to ${b.host}:${b.port}`);
    socket.once(b.tls ? 'secureConnect' : 'connect', () => {
      c.connected = true;
      this.stats.brokerConnections++;
      this.log(`bridge: broker connection #${c.id} open`);
      this.emit('broker-open', c.id);
    });
    socket.on('data', (data: Buffer) => this.toSerial(c, data));
    socket.on('error', (e: Error) => {
      if (c.error === null) c.error = e;
    });
    socket.on('close', () => this.connectionClosed(c));
  }

  private toSerial(c: BrokerConnection, data: Buffer): void {
    if (c !== this.conn || this.serial === null) return;
    this.stats.bytesToSerial += data.length;
    if (!this.serial.write(data)) {
      c.socket.pause();
      this.serial.once('drain', () => c.socket.resume());
    }
  }

  private connectionClosed(c: BrokerConnection): void {
    if (c === this.conn) this.conn = null;
    if (c.dropped) return;
    const b = this.broker;
    if (!c.connected) {
      this.stats.brokerFailures++;
      const why = c.error === null ? 'closed' : (c.error as NodeJS.ErrnoException).code ?? c.error.message;
      this.log(`bridge: broker ${b.host}:${b.port} unavailable (${why}): dropping this session; the board will retry`);
      this.emit('broker-unavailable', c.id, c.error);
      return;
    }
    if (c.disconnected && c.error === null) {
      this.log(`bridge: broker connection #${c.id} ended (the board sent DISCONNECT)`);
      this.emit('broker-close', c.id, null);
      return;
    }
    this.stats.brokerCloses++;
    const why = c.error === null ? 'closed by the broker' : `failed: ${c.error.message}`;
    this.log(`bridge: broker connection #${c.id} ${why}; waiting for the next CONNECT from the serial side`);
    this.emit('broker-close', c.id, c.error);
  }

  /** Closes the current broker connection on the bridge's own initiative. */
  private dropConnection(): void {
    const c = this.conn;
    if (c === null) return;
    this.conn = null;
    c.dropped = true;
    c.socket.destroy();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** null when host:port accepts a TCP connection, else the reason. */
function probe(b: BrokerAddress): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: b.host, port: b.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer within 3 s');
    }, 3000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? e.message);
    });
  });
}
