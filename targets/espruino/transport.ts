// Espruino transports for the compact client: `net` / `tls` sockets and Serial ports.
// Bytes go out as binary strings (E.toString) and come in as strings, one char a byte.
// Closures rather than classes: on Espruino the code is RAM, and a closure's variables
// minify to one letter where `this.name` keeps its property name.
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

export interface SerialOptions {
  /** baud rate; default 115200 */
  baud?: number;
  /** options for Serial.setup(): rx, tx pins, ... */
  setup?: any;
}

/** Hands `fn` to the event loop: the contract forbids callbacks from inside open(). */
function later(fn: () => void): void {
  setTimeout(fn, 0);
}

function toError(e: any): Error {
  return e instanceof Error ? e : new Error(e !== undefined && e !== null && e.message !== undefined ? e.message : String(e));
}

/**
 * A TCP (or TLS) connection through Espruino's `net` (`tls`) module. TLS dials, writes
 * and ends from a timer: Espruino 2v29 asserts (ASSERT(net)) on TLS socket calls made
 * inside another socket's callback, which is where the client writes from.
 */
export function netTransport(o: NetOptions): TransportFactory {
  return (): Transport => {
    const tls = !!o.tls;
    let h: TransportHandler;
    let socket: EspruinoStream | null = null;
    let failure: Error | null = null;
    let done = false;
    let closing = false;
    /** TLS: bytes written since the last timer, as a binary string */
    let pending = '';
    const finish = () => {
      if (done) return;
      done = true;
      socket = null;
      h.onClose(failure);
    };
    const send = () => {
      const s = socket;
      if (s === null || done) return;
      if (pending !== '') s.write(pending);
      pending = '';
      if (closing && s.end !== undefined) s.end();
    };
    const dial = () => {
      if (done) return;
      if (closing) return finish();
      const opened = () => {
        if (!done) h.onOpen();
      };
      try {
        const s: EspruinoStream = espRequire(tls ? 'tls' : 'net').connect(tls ? { host: o.host, port: o.port, ca: o.ca, key: o.key, cert: o.cert } : { host: o.host, port: o.port }, opened);
        socket = s;
        s.on('data', (d: string) => {
          if (!done) h.onData(espE().toUint8Array(d));
        });
        s.on('error', (e: any) => {
          if (failure === null) failure = toError(e);
        });
        s.on('close', finish);
      } catch (e) {
        failure = toError(e);
        later(finish);
      }
    };
    return {
      open(handler) {
        h = handler;
        if (tls) later(dial);
        else dial();
      },
      write(bytes) {
        const s = socket;
        if (s !== null && !done) {
          if (tls) pending += espE().toString(bytes);
          else s.write(espE().toString(bytes));
        }
        return true;
      },
      flush() {
        if (pending !== '') later(send);
      },
      close() {
        closing = true;
        if (tls) later(send);
        else if (socket !== null && socket.end !== undefined) socket.end();
      },
    };
  };
}

/**
 * MQTT over a UART (Serial1..n, or USB): raw MQTT bytes, carried to a broker by a
 * host-side bridge (tools/bridge). A serial line has no connection: open() succeeds at
 * once, and a lost broker shows up as a keep-alive timeout.
 */
export function serialTransport(serial: any, options?: SerialOptions): TransportFactory {
  const o = options === undefined ? {} : options;
  return (): Transport => {
    let h: TransportHandler;
    let done = false;
    return {
      open(handler) {
        h = handler;
        if (serial.setup) serial.setup(o.baud === undefined ? 115200 : o.baud, o.setup);
        serial.removeAllListeners('data');
        serial.on('data', (s: string) => {
          if (!done) h.onData(espE().toUint8Array(s));
        });
        later(() => {
          if (!done) h.onOpen();
        });
      },
      write(bytes) {
        if (!done) serial.write(espE().toString(bytes));
        return true;
      },
      flush() {
        // Espruino sends from its own buffer
      },
      close() {
        if (done) return;
        done = true;
        serial.removeAllListeners('data');
        later(() => h.onClose(null));
      },
    };
  };
}
