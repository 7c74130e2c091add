// MQTT over a UART (Serial1..n, or USB): raw MQTT bytes, carried to a broker by a
// host-side bridge (tools/bridge). A serial line has no connection: open() succeeds at
// once, and a lost broker shows up as a keep-alive timeout.
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';
import { espE, later } from './espruino';

export interface SerialOptions {
  /** baud rate; default 115200 */
  baud?: number;
  /** options for Serial.setup(): rx, tx pins, ... */
  setup?: any;
}

/** `serial`: Serial1..n, or an already connected stream (no setup() then). */
export function serialTransport(serial: any, options?: SerialOptions): TransportFactory {
  const o = options || {};
  return (): Transport => {
    let h: TransportHandler | undefined;
    // until the line has been quiet for a moment, what comes is the last session's
    // (a CONNACK, a PINGRESP on their way): dropped, not taken for this one's
    let quiet = 0;
    const listen = (s: string) => {
      if (h === undefined) return;
      if (quiet > 0) quiet = 1;
      else h.onData(espE().toUint8Array(s));
    };
    return {
      open(handler) {
        h = handler;
        if (serial.setup) serial.setup(o.baud || 115200, o.setup);
        // its own listener only: an application's, or another client's, stay
        serial.on('data', listen);
        quiet = 2;
        const wait = (n: number) => later(() => {
          if (h === undefined) return;
          // 100 ms without a byte (2: none heard in this window; at most 1 s of chatter)
          // and the line is this session's
          if (quiet === 1 && n < 10) {
            quiet = 2;
            wait(n + 1);
          } else {
            quiet = 0;
            handler.onOpen();
          }
        }, 100);
        wait(0);
      },
      write(bytes) {
        if (h) serial.write(espE().toString(bytes));
        return true;
      },
      flush() {
        // Espruino sends from its own buffer
      },
      close() {
        const handler = h;
        if (!handler) return;
        h = undefined;
        serial.removeListener('data', listen);
        later(() => {
          handler.onClose(null);
        });
      },
    };
  };
}
