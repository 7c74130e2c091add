// connect(url | options, options?) for Espruino: the firmqtt (MQTT.js-style) API, on the
// compact client, with Espruino's sockets, clock and (optionally) Storage.
import { CompactClient } from '../../src/compact/client';
import type { CompactOptions } from '../../src/compact/client';
import type { TransportFactory } from '../../src/client/transport';
import { EspruinoClock } from './clock';
import { netTransport, serialTransport } from './transport';
import type { SerialOptions } from './transport';

export interface EspruinoClientOptions extends CompactOptions, SerialOptions {
  /** mqtt | tcp, or mqtts | tls (boards with TLS); default mqtt */
  protocol?: string;
  host?: string;
  /** default 1883, or 8883 for TLS */
  port?: number;
  ca?: string;
  key?: string;
  cert?: string;
  /** MQTT over a UART: Serial1..n (or an already connected socket); host and port are then ignored */
  serial?: any;
  /** a transport of your own; overrides everything above */
  transport?: TransportFactory;
}

/** `mqtt://user:pass@host:port` -> options (no URL class on Espruino). */
export function parseUrl(url: string): EspruinoClientOptions {
  const o: EspruinoClientOptions = {};
  let rest = url;
  const i = rest.indexOf('://');
  if (i >= 0) {
    o.protocol = rest.slice(0, i);
    rest = rest.slice(i + 3);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) rest = rest.slice(0, slash);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const cred = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const c = cred.indexOf(':');
    o.username = decodeURIComponent(c >= 0 ? cred.slice(0, c) : cred);
    if (c >= 0) o.password = decodeURIComponent(cred.slice(c + 1));
  }
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && rest.indexOf(']') < colon) {
    o.port = parseInt(rest.slice(colon + 1), 10);
    rest = rest.slice(0, colon);
  }
  if (rest.charAt(0) === '[') rest = rest.slice(1, -1);
  if (rest !== '') o.host = rest;
  return o;
}

/** The transport the options ask for. */
export function transportFor(o: EspruinoClientOptions): TransportFactory {
  if (o.transport !== undefined) return o.transport;
  if (o.serial !== undefined) return serialTransport(o.serial, o);
  const tls = o.protocol === 'mqtts' || o.protocol === 'tls' || o.protocol === 'ssl';
  return netTransport({
    host: o.host === undefined ? 'localhost' : o.host,
    port: o.port === undefined ? (tls ? 8883 : 1883) : o.port,
    tls,
    ca: o.ca,
    key: o.key,
    cert: o.cert,
  });
}

/**
 * Connects, MQTT.js style: `connect('mqtt://192.168.1.10')`, `connect({ host, port,
 * clientId, will })`, `connect({ serial: Serial2, baud: 115200 })`. Returns at once;
 * listen for 'connect'. Payloads arrive as Uint8Array (E.toString(payload) for a string).
 */
export function connect(url: string | EspruinoClientOptions, options?: EspruinoClientOptions): CompactClient {
  const o: EspruinoClientOptions = typeof url === 'string' ? Object.assign(parseUrl(url), options) : Object.assign({}, url, options);
  return new CompactClient({ transport: transportFor(o), clock: new EspruinoClock() }, o);
}
