// firmqtt for Espruino: what a device needs, nothing more (no router, rpc or codec
// exports: each export keeps its code in the bundle). Load the bundle with
// Modules.addCached('firmqtt', source) or upload it as a module, then:
//
//   var mqtt = require('firmqtt').connect('mqtt://192.168.1.10', { clientId: 'board1' });
//
// or, for sketches written for Espruino's MQTT module, require('firmqtt').create(...).
export { MqttClient } from '../../src/client/client';
export { MemoryStore } from '../../src/store/store';
export { connect, parseUrl } from './connect';
export { create, MQTT } from './compat';
export { netTransport, serialTransport } from './transport';
export { EspruinoClock } from './clock';
export { StorageStore } from './storage-store';
