// The full bundle's transports, chosen by options: a `net` or `tls` socket, or a Serial
// port (the lite bundle dials `net` only: lite.ts).
import type { TransportFactory } from '../../src/client/transport';
import type { ConnectOptions } from './connect';
import { serialTransport } from './serial';
import type { SerialOptions } from './serial';
import { socketTransport } from './socket';
import { tlsTransport } from './tls';
import type { TlsOptions } from './tls';

export interface NetOptions extends TlsOptions {
  /** use require('tls') (boards built with TLS: ESP32, Linux); default false */
  tls?: boolean;
}

export interface EspruinoClientOptions extends ConnectOptions, SerialOptions {
  /** tls.connect() options: PEM text (turned into DER here) or DER strings; Espruino does not verify the server's certificate with `ca` */
  ca?: string;
  key?: string;
  cert?: string;
  /** MQTT over a UART: Serial1..n (or an already connected socket); protocol, host and port are then ignored */
  serial?: any;
}

/** A TCP connection through Espruino's `net` module, or with `tls` its `tls` module. */
export function netTransport(o: NetOptions): TransportFactory {
  return o.tls ? tlsTransport(o) : socketTransport('net', { host: o.host, port: o.port });
}

/**
 * The transport the options ask for. Serial: unless connectTimeout is given, the
 * keep-alive bounds the wait for a CONNACK too (a line has no connect to fail: a CONNECT
 * into a dead bridge would otherwise wait the default 30 s).
 */
export function transportFor(o: EspruinoClientOptions): TransportFactory {
  if (o.serial) {
    if (o.connectTimeout === undefined) o.connectTimeout = Math.min(30000, Math.max(2000, (o.keepalive ?? 60) * 1000));
    return serialTransport(o.serial, o);
  }
  const p = (o.protocol || 'mqtt').toLowerCase();
  // not a regular expression: 2v29's matches /^(mqtts|tls|ssl)$/ against 'mqttsx' too
  const tls = p === 'mqtts' || p === 'tls' || p === 'ssl';
  // an unknown scheme must not quietly go out unencrypted
  if (!tls && p !== 'mqtt' && p !== 'tcp') throw new Error(p + ' unsupported');
  return netTransport({ host: o.host || 'localhost', port: o.port || (tls ? 8883 : 1883), tls, ca: o.ca, key: o.key, cert: o.cert });
}
