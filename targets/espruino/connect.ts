// connect(url | options, options?) for Espruino: the firmqtt (MQTT.js-style) API, on the
// compact client, with Espruino's clock and the transport the entry picks (the full one:
// net, TLS or Serial; the lite one: net).
import { CompactClient } from '../../src/compact/client';
import type { CompactOptions } from '../../src/compact/client';
import type { TransportFactory } from '../../src/client/transport';
import { EspruinoClock } from './clock';

/** What connect() takes in every Espruino bundle. */
export interface ConnectOptions extends CompactOptions {
  /** mqtt | tcp; the full bundle also mqtts | tls | ssl (boards with TLS). Default mqtt */
  protocol?: string;
  /** default localhost */
  host?: string;
  /** default 1883 (8883 for TLS) */
  port?: number;
  /** a transport of your own; overrides protocol, host and port */
  transport?: TransportFactory;
}

/** `mqtt://user:pass@host:port` -> options (no URL class on Espruino). */
export function parseUrl(url: string): ConnectOptions {
  const o: ConnectOptions = {};
  const d = decodeURIComponent;
  let rest = url;
  const i = rest.indexOf('://');
  if (i >= 0) {
    o.protocol = rest.slice(0, i);
    rest = rest.slice(i + 3);
  }
  // the credentials end at the last '@', the user at the first ':'
  const at = rest.split('/')[0].split('@');
  rest = at.pop()!;
  if (at.length) {
    const cred = at.join('@').split(':');
    o.username = d(cred.shift()!);
    if (cred.length) o.password = d(cred.join(':'));
  }
  // a port after the last ':', unless that is inside [an IPv6 address]
  const colon = rest.lastIndexOf(':');
  if (colon > rest.indexOf(']')) {
    o.port = +rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (rest[0] === '[') rest = rest.slice(1, -1);
  if (rest) o.host = rest;
  return o;
}

/**
 * The entry's connect(): MQTT.js style, `connect('mqtt://192.168.1.10')`, `connect({
 * host, port, clientId, will })`. Returns at once; listen for 'connect'. Payloads arrive
 * as Uint8Array (E.toString(payload) for a string). `via` makes the transport the
 * options ask for, unless they bring their own.
 */
export function connector<O extends ConnectOptions>(via: (o: O) => TransportFactory): (url: string | O, options?: O) => CompactClient {
  return (url, options) => {
    const o: O = Object.assign({}, typeof url === 'string' ? parseUrl(url) : url, options);
    return new CompactClient({ transport: o.transport || via(o), clock: new EspruinoClock() }, o);
  };
}
