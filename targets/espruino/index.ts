// firmqtt for Espruino: the compact client (src/compact), what a device needs and nothing
// more (no router, rpc or codec exports: each export keeps its code in the bundle). Load
// the bundle with Modules.addCached('firmqtt', source) or upload it as a module, then:
//
//   var mqtt = require('firmqtt').connect('mqtt://192.168.1.10', { clientId: 'board1' });
//
// or, for sketches written for Espruino's MQTT module, require('firmqtt').create(...).
//
// lite.ts is the lite bundle's entry.
import { CompactClient } from '../../src/compact/client';
import { addOnce } from '../../src/compact/emitter';
import { MQTT } from './compat';
import { connector } from './connect';
import { transportFor } from './transport';

// Espruino objects have on / emit / removeListener built in; once and off are added
addOnce(CompactClient.prototype);
addOnce(MQTT.prototype);

export { CompactClient as MqttClient };
/** connect(url | options, options?) over net, TLS (mqtts://, { ca, key, cert }) or Serial ({ serial: Serial2, baud }) */
export const connect = connector(transportFor);
export { parseUrl } from './connect';
export { create, MQTT } from './compat';
export { netTransport } from './transport';
export { serialTransport } from './serial';
export { EspruinoClock } from './clock';
export { StorageStore } from './storage-store';
