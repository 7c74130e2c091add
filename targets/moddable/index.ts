// firmqtt for Moddable XS: the firmqtt client on ECMA-419 sockets and Moddable's Timer,
// and the ECMA-419 "MQTT client" class on the same session. The host's modules are
// injected (setHost); device.ts binds Moddable's own, a test harness its stand-ins.
export { MqttClient } from '../../src/client/client';
export { MemoryStore } from '../../src/store/store';
export { setHost } from './host';
export type { ModdableHost, TCPConstructor, TimerModule } from './host';
export { connect } from './connect';
export type { ModdableClientOptions } from './connect';
export { MQTTClient } from './mqtt419';
export type { MQTT419Options, ReadableInfo, WriteOptions } from './mqtt419';
export { tcpTransport } from './transport';
export { TimerClock } from './clock';
export { PreferenceStore, FileStore } from './store';
