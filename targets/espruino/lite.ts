// firmqtt-lite for Espruino (dist/espruino/firmqtt-lite.js): the compact client built
// with FIRMQTT_LITE (MQTT 3.1.1, QoS 0-2, keep-alive, Will, retain, resend, reconnect)
// and connect() over `net`. No create(), StorageStore, Serial or TLS: those are in the
// full bundle (index.ts); a transport of your own can still be given as `transport`.
//
//   var mqtt = require('firmqtt').connect('mqtt://192.168.1.10', { clientId: 'board1' });
import { CompactClient } from '../../src/compact/client';
import { addOnce } from '../../src/compact/emitter';
import { connector } from './connect';
import type { ConnectOptions } from './connect';
import { socketTransport } from './socket';

// Espruino objects have on / emit / removeListener built in; once and off are added
addOnce(CompactClient.prototype);

export { CompactClient as MqttClient };

export const connect = connector((o: ConnectOptions) => {
  // a mqtts:// URL must not quietly go out unencrypted. Comparisons, not a regular
  // expression: 2v29's regex engine matches /^(mqtt|tcp)?$/ against 'mqtts' and not ''.
  const p = o.protocol;
  if (p && p !== 'mqtt' && p !== 'tcp') throw new Error(p + ' unsupported in firmqtt-lite');
  return socketTransport('net', { host: o.host || 'localhost', port: o.port || 1883 });
});
