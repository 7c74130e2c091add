// The Node side of test/engines/xs/host.js: an xsnap worker whose Moddable stand-ins
// (Timer, the ECMA-419 TCP socket) are served from this process, timers by setTimeout and
// sockets by node:net. Used by the engine scenario (test/engines/xs.test.ts) and the
// Moddable example (test/flash/moddable-example.test.ts).
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { XsWorker, xsnapWorkerPath } from '../../../tools/engines/xsnap';

const HOST = readFileSync(new URL('./host.js', import.meta.url), 'utf8');

/** Fails, saying what to do, when @agoric/xsnap's worker was not built. */
export function requireXsnap(): void {
  if (xsnapWorkerPath() === null) throw new Error('xsnap-worker is not built: npm install (with scripts allowed for @agoric/xsnap)');
}

/** `code` evaluated with the named top-level functions (or variables) made globals: xsnap scripts do not make them global. */
export function globalScript(code: string, names: string[]): string {
  return `(function () {\n${code}\n${names.map((n) => `globalThis.${n} = ${n};`).join('\n')}\n})();`;
}

export interface XsBridgeOptions {
  /** host.js's report(e) */
  onReport(e: any): void;
  /** a message the worker refused (an exception in the script) */
  onException(message: string): void;
  /**
   * The socket's send window (bytes per onWritable): small makes packets split and wait
   * for room, as on a device.
   */
  sendWindow: number;
  /** where a socket the script dials to `port` really goes (default: that port) */
  portFor?(port: number): number;
}

export class XsBridge {
  readonly worker: XsWorker;
  private readonly o: XsBridgeOptions;
  private timers = new Map<number, NodeJS.Timeout>();
  private sockets = new Map<number, { socket: Socket; closedByXs: boolean }>();
  private stopped = false;

  constructor(options: XsBridgeOptions) {
    this.o = options;
    const dec = new TextDecoder();
    this.worker = new XsWorker({ onQuery: (bytes) => {
      this.fromXs(JSON.parse(dec.decode(bytes)));
      return new Uint8Array(0);
    } });
  }

  /** Evaluates host.js in the worker, with the stand-ins named in `names` made globals. */
  bootHost(names: string[]): Promise<Uint8Array> {
    return this.worker.evaluate(globalScript(HOST, names));
  }

  /** Something for the script, later (never from inside a query: the worker is busy). */
  send(msg: object): void {
    if (this.stopped) return;
    this.worker.command(new TextEncoder().encode(JSON.stringify(msg))).catch((e: Error) => this.o.onException(e.message));
  }

  /** Pulls the plug: sockets destroyed (no DISCONNECT), timers cleared, the worker gone. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.sockets.values()) s.socket.destroy();
    await this.worker.close();
  }

  private fromXs(msg: any): void {
    switch (msg.t) {
      case 'report':
        this.o.onReport(msg.e);
        break;
      case 'setTimer':
        this.timers.set(msg.id, setTimeout(() => {
          this.timers.delete(msg.id);
          this.send({ t: 'timer', id: msg.id });
        }, msg.ms));
        break;
      case 'clearTimer':
        clearTimeout(this.timers.get(msg.id));
        this.timers.delete(msg.id);
        break;
      case 'connect': {
        const port = this.o.portFor === undefined ? msg.port : this.o.portFor(msg.port);
        const socket = netConnect({ host: msg.address, port });
        const entry = { socket, closedByXs: false };
        this.sockets.set(msg.id, entry);
        socket.setNoDelay(true);
        socket.on('connect', () => this.send({ t: 'writable', id: msg.id, count: this.o.sendWindow }));
        socket.on('data', (b: Buffer) => this.send({ t: 'data', id: msg.id, bytes: Array.from(b) }));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(msg.id);
          if (!entry.closedByXs) this.send({ t: 'error', id: msg.id });
        });
        break;
      }
      case 'write': {
        const s = this.sockets.get(msg.id);
        // room again once the bytes are handed to the kernel
        if (s !== undefined) s.socket.write(Buffer.from(msg.bytes), () => this.send({ t: 'writable', id: msg.id, count: this.o.sendWindow }));
        break;
      }
      case 'close': {
        const s = this.sockets.get(msg.id);
        if (s !== undefined) {
          s.closedByXs = true;
          s.socket.end(() => s.socket.destroy());
        }
        break;
      }
    }
  }
}
