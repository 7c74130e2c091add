// firmqtt for Espruino: the compact client (src/compact), what a device needs and nothing
// more (no router, rpc or codec exports: each export keeps its code in the bundle). Load
// the bundle with Modules.addCached('firmqtt', source) or upload it as a module, then:
//
//   var mqtt = require('firmqtt').connect('mqtt://192.168.1.10', { clientId: 'board1' });
//
// or, for sketches written for Espruino's MQTT module, require('firmqtt').create(...).
import { CompactClient } from '../../src/compact/client';
import { addOnce } from '../../src/compact/emitter';
import { MQTT } from './compat';

// Espruino objects have on / emit / removeListener built in; once and off are added
addOnce(CompactClient.prototype);
addOnce(MQTT.prototype);

export { CompactClient as MqttClient };
export { connect, parseUrl } from './connect';
export { create, MQTT } from './compat';
export { netTransport, serialTransport } from './transport';
export { EspruinoClock } from './clock';
export { StorageStore } from './storage-store';
