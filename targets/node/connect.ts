// connect(url | options, options?) as in MQTT.js: parse the broker URL, pick the TCP or
// TLS transport, and start an MqttClient with the Node clock.
import type * as tls from 'node:tls';
import { domainToASCII } from 'node:url';
import { MqttClient } from '../../src/client/client';
import type { ClientOptions } from '../../src/client/client';
import { NodeClock } from './clock';
import { tcpTransport, tlsTransport } from './socket';
import { serialOptionsFor, serialTransport } from './serial';
import type { TransportFactory } from '../../src/client/transport';

/** MQTT.js-style options: the client's, where to connect, and any tls.connect() option. */
export interface NodeClientOptions extends ClientOptions, Omit<tls.ConnectionOptions, 'host' | 'port' | 'path' | 'socket' | 'timeout'> {
  /** mqtt | tcp (TCP) or mqtts | ssl | tls (TLS); default mqtt, or mqtts when cert and key are given */
  protocol?: string;
  host?: string;
  /** same as host (MQTT.js accepts both) */
  hostname?: string;
  /** default 1883, or 8883 for TLS */
  port?: number;
}

const TCP_PROTOCOLS = ['mqtt', 'tcp'];
const TLS_PROTOCOLS = ['mqtts', 'ssl', 'tls'];

/**
 * What a broker URL says: `mqtt://user:pass@host:1883/?clientId=abc`. User name and
 * password are percent-decoded; IPv6 hosts lose their brackets.
 */
export function parseBrokerUrl(url: string): NodeClientOptions {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme === null) throw new Error(`Missing protocol in broker URL "${url}"`);
  // WHATWG URL parses the authority of any scheme written with '//'.
  const u = new URL(url);
  const out: NodeClientOptions = { protocol: scheme[1].toLowerCase() };
  let host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  // mqtt: is no scheme URL knows, so it leaves a non-ASCII host percent-encoded; DNS and
  // TLS want its ASCII (punycode) form, as MQTT.js gives it
  if (host.indexOf('%') >= 0) {
    const name = decodeURIComponent(host);
    host = domainToASCII(name) || name;
  }
  if (host !== '') out.host = host;
  if (u.port !== '') out.port = Number(u.port);
  if (u.username !== '') out.username = decodeURIComponent(u.username);
  if (u.password !== '') out.password = decodeURIComponent(u.password);
  const clientId = u.searchParams.get('clientId');
  if (clientId !== null) out.clientId = clientId;
  return out;
}

/** Merges URL and options (explicit options win, as in MQTT.js) and applies the defaults. */
export function resolveConnectOptions(brokerUrl: string | NodeClientOptions, options?: NodeClientOptions): NodeClientOptions & { protocol: string; host: string; port: number } {
  const fromUrl = typeof brokerUrl === 'string' ? parseBrokerUrl(brokerUrl) : {};
  const given = typeof brokerUrl === 'string' ? options : Object.assign({}, brokerUrl, options);
  const o: NodeClientOptions = Object.assign({}, fromUrl, given);
  let protocol = (o.protocol ?? 'mqtt').replace(/:$/, '').toLowerCase();
  if (protocol === 'mqtt' && o.cert !== undefined && o.key !== undefined) protocol = 'mqtts';
  if (TCP_PROTOCOLS.indexOf(protocol) < 0 && TLS_PROTOCOLS.indexOf(protocol) < 0 && protocol !== 'serial') {
    throw new Error(`Unsupported protocol "${protocol}": firmqtt on Node speaks ${TCP_PROTOCOLS.concat(TLS_PROTOCOLS, ['serial']).join(', ')}`);
  }
  if (o.clean === false && (o.clientId === undefined || o.clientId === '')) {
    throw new Error('Missing clientId for unclean clients');
  }
  const host = o.hostname ?? o.host ?? 'localhost';
  const port = o.port ?? (TLS_PROTOCOLS.indexOf(protocol) >= 0 ? 8883 : 1883);
  return Object.assign(o, { protocol, host, hostname: host, port });
}

export function isTlsProtocol(protocol: string): boolean {
  return TLS_PROTOCOLS.indexOf(protocol) >= 0;
}

/** A zero-copy Buffer over the payload, so payload.toString() works as in MQTT.js. */
function toBuffer(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Connects to a broker, MQTT.js style: `connect('mqtt://host')`, `connect('mqtts://host',
 * { ca, cert, key })`, or `connect({ host, port, protocol })`. Returns at once; listen
 * for 'connect'.
 */
export function connect(brokerUrl: string | NodeClientOptions, options?: NodeClientOptions): MqttClient {
  const o = resolveConnectOptions(brokerUrl, options);
  const transport: TransportFactory = o.protocol === 'serial' ? serialTransport(serialOptionsFor(brokerUrl, options))
    : isTlsProtocol(o.protocol)
    ? tlsTransport(Object.assign({}, o as tls.ConnectionOptions, { host: o.host, port: o.port }))
    : tcpTransport({ host: o.host, port: o.port });
  const client = new MqttClient({ transport, clock: new NodeClock(), wrapPayload: toBuffer }, o);
  // As MQTT.js's connect(): an 'error' nobody listens to must not crash the process (the
  // emitter throws on an unheard 'error', like Node's); the client reconnects by itself.
  client.on('error', ignoreError);
  return client;
}

function ignoreError(): void {
  // Deliberately empty; see connect().
}

/**
 * Resolves with the client once connected; rejects on the first error (and ends the
 * client), as MQTT.js's connectAsync does.
 */
export function connectAsync(brokerUrl: string | NodeClientOptions, options?: NodeClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(brokerUrl, options);
    const onConnect = () => {
      client.off('error', onError);
      resolve(client);
    };
    const onError = (error: Error) => {
      client.off('connect', onConnect);
      client.end(true);
      reject(error);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}
