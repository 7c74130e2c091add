// The sensor on Node (a Raspberry Pi or any Linux gateway): telemetry at QoS 1, a
// retained online/offline status with a Last Will, and commands routed by firmqtt's
// Router (topic patterns with {params}).
//
//   npx firmqtt build --target node examples/node/sensor.ts && node examples/node/sensor.node.js
//
// BROKER and DEVICE come from the environment (default mqtt://localhost:1883, sensor3).
import { loadavg } from 'node:os';
import { connect, Router } from 'firmqtt';

const BROKER = process.env.BROKER ?? 'mqtt://localhost:1883';
const DEVICE = process.env.DEVICE ?? 'sensor3';
const base = `sensors/${DEVICE}`;
let intervalMs = 10000;
let timer: ReturnType<typeof setInterval> | undefined;
let count = 0;

const client = connect(BROKER, {
  clientId: DEVICE,
  keepalive: 30,
  reconnectPeriod: 2000,
  will: { topic: `${base}/status`, payload: 'offline', qos: 1, retain: true },
});

function publishTelemetry(): void {
  client.publish(`${base}/telemetry`, JSON.stringify({ n: ++count, uptime: Math.round(process.uptime()), load: loadavg()[0] }), { qos: 1 });
}

function schedule(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = setInterval(publishTelemetry, intervalMs);
}

const router = new Router(client);
router.route(`${base}/cmd/interval`, (ctx) => {
  const s = parseFloat(ctx.text());
  if (s > 0) {
    intervalMs = s * 1000;
    schedule();
  }
}, { qos: 1 });
router.route(`${base}/cmd/ping`, (ctx) => {
  client.publish(`${base}/pong`, ctx.text(), { qos: 1 });
}, { qos: 1 });

client.on('connect', () => {
  console.log(`connected to ${BROKER}`);
  client.publish(`${base}/status`, 'online', { qos: 1, retain: true });
  publishTelemetry();
  schedule();
});
client.on('offline', () => console.log('offline, reconnecting'));

process.on('SIGINT', () => {
  // a clean stop: say so ourselves (the broker sends the Will only when we vanish)
  client.publish(`${base}/status`, 'offline', { qos: 1, retain: true }, () => client.end());
  if (timer !== undefined) clearInterval(timer);
});
