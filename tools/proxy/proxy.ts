// A fault-injecting TCP proxy: what a flaky field link does to an MQTT connection, on
// demand. Scriptable from tests (the FaultProxy class) and usable by hand
// (`npx firmqtt proxy`, tools/proxy/cli.ts).
//
// Faults:
// - cut:      close both sides at once, now, after N bytes (the cut lands exactly there,
//             inside a packet if that is where N falls) or after N ms;
// - stall:    stop forwarding without closing, in both directions: a dead link that only
//             keep-alive can notice. Bytes that arrive meanwhile are held and delivered on
//             resume(), as TCP would after an outage; if either side closes during the
//             stall they are dropped and the other side is closed too (the link was dead);
// - delay:    hold every chunk for N ms (order kept);
// - fragment: forward every chunk one byte per write, with a pause between bytes so the
//             receiver gets them in separate reads;
// - corrupt:  replace one byte: at a byte offset, or the first byte of a chosen packet
//             (found by scanning MQTT fixed headers), which becomes 0x00, a packet of the
//             reserved type 0 that a receiver must reject ([MQTT-2.1.3] / 5.0 §2.1.2): a
//             corrupted header is detectable, a corrupted payload byte is not.
//
// "up" is client -> server, "down" is server -> client.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { FrameScanner, TYPE_NAMES } from '../bridge/frames';

export type Direction = 'up' | 'down' | 'both';

/** Faults applied to each new connection (what the CLI flags set). */
export interface ProxyFaults {
  /** cut each connection after this many bytes forwarded (counted in `direction`) */
  cutAfterBytes?: number;
  /** cut each connection this many ms after it opened */
  cutAfterMs?: number;
  /** stall each connection after this many bytes forwarded (counted in `direction`) */
  stallAfterBytes?: number;
  /** stall each connection this many ms after it opened */
  stallAfterMs?: number;
  /** hold every chunk this many ms */
  delayMs?: number;
  /** one byte per write */
  fragment?: boolean;
  /** XOR 0xFF into the byte at this offset (0-based) of the `direction` stream of each connection */
  corruptAt?: number;
  /** turn the first byte of the Nth packet (1-based) of the `direction` stream of each connection into 0x00 */
  corruptPacket?: number;
  /** which stream the byte counts and corruption apply to; default 'both' for cut/stall, 'up' for corruption */
  direction?: Direction;
}

export interface FaultProxyOptions {
  /** where to forward: port, or host:port ("localhost:1883") */
  target: string | number | { host?: string; port: number };
  /** port to listen on; default 0 (any free port) */
  port?: number;
  /** address to listen on; default 127.0.0.1 */
  host?: string;
  faults?: ProxyFaults;
  /** ms between the bytes of a fragmented chunk; default 1 */
  fragmentDelay?: number;
  /** one line per event (connections, faults); default none */
  log?: (line: string) => void;
  /** sees every piece of bytes as it is written to the other side (for packet traces) */
  onForward?: (conn: ProxyConnection, direction: 'up' | 'down', bytes: Uint8Array) => void;
}

export interface ProxyStats {
  connections: number;
  bytesUp: number;
  bytesDown: number;
  cuts: number;
  stalls: number;
  corruptions: number;
  /** connections whose server side could not be reached */
  upstreamFailures: number;
}

export interface CorruptRequest {
  /** default 'up' */
  direction?: 'up' | 'down';
  /** only a packet of this type (3 = PUBLISH, ...); default any */
  packetType?: number;
}

/** A corrupted byte in a queued chunk; reported when it is actually forwarded. */
interface Mark {
  index: number;
  request: CorruptRequest | null;
  /** the header byte it replaced (header corruption), or -1 (a flipped byte) */
  was: number;
}

interface Chunk {
  bytes: Uint8Array;
  due: number;
  marks: Mark[] | null;
}

const HIGH_WATER = 256 * 1024;

/** One direction of one connection: reads `from`, writes `to`. */
class Pipe {
  readonly conn: ProxyConnection;
  readonly dir: 'up' | 'down';
  readonly from: net.Socket;
  readonly to: net.Socket;
  readonly scanner: FrameScanner;
  /** bytes read so far (offsets for corruptAt) */
  read: number;
  /** bytes written so far */
  written: number;
  queue: Chunk[];
  queuedBytes: number;
  /** offset into queue[0].bytes already written (fragmenting) */
  offset: number;
  /** the source ended: end the destination once the queue is empty */
  ended: boolean;
  /** a timer or a fragment pause is pending */
  waiting: boolean;
  paused: boolean;
  /** absolute byte offset to corrupt (in `read` terms); -1 none */
  corruptOffset: number;
  /** packet number (scanner.count) whose first byte to corrupt; -1 none */
  corruptPacketNo: number;

  constructor(conn: ProxyConnection, dir: 'up' | 'down', from: net.Socket, to: net.Socket) {
    this.conn = conn;
    this.dir = dir;
    this.from = from;
    this.to = to;
    this.scanner = new FrameScanner();
    this.read = 0;
    this.written = 0;
    this.queue = [];
    this.queuedBytes = 0;
    this.offset = 0;
    this.ended = false;
    this.waiting = false;
    this.paused = false;
    this.corruptOffset = -1;
    this.corruptPacketNo = -1;
  }
}

/** One proxied connection: the client's socket and the proxy's socket to the server. */
export class ProxyConnection {
  readonly id: number;
  readonly client: net.Socket;
  readonly server: net.Socket;
  readonly openedAt: number;
  readonly up: Pipe;
  readonly down: Pipe;
  stalled: boolean;
  closed: boolean;
  /** cut when this many bytes have been forwarded in cutDirection; -1 none */
  cutAt: number;
  cutDirection: Direction;
  stallAt: number;
  stallDirection: Direction;
  private readonly proxy: FaultProxy;
  private timers: ReturnType<typeof setTimeout>[];

  constructor(proxy: FaultProxy, id: number, client: net.Socket, server: net.Socket) {
    this.proxy = proxy;
    this.id = id;
    this.client = client;
    this.server = server;
    this.openedAt = Date.now();
    this.up = new Pipe(this, 'up', client, server);
    this.down = new Pipe(this, 'down', server, client);
    this.stalled = false;
    this.closed = false;
    this.cutAt = -1;
    this.cutDirection = 'both';
    this.stallAt = -1;
    this.stallDirection = 'both';
    this.timers = [];
  }

  /** bytes forwarded so far in a direction */
  forwarded(direction: Direction): number {
    return direction === 'up' ? this.up.written : direction === 'down' ? this.down.written : this.up.written + this.down.written;
  }

  /** Closes both sides now: no more bytes either way. */
  cut(reason?: string): void {
    if (this.closed) return;
    this.proxy.stats.cuts++;
    this.proxy.note(`#${this.id} cut${reason ? ' ' + reason : ''} (up ${this.up.written} B, down ${this.down.written} B)`);
    this.close();
    this.proxy.emit('cut', this);
  }

  /** Cuts after `bytes` more bytes forwarded in `direction` (default both), or after `ms`. */
  cutAfter(o: { bytes?: number; ms?: number; direction?: Direction }): void {
    if (o.bytes !== undefined) {
      this.cutDirection = o.direction ?? 'both';
      this.cutAt = this.forwarded(this.cutDirection) + o.bytes;
      if (o.bytes === 0) this.cut(`after ${o.bytes} bytes`);
    }
    if (o.ms !== undefined) this.timer(o.ms, () => this.cut(`after ${o.ms} ms`));
  }

  /** Stops forwarding (both directions) without closing. */
  stall(): void {
    if (this.closed || this.stalled) return;
    this.stalled = true;
    this.proxy.stats.stalls++;
    this.proxy.note(`#${this.id} stalled`);
    this.proxy.emit('stall', this);
  }

  stallAfter(o: { bytes?: number; ms?: number; direction?: Direction }): void {
    if (o.bytes !== undefined) {
      this.stallDirection = o.direction ?? 'both';
      this.stallAt = this.forwarded(this.stallDirection) + o.bytes;
      if (o.bytes === 0) this.stall();
    }
    if (o.ms !== undefined) this.timer(o.ms, () => this.stall());
  }

  /** Forwards again what was held during a stall. */
  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    this.proxy.note(`#${this.id} resumed`);
    if (this.closed) return;
    this.proxy.pump(this.up);
    this.proxy.pump(this.down);
  }

  /** Corrupts the byte at `offset` (0-based, counted from the start of that stream) of one direction. */
  corruptAt(offset: number, direction?: 'up' | 'down'): void {
    (direction === 'down' ? this.down : this.up).corruptOffset = offset;
  }

  /** Corrupts the first byte of packet number `n` (1-based, from the start of that stream). */
  corruptPacket(n: number, direction?: 'up' | 'down'): void {
    (direction === 'down' ? this.down : this.up).corruptPacketNo = n;
  }

  private timer(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(() => {
      if (!this.closed) fn();
    }, ms));
  }

  /** Ends the connection (both sockets destroyed, queues dropped); reported once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < this.timers.length; i++) clearTimeout(this.timers[i]);
    this.timers = [];
    closeSocket(this.client);
    closeSocket(this.server);
    this.proxy.dropQueue(this.up);
    this.proxy.dropQueue(this.down);
    this.proxy.connectionClosed(this);
  }
}

/**
 * Closes a socket abruptly, except that bytes the proxy already wrote still leave (so a
 * cut after N bytes delivers exactly N); nothing more is read from it.
 */
function closeSocket(s: net.Socket): void {
  if (s.destroyed) return;
  if (s.writableLength === 0 && !s.connecting) {
    s.destroy();
    return;
  }
  s.pause();
  s.end();
  const timer = setTimeout(() => s.destroy(), 1000);
  s.once('close', () => clearTimeout(timer));
  s.once('finish', () => s.destroy());
}

export class FaultProxy extends EventEmitter {
  readonly target: { host: string; port: number };
  readonly stats: ProxyStats;
  /** open connections, oldest first */
  readonly connections: ProxyConnection[];
  faults: ProxyFaults;
  delayMs: number;
  fragmenting: boolean;
  fragmentDelay: number;
  /** new connections start stalled (set by stall({ newConnections: true })) */
  stallNew: boolean;
  private readonly options: FaultProxyOptions;
  private server: net.Server | null;
  private nextId: number;
  private listenPort: number;
  /** one-shot corruption requests, served by the first matching packet on any connection */
  private pendingCorrupt: CorruptRequest[];

  constructor(options: FaultProxyOptions) {
    super();
    this.options = options;
    this.target = parseTarget(options.target);
    this.stats = { connections: 0, bytesUp: 0, bytesDown: 0, cuts: 0, stalls: 0, corruptions: 0, upstreamFailures: 0 };
    this.connections = [];
    this.faults = Object.assign({}, options.faults);
    this.delayMs = this.faults.delayMs ?? 0;
    this.fragmenting = this.faults.fragment === true;
    this.fragmentDelay = options.fragmentDelay ?? 1;
    this.stallNew = false;
    this.server = null;
    this.nextId = 1;
    this.listenPort = 0;
    this.pendingCorrupt = [];
  }

  /** the port the proxy listens on (after start()) */
  get port(): number {
    return this.listenPort;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.listenPort}`;
  }

  /** @internal */
  note(line: string): void {
    if (this.options.log) this.options.log('proxy: ' + line);
  }

  async start(): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listenPort = (server.address() as net.AddressInfo).port;
    this.note(`listening on ${this.options.host ?? '127.0.0.1'}:${this.listenPort} -> ${this.target.host}:${this.target.port}`);
    return this.listenPort;
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    while (this.connections.length > 0) this.connections[0].close();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sets the faults for connections opened from now on (and delay/fragment for all). */
  setFaults(faults: ProxyFaults): void {
    this.faults = Object.assign({}, faults);
    this.delayMs = faults.delayMs ?? 0;
    this.fragmenting = faults.fragment === true;
  }

  /** Cuts every open connection now; returns how many. */
  cut(): number {
    const list = this.connections.slice();
    for (let i = 0; i < list.length; i++) list[i].cut();
    return list.length;
  }

  /** Arms a cut on every open connection: after `bytes` more bytes, or after `ms`. */
  cutAfter(o: { bytes?: number; ms?: number; direction?: Direction }): number {
    const list = this.connections.slice();
    for (let i = 0; i < list.length; i++) list[i].cutAfter(o);
    return list.length;
  }

  /**
   * Stalls every open connection (and, with newConnections, those opened later, until
   * resume()). Returns how many open connections were stalled.
   */
  stall(o?: { newConnections?: boolean }): number {
    if (o !== undefined && o.newConnections === true) this.stallNew = true;
    let n = 0;
    for (let i = 0; i < this.connections.length; i++) {
      if (!this.connections[i].stalled) n++;
      this.connections[i].stall();
    }
    return n;
  }

  /** Ends every stall (and stops stalling new connections). */
  resume(): void {
    this.stallNew = false;
    const list = this.connections.slice();
    for (let i = 0; i < list.length; i++) list[i].resume();
  }

  /** Holds every chunk for `ms` (0 = off), on every connection. */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** One byte per write (on every connection) while on. */
  fragment(on: boolean): void {
    this.fragmenting = on;
    if (!on) {
      for (let i = 0; i < this.connections.length; i++) {
        this.pump(this.connections[i].up);
        this.pump(this.connections[i].down);
      }
    }
  }

  /**
   * Corrupts the next packet (of `packetType`, if given) that starts in `direction` on
   * any connection: its first byte becomes 0x00. Resolves with that connection.
   */
  corruptNext(request?: CorruptRequest): Promise<ProxyConnection> {
    const r = Object.assign({}, request);
    this.pendingCorrupt.push(r);
    return new Promise((resolve) => {
      const onCorrupt = (conn: ProxyConnection, req: CorruptRequest) => {
        if (req !== r) return;
        this.off('corrupt', onCorrupt);
        resolve(conn);
      };
      this.on('corrupt', onCorrupt);
    });
  }

  /** Resolves with the next connection accepted (or the open one, with `existing`). */
  nextConnection(existing?: boolean): Promise<ProxyConnection> {
    if (existing === true && this.connections.length > 0) return Promise.resolve(this.connections[this.connections.length - 1]);
    return new Promise((resolve) => this.once('connection', resolve));
  }

  // ---- internals --------------------------------------------------------------------

  private accept(client: net.Socket): void {
    const server = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true });
    client.setNoDelay(true);
    server.setNoDelay(true);
    const conn = new ProxyConnection(this, this.nextId++, client, server);
    this.connections.push(conn);
    this.stats.connections++;
    let serverUp = false;
    server.once('connect', () => {
      serverUp = true;
    });
    this.note(`#${conn.id} open from ${client.remoteAddress}:${client.remotePort}`);
    const f = this.faults;
    if (f.cutAfterBytes !== undefined || f.cutAfterMs !== undefined) conn.cutAfter({ bytes: f.cutAfterBytes, ms: f.cutAfterMs, direction: f.direction });
    if (f.stallAfterBytes !== undefined || f.stallAfterMs !== undefined) conn.stallAfter({ bytes: f.stallAfterBytes, ms: f.stallAfterMs, direction: f.direction });
    const corruptDir = f.direction === 'down' ? 'down' : 'up';
    if (f.corruptAt !== undefined) conn.corruptAt(f.corruptAt, corruptDir);
    if (f.corruptPacket !== undefined) conn.corruptPacket(f.corruptPacket, corruptDir);
    if (this.stallNew) conn.stall();
    server.on('error', (e: NodeJS.ErrnoException) => {
      if (!serverUp && !conn.closed) {
        this.stats.upstreamFailures++;
        this.note(`#${conn.id} server ${this.target.host}:${this.target.port} unavailable (${e.code ?? e.message})`);
        this.emit('upstream-error', conn, e);
      }
    });
    this.wire(conn.up);
    this.wire(conn.down);
    this.emit('connection', conn);
  }

  private wire(p: Pipe): void {
    const conn = p.conn;
    p.from.on('data', (chunk: Buffer) => this.received(p, chunk));
    p.from.on('end', () => {
      p.ended = true;
      if (conn.stalled) conn.close(); // a peer leaving a dead link: nothing more gets through
      else this.pump(p);
    });
    p.from.on('error', () => conn.close());
    p.from.on('close', () => {
      // Both directions are done when both sources have closed; an abrupt close (reset)
      // of one side ends the other at once.
      if (!p.ended || conn.stalled) conn.close();
      else if (conn.up.from.destroyed && conn.down.from.destroyed) conn.close();
    });
    p.to.on('drain', () => {
      if (p.paused && p.queuedBytes < HIGH_WATER) {
        p.paused = false;
        p.from.resume();
      }
    });
  }

  private received(p: Pipe, chunk: Buffer): void {
    const conn = p.conn;
    if (conn.closed) return;
    let bytes: Uint8Array = chunk;
    let marks: Mark[] | null = null;
    const start = p.read;
    p.read += chunk.length;
    if (p.corruptOffset >= start && p.corruptOffset < p.read) {
      bytes = Uint8Array.from(bytes);
      const i = p.corruptOffset - start;
      bytes[i] ^= 0xff;
      p.corruptOffset = -1;
      marks = [{ index: i, request: null, was: -1 }];
    }
    if (p.corruptPacketNo >= 0 || this.pendingCorrupt.length > 0) {
      if (marks === null) marks = [];
      bytes = this.corruptHeaders(p, bytes, marks);
    } else {
      this.scanOnly(p, bytes);
    }
    p.queue.push({ bytes, due: this.delayMs > 0 ? Date.now() + this.delayMs : 0, marks: marks !== null && marks.length > 0 ? marks : null });
    p.queuedBytes += bytes.length;
    if (p.queuedBytes >= HIGH_WATER && !p.paused) {
      p.paused = true;
      p.from.pause();
    }
    this.pump(p);
  }

  /** Keeps the pipe's frame scanner in step so header corruption can be aimed later. */
  private scanOnly(p: Pipe, bytes: Uint8Array): void {
    const s = p.scanner;
    if (s.malformed) return;
    for (let i = s.nextStart(bytes, 0); i >= 0; i = s.nextStart(bytes, i + 1)) {
      // nothing to do at a packet start
    }
  }

  private corruptHeaders(p: Pipe, input: Uint8Array, marks: Mark[]): Uint8Array {
    let bytes = input;
    const s = p.scanner;
    if (s.malformed) return bytes;
    for (let i = s.nextStart(bytes, 0); i >= 0; i = s.nextStart(bytes, i + 1)) {
      let request: CorruptRequest | null = null;
      if (p.corruptPacketNo === s.count) {
        p.corruptPacketNo = -1;
      } else {
        const k = this.matchRequest(p.dir, s.type);
        if (k < 0) continue;
        request = this.pendingCorrupt[k];
        this.pendingCorrupt.splice(k, 1);
      }
      if (bytes === input) bytes = Uint8Array.from(input);
      marks.push({ index: i, request, was: bytes[i] });
      bytes[i] = 0x00;
    }
    return bytes;
  }

  private matchRequest(dir: 'up' | 'down', type: number): number {
    for (let k = 0; k < this.pendingCorrupt.length; k++) {
      const r = this.pendingCorrupt[k];
      if ((r.direction ?? 'up') === dir && (r.packetType === undefined || r.packetType === type)) return k;
    }
    return -1;
  }

  /** A corrupted byte was forwarded: count and report it. */
  private corrupted(conn: ProxyConnection, p: Pipe, mark: Mark): void {
    this.stats.corruptions++;
    const what = mark.was < 0 ? 'a byte' : `the header of a ${TYPE_NAMES[mark.was >> 4]} (0x${mark.was.toString(16).padStart(2, '0')} -> 0x00)`;
    this.note(`#${conn.id} corrupted ${what} going ${p.dir}`);
    this.emit('corrupt', conn, mark.request);
  }

  /**
   * @internal A closing connection drops what it still held. A corruption asked for with
   * corruptNext() that never left goes back in line for the next matching packet.
   */
  dropQueue(p: Pipe): void {
    for (let k = 0; k < p.queue.length; k++) {
      const marks = p.queue[k].marks;
      if (marks === null) continue;
      for (let m = 0; m < marks.length; m++) {
        const unsent = k > 0 || marks[m].index >= p.offset;
        if (unsent && marks[m].request !== null) this.pendingCorrupt.push(marks[m].request as CorruptRequest);
      }
    }
    p.queue = [];
    p.queuedBytes = 0;
    p.offset = 0;
  }

  /** @internal Writes what may go now; re-arms itself for delays and fragment pauses. */
  pump(p: Pipe): void {
    const conn = p.conn;
    while (!conn.closed && !conn.stalled && !p.waiting && p.queue.length > 0) {
      const head = p.queue[0];
      if (head.due > 0) {
        const wait = head.due - Date.now();
        if (wait > 0) {
          this.pause(p, wait);
          return;
        }
      }
      let n = head.bytes.length - p.offset;
      if (this.fragmenting) n = 1;
      n = this.limit(conn, p, n);
      if (n > 0) {
        const piece = head.bytes.subarray(p.offset, p.offset + n);
        p.offset += n;
        p.written += n;
        if (p.dir === 'up') this.stats.bytesUp += n;
        else this.stats.bytesDown += n;
        p.queuedBytes -= n;
        p.to.write(piece);
        if (this.options.onForward !== undefined) this.options.onForward(conn, p.dir, piece);
        const marks = head.marks;
        if (marks !== null) {
          for (let m = 0; m < marks.length; m++) {
            if (marks[m].index >= p.offset - n && marks[m].index < p.offset) this.corrupted(conn, p, marks[m]);
          }
        }
        if (p.offset === head.bytes.length) {
          p.queue.shift();
          p.offset = 0;
        }
      }
      if (this.checkLimits(conn)) return;
      if (this.fragmenting && p.queue.length > 0) {
        this.pause(p, this.fragmentDelay);
        return;
      }
    }
    if (!conn.closed && !conn.stalled && p.queue.length === 0 && p.ended && !p.to.writableEnded) p.to.end();
  }

  private pause(p: Pipe, ms: number): void {
    p.waiting = true;
    const go = () => {
      p.waiting = false;
      this.pump(p);
    };
    if (ms <= 0) setImmediate(go);
    else setTimeout(go, ms);
  }

  /** How many of the next n bytes of pipe p may be written before a cut or stall point. */
  private limit(conn: ProxyConnection, p: Pipe, n: number): number {
    let max = n;
    if (conn.cutAt >= 0 && counts(conn.cutDirection, p.dir)) max = Math.min(max, conn.cutAt - conn.forwarded(conn.cutDirection));
    if (conn.stallAt >= 0 && counts(conn.stallDirection, p.dir)) max = Math.min(max, conn.stallAt - conn.forwarded(conn.stallDirection));
    return max < 0 ? 0 : max;
  }

  /** Fires a cut or stall whose byte count is reached; returns whether forwarding must stop. */
  private checkLimits(conn: ProxyConnection): boolean {
    if (conn.cutAt >= 0 && conn.forwarded(conn.cutDirection) >= conn.cutAt) {
      const n = conn.cutAt;
      conn.cutAt = -1;
      conn.cut(`after ${n} bytes`);
      return true;
    }
    if (conn.stallAt >= 0 && conn.forwarded(conn.stallDirection) >= conn.stallAt) {
      conn.stallAt = -1;
      conn.stall();
      return true;
    }
    return false;
  }

  /** @internal */
  connectionClosed(conn: ProxyConnection): void {
    const i = this.connections.indexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
    this.note(`#${conn.id} closed`);
    this.emit('close', conn);
  }
}

function counts(limitDir: Direction, pipeDir: 'up' | 'down'): boolean {
  return limitDir === 'both' || limitDir === pipeDir;
}

export function parseTarget(t: string | number | { host?: string; port: number }): { host: string; port: number } {
  if (typeof t === 'number') return { host: '127.0.0.1', port: t };
  if (typeof t === 'object') return { host: t.host ?? '127.0.0.1', port: t.port };
  const s = t.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(s);
  if (m === null) throw new Error(`proxy: bad target "${t}" (expected host:port)`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port: m[3] === undefined ? 1883 : Number(m[3]) };
}
