// The board's serial port for an upload (serialport, a dev dependency of firmqtt), opened
// with clear errors: absent, busy (locked by another program), no permission.
import { existsSync } from 'node:fs';
import type { ConsolePort } from './upload';
import { UploadError } from './upload';

interface SerialPortLike {
  open(cb: (error: Error | null) => void): void;
  write(data: Uint8Array): boolean;
  drain(cb: (error: Error | null) => void): void;
  close(cb?: (error: Error | null) => void): void;
  on(event: 'data', fn: (chunk: Buffer) => void): void;
  on(event: 'error' | 'close', fn: (e?: Error) => void): void;
  isOpen: boolean;
}

interface SerialPortModule {
  SerialPort: (new (o: { path: string; baudRate: number; autoOpen: boolean; lock?: boolean; xon?: boolean; xoff?: boolean }) => SerialPortLike) & {
    list(): Promise<{ path: string; manufacturer?: string }[]>;
  };
}

export interface OpenedPort extends ConsolePort {
  close(): Promise<void>;
}

async function serialport(): Promise<SerialPortModule> {
  try {
    return (await import('serialport')) as unknown as SerialPortModule;
  } catch (e) {
    throw new UploadError(`the serialport package is not installed (npm install serialport): ${(e as Error).message}`);
  }
}

/** The serial ports the system lists, for error messages ('' when none or unknown). */
export async function portList(): Promise<string> {
  try {
    const ports = await (await serialport()).SerialPort.list();
    return ports.map((p) => p.path + (p.manufacturer ? ` (${p.manufacturer})` : '')).join(', ');
  } catch {
    return '';
  }
}

/** Opens `path` at `baudRate` with XON/XOFF flow control (Espruino's console speaks it). */
export async function openPort(path: string, baudRate: number): Promise<OpenedPort> {
  if (!existsSync(path) && !/^COM\d+$/i.test(path)) {
    const list = await portList();
    throw new UploadError(`serial port ${path} not found (is the board plugged in?)${list ? `; ports here: ${list}` : '; no serial ports found'}`);
  }
  const { SerialPort } = await serialport();
  const port = new SerialPort({ path, baudRate, autoOpen: false, lock: true, xon: true, xoff: true });
  await new Promise<void>((resolve, reject) => {
    port.open((e) => {
      if (e === null) return resolve();
      const m = e.message;
      if (/lock|busy|EBUSY|temporarily unavailable/i.test(m)) reject(new UploadError(`serial port ${path} is busy: another program has it open (the Web IDE, screen, minicom, a bridge?): ${m}`));
      else if (/EACCES|permission/i.test(m)) reject(new UploadError(`no permission to open ${path} (on Linux: add yourself to the dialout group and log in again): ${m}`));
      else if (/ENOENT|no such file/i.test(m)) reject(new UploadError(`serial port ${path} not found: ${m}`));
      else reject(new UploadError(`cannot open serial port ${path}: ${m}`));
    });
  });
  let lost: Error | null = null;
  port.on('error', (e) => {
    lost = e ?? new Error('error');
  });
  port.on('close', () => {
    if (lost === null) lost = new Error('the port closed (board unplugged?)');
  });
  return {
    onData(fn) {
      port.on('data', (c) => fn(new Uint8Array(c.buffer, c.byteOffset, c.length)));
    },
    write(data) {
      if (lost !== null) return Promise.reject(new UploadError(`serial port ${path}: ${(lost as Error).message}`));
      port.write(data);
      return new Promise((resolve, reject) => port.drain((e) => (e ? reject(new UploadError(`writing to ${path}: ${e.message}`)) : resolve())));
    },
    close() {
      return new Promise((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      });
    },
  };
}
