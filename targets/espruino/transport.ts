// Espruino transports: `net` / `tls` sockets and `Serial1..n`, behind the Transport
// contract (src/client/transport.ts). Espruino streams carry binary strings (one char
// per byte): writes go out as E.toString(bytes), data comes in through E.toUint8Array.
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';
import { espE, espRequire } from './espruino';
import type { EspruinoStream } from './espruino';

export interface NetOptions {
  host: string;
  port: number;
  /** use require('tls') (boards built with TLS: ESP32, Linux); default false */
  tls?: boolean;
  /** tls.connect() options: ca, key, cert (PEM strings or Storage file names) */
  ca?: string;
  key?: string;
  cert?: string;
}

/** A TCP (or TLS) connection through Espruino's `net` (`tls`) module. */
export function netTransport(options: NetOptions): TransportFactory {
  return () => new SocketTransport(options);
}

/** Hands `fn` to the event loop: the contract forbids callbacks from inside open(). */
function later(fn: () => void): void {
  setTimeout(fn, 0);
}

class SocketTransport implements Transport {
  private readonly options: NetOptions;
  private socket: EspruinoStream | null;
  private handler: TransportHandler | null;
  private failure: Error | null;
  private done: boolean;
  /** close() was called (perhaps before the socket was dialled) */
  private closing: boolean;
  /** TLS: bytes written since the last timer, as a binary string */
  private pending: string;
  private flushing: boolean;
  private readonly sendPending: () => void;

  constructor(options: NetOptions) {
    this.options = options;
    this.socket = null;
    this.handler = null;
    this.failure = null;
    this.done = false;
    this.closing = false;
    this.pending = '';
    this.flushing = false;
    this.sendPending = this.sendPendingNow.bind(this);
  }

  open(handler: TransportHandler): void {
    this.handler = handler;
    // Espruino 2v29 (Linux build, measured) fails an internal assertion, ASSERT(net) in
    // network.c, when a TLS socket is dialled or written from inside another socket's
    // callback (publish() from an HTTP handler, say): TLS dials, writes and ends go out
    // from a timer instead (see flush()).
    if (this.options.tls) later(() => this.dial(handler));
    else this.dial(handler);
  }

  private dial(handler: TransportHandler): void {
    if (this.done) return;
    if (this.closing) {
      this.finish();
      return;
    }
    const o = this.options;
    const onOpen = () => {
      if (!this.done) handler.onOpen();
    };
    try {
      const socket: EspruinoStream = o.tls
        ? espRequire('tls').connect({ host: o.host, port: o.port, ca: o.ca, key: o.key, cert: o.cert }, onOpen)
        : espRequire('net').connect({ host: o.host, port: o.port }, onOpen);
      this.socket = socket;
      socket.on('data', (s: string) => {
        if (!this.done) handler.onData(espE().toUint8Array(s));
      });
      socket.on('error', (e: any) => {
        if (this.failure === null) this.failure = toError(e);
      });
      socket.on('close', () => this.finish());
    } catch (e) {
      // the Linux build connects synchronously and throws when refused
      this.failure = toError(e);
      later(() => this.finish());
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.socket = null;
    const h = this.handler;
    if (h !== null) h.onClose(this.failure);
  }

  write(bytes: Uint8Array): boolean {
    const s = this.socket;
    if (s === null || this.done) return true;
    if (this.options.tls) this.pending += espE().toString(bytes);
    else s.write(espE().toString(bytes));
    return true;
  }

  /** Plain sockets: Espruino sends from its own buffer at the next idle. TLS: see open(). */
  flush(): void {
    if (this.pending !== '' && !this.flushing) {
      this.flushing = true;
      later(this.sendPending);
    }
  }

  close(): void {
    this.closing = true;
    if (this.options.tls) {
      later(this.sendPending);
      return;
    }
    const s = this.socket;
    if (s !== null && s.end !== undefined) s.end();
  }

  /** TLS: writes what is pending, and ends the socket once close() was called. */
  private sendPendingNow(): void {
    this.flushing = false;
    const s = this.socket;
    if (s === null || this.done) return;
    if (this.pending !== '') {
      s.write(this.pending);
      this.pending = '';
    }
    if (this.closing && s.end !== undefined) s.end();
  }
}

export interface SerialOptions {
  /** baud rate; default 115200 */
  baud?: number;
  /** options for Serial.setup(): rx, tx pins, ... */
  setup?: any;
}

/**
 * MQTT over a UART (Serial1..n, or USB): raw MQTT bytes, carried to a broker by a
 * host-side bridge (tools/bridge). A serial line has no connection: open() succeeds at
 * once, and a lost broker shows up as a keep-alive timeout.
 */
export function serialTransport(serial: any, options?: SerialOptions): TransportFactory {
  const o = options === undefined ? {} : options;
  return () => new SerialTransport(serial, o);
}

class SerialTransport implements Transport {
  private readonly serial: any;
  private readonly options: SerialOptions;
  private handler: TransportHandler | null;
  private done: boolean;

  constructor(serial: any, options: SerialOptions) {
    this.serial = serial;
    this.options = options;
    this.handler = null;
    this.done = false;
  }

  open(handler: TransportHandler): void {
    this.handler = handler;
    const o = this.options;
    if (this.serial.setup) this.serial.setup(o.baud === undefined ? 115200 : o.baud, o.setup);
    this.serial.removeAllListeners('data');
    this.serial.on('data', (s: string) => {
      if (!this.done) handler.onData(espE().toUint8Array(s));
    });
    later(() => {
      if (!this.done) handler.onOpen();
    });
  }

  write(bytes: Uint8Array): boolean {
    if (!this.done) this.serial.write(espE().toString(bytes));
    return true;
  }

  flush(): void {
    // nothing batched
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.serial.removeAllListeners('data');
    const h = this.handler;
    if (h !== null) later(() => h.onClose(null));
  }
}

function toError(e: any): Error {
  if (e instanceof Error) return e;
  const err = new Error(e !== undefined && e !== null && e.message !== undefined ? e.message : String(e));
  if (e !== undefined && e !== null && e.code !== undefined) (err as any).code = e.code;
  return err;
}
