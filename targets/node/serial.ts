// The serial transport for Node: MQTT over a UART (`serialport`), so a Raspberry Pi or a
// PC can be the device side of a serial link, with the host-side bridge
// (tools/bridge) carrying the bytes on to a TCP broker.
//
//   connect('serial:///dev/ttyUSB0?baudRate=115200')
//   connect('serial://COM3?baudRate=9600')               // Windows
//
// `serialport` is an optional peer: it is loaded when a serial connection is first
// opened, so code that never uses serial:// does not need it installed. A missing
// package, a missing device or a busy port is reported like a refused TCP connection
// (onClose(error)), and the client retries with its usual backoff.
//
// A serial line has no "connection": the port stays open whatever the far end does, so
// a dead bridge or broker is noticed by keep-alive (PINGRESP late), as on a stalled TCP
// link. Closing the transport closes the port; the next attempt opens it again.
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';

export interface SerialOptions {
  /** the device: /dev/ttyUSB0, /dev/serial0, COM3 */
  path: string;
  /** default 115200 */
  baudRate?: number;
  /** default 8 */
  dataBits?: 5 | 6 | 7 | 8;
  /** default 1 */
  stopBits?: 1 | 1.5 | 2;
  /** default 'none' */
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  /** RTS/CTS hardware flow control; default false */
  rtscts?: boolean;
}

export const DEFAULT_BAUD_RATE = 115200;

/** The subset of serialport's SerialPort this transport uses. */
interface Port {
  on(event: 'data', fn: (chunk: Uint8Array) => void): unknown;
  on(event: 'drain', fn: () => void): unknown;
  on(event: 'error', fn: (error: Error) => void): unknown;
  on(event: 'close', fn: (error?: Error | null) => void): unknown;
  open(cb: (error: Error | null) => void): void;
  write(bytes: Uint8Array): boolean;
  drain(cb: (error: Error | null) => void): void;
  close(cb?: (error: Error | null) => void): void;
  readonly isOpen: boolean;
}

type PortConstructor = new (options: {
  path: string; baudRate: number; dataBits: number; stopBits: number; parity: string; rtscts: boolean; autoOpen: boolean;
}) => Port;

let portClass: Promise<PortConstructor> | null = null;

function loadSerialPort(): Promise<PortConstructor> {
  if (portClass === null) {
    portClass = import('serialport').then(
      (m) => (m as unknown as { SerialPort: PortConstructor }).SerialPort,
      (e: Error) => {
        portClass = null;
        throw Object.assign(new Error('serial:// needs the "serialport" package (npm install serialport): ' + e.message), { code: 'ENOSERIALPORT' });
      },
    );
  }
  return portClass;
}

/** A serial port behind the Transport contract (src/client/transport.ts). */
export function serialTransport(options: SerialOptions): TransportFactory {
  if (typeof options.path !== 'string' || options.path === '') throw new Error('serial transport: missing device path');
  return () => new SerialTransport(options);
}

/**
 * Serial options from a `serial://` URL: `serial:///dev/ttyUSB0?baudRate=115200` (an
 * absolute device path after the empty host) or `serial://COM3?baudRate=9600`. Query
 * parameters: baudRate, dataBits, stopBits, parity, rtscts.
 */
export function parseSerialUrl(url: string): SerialOptions {
  const m = /^serial:\/\/([^/?#]*)([^?#]*)(\?[^#]*)?$/i.exec(url);
  if (m === null) throw new Error(`Not a serial URL: "${url}" (expected serial:///dev/ttyUSB0?baudRate=115200)`);
  const path = decodeURIComponent(m[1] + m[2]);
  if (path === '' || path === '/') throw new Error(`Missing device in serial URL "${url}"`);
  const q = new URLSearchParams(m[3] === undefined ? '' : m[3]);
  const out: SerialOptions = { path };
  const baud = q.get('baudRate') ?? q.get('baudrate') ?? q.get('baud');
  if (baud !== null) out.baudRate = positiveInt(baud, 'baudRate', url);
  const dataBits = q.get('dataBits');
  if (dataBits !== null) out.dataBits = positiveInt(dataBits, 'dataBits', url) as SerialOptions['dataBits'];
  const stopBits = q.get('stopBits');
  if (stopBits !== null) out.stopBits = Number(stopBits) as SerialOptions['stopBits'];
  const parity = q.get('parity');
  if (parity !== null) out.parity = parity as SerialOptions['parity'];
  const rtscts = q.get('rtscts');
  if (rtscts !== null) out.rtscts = rtscts === 'true' || rtscts === '1';
  return out;
}

function positiveInt(s: string, name: string, url: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`Bad ${name} "${s}" in serial URL "${url}"`);
  return n;
}

/**
 * For connect(): the serial options of a `serial://` URL, or of an options object
 * `{ protocol: 'serial', path, baudRate }`; explicit options win over the URL.
 */
export function serialOptionsFor(brokerUrl: unknown, options: unknown): SerialOptions {
  const fromUrl = typeof brokerUrl === 'string' ? parseSerialUrl(brokerUrl) : { path: '' };
  const given = Object.assign({}, typeof brokerUrl === 'object' ? brokerUrl : undefined, options) as Partial<SerialOptions>;
  const out: SerialOptions = Object.assign({}, fromUrl);
  if (typeof given.path === 'string' && given.path !== '') out.path = given.path;
  if (given.baudRate !== undefined) out.baudRate = given.baudRate;
  if (given.dataBits !== undefined) out.dataBits = given.dataBits;
  if (given.stopBits !== undefined) out.stopBits = given.stopBits;
  if (given.parity !== undefined) out.parity = given.parity;
  if (given.rtscts !== undefined) out.rtscts = given.rtscts;
  return out;
}

class SerialTransport implements Transport {
  private readonly options: SerialOptions;
  private handler: TransportHandler | null;
  private port: Port | null;
  /** onOpen was called: writes go to the port */
  private opened: boolean;
  /** close() was called */
  private closing: boolean;
  /** onClose was called */
  private done: boolean;
  private failure: Error | null;

  constructor(options: SerialOptions) {
    this.options = options;
    this.handler = null;
    this.port = null;
    this.opened = false;
    this.closing = false;
    this.done = false;
    this.failure = null;
  }

  open(handler: TransportHandler): void {
    this.handler = handler;
    // A promise callback runs after open() returns, as the contract requires.
    loadSerialPort().then((SerialPort) => this.start(SerialPort), (e: Error) => this.finish(e));
  }

  private start(SerialPort: PortConstructor): void {
    if (this.closing) {
      this.finish(null);
      return;
    }
    const o = this.options;
    let port: Port;
    try {
      port = new SerialPort({
        path: o.path,
        baudRate: o.baudRate ?? DEFAULT_BAUD_RATE,
        dataBits: o.dataBits ?? 8,
        stopBits: o.stopBits ?? 1,
        parity: o.parity ?? 'none',
        rtscts: o.rtscts ?? false,
        autoOpen: false,
      });
    } catch (e) {
      this.finish(e as Error);
      return;
    }
    this.port = port;
    port.on('data', (chunk) => {
      if (!this.done && !this.closing) (this.handler as TransportHandler).onData(chunk);
    });
    port.on('drain', () => {
      if (!this.done) (this.handler as TransportHandler).onDrain();
    });
    port.on('error', (e) => {
      if (this.failure === null) this.failure = e;
    });
    // 'close' comes after close(), and by itself when the device goes away (a USB
    // adapter unplugged: serialport passes an error with disconnected = true).
    port.on('close', (e) => {
      if (e && this.failure === null) this.failure = e;
      this.finish(this.closing ? null : this.failure);
    });
    port.open((e) => {
      if (e !== null) {
        // A failed open emits no 'close'.
        this.finish(Object.assign(new Error(`cannot open serial port ${o.path}: ${e.message}`), { code: (e as NodeJS.ErrnoException).code }));
        return;
      }
      if (this.closing) {
        port.close();
        return;
      }
      this.opened = true;
      (this.handler as TransportHandler).onOpen();
    });
  }

  write(bytes: Uint8Array): boolean {
    const port = this.port;
    if (port === null || !this.opened || this.closing || this.done) return false;
    return port.write(bytes);
  }

  flush(): void {
    // Bytes go to the port as they are written; a UART has no segments to batch.
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    const port = this.port;
    // Not yet created (serialport still loading) or not yet open: start()/open() finish it.
    if (port === null || !this.opened || this.done) return;
    // Send what was written (a DISCONNECT) before closing the port, but not forever: with
    // hardware flow control a far end that holds CTS would hold the drain, and with it the
    // close, offline, reconnect and end()'s callback (as the TCP transport, CLOSE_GRACE_MS)
    const giveUp = setTimeout(() => {
      if (port.isOpen) port.close();
    }, 1000);
    giveUp.unref();
    port.drain(() => {
      clearTimeout(giveUp);
      if (port.isOpen) port.close();
    });
  }

  /** Reports the end once, later than open() and close() as the contract requires. */
  private finish(error: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.port = null;
    const handler = this.handler as TransportHandler;
    handler.onClose(error);
  }
}
