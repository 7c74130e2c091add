// TLS through Espruino's `tls` module (boards built with it: ESP32, Linux). Espruino 2v29
// asserts (ASSERT(net)) on TLS socket calls made inside another socket's callback, which
// is where the client writes from: so the TLS socket is dialled, written and ended from
// a timer, and writes wait in a queue for it.
import type { Transport, TransportFactory } from '../../src/client/transport';
import { later } from './espruino';
import { socketTransport } from './socket';

export interface TlsOptions {
  host: string;
  port: number;
  /** PEM text or DER (binary strings); Espruino's mbedTLS reads only DER, so PEM is converted here. Espruino does not check the server's certificate against `ca`. */
  ca?: string;
  key?: string;
  cert?: string;
}

/** DER from PEM text (the base64 between the ----- lines); anything else as it is. */
function der(x: string | undefined): string | undefined {
  if (!x || x.indexOf('-----') < 0) return x;
  return atob(x.split('\n').filter((l) => l.indexOf('-----') < 0).join('').replace(/\s/g, ''));
}

export function tlsTransport(o: TlsOptions): TransportFactory {
  const make = socketTransport('tls', { host: o.host, port: o.port, ca: der(o.ca), key: der(o.key), cert: der(o.cert) });
  return (): Transport => {
    const t = make();
    let queue: Uint8Array[] = [];
    let closing = false;
    const send = () => {
      for (let i = 0; i < queue.length; i++) t.write(queue[i]);
      queue = [];
    };
    return {
      open(handler) {
        // closed before the timer: no dial, only the close the contract asks for
        later(() => {
          if (closing) handler.onClose(null);
          else t.open(handler);
        });
      },
      write(bytes) {
        // the first write since the last send arms the timer that sends them all
        if (queue.push(bytes) === 1) later(send);
        return true;
      },
      flush() {
        // the timer armed by write() sends
      },
      close() {
        closing = true;
        later(() => {
          send();
          t.close();
        });
      },
    };
  };
}
