// connect(options) for Moddable: the firmqtt (MQTT.js-style) client on an ECMA-419
// socket and Moddable's Timer.
import { MqttClient } from '../../src/client/client';
import type { ClientOptions } from '../../src/client/client';
import type { TransportFactory } from '../../src/client/transport';
import { TimerClock } from './clock';
import { tcpTransport } from './transport';
import type { TcpOptions } from './transport';

export interface ModdableClientOptions extends ClientOptions {
  /** the broker's IP address (ECMA-419 sockets connect to addresses) */
  address?: string;
  /** same as address */
  host?: string;
  /** default 1883, or 8883 with tls */
  port?: number;
  tls?: boolean;
  /** socket constructor and its extra options (see TcpOptions) */
  io?: TcpOptions['io'];
  socket?: any;
  /** a transport of your own */
  transport?: TransportFactory;
}

export function transportFor(o: ModdableClientOptions): TransportFactory {
  if (o.transport !== undefined) return o.transport;
  const address = o.address !== undefined ? o.address : o.host;
  if (address === undefined) throw new Error('firmqtt: address required');
  return tcpTransport({ address, port: o.port === undefined ? (o.tls ? 8883 : 1883) : o.port, tls: o.tls, io: o.io, socket: o.socket });
}

/** Connects; returns at once (listen for 'connect'). Payloads are Uint8Array. */
export function connect(options: ModdableClientOptions): MqttClient {
  const client = new MqttClient({ transport: transportFor(options), clock: new TimerClock() }, options);
  client.on('error', ignore);
  return client;
}

function ignore(): void {
  // an unheard 'error' must not throw; the client reconnects by itself
}
