// An Espruino socket as a Transport: require('net') (or 'tls') .connect(options). Bytes
// go out as binary strings (E.toString) and come in as strings, one char a byte.
// A closure rather than a class: on Espruino the code is RAM, and a closure's variables
// minify to one letter where `this.name` keeps its property name.
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';
import { espE, espRequire, later } from './espruino';
import type { EspruinoStream } from './espruino';

/** `module`: 'net' or 'tls'; `options`: what its connect() takes ({host, port}, TLS: ca, key, cert). */
export function socketTransport(module: string, options: object): TransportFactory {
  return (): Transport => {
    let h: TransportHandler;
    /** undefined before open() and after 'close': write() then discards, as the contract asks */
    let socket: EspruinoStream | undefined;
    let failure: Error | null = null;
    return {
      open(handler) {
        h = handler;
        try {
          socket = espRequire(module).connect(options, () => {
            h.onOpen();
          }) as EspruinoStream;
          socket.on('data', (d: string) => {
            h.onData(espE().toUint8Array(d));
          });
          // Espruino reports {code, message}, not an Error; the first one is the cause
          socket.on('error', (e: any) => {
            if (!failure) failure = new Error(e.message);
          });
          socket.on('close', () => {
            socket = undefined;
            h.onClose(failure);
          });
        } catch (e) {
          // connect() throws for a host it cannot resolve, out of sockets, ...
          failure = e as Error;
          later(() => {
            h.onClose(failure);
          });
        }
      },
      write(bytes) {
        if (socket) socket.write(espE().toString(bytes));
        return true;
      },
      flush() {
        // Espruino sends from its own buffer
      },
      close() {
        if (socket) socket.end!();
      },
    };
  };
}
