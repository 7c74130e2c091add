// The serial:// transport's close() with a drain that never ends (hardware flow control,
// the far end holding CTS): the port is closed anyway, after its grace, so the client's
// close, offline and end() callback do not wait forever. serialport is replaced by a
// stand-in whose drain() never calls back.
import { describe, expect, it, vi } from 'vitest';
import { serialTransport } from '../../targets/node/serial';

const stand = vi.hoisted(() => {
  class StuckPort {
    static last: StuckPort | null = null;
    isOpen = false;
    closed = 0;
    private listeners: { [event: string]: ((a?: unknown) => void)[] } = {};
    constructor() {
      StuckPort.last = this;
    }
    on(event: string, fn: (a?: unknown) => void) {
      (this.listeners[event] ??= []).push(fn);
      return this;
    }
    open(cb: (e: Error | null) => void) {
      this.isOpen = true;
      setTimeout(() => cb(null), 0);
    }
    write() {
      return true;
    }
    drain() {
      // never: the far end holds CTS
    }
    close() {
      this.closed++;
      this.isOpen = false;
      for (const fn of this.listeners.close ?? []) setTimeout(() => fn(null), 0);
    }
  }
  return { StuckPort };
});

vi.mock('serialport', () => ({ SerialPort: stand.StuckPort }));

describe('serial:// transport close()', () => {
  it('closes the port after its grace when the written bytes never drain, and reports the close once', async () => {
    const calls: string[] = [];
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    const t = serialTransport({ path: '/dev/ttyFAKE0' })();
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    t.open({
      onOpen: () => {
        calls.push('open');
        opened();
      },
      onData: () => undefined,
      onDrain: () => undefined,
      onClose: (e) => {
        calls.push(e === null ? 'close' : 'close:' + e.message);
        closed();
      },
    });
    await open;
    t.write(new Uint8Array([0xe0, 0x00]));
    t.close();
    await done;
    expect(calls).toEqual(['open', 'close']);
    expect(stand.StuckPort.last?.closed).toBe(1);
  });
});
