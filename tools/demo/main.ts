// npm start: firmqtt end to end, with no setup.
//
// Starts an embedded broker (aedes, in-process, on a free port) unless MQTT_URL names
// one, runs a simulated ESP32 sensor on firmqtt and an MQTT.js operator that watches it,
// sends it commands (routed on the device) and asks it for its status (request/response), cuts the device's connection once, and shows it coming back and
// delivering what it queued meanwhile. Runs DEMO_SECONDS (default 15; 0 = until Ctrl-C)
// and exits 0.
//
//   npm start
//   MQTT_URL=mqtt://test.mosquitto.org DEMO_SECONDS=30 npm start
import type { Socket } from 'node:net';
import { startAedes } from '../lib/brokers';
import { Device } from './device';
import { log } from './log';
import { Operator } from './operator';

interface Broker {
  url: string;
  /** drops a client's connection as a failing network would; false when it cannot */
  cut(clientId: string): boolean;
  close(): Promise<void>;
}

async function embeddedBroker(): Promise<Broker> {
  const b = await startAedes();
  const connections = new Map<string, Socket>();
  b.aedes.on('client', (client) => connections.set(client.id, client.conn as Socket));
  log('broker', `aedes listening on ${b.url}`);
  return {
    url: b.url,
    cut(clientId) {
      const socket = connections.get(clientId);
      if (!socket || socket.destroyed) return false;
      socket.destroy();
      return true;
    },
    close: () => b.stop(),
  };
}

function externalBroker(url: string): Broker {
  log('broker', `using ${url} (MQTT_URL)`);
  return { url, cut: () => false, close: async () => undefined };
}

function randomDeviceId(): string {
  return `esp32-${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}`;
}

async function main(): Promise<void> {
  const seconds = Number(process.env.DEMO_SECONDS ?? 15);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`DEMO_SECONDS must be a number >= 0, not ${process.env.DEMO_SECONDS}`);
  const broker = process.env.MQTT_URL ? externalBroker(process.env.MQTT_URL) : await embeddedBroker();
  const operator = new Operator(broker.url);
  const id = randomDeviceId();
  // Let the operator subscribe first, so it sees the device arrive.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const device = new Device(broker.url, id);

  const script: [number, () => void][] = [
    [3000, () => operator.command(id, 'led', 'on')],
    [5000, () => operator.command(id, 'interval', '500')],
    [6000, () => operator.status(id)],
    [7000, () => {
      if (broker.cut(id)) log('broker', `cutting ${id}'s connection (socket destroyed on the broker side)`);
      else log('broker', 'cannot cut a connection on an external broker; skipping the network failure');
    }],
    [10000, () => operator.command(id, 'interval', '1000')],
    [11000, () => operator.command(id, 'led', 'off')],
  ];
  const timers = script
    .filter(([at]) => seconds === 0 || at < seconds * 1000)
    .map(([at, step]) => setTimeout(step, at));

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    log('demo', `stopping (${why})`);
    await device.stop();
    // Give the operator a moment to see the device's last words.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await operator.stop();
    await broker.close();
    const s = device.stats;
    log('demo', `done: ${s.published} telemetry messages published, ${s.acknowledged} acknowledged, ` +
      `${operator.telemetrySeen} seen by the operator, ${s.reconnects} reconnect(s)`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('Ctrl-C'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  if (seconds > 0) setTimeout(() => void stop(`${seconds} s elapsed`), seconds * 1000);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
