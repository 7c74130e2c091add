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

/**
 * [code, packets that may carry it (bit 1 << type)] (Table 2-6); each code's name is at
 * the same index in NAMES, apart so that a bundle without reasonName() drops the names.
 */
const TABLE: [number, number][] = [
  [0x00, CA | PA | PR | PL | PC | UA | AU | DI | SA],
  [0x01, SA],
  [0x02, SA],
  [0x04, DI],
  [0x10, PA | PR],
  [0x11, UA],
  [0x18, AU],
  [0x19, AU],
  [0x80, CA | PA | PR | SA | UA | DI],
  [0x81, CA | DI],
  [0x82, CA | DI],
  [0x83, CA | PA | PR | SA | UA | DI],
  [0x84, CA],
  [0x85, CA],
  [0x86, CA],
  [0x87, CA | PA | PR | SA | UA | DI],
  [0x88, CA],
  [0x89, CA | DI],
  [0x8a, CA],
  [0x8b, DI],
  [0x8c, CA | DI],
  [0x8d, DI],
  [0x8e, DI],
  [0x8f, SA | UA | DI],
  [0x90, CA | PA | PR | DI],
  [0x91, PA | PR | SA | UA],
  [0x92, PL | PC],
  [0x93, DI],
  [0x94, DI],
  [0x95, CA | DI],
  [0x96, DI],
  [0x97, CA | PA | PR | SA | DI],
  [0x98, DI],
  [0x99, CA | PA | PR | DI],
  [0x9a, CA | DI],
  [0x9b, CA | DI],
  [0x9c, CA | DI],
  [0x9d, CA | DI],
  [0x9e, SA | DI],
  [0x9f, CA | DI],
  [0xa0, DI],
  [0xa1, SA | DI],
  [0xa2, SA | DI],
];

/** TABLE[i]'s name. */
const NAMES: string[] = [
  'Success', // 0x00
  'Granted QoS 1', // 0x01
  'Granted QoS 2', // 0x02
  'Disconnect with Will Message', // 0x04
  'No matching subscribers', // 0x10
  'No subscription existed', // 0x11
  'Continue authentication', // 0x18
  'Re-authenticate', // 0x19
  'Unspecified error', // 0x80
  'Malformed Packet', // 0x81
  'Protocol Error', // 0x82
  'Implementation specific error', // 0x83
  'Unsupported Protocol Version', // 0x84
  'Client Identifier not valid', // 0x85
  'Bad User Name or Password', // 0x86
  'Not authorized', // 0x87
  'Server unavailable', // 0x88
  'Server busy', // 0x89
  'Banned', // 0x8a
  'Server shutting down', // 0x8b
  'Bad authentication method', // 0x8c
  'Keep Alive timeout', // 0x8d
  'Session taken over', // 0x8e
  'Topic Filter invalid', // 0x8f
  'Topic Name invalid', // 0x90
  'Packet Identifier in use', // 0x91
  'Packet Identifier not found', // 0x92
  'Receive Maximum exceeded', // 0x93
  'Topic Alias invalid', // 0x94
  'Packet too large', // 0x95
  'Message rate too high', // 0x96
  'Quota exceeded', // 0x97
  'Administrative action', // 0x98
  'Payload format invalid', // 0x99
  'Retain not supported', // 0x9a
  'QoS not supported', // 0x9b
  'Use another server', // 0x9c
  'Server moved', // 0x9d
  'Shared Subscriptions not supported', // 0x9e
  'Connection rate exceeded', // 0x9f
  'Maximum connect time', // 0xa0
  'Subscription Identifiers not supported', // 0xa1
  'Wildcard Subscriptions not supported', // 0xa2
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
    if (TABLE[i][0] === code) return NAMES[i];
  }
  return 'Unknown (0x' + (code >>> 0).toString(16) + ')';
}

/** An MQTT 3.1 / 3.1.1 CONNACK return code's name (0..5). */
export function connackReturnCodeName(code: number): string {
  return code >= 0 && code < CONNACK_V4.length ? CONNACK_V4[code] : 'Unknown (0x' + (code >>> 0).toString(16) + ')';
}
