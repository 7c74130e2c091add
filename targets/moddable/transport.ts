// A Transport on an ECMA-419 TCP socket (`embedded:io/socket/tcp`): the socket says it
// is connected with its first onWritable, has data with onReadable(count), and reports
// a failure or the peer's close with onError. TLS: the same shape from the host's secure
// socket (host.TLS).
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

  constructor(options: TcpOptions) {
    this.options = options;
    this.socket = null;
    this.handler = null;
    this.opened = false;
    this.done = false;
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
      onWritable() {
        self.writable();
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

  private writable(): void {
    if (this.done || this.handler === null) return;
    if (!this.opened) {
      this.opened = true;
      this.handler.onOpen();
    } else {
      this.handler.onDrain();
    }
  }

  private failed(): void {
    if (this.done) return;
    this.finish(this.opened ? null : new Error('firmqtt: connection failed'));
  }

  private finish(error: Error | null): void {
    this.done = true;
    const s = this.socket;
    this.socket = null;
    if (s !== null) s.close();
    if (this.handler !== null) this.handler.onClose(error);
  }

  write(bytes: Uint8Array): boolean {
    const s = this.socket;
    if (s === null || this.done) return true;
    // the socket takes an ArrayBuffer: a view over part of one is copied out
    const ab = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    s.write(ab as ArrayBuffer);
    return true;
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
