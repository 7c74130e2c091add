// firmqtt for Node: the portable core, plus TCP/TLS transports, the Node clock and a
// file store. MQTT.js code moves over by changing its import to this module.
export * from '../../src/index';
export { MqttClient, reconnectDelay } from '../../src/client/client';
export type {
  ClientOptions, ResolvedClientOptions, ClientEvents, Platform, PublishOptions, SubscribeOptions, SubscribeTopics,
  SubscriptionGrant, SubscribeCallback, PacketCallback, UnsubscribeOptions, EndOptions, EndCallback,
} from '../../src/client/client';
export type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';
export type { Clock } from '../../src/client/clock';
export { Emitter } from '../../src/util/emitter';
export { MemoryStore } from '../../src/store/store';
export type { Store } from '../../src/store/store';
export { connect, connectAsync, parseBrokerUrl, resolveConnectOptions } from './connect';
export type { NodeClientOptions } from './connect';
export { tcpTransport, tlsTransport } from './socket';
export type { TcpOptions, TlsOptions } from './socket';
export { serialTransport, parseSerialUrl } from './serial';
export { NodeClock } from './clock';
export { FileStore } from './file-store';
export type { FileStoreOptions } from './file-store';
