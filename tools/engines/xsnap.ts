// A minimal driver for the XS engine that @agoric/xsnap builds (its xsnap-worker
// binary), without @agoric/xsnap's JavaScript API: that API needs SES's lockdown() in
// the Node process, which would harden the test runner's globals. The worker speaks
// netstrings on fd 3 (to it) and fd 4 (from it):
//   to XS:   e<code>        evaluate a script
//            ?<bytes>       a command for the script's globalThis.handleCommand(ArrayBuffer)
//            /<bytes>       the answer to the worker's own query
//   from XS: .<reply>       done (optionally .<meter JSON>\x01<reply>)
//            !<message>     an uncaught exception
//            ?<bytes>       a query: the script called issueCommand(ArrayBuffer), which
//                           blocks until the answer (`/`) comes
// After each request the worker runs its promise jobs to idle. It has no timers and no
// I/O of its own: whatever the script needs, the host supplies through commands.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The xsnap-worker built by `npm install` of @agoric/xsnap, or null. */
export function xsnapWorkerPath(): string | null {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = dirname(require.resolve('@agoric/xsnap/package.json'));
  } catch {
    return null;
  }
  const bin = join(pkg, 'xsnap-native/xsnap/build/bin/lin/release/xsnap-worker');
  return existsSync(bin) ? bin : null;
}

export interface XsWorkerOptions {
  /** answers the script's issueCommand(bytes); default: an empty reply */
  onQuery?: (bytes: Uint8Array) => Uint8Array;
  /** where the worker's stdout/stderr (print, trace) go; default inherit */
  stdio?: 'inherit' | 'ignore' | 'pipe';
}

export class XsWorker {
  readonly process: ChildProcess;
  private readonly toXs: Writable;
  private readonly onQuery: (bytes: Uint8Array) => Uint8Array;
  private buf: Buffer;
  private waiting: { resolve: (reply: Uint8Array) => void; reject: (e: Error) => void } | null;
  private chain: Promise<unknown>;
  private exited: Error | null;
  /** the meter data of the last request ({compute, allocate, currentHeapCount, ...}), when the worker sent any */
  lastMeter: { [k: string]: unknown } | null;

  constructor(options?: XsWorkerOptions) {
    const bin = xsnapWorkerPath();
    if (bin === null) throw new Error('xsnap-worker not built (npm install @agoric/xsnap)');
    const o = options === undefined ? {} : options;
    this.onQuery = o.onQuery === undefined ? () => new Uint8Array(0) : o.onQuery;
    const out = o.stdio === undefined ? 'inherit' : o.stdio;
    this.process = spawn(bin, ['firmqtt-xs'], { stdio: ['ignore', out, out, 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore'] });
    this.toXs = this.process.stdio[3] as Writable;
    this.buf = Buffer.alloc(0);
    this.waiting = null;
    this.chain = Promise.resolve();
    this.exited = null;
    this.lastMeter = null;
    (this.process.stdio[4] as Readable).on('data', (chunk: Buffer) => this.received(chunk));
    this.process.on('exit', (code, signal) => {
      this.exited = new Error(`xsnap-worker exited (code ${code}, signal ${signal})`);
      const w = this.waiting;
      this.waiting = null;
      if (w !== null) w.reject(this.exited);
    });
  }

  /** Evaluates a script; resolves once the worker is idle again. */
  evaluate(code: string): Promise<Uint8Array> {
    return this.request(Buffer.concat([Buffer.from('e'), Buffer.from(code, 'utf8')]));
  }

  /** Calls the script's handleCommand(bytes); resolves with its reply. */
  command(bytes: Uint8Array): Promise<Uint8Array> {
    return this.request(Buffer.concat([Buffer.from('?'), bytes]));
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    if (this.exited === null) {
      this.process.kill('SIGKILL');
      await new Promise((r) => this.process.once('exit', r));
    }
  }

  /** Requests are serialized: the worker handles one at a time. */
  private request(message: Buffer): Promise<Uint8Array> {
    const p = this.chain.catch(() => undefined).then(() => new Promise<Uint8Array>((resolve, reject) => {
      if (this.exited !== null) {
        reject(this.exited);
        return;
      }
      this.waiting = { resolve, reject };
      this.write(message);
    }));
    this.chain = p;
    return p;
  }

  private write(message: Buffer): void {
    this.toXs.write(Buffer.concat([Buffer.from(`${message.length}:`), message, Buffer.from(',')]));
  }

  private received(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buf.subarray(0, colon).toString());
      if (this.buf.length < colon + 1 + len + 1) return;
      const msg = this.buf.subarray(colon + 1, colon + 1 + len);
      this.buf = this.buf.subarray(colon + 2 + len);
      this.message(Buffer.from(msg));
    }
  }

  private message(msg: Buffer): void {
    const kind = msg[0];
    if (kind === 0x3f /* ? */) {
      let reply: Uint8Array;
      try {
        reply = this.onQuery(msg.subarray(1));
      } catch (e) {
        reply = new Uint8Array(0);
        process.emitWarning(`xsnap query handler threw: ${(e as Error).message}`);
      }
      this.write(Buffer.concat([Buffer.from('/'), reply]));
      return;
    }
    const w = this.waiting;
    this.waiting = null;
    if (w === null) return;
    if (kind === 0x2e /* . */) {
      const sep = msg.indexOf(1, 1);
      if (sep > 1) {
        try {
          this.lastMeter = JSON.parse(msg.subarray(1, sep).toString());
        } catch {
          this.lastMeter = null;
        }
      }
      w.resolve(msg.subarray(sep < 0 ? 1 : sep + 1));
    } else if (kind === 0x21 /* ! */) {
      w.reject(new Error(`XS: uncaught exception: ${msg.subarray(1).toString()}`));
    } else {
      w.reject(new Error(`xsnap protocol: unexpected message ${JSON.stringify(msg.toString().slice(0, 80))}`));
    }
  }
}
