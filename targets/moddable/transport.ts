// A Transport on an ECMA-419 TCP socket (`embedded:io/socket/tcp`): the socket says it
// is connected with its first onWritable, has data with onReadable(count), and reports
// a failure or the peer's close with onError. TLS: the same shape from the host's secure
// socket (host.TLS).
//
// Backpressure: an ECMA-419 socket takes at most the byte count its last onWritable
// reported (write() returns what is left, and throws past it). Bytes beyond that wait
// here, in order, and go out at the next onWritable; write() then returns false and
// onDrain follows once the queue is empty (the client's backpressure contract).
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';
import { host } from './host';
import type { ECMA419Socket, TCPConstructor } from './host';

export interface TcpOptions {
  /** an IP address (ECMA-419 sockets take addresses; resolve names first) */
  address: string;
  port: number;
  /** use host.TLS; default false */
  tls?: boolean;
  /** a socket constructor to use instead of host.TCP / host.TLS */
  io?: TCPConstructor;
  /** extra options for the socket constructor (TLS: secure: { ... }) */
  socket?: any;
}

export function tcpTransport(options: TcpOptions): TransportFactory {
  return () => new SocketTransport(options);
}

class SocketTransport implements Transport {
  private readonly options: TcpOptions;
  private socket: ECMA419Socket | null;
  private handler: TransportHandler | null;
  private opened: boolean;
  private done: boolean;
  /** bytes the socket accepts now */
  private writable: number;
  /** bytes waiting for room, oldest first; the head may be partly written (queueHead bytes gone) */
  private queue: Uint8Array[];
  private queueHead: number;

  constructor(options: TcpOptions) {
    this.options = options;
    this.socket = null;
    this.handler = null;
    this.opened = false;
    this.done = false;
    this.writable = 0;
    this.queue = [];
    this.queueHead = 0;
  }

  open(handler: TransportHandler): void {
    this.handler = handler;
    const o = this.options;
    const io = o.io !== undefined ? o.io : o.tls ? host.TLS : host.TCP;
    if (io === undefined) throw new Error('firmqtt: no ' + (o.tls ? 'TLS' : 'TCP') + ' socket (call setHost)');
    const self = this;
    this.socket = new io(Object.assign({}, o.socket, {
      address: o.address,
      port: o.port,
      format: 'buffer',
      onReadable(count: number) {
        self.readable(count);
      },
      onWritable(count: number) {
        self.onWritable(count);
      },
      onError() {
        self.failed();
      },
    }));
  }

  private readable(count: number): void {
    const s = this.socket;
    if (s === null || this.done) return;
    const ab = s.read(count);
    if (ab !== undefined && ab.byteLength > 0 && this.handler !== null) this.handler.onData(new Uint8Array(ab));
  }

  private onWritable(count: number): void {
    if (this.done || this.handler === null) return;
    this.writable = count;
    if (!this.opened) {
      this.opened = true;
      this.handler.onOpen();
      return;
    }
    const waited = this.queue.length > 0;
    this.pump();
    if (waited && this.queue.length === 0 && !this.done) this.handler.onDrain();
  }

  /** Writes queued bytes while the socket has room. */
  private pump(): void {
    const s = this.socket;
    while (s !== null && this.queue.length > 0 && this.writable > 0) {
      const head = this.queue[0];
      const rest = head.length - this.queueHead;
      const n = rest <= this.writable ? rest : this.writable;
      this.writable = s.write(toBuffer(head.subarray(this.queueHead, this.queueHead + n)));
      if (n === rest) {
        this.queue.shift();
        this.queueHead = 0;
      } else {
        this.queueHead += n;
      }
    }
  }

  private failed(): void {
    if (this.done) return;
    this.finish(this.opened ? null : new Error('firmqtt: connection failed'));
  }

  private finish(error: Error | null): void {
    this.done = true;
    this.queue = [];
    const s = this.socket;
    this.socket = null;
    if (s !== null) s.close();
    if (this.handler !== null) this.handler.onClose(error);
  }

  write(bytes: Uint8Array): boolean {
    if (this.socket === null || this.done) return true;
    this.queue.push(bytes);
    this.pump();
    return this.queue.length === 0;
  }

  flush(): void {
    // the socket sends as it is written
  }

  close(): void {
    if (this.done) return;
    const h = this.handler;
    this.done = true;
    const s = this.socket;
    this.socket = null;
    if (s !== null) s.close();
    // onClose comes later, never from inside close()
    if (h !== null) {
      const t = host.Timer;
      if (t !== undefined) t.set(() => h.onClose(null), 0);
      else Promise.resolve().then(() => h.onClose(null));
    }
  }
}

/** The socket takes an ArrayBuffer: a view over part of one is copied out. */
function toBuffer(bytes: Uint8Array): ArrayBuffer {
  return (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
}
