// The engine scenario on XS (the engine of Moddable, built by the @agoric/xsnap dev
// dependency, so this always runs, CI included): the moddable bundle runs in an
// xsnap-worker, with timers and TCP sockets supplied by this process (test/engines/xs/
// host.js stands in for Moddable's Timer and ECMA-419 socket) and bridged to aedes.
// Through both the firmqtt API and the ECMA-419 MQTT client class.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalNames, targetOptions } from '../../build.mjs';
import { runScenario, startScenarioEnv } from './scenario';
import type { DeviceDriver, DeviceEvent } from './scenario';
import { XsBridge, globalScript, requireXsnap } from './xs/bridge';

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

/**
 * The socket's send window in the stand-in (bytes per onWritable): small, so packets
 * (a CONNECT with its Will is longer) are split and wait for room, as on a device.
 */
const SEND_WINDOW = 32;

class XsDriver implements DeviceDriver {
  events: DeviceEvent[] = [];
  readonly bridge = new XsBridge({
    onReport: (e) => this.events.push(e),
    onException: (message) => this.events.push({ ev: 'exception', error: message }),
    sendWindow: SEND_WINDOW,
  });
  readonly worker = this.bridge.worker;

  async call(code: string): Promise<void> {
    const m = /^mem\('(\w+)'\)$/.exec(code);
    if (m !== null) {
      await this.mem(m[1]);
      return;
    }
    this.bridge.send({ t: 'eval', code });
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

  stop(): Promise<void> {
    return this.bridge.stop();
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
    requireXsnap();
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
        await dev.bridge.bootHost(['report', 'mem', 'Timer', 'TCP']);
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
