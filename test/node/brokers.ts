// Real brokers for the Node tests, each on a free port: aedes in-process (MQTT 3.1.1
// only) and Mosquitto as a child process (3.1.1 and 5). Mosquitto comes from the Debian
// package; without it the MQTT 5 tests skip locally, but fail under CI=true, where
// .ci/run installs it and no test may skip for a missing tool.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';

export interface RunningBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface RunningAedes extends RunningBroker {
  broker: Aedes;
  /** the broker side of every connection, to cut them like a failing network would */
  sockets: Set<Socket>;
}

/** aedes on a free port; over TLS with the given key and certificate (mqtts://). */
export async function startAedes(tls?: { key: string; cert: string }): Promise<RunningAedes> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  };
  const server: Server = tls ? createTlsServer(tls, onSocket) : createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    broker,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

export function mosquittoInstalled(): boolean {
  const r = spawnSync('mosquitto', ['-h'], { stdio: 'ignore' });
  return r.error === undefined;
}

/** Whether to run the Mosquitto tests: always under CI (then a missing broker fails them). */
export const runMosquittoTests = process.env.CI === 'true' || mosquittoInstalled();

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function startMosquitto(): Promise<RunningBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'firmqtt-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`mosquitto did not start:\n${log}`)), 5000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/running/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
