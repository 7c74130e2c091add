// MQTT 5 reason codes (MQTT 5.0 §2.4, Table 2-6): which packet may carry which code,
// and a name for logs (as coreMQTT's MQTT_Status_strerror). One small table at module
// level; the per-code lookup below is a 256-entry Uint16Array built from it once.
import {
  CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH,
} from './packets';

const CA = 1 << CONNACK;
const PA = 1 << PUBACK;
const PR = 1 << PUBREC;
const PL = 1 << PUBREL;
const PC = 1 << PUBCOMP;
const SA = 1 << SUBACK;
const UA = 1 << UNSUBACK;
const DI = 1 << DISCONNECT;
const AU = 1 << AUTH;

/** [code, packets that may carry it (bit 1 << type), name] (Table 2-6). */
const TABLE: [number, number, string][] = [
  [0x00, CA | PA | PR | PL | PC | UA | AU | DI | SA, 'Success'],
  [0x01, SA, 'Granted QoS 1'],
  [0x02, SA, 'Granted QoS 2'],
  [0x04, DI, 'Disconnect with Will Message'],
  [0x10, PA | PR, 'No matching subscribers'],
  [0x11, UA, 'No subscription existed'],
  [0x18, AU, 'Continue authentication'],
  [0x19, AU, 'Re-authenticate'],
  [0x80, CA | PA | PR | SA | UA | DI, 'Unspecified error'],
  [0x81, CA | DI, 'Malformed Packet'],
  [0x82, CA | DI, 'Protocol Error'],
  [0x83, CA | PA | PR | SA | UA | DI, 'Implementation specific error'],
  [0x84, CA, 'Unsupported Protocol Version'],
  [0x85, CA, 'Client Identifier not valid'],
  [0x86, CA, 'Bad User Name or Password'],
  [0x87, CA | PA | PR | SA | UA | DI, 'Not authorized'],
  [0x88, CA, 'Server unavailable'],
  [0x89, CA | DI, 'Server busy'],
  [0x8a, CA, 'Banned'],
  [0x8b, DI, 'Server shutting down'],
  [0x8c, CA | DI, 'Bad authentication method'],
  [0x8d, DI, 'Keep Alive timeout'],
  [0x8e, DI, 'Session taken over'],
  [0x8f, SA | UA | DI, 'Topic Filter invalid'],
  [0x90, CA | PA | PR | DI, 'Topic Name invalid'],
  [0x91, PA | PR | SA | UA, 'Packet Identifier in use'],
  [0x92, PL | PC, 'Packet Identifier not found'],
  [0x93, DI, 'Receive Maximum exceeded'],
  [0x94, DI, 'Topic Alias invalid'],
  [0x95, CA | DI, 'Packet too large'],
  [0x96, DI, 'Message rate too high'],
  [0x97, CA | PA | PR | SA | DI, 'Quota exceeded'],
  [0x98, DI, 'Administrative action'],
  [0x99, CA | PA | PR | DI, 'Payload format invalid'],
  [0x9a, CA | DI, 'Retain not supported'],
  [0x9b, CA | DI, 'QoS not supported'],
  [0x9c, CA | DI, 'Use another server'],
  [0x9d, CA | DI, 'Server moved'],
  [0x9e, SA | DI, 'Shared Subscriptions not supported'],
  [0x9f, CA | DI, 'Connection rate exceeded'],
  [0xa0, DI, 'Maximum connect time'],
  [0xa1, SA | DI, 'Subscription Identifiers not supported'],
  [0xa2, SA | DI, 'Wildcard Subscriptions not supported'],
];

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3), index = code. */
const CONNACK_V4 = [
  'Connection Accepted',
  'Connection Refused, unacceptable protocol version',
  'Connection Refused, identifier rejected',
  'Connection Refused, Server unavailable',
  'Connection Refused, bad user name or password',
  'Connection Refused, not authorized',
];

/** code -> mask of packet types that may carry it; 0 = not a reason code. */
const MASK = new Uint16Array(256);
for (let i = 0; i < TABLE.length; i++) MASK[TABLE[i][0]] = TABLE[i][1];

/** Whether `code` is a valid MQTT 5 reason code in a packet of type `packetType`. */
export function isReasonCodeAllowed(code: number, packetType: number): boolean {
  return (MASK[code & 0xff] & (1 << packetType)) !== 0 && code === (code & 0xff);
}

/**
 * A reason code's name for logs, e.g. reasonName(0x87) = 'Not authorized'. With a packet
 * type, 0x00..0x02 get that packet's name for them ('Normal disconnection',
 * 'Granted QoS 0'). Codes that are not MQTT 5 reason codes give 'Unknown (0x..)'.
 */
export function reasonName(code: number, packetType?: number): string {
  if (code === 0 && packetType === DISCONNECT) return 'Normal disconnection';
  if (code === 0 && packetType === SUBACK) return 'Granted QoS 0';
  for (let i = 0; i < TABLE.length; i++) {
    if (TABLE[i][0] === code) return TABLE[i][2];
  }
  return 'Unknown (0x' + (code >>> 0).toString(16) + ')';
}

/** An MQTT 3.1 / 3.1.1 CONNACK return code's name (0..5). */
export function connackReturnCodeName(code: number): string {
  return code >= 0 && code < CONNACK_V4.length ? CONNACK_V4[code] : 'Unknown (0x' + (code >>> 0).toString(16) + ')';
}
