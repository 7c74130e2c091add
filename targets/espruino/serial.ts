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
    return {
      open(handler) {
        h = handler;
        if (serial.setup) serial.setup(o.baud || 115200, o.setup);
        serial.removeAllListeners('data');
        serial.on('data', (s: string) => {
          handler.onData(espE().toUint8Array(s));
        });
        later(() => {
          if (h) handler.onOpen();
        });
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
        serial.removeAllListeners('data');
        later(() => {
          handler.onClose(null);
        });
      },
    };
  };
}
