// The engine scenario, Node side: one run of connect, subscribe, QoS 0/1/2 round trips,
// a retained message, and a cut connection (through the packet proxy) that must bring
// the device's Last Will to an observer and the device back with its unacknowledged
// QoS 1 and QoS 2 messages resent. The device runs test/engines/device/scenario.js in
// an engine (XS, Espruino); a DeviceDriver carries calls to it and events back.
import { connect as nodeConnect } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { startAedes, startProxy, swallowAcks } from '../helpers/brokers';
import type { AedesBroker, Proxy } from '../helpers/brokers';
import { until } from '../helpers/wait';

export interface DeviceEvent {
  ev: string;
  tag?: string;
  error?: string | null;
  topic?: string;
  payload?: string;
  /** a message's payload length (firmqtt API) */
  bytes?: number;
  qos?: number;
  retain?: boolean;
  label?: string;
  usage?: number;
}

export interface DeviceDriver {
  /** runs a JavaScript expression on the device (e.g. `ctl.publish(...)`) */
  call(code: string): Promise<void>;
  /** every event so far */
  events: DeviceEvent[];
}

export interface ScenarioEnv {
  aedes: AedesBroker;
  proxy: Proxy;
  observer: MqttClient;
  seen: { topic: string; payload: string; qos: number; retain: boolean }[];
  stop(): Promise<void>;
}

export async function startScenarioEnv(prefix: string): Promise<ScenarioEnv> {
  const aedes = await startAedes();
  const proxy = await startProxy({ port: aedes.port });
  const observer = nodeConnect(aedes.url, { clientId: `obs-${prefix.replace(/\W/g, '')}` });
  const seen: ScenarioEnv['seen'] = [];
  observer.on('message', (topic, payload, packet) => seen.push({ topic, payload: Buffer.from(payload).toString(), qos: packet.qos, retain: packet.retain }));
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync(`${prefix}/#`, { qos: 2 });
  return {
    aedes, proxy, observer, seen,
    async stop() {
      await observer.endAsync(true);
      await proxy.stop();
      await aedes.stop();
    },
  };
}

/**
 * Runs the scenario. `start` is the device expression that connects and yields the
 * controller, e.g. `startFirmqtt(fq, O, report)` with O defined by `options`.
 */
export interface ScenarioOptions {
  /**
   * The device reaches the broker over a serial line to the host bridge (Espruino
   * Serial1 on this device path): the bridge's side of the cut shows on the device only
   * when its keep-alive goes unanswered, so keep-alive is short and the wait longer.
   */
  serialPath?: string;
  /** the device connects with TLS to this port (a TLS terminator in front of the proxy) */
  tlsPort?: number;
}

export async function runScenario(dev: DeviceDriver, env: ScenarioEnv, prefix: string, startExpr: (o: string) => string, options?: ScenarioOptions): Promise<void> {
  const serial = options !== undefined && options.serialPath !== undefined;
  const o = JSON.stringify({
    host: '127.0.0.1', address: '127.0.0.1', clientId: `dev-${prefix.replace(/\W/g, '')}`,
    port: options !== undefined && options.tlsPort !== undefined ? options.tlsPort : env.proxy.port,
    tls: options !== undefined && options.tlsPort !== undefined,
    prefix, keepalive: serial ? 2 : 5, reconnectPeriod: 300, serialPath: serial ? options!.serialPath : undefined,
  });
  const slow = serial ? 20000 : 8000;
  const ev = dev.events;
  const find = (p: (e: DeviceEvent) => boolean, from = 0) => {
    for (let i = from; i < ev.length; i++) if (p(ev[i])) return ev[i];
    return undefined;
  };
  const done = async (tag: string, timeoutMs = 8000) => {
    const e = await until(() => find((x) => x.ev === 'done' && x.tag === tag), `done ${tag}`, timeoutMs);
    if (e.error) throw new Error(`${tag} failed on the device: ${e.error}`);
  };
  const message = (topic: string, p: (e: DeviceEvent) => boolean = () => true, from = 0) =>
    until(() => find((x) => x.ev === 'message' && x.topic === topic && p(x), from), `message on ${topic}`);

  await dev.call(`ctl = ${startExpr(o)}`);
  await until(() => find((x) => x.ev === 'connect'), 'connect');
  await dev.call(`mem('connected')`);

  await dev.call(`ctl.subscribe('s1', '${prefix}/in/#', 2)`);
  await done('s1');

  // QoS 0, 1, 2 round trips: out through the broker and back through the subscription
  for (const qos of [0, 1, 2]) {
    await dev.call(`ctl.publish('p${qos}', '${prefix}/in/q${qos}', 'hello ${qos}', ${qos}, false)`);
    await done(`p${qos}`);
    const m = await message(`${prefix}/in/q${qos}`);
    if (m.payload !== `hello ${qos}` || m.qos !== qos) throw new Error(`q${qos} came back as ${JSON.stringify(m)}`);
  }

  // a retained message, published by the observer before the device subscribes
  await env.observer.publishAsync(`${prefix}/ret`, 'kept', { qos: 1, retain: true });
  await dev.call(`ctl.subscribe('s2', '${prefix}/ret', 1)`);
  await done('s2');
  const r = await message(`${prefix}/ret`);
  if (!r.retain || r.payload !== 'kept') throw new Error(`retained came as ${JSON.stringify(r)}`);

  // forced disconnect with resend: the broker's acks are withheld, then the connection is
  // cut (no DISCONNECT: the Will goes out); the device reconnects and resends
  env.proxy.setFilter(swallowAcks);
  const upBefore = env.proxy.seen.up[3];
  const connectsBefore = ev.filter((x) => x.ev === 'connect').length;
  await dev.call(`ctl.publish('r1', '${prefix}/in/r1', 'resend 1', 1, false)`);
  await dev.call(`ctl.publish('r2', '${prefix}/in/r2', 'resend 2', 2, false)`);
  await until(() => env.proxy.seen.up[3] >= upBefore + 2, 'both PUBLISHes at the proxy');
  await new Promise((res) => setTimeout(res, 100));
  if (find((x) => x.ev === 'done' && (x.tag === 'r1' || x.tag === 'r2'))) throw new Error('acknowledged through a proxy that swallows acks');
  env.proxy.cut();
  env.proxy.setFilter(undefined);
  await until(() => env.seen.find((m) => m.topic === `${prefix}/will` && m.payload === 'gone'), 'the Last Will at the observer');
  await until(() => ev.filter((x) => x.ev === 'connect').length > connectsBefore, 'reconnect', slow);
  await done('r1', slow);
  await done('r2', slow);
  await until(() => env.seen.find((m) => m.topic === `${prefix}/in/r1`) && env.seen.find((m) => m.topic === `${prefix}/in/r2`), 'r1 and r2 at the observer');
  await dev.call(`mem('scenario')`);
  await dev.call(`ctl.end('e')`);
  await done('e');
}
