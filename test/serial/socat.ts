// Virtual serial cables for the serial tests: `socat` joins two pseudo-terminals, so one
// end is the board (a firmqtt client on serial://) and the other the host (the bridge).
//
// Policy (as for Mosquitto): without socat the serial suites are skipped and say so on
// stderr; under CI=true, where .ci/run installs socat, a missing socat fails them.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeNeeding } from '../helpers/needs';

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).error === undefined;
}

/** describe() for a suite that needs socat: skipped (with a notice) without it, failed under CI=true. */
export function describeSocat(name: string, body: () => void): void {
  describeNeeding('socat', 'serial', socatAvailable(), 'socat not found on PATH (apt-get install socat)', name, body);
}

export interface SerialPair {
  /** the device path for the board's end */
  board: string;
  /** the device path for the host's end (the bridge) */
  host: string;
  stop(): Promise<void>;
}

export async function startSerialPair(): Promise<SerialPair> {
  const dir = mkdtempSync(join(tmpdir(), 'firmqtt-serial-'));
  const board = join(dir, 'board');
  const host = join(dir, 'host');
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${board}`, `pty,raw,echo=0,link=${host}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const deadline = Date.now() + 5000;
  while (!(existsSync(board) && existsSync(host) && /starting data transfer loop/.test(log))) {
    if (child.exitCode !== null) throw new Error(`socat exited: ${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`socat did not create the pty pair within 5 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    board,
    host,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
