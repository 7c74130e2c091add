// The Moddable example project's main.js (targets/moddable/example) running on XS: the
// xsnap worker from @agoric/xsnap (CI included), with test/engines/xs/host.js standing in
// for Moddable's Timer and ECMA-419 TCP socket, bridged to aedes from here. The app's
// Moddable modules (timer, time, mc/config) are small stand-ins over the same host. Not
// mcconfig and not a device, but the same app code, firmqtt's Moddable target and a real
// broker: retained online status, QoS 1 telemetry, ping -> pong, and the Will.
import * as esbuild from 'esbuild';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetOptions } from '../../build.mjs';
import { XsBridge, requireXsnap } from '../engines/xs/bridge';
import { connectAsync } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { startAedes } from '../helpers/brokers';
import type { AedesBroker } from '../helpers/brokers';
import { until } from '../helpers/wait';

const ROOT = resolve(__dirname, '../..');
const DEVICE = 'xs-example';

/** main.js as one script for xsnap, its Moddable imports mapped to stand-ins over host.js. */
async function exampleScript(): Promise<string> {
  const shims: { [name: string]: string } = {
    timer: `export default {
      set: function (fn, ms) { return Timer.set(fn, ms); },
      repeat: function (fn, ms) { var h = {}; function tick() { h.id = Timer.set(tick, ms); fn(); } h.id = Timer.set(tick, ms); return h; },
      clear: function (h) { Timer.clear(h !== null && typeof h === 'object' ? h.id : h); },
    };`,
    time: 'export default { get ticks() { return Date.now(); } };',
    'embedded:io/socket/tcp': 'export default TCP;',
    'mc/config': `export default { broker: '127.0.0.1', device: '${DEVICE}' };`,
  };
  const r = await esbuild.build({
    ...(targetOptions('moddable') as esbuild.BuildOptions),
    external: [],
    entryPoints: [join(ROOT, 'targets/moddable/example/main.js')],
    format: 'iife',
    absWorkingDir: ROOT,
    plugins: [{
      name: 'moddable-stand-ins',
      setup(b) {
        b.onResolve({ filter: /^firmqtt$/ }, () => ({ path: join(ROOT, 'targets/moddable/device.ts') }));
        b.onResolve({ filter: /^(timer|time|embedded:io\/socket\/tcp|mc\/config)$/ }, (a) => ({ path: a.path, namespace: 'shim' }));
        b.onLoad({ filter: /.*/, namespace: 'shim' }, (a) => ({ contents: shims[a.path], loader: 'js' }));
      },
    }],
  });
  return r.outputFiles![0].text;
}

/** The example's board: an xsnap worker on the host bridge; the app's trace() lines kept. */
class Board {
  traces: string[] = [];
  readonly bridge: XsBridge;
  readonly worker: XsBridge['worker'];

  constructor(brokerPort: number) {
    this.bridge = new XsBridge({
      onReport: (e) => {
        if (e && e.ev === 'trace') this.traces.push(e.s);
      },
      onException: (message) => this.traces.push(`exception: ${message}`),
      sendWindow: 1024,
      // the example dials config.broker:1883; the test broker is elsewhere
      portFor: (port) => (port === 1883 ? brokerPort : port),
    });
    this.worker = this.bridge.worker;
  }

  stop(): Promise<void> {
    return this.bridge.stop();
  }
}

describe('the Moddable example (targets/moddable/example/main.js) on XS', () => {
  let broker: AedesBroker;
  let observer: MqttClient;
  const seen: { topic: string; payload: string; qos: number; retain: boolean }[] = [];

  beforeAll(async () => {
    requireXsnap();
    broker = await startAedes();
    observer = await connectAsync(broker.url, { clientId: 'xs-example-observer' });
    observer.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
    await observer.subscribeAsync(`sensors/${DEVICE}/#`, { qos: 1 });
  });

  afterAll(async () => {
    if (observer) await observer.endAsync();
    if (broker) await broker.stop();
  });

  it('connects, publishes a retained online status and QoS 1 telemetry, answers ping, and leaves a Will', async () => {
    const board = new Board(broker.port);
    try {
      await board.bridge.bootHost(['report', 'Timer', 'TCP']);
      await board.worker.evaluate("globalThis.trace = function (s) { report({ ev: 'trace', s: String(s) }); };");
      await board.worker.evaluate(await exampleScript());
      const base = `sensors/${DEVICE}`;
      const t = await until(() => seen.find((m) => m.topic === `${base}/telemetry`), 'telemetry');
      expect(t.qos).toBe(1);
      expect(JSON.parse(t.payload).n).toBe(1);
      expect(board.traces.join('')).toMatch(/connected to 127\.0\.0\.1/);
      const online = seen.find((m) => m.topic === `${base}/status`);
      expect(online?.payload).toBe('online');
      await observer.publishAsync(`${base}/cmd/ping`, 'from-test', { qos: 1 });
      await until(() => seen.find((m) => m.topic === `${base}/pong` && m.payload === 'from-test'), 'the pong');
      // faster telemetry on command
      await observer.publishAsync(`${base}/cmd/interval`, '0.05', { qos: 1 });
      await until(() => seen.find((m) => m.topic === `${base}/telemetry` && JSON.parse(m.payload).n >= 12), 'telemetry #12');
      await board.stop();
      await until(() => seen.find((m) => m.topic === `${base}/status` && m.payload === 'offline'), 'the Last Will');
      expect(board.traces.join('')).not.toMatch(/error:|exception/);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- trace ---\n${board.traces.join('')}`);
    } finally {
      await board.stop();
    }
  }, 30000);
});
