// An Espruino socket as a Transport: require('net') (or 'tls') .connect(options). Bytes
// go out as binary strings (E.toString) and come in as strings, one char a byte.
//
// An object whose methods are on a prototype, with listeners defined once, rather than a
// closure: on Espruino each evaluation of a function expression makes a function object
// (~5 variables, more with its text copied when the code was loaded into RAM), and a
// closure transport made 8 of them per connection. Measured on 2v29 (lite bundle, load +
// one connect): from RAM 1,248 -> 1,204 variables, from Storage 315 -> 289; the connect
// alone 320 -> 225 and 293 -> 223. The listeners find their transport through the socket's
// `fq`: Espruino calls a listener with `this` the emitter. (serial.ts and tls.ts stay
// closures: as classes their functions would cost every board at load, used or not.)
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';
import { espE, espRequire, later } from './espruino';
import type { EspruinoStream } from './espruino';

/** The socket, as its listeners see it. */
interface LinkedStream extends EspruinoStream {
  /** its transport */
  fq: SocketLink;
  /** the first error it reported: the cause its close passes on */
  f?: Error;
  /** its close was reported (by 'close', or by close()'s last resort) */
  c?: number;
  /** Espruino's own: bytes written and not yet sent */
  dSnd?: string;
}

class SocketLink implements Transport {
  h!: TransportHandler;
  /** undefined before open() and after 'close': write() then discards, as the contract asks */
  s?: LinkedStream;

  /** `a`: the module, 'net' or 'tls'; `o`: what its connect() takes */
  constructor(readonly a: string, readonly o: object) {}

  open(handler: TransportHandler): void {
    // `t` rather than `this`: shorter, and the arrow below is then plainly free of `this`
    // (2v29 asserts when it skips an arrow that uses it)
    const t = this;
    t.h = handler;
    try {
      const s: LinkedStream = t.s = espRequire(t.a).connect(t.o, onConnect);
      s.fq = t;
      s.on('data', onData);
      s.on('error', onError);
      s.on('close', onClose);
    } catch (e) {
      // connect() throws for a host it cannot resolve, out of sockets, a refusal (Linux), ...
      later(() => handler.onClose(e as Error));
    }
  }

  write(bytes: Uint8Array): boolean {
    if (this.s) this.s.write(espE().toString(bytes));
    return true;
  }

  flush(): void {
    // Espruino sends from its own buffer
  }

  close(): void {
    // let go of it first: Espruino's socket.write() throws once end() was called, and the
    // client may still write (a PUBLISH, a PUBACK) until 'close' has been reported
    const s = this.s;
    this.s = undefined;
    if (s) ending(s);
  }
}

/**
 * Ends the socket. end() closes once what was written is out, which a peer that stopped
 * reading, or a TLS handshake that stalls (Espruino reports the connect before it, so the
 * CONNECT waits in dSnd), never allows: then the unsent bytes are dropped and it ends
 * again, and at last the close is reported without it. A 'close' after that is ignored.
 * (Not in close() itself: its `this` just before these arrows would read, to the bundle's
 * check, as an arrow using `this`.)
 */
function ending(s: LinkedStream): void {
  s.end!();
  later(() => {
    if (s.c) return;
    delete s.dSnd;
    s.end!();
    later(() => onClose.call(s), 2000);
  }, 2000);
}

function onConnect(this: LinkedStream): void {
  this.fq.h.onOpen();
}

function onData(this: LinkedStream, d: string): void {
  this.fq.h.onData(espE().toUint8Array(d));
}

// Espruino reports {code, message}, not an Error; the first one is the cause
function onError(this: LinkedStream, e: { message: string }): void {
  if (!this.f) this.f = new Error(e.message);
}

function onClose(this: LinkedStream): void {
  // `this` once, first: a `this` the minifier leaves just before an arrow (even one in
  // the next function) looks to the bundle test like an arrow that uses `this`
  const s = this;
  if (s.c) return;
  s.c = 1;
  s.fq.s = undefined;
  s.fq.h.onClose(s.f || null);
}

/** `module`: 'net' or 'tls'; `options`: what its connect() takes ({host, port}, TLS: ca, key, cert). */
export function socketTransport(module: string, options: object): TransportFactory {
  return () => new SocketLink(module, options);
}
