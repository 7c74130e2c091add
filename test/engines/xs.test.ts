// The engine scenario on XS (the engine of Moddable, built by the @agoric/xsnap dev
// dependency, so this always runs, CI included): the moddable bundle runs in an
// xsnap-worker, with timers and TCP sockets supplied by this process (test/engines/xs/
// host.js stands in for Moddable's Timer and ECMA-419 socket) and bridged to aedes.
// Through both the firmqtt API and the ECMA-419 MQTT client class.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalNames, targetOptions } from '../../build.mjs';
import { XsWorker, xsnapWorkerPath } from '../../tools/engines/xsnap';
import { runScenario, startScenarioEnv } from './scenario';
import type { DeviceDriver, DeviceEvent } from './scenario';

const HOST = readFileSync(new URL('./xs/host.js', import.meta.url), 'utf8');
const DEVICE_SCENARIO = readFileSync(new URL('./device/scenario.js', import.meta.url), 'utf8');

/** The moddable target as a script (xsnap evaluates scripts): the same options as dist/moddable, IIFE format. */
async function moddableScript(): Promise<string> {
  const r = await esbuild.build({
    ...(targetOptions('moddable') as esbuild.BuildOptions),
    entryPoints: ['targets/moddable/index.ts'],
    format: 'iife',
    globalName: 'fq',
    absWorkingDir: new URL('../..', import.meta.url).pathname,
    minify: true,
    // as dist/moddable: internal property names shortened
    mangleProps: new RegExp(`^(${internalNames().join('|')})$`),
  });
  // xsnap scripts do not make their top-level declarations global
  return r.outputFiles![0].text.replace(/^("use strict";)?var fq\s*=/, 'globalThis.fq =');
}

/** Evaluates `code` and makes the named top-level functions (or variables) globals. */
function globalScript(code: string, names: string[]): string {
  return `(function () {\n${code}\n${names.map((n) => `globalThis.${n} = ${n};`).join('\n')}\n})();`;
}

/**
 * The socket's send window in the stand-in (bytes per onWritable): small, so packets
 * (a CONNECT with its Will is longer) are split and wait for room, as on a device.
 */
const SEND_WINDOW = 32;

class XsDriver implements DeviceDriver {
  events: DeviceEvent[] = [];
  readonly worker: XsWorker;
  private timers = new Map<number, NodeJS.Timeout>();
  private sockets = new Map<number, { socket: Socket; closedByXs: boolean }>();
  private stopped = false;

  constructor() {
    const dec = new TextDecoder();
    this.worker = new XsWorker({ onQuery: (bytes) => {
      this.fromXs(JSON.parse(dec.decode(bytes)));
      return new Uint8Array(0);
    } });
  }

  /** Something for the script, later (never from inside a query: the worker is busy). */
  private send(msg: object): void {
    if (this.stopped) return;
    this.worker.command(new TextEncoder().encode(JSON.stringify(msg))).catch((e: Error) => {
      this.events.push({ ev: 'exception', error: e.message });
    });
  }

  private fromXs(msg: any): void {
    switch (msg.t) {
      case 'report':
        this.events.push(msg.e);
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
        const socket = netConnect({ host: msg.address, port: msg.port });
        const entry = { socket, closedByXs: false };
        this.sockets.set(msg.id, entry);
        socket.setNoDelay(true);
        socket.on('connect', () => this.send({ t: 'writable', id: msg.id, count: SEND_WINDOW }));
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
        if (s !== undefined) s.socket.write(Buffer.from(msg.bytes), () => this.send({ t: 'writable', id: msg.id, count: SEND_WINDOW }));
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

  async call(code: string): Promise<void> {
    const m = /^mem\('(\w+)'\)$/.exec(code);
    if (m !== null) {
      await this.mem(m[1]);
      return;
    }
    this.send({ t: 'eval', code });
  }

  /** XS heap slots in use after a full collection (the worker's meter), as a 'mem' event. */
  async mem(label: string): Promise<void> {
    await this.worker.evaluate('gc()');
    const meter = this.worker.lastMeter;
    this.events.push({ ev: 'mem', label, usage: meter === null ? undefined : (meter.currentHeapCount as number) });
  }

  heap(label: string): number | undefined {
    const e = this.events.find((x) => x.ev === 'mem' && x.label === label);
    return e === undefined ? undefined : e.usage;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.sockets.values()) s.socket.destroy();
    await this.worker.close();
  }
}

const heaps: { run: string; start: number; loaded: number; connected: number; scenario: number }[] = [];

const runs = [
  { name: 'firmqtt API', start: (o: string) => `startFirmqtt(fq, ${o}, report)` },
  { name: 'ECMA-419 MQTT client class', start: (o: string) => `start419(fq.MQTTClient, ${o}, report)` },
];

describe('XS (xsnap-worker from @agoric/xsnap)', () => {
  let script: string;

  beforeAll(async () => {
    if (xsnapWorkerPath() === null) throw new Error('xsnap-worker is not built: npm install (with scripts allowed for @agoric/xsnap)');
    script = await moddableScript();
  });

  afterAll(() => {
    if (heaps.length) {
      console.log('XS heap slots in use after gc() (xsnap meter currentHeapCount):');
      for (const h of heaps) console.log(`  ${h.run}: start ${h.start}, loaded ${h.loaded} (+${h.loaded - h.start}), connected ${h.connected} (+${h.connected - h.start} from start), after scenario ${h.scenario}`);
    }
  });

  for (const run of runs) {
    it(`runs the scenario: ${run.name}`, async () => {
      const prefix = `xs/${run.name.startsWith('firmqtt') ? 'f' : 'e'}`;
      const env = await startScenarioEnv(prefix);
      const dev = new XsDriver();
      try {
        await dev.worker.evaluate(globalScript(HOST, ['report', 'mem', 'Timer', 'TCP']));
        await dev.worker.evaluate(globalScript(DEVICE_SCENARIO, ['startFirmqtt', 'startCompat', 'start419']));
        await dev.worker.evaluate('globalThis.ctl = undefined;');
        await dev.mem('start');
        await dev.worker.evaluate(script);
        await dev.worker.evaluate('fq.setHost({ TCP: TCP, Timer: Timer });');
        await dev.mem('loaded');
        await runScenario(dev, env, prefix, run.start);
        heaps.push({ run: run.name, start: dev.heap('start')!, loaded: dev.heap('loaded')!, connected: dev.heap('connected')!, scenario: dev.heap('scenario')! });
        expect(dev.events.filter((e) => e.ev === 'exception')).toEqual([]);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- device events ---\n${dev.events.map((x) => JSON.stringify(x)).join('\n')}`);
      } finally {
        await dev.stop();
        await env.stop();
      }
    }, 60000);
  }
});
