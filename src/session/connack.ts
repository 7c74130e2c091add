// A refused CONNACK as an MqttError. MQTT 3.1.1 return codes (§3.2.2.3) are mapped to
// the MQTT 5 reason codes that mean the same, so applications handle one set of codes.
import type { ConnackPacket } from '../codec/packets';
import { mqttError } from '../codec/errors';
import type { MqttError } from '../codec/errors';

/** 3.1.1 return code -> [MQTT 5 reason code, message as MQTT.js words it] */
const V4_REFUSALS: [number, string][] = [
  [0, ''],
  [0x84, 'Unacceptable protocol version'],
  [0x85, 'Identifier rejected'],
  [0x88, 'Server unavailable'],
  [0x86, 'Bad username or password'],
  [0x87, 'Not authorized'],
];

export function connackError(p: ConnackPacket, protocolVersion: number): MqttError {
  if (protocolVersion < 5) {
    const r = V4_REFUSALS[p.reasonCode];
    if (r !== undefined) return mqttError(r[0], 'Connection refused: ' + r[1]);
    return mqttError(0x80, 'Connection refused: return code ' + p.reasonCode);
  }
  const why = p.properties !== undefined && p.properties.reasonString !== undefined ? p.properties.reasonString : 'reason 0x' + p.reasonCode.toString(16);
  return mqttError(p.reasonCode, 'Connection refused: ' + why);
}
