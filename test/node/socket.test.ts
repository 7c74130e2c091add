// The Node TCP transport keeps the Transport contract (src/client/transport.ts) over a
// real socket: no callback from inside open(), exactly one onClose, data in order,
// close() idempotent and flushing what was written.
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpTransport } from '../../targets/node/socket';
import type { TransportHandler } from '../../src/client/transport';

interface Recorder extends TransportHandler {
  calls: string[];
  data: Buffer[];
  closed: Promise<Error | null>;
  opened: Promise<void>;
}

function recorder(): Recorder {
  const calls: string[] = [];
  const data: Buffer[] = [];
  let closed!: (e: Error | null) => void;
  let opened!: () => void;
  return {
    calls,
    data,
    closed: new Promise((r) => {
      closed = r;
    }),
    opened: new Promise((r) => {
      opened = r;
    }),
    onOpen() {
      calls.push('open');
      opened();
    },
    onData(b) {
      calls.push('data');
      data.push(Buffer.from(b));
    },
    onDrain() {
      calls.push('drain');
    },
    onClose(e) {
      calls.push(e ? `close:${(e as Error & { code?: string }).code}` : 'close');
      closed(e);
    },
  };
}

let server: Server | null = null;
let serverSockets: Socket[] = [];

async function listen(onSocket: (s: Socket) => void): Promise<number> {
  serverSockets = [];
  server = createServer((s) => {
    serverSockets.push(s);
    onSocket(s);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of serverSockets) s.destroy();
  if (server) await new Promise<void>((r) => server?.close(() => r()));
  server = null;
});

describe('tcpTransport', () => {
  it('opens, carries bytes both ways in order, and closes once after close()', async () => {
    const port = await listen((s) => s.on('data', (b) => s.write(b)));
    const t = tcpTransport({ host: '127.0.0.1', port })();
    const h = recorder();
    t.open(h);
    expect(h.calls).toEqual([]);
    await h.opened;
    t.write(new Uint8Array([1, 2]));
    t.write(new Uint8Array([3]));
    t.flush();
    while (Buffer.concat(h.data).length < 3) await new Promise((r) => setTimeout(r, 2));
    expect([...Buffer.concat(h.data)]).toEqual([1, 2, 3]);
    t.close();
    t.close();
    expect(await h.closed).toBeNull();
    expect(h.calls.filter((c) => c.startsWith('close'))).toHaveLength(1);
    expect(t.write(new Uint8Array([4]))).toBe(false);
  });

  it('sends what was written before close()', async () => {
    let received = Buffer.alloc(0);
    let receivedAll!: () => void;
    const gotAll = new Promise<void>((resolve) => {
      receivedAll = resolve;
    });
    const port = await listen((s) => s.on('data', (b: Buffer) => {
      received = Buffer.concat([received, b]);
      if (received.length === 3) receivedAll();
    }));
    const t = tcpTransport({ host: '127.0.0.1', port })();
    const h = recorder();
    t.open(h);
    await h.opened;
    t.write(new Uint8Array([0xe0, 0x00, 0x07]));
    t.close();
    await gotAll;
    expect([...received]).toEqual([0xe0, 0x00, 0x07]);
    await h.closed;
  });

  it('closes a connection whose peer stopped reading, though what was written cannot go out', async () => {
    const port = await listen((s) => s.pause());
    const t = tcpTransport({ host: '127.0.0.1', port })();
    const h = recorder();
    t.open(h);
    await h.opened;
    // far more than the kernel buffers hold while nobody reads
    while (t.write(new Uint8Array(65536))) { /* until backpressure */ }
    for (let i = 0; i < 64; i++) t.write(new Uint8Array(65536));
    t.close();
    expect(await h.closed).toBeNull();
    expect(h.calls).toEqual(['open', 'close']);
  });

  it('reports a refused connection with one onClose(error) and no onOpen', async () => {
    const port = await listen(() => undefined);
    await new Promise<void>((r) => server?.close(() => r()));
    server = null;
    const h = recorder();
    tcpTransport({ host: '127.0.0.1', port })().open(h);
    const e = await h.closed;
    expect((e as Error & { code: string }).code).toBe('ECONNREFUSED');
    expect(h.calls).toEqual(['close:ECONNREFUSED']);
  });

  it('reports the peer closing as onClose(null)', async () => {
    const port = await listen((s) => s.end());
    const h = recorder();
    tcpTransport({ host: '127.0.0.1', port })().open(h);
    expect(await h.closed).toBeNull();
    expect(h.calls[0]).toBe('open');
  });

  it('abandons an attempt closed before it opened', async () => {
    const port = await listen(() => undefined);
    const h = recorder();
    const t = tcpTransport({ host: '127.0.0.1', port })();
    t.open(h);
    t.close();
    await h.closed;
    expect(h.calls).not.toContain('open');
    expect(h.calls.filter((c) => c.startsWith('close'))).toHaveLength(1);
  });
});
