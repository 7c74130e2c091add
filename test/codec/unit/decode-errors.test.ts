// One error fixture per rejection the decoder owes the spec: the bytes, and the MQTT 5
// reason code of the MqttError it must raise (never the message text). Each is fed
// whole and one byte at a time: the verdict must not depend on how bytes arrive.
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../../src/codec/index';
import type { ProtocolVersion } from '../../../src/codec/index';
import { bin, codeOf, h, pkt, props, str } from './helpers';

const MALFORMED = 0x81;
const PROTOCOL = 0x82;
const UNSUPPORTED_VERSION = 0x84;
const TOPIC_FILTER_INVALID = 0x8f;
const TOPIC_NAME_INVALID = 0x90;
const TOPIC_ALIAS_INVALID = 0x94;

interface ErrorFixture {
  name: string;
  v: ProtocolVersion;
  hex: string;
  code: number;
}

/** A v5 PUBLISH QoS 0 to topic "t" with the given property hex and payload "00". */
function pub5(...propHex: string[]): string {
  return pkt('30', str('t'), props(...propHex), '00');
}

/** A v5 CONNACK with the given property hex. */
function connack5(...propHex: string[]): string {
  return pkt('20', '00', '00', props(...propHex));
}

/** A v5 CONNECT (clean, keep-alive 0, client id "c") with the given property hex. */
function connect5(...propHex: string[]): string {
  return pkt('10', str('MQTT'), '05', '02', '0000', props(...propHex), str('c'));
}

const FIXTURES: ErrorFixture[] = [
  // Fixed header [MQTT-2.2.2-1] [MQTT-2.2.2-2]
  { name: 'packet type 0 (reserved)', v: 4, hex: '00 00', code: MALFORMED },
  { name: 'packet type 15 (AUTH) before MQTT 5', v: 4, hex: 'f0 00', code: MALFORMED },
  { name: 'CONNECT with header flags 0001', v: 4, hex: '11 00', code: MALFORMED },
  { name: 'PUBACK with header flags 0001', v: 4, hex: '41 02 0001', code: MALFORMED },
  { name: 'PUBREL with header flags 0000 instead of 0010', v: 4, hex: '60 02 0001', code: MALFORMED },
  { name: 'SUBSCRIBE with header flags 0000 instead of 0010', v: 4, hex: '80 06 0001 0001 23 00', code: MALFORMED },
  { name: 'UNSUBSCRIBE with header flags 0011', v: 4, hex: 'a3 05 0001 0001 23', code: MALFORMED },
  { name: 'PINGREQ with header flags 1000', v: 4, hex: 'c8 00', code: MALFORMED },
  { name: 'DISCONNECT with header flags 0010', v: 5, hex: 'e2 00', code: MALFORMED },
  { name: 'AUTH with header flags 0001', v: 5, hex: 'f1 00', code: MALFORMED },
  { name: 'PUBLISH with QoS 3', v: 4, hex: '36 07 0001 74 0001 00', code: MALFORMED },
  // Remaining Length [MQTT-1.5.5-1]
  { name: 'Remaining Length of 5 bytes', v: 4, hex: '30 ff ff ff ff 01', code: MALFORMED },
  { name: 'Remaining Length 0 written in 2 bytes (not minimal)', v: 4, hex: 'c0 80 00', code: MALFORMED },
  { name: 'Remaining Length 127 written in 2 bytes (not minimal)', v: 4, hex: '30 ff 00', code: MALFORMED },
  // Lengths and frame ends
  { name: 'PUBLISH topic length crossing the end of the packet', v: 4, hex: '30 05 000a 6162 63', code: MALFORMED },
  { name: 'PUBLISH QoS 1 ending inside its packet id', v: 4, hex: '32 04 0001 74 00', code: MALFORMED },
  { name: 'CONNECT client id crossing the end of the packet', v: 4, hex: '10 0d 0004 4d515454 04 02 003c 0005 63', code: MALFORMED },
  { name: 'CONNECT with bytes after the last field', v: 4, hex: '10 0e 0004 4d515454 04 02 003c 0001 63 00', code: MALFORMED },
  { name: 'PUBACK with 3 bytes in MQTT 3.1.1', v: 4, hex: '40 03 0001 00', code: MALFORMED },
  { name: 'PUBACK with 1 byte', v: 4, hex: '40 01 00', code: MALFORMED },
  { name: 'CONNACK with 3 bytes in MQTT 3.1.1', v: 4, hex: '20 03 00 00 00', code: MALFORMED },
  { name: 'MQTT 5 CONNACK without its property length', v: 5, hex: '20 02 00 00', code: MALFORMED },
  { name: 'UNSUBACK with reason codes in MQTT 3.1.1', v: 4, hex: 'b0 03 0001 00', code: MALFORMED },
  { name: 'PINGREQ with a body', v: 4, hex: 'c0 01 00', code: MALFORMED },
  { name: 'PINGRESP with a body', v: 5, hex: 'd0 01 00', code: MALFORMED },
  { name: 'DISCONNECT with a body in MQTT 3.1.1', v: 4, hex: 'e0 01 00', code: MALFORMED },
  { name: 'MQTT 5 PUBACK with bytes after its properties', v: 5, hex: pkt('40', '0001', '10', props('1f' + str('x')), '00'), code: MALFORMED },
  { name: 'MQTT 5 DISCONNECT with bytes after its properties', v: 5, hex: pkt('e0', '00', props(), 'ff'), code: MALFORMED },
  // Packet identifiers [MQTT-2.2.1-3]
  { name: 'PUBLISH QoS 1 with packet id 0', v: 4, hex: '32 06 0001 74 0000 00', code: PROTOCOL },
  { name: 'PUBLISH QoS 2 with packet id 0', v: 5, hex: pkt('34', str('t'), '0000', props()), code: PROTOCOL },
  { name: 'PUBACK with packet id 0', v: 4, hex: '40 02 0000', code: PROTOCOL },
  { name: 'PUBREC with packet id 0', v: 5, hex: '50 02 0000', code: PROTOCOL },
  { name: 'PUBREL with packet id 0', v: 4, hex: '62 02 0000', code: PROTOCOL },
  { name: 'PUBCOMP with packet id 0', v: 4, hex: '70 02 0000', code: PROTOCOL },
  { name: 'SUBSCRIBE with packet id 0', v: 4, hex: '82 06 0000 0001 23 00', code: PROTOCOL },
  { name: 'SUBACK with packet id 0', v: 4, hex: '90 03 0000 00', code: PROTOCOL },
  { name: 'UNSUBSCRIBE with packet id 0', v: 4, hex: 'a2 05 0000 0001 23', code: PROTOCOL },
  { name: 'UNSUBACK with packet id 0', v: 4, hex: 'b0 02 0000', code: PROTOCOL },
  // UTF-8 [MQTT-1.5.4-1] [MQTT-1.5.4-2]
  { name: 'topic with U+0000', v: 4, hex: pkt('30', '0003 61 00 62'), code: MALFORMED },
  { name: 'topic with an overlong "/" (C0 AF)', v: 4, hex: pkt('30', '0003 61 c0af'), code: MALFORMED },
  { name: 'topic with an overlong U+0000 (C0 80)', v: 4, hex: pkt('30', '0002 c080'), code: MALFORMED },
  { name: 'topic with an overlong 3-byte form (E0 80 AF)', v: 4, hex: pkt('30', '0003 e080af'), code: MALFORMED },
  { name: 'topic with an overlong 4-byte form (F0 80 80 AF)', v: 4, hex: pkt('30', '0004 f08080af'), code: MALFORMED },
  { name: 'topic with a UTF-16 surrogate (ED A0 80)', v: 4, hex: pkt('30', '0003 eda080'), code: MALFORMED },
  { name: 'topic with a code point above U+10FFFF (F4 90 80 80)', v: 4, hex: pkt('30', '0004 f4908080'), code: MALFORMED },
  { name: 'topic with a byte F5', v: 4, hex: pkt('30', '0001 f5'), code: MALFORMED },
  { name: 'topic with a stray continuation byte', v: 4, hex: pkt('30', '0002 61 80'), code: MALFORMED },
  { name: 'topic ending inside a 3-byte sequence', v: 4, hex: pkt('30', '0002 e282', '00'), code: MALFORMED },
  { name: 'topic with a lead byte followed by ASCII', v: 4, hex: pkt('30', '0002 c361'), code: MALFORMED },
  { name: 'client id with ill-formed UTF-8', v: 4, hex: pkt('10', str('MQTT'), '04', '02', '0000', '0001 ff'), code: MALFORMED },
  { name: 'user property value with U+0000', v: 5, hex: pub5('26' + str('k') + '0001 00'), code: MALFORMED },
  { name: 'topic filter with ill-formed UTF-8', v: 4, hex: pkt('82', '0001', '0001 c0', '00'), code: MALFORMED },
  // Topic names and filters
  { name: 'PUBLISH topic with "+"', v: 4, hex: pkt('30', str('a/+'), '00'), code: TOPIC_NAME_INVALID },
  { name: 'PUBLISH topic with "#"', v: 5, hex: pkt('30', str('a/#'), props(), '00'), code: TOPIC_NAME_INVALID },
  { name: 'will topic with a wildcard', v: 4, hex: pkt('10', str('MQTT'), '04', '06', '0000', str('c'), str('w/#'), bin('')), code: TOPIC_NAME_INVALID },
  { name: 'empty PUBLISH topic in MQTT 3.1.1', v: 4, hex: pkt('30', '0000', '00'), code: PROTOCOL },
  { name: 'empty PUBLISH topic without a Topic Alias in MQTT 5', v: 5, hex: pkt('30', '0000', props(), '00'), code: PROTOCOL },
  { name: 'SUBSCRIBE filter with "#" not last', v: 4, hex: pkt('82', '0001', str('a/#/b'), '00'), code: TOPIC_FILTER_INVALID },
  { name: 'SUBSCRIBE filter with "+" inside a level', v: 4, hex: pkt('82', '0001', str('a+/b'), '00'), code: TOPIC_FILTER_INVALID },
  { name: 'SUBSCRIBE with an empty filter', v: 4, hex: pkt('82', '0001', '0000', '00'), code: TOPIC_FILTER_INVALID },
  { name: 'SUBSCRIBE to a shared subscription without a share name', v: 5, hex: pkt('82', '0001', props(), str('$share//t'), '00'), code: TOPIC_FILTER_INVALID },
  { name: 'UNSUBSCRIBE filter with "#" inside a level', v: 4, hex: pkt('a2', '0001', str('a#')), code: TOPIC_FILTER_INVALID },
  // SUBSCRIBE / UNSUBSCRIBE / SUBACK / UNSUBACK contents
  { name: 'SUBSCRIBE without a topic filter', v: 4, hex: '82 02 0001', code: PROTOCOL },
  { name: 'MQTT 5 SUBSCRIBE without a topic filter', v: 5, hex: '82 03 0001 00', code: PROTOCOL },
  { name: 'SUBSCRIBE options with reserved bits set (3.1.1)', v: 4, hex: pkt('82', '0001', str('a'), '04'), code: MALFORMED },
  { name: 'SUBSCRIBE options with reserved bits 6-7 set (5)', v: 5, hex: pkt('82', '0001', props(), str('a'), '40'), code: MALFORMED },
  { name: 'SUBSCRIBE options with QoS 3', v: 4, hex: pkt('82', '0001', str('a'), '03'), code: MALFORMED },
  { name: 'SUBSCRIBE options with Retain Handling 3', v: 5, hex: pkt('82', '0001', props(), str('a'), '30'), code: PROTOCOL },
  { name: 'SUBSCRIBE with No Local on a shared subscription', v: 5, hex: pkt('82', '0001', props(), str('$share/g/a'), '04'), code: PROTOCOL },
  { name: 'SUBSCRIBE ending inside the options byte', v: 4, hex: pkt('82', '0001', str('a')), code: MALFORMED },
  { name: 'UNSUBSCRIBE without a topic filter', v: 4, hex: 'a2 02 0001', code: PROTOCOL },
  { name: 'MQTT 5 UNSUBSCRIBE without a topic filter', v: 5, hex: 'a2 03 0001 00', code: PROTOCOL },
  { name: 'SUBACK without a return code', v: 4, hex: '90 02 0001', code: PROTOCOL },
  { name: 'SUBACK with return code 3 (3.1.1)', v: 4, hex: '90 03 0001 03', code: PROTOCOL },
  { name: 'SUBACK with reason code 0x10 (not a SUBACK code)', v: 5, hex: '90 04 0001 00 10', code: PROTOCOL },
  { name: 'MQTT 5 UNSUBACK without a reason code', v: 5, hex: 'b0 03 0001 00', code: PROTOCOL },
  { name: 'MQTT 5 UNSUBACK with reason code 0x01', v: 5, hex: 'b0 04 0001 00 01', code: PROTOCOL },
  // Reason codes per packet type (Table 2-6)
  { name: 'PUBACK with reason code 0x92 (PUBREL/PUBCOMP only)', v: 5, hex: '40 03 0001 92', code: PROTOCOL },
  { name: 'PUBREC with reason code 0x04', v: 5, hex: '50 03 0001 04', code: PROTOCOL },
  { name: 'PUBREL with reason code 0x10 (PUBACK/PUBREC only)', v: 5, hex: '62 03 0001 10', code: PROTOCOL },
  { name: 'PUBCOMP with reason code 0x80', v: 5, hex: '70 03 0001 80', code: PROTOCOL },
  { name: 'DISCONNECT with reason code 0x01', v: 5, hex: 'e0 01 01', code: PROTOCOL },
  { name: 'AUTH with reason code 0x04', v: 5, hex: 'f0 02 04 00', code: PROTOCOL },
  { name: 'CONNACK with reason code 0x8e (DISCONNECT only)', v: 5, hex: '20 03 00 8e 00', code: PROTOCOL },
  { name: 'CONNACK with return code 6 (3.1.1)', v: 4, hex: '20 02 00 06', code: PROTOCOL },
  // CONNACK flags
  { name: 'CONNACK with reserved acknowledge flags set', v: 4, hex: '20 02 02 00', code: MALFORMED },
  { name: 'CONNACK with Session Present on a refusal (3.1.1)', v: 4, hex: '20 02 01 05', code: PROTOCOL },
  { name: 'CONNACK with Session Present on a refusal (5)', v: 5, hex: '20 03 01 87 00', code: PROTOCOL },
  // CONNECT
  { name: 'CONNECT with protocol name "MQTX"', v: 4, hex: pkt('10', str('MQTX'), '04', '02', '0000', str('c')), code: UNSUPPORTED_VERSION },
  { name: 'CONNECT "MQTT" with level 6', v: 4, hex: pkt('10', str('MQTT'), '06', '02', '0000', str('c')), code: UNSUPPORTED_VERSION },
  { name: 'CONNECT "MQTT" with level 3', v: 4, hex: pkt('10', str('MQTT'), '03', '02', '0000', str('c')), code: UNSUPPORTED_VERSION },
  { name: 'CONNECT "MQIsdp" with level 4', v: 4, hex: pkt('10', str('MQIsdp'), '04', '02', '0000', str('c')), code: UNSUPPORTED_VERSION },
  { name: 'CONNECT with the reserved flag set', v: 4, hex: pkt('10', str('MQTT'), '04', '03', '0000', str('c')), code: MALFORMED },
  { name: 'CONNECT with will QoS but no will', v: 4, hex: pkt('10', str('MQTT'), '04', '0a', '0000', str('c')), code: MALFORMED },
  { name: 'CONNECT with will retain but no will', v: 5, hex: pkt('10', str('MQTT'), '05', '22', '0000', props(), str('c')), code: MALFORMED },
  { name: 'CONNECT with will QoS 3', v: 4, hex: pkt('10', str('MQTT'), '04', '1e', '0000', str('c'), str('w'), bin('')), code: MALFORMED },
  { name: 'CONNECT with a password and no user name (3.1.1)', v: 4, hex: pkt('10', str('MQTT'), '04', '42', '0000', str('c'), bin('00')), code: MALFORMED },
  { name: 'CONNECT with the user name flag and no user name', v: 4, hex: pkt('10', str('MQTT'), '04', '82', '0000', str('c')), code: MALFORMED },
  // Properties: identifiers, placement, repeats, lengths
  { name: 'property with an unknown identifier (0x7f)', v: 5, hex: pub5('7f 00'), code: MALFORMED },
  { name: 'property identifier written as a 2-byte integer (0x80 0x01)', v: 5, hex: pub5('8001 00'), code: MALFORMED },
  { name: 'Topic Alias in a PUBACK', v: 5, hex: pkt('40', '0001', '00', props('23 0001')), code: MALFORMED },
  { name: 'Session Expiry Interval in a PUBLISH', v: 5, hex: pub5('11 00000001'), code: MALFORMED },
  { name: 'Will Delay Interval in a CONNECT (not the will)', v: 5, hex: connect5('18 00000001'), code: MALFORMED },
  { name: 'Session Expiry Interval in the will properties', v: 5, hex: pkt('10', str('MQTT'), '05', '06', '0000', props(), str('c'), props('11 00000001'), str('w'), bin('')), code: MALFORMED },
  { name: 'Maximum QoS in a CONNECT', v: 5, hex: connect5('24 01'), code: MALFORMED },
  { name: 'Content Type twice', v: 5, hex: pub5('03' + str('a'), '03' + str('b')), code: PROTOCOL },
  { name: 'Topic Alias twice', v: 5, hex: pub5('23 0001', '23 0002'), code: PROTOCOL },
  { name: 'Receive Maximum twice in a CONNACK', v: 5, hex: connack5('21 0001', '21 0001'), code: PROTOCOL },
  { name: 'Subscription Identifier twice in a SUBSCRIBE', v: 5, hex: pkt('82', '0001', props('0b 01', '0b 02'), str('a'), '00'), code: PROTOCOL },
  { name: 'property list longer than the packet', v: 5, hex: pkt('30', str('t'), '0a', '03 0001'), code: MALFORMED },
  { name: 'property string crossing the end of its property list', v: 5, hex: pkt('30', str('t'), '03', '03 0005', '6162636465'), code: MALFORMED },
  { name: 'property list length not minimally encoded', v: 5, hex: pkt('30', str('t'), '8000', '00'), code: MALFORMED },
  { name: 'packet ending inside a property value', v: 5, hex: pkt('30', str('t'), '03', '02 0000'), code: MALFORMED },
  // Property values
  { name: 'Maximum QoS 2', v: 5, hex: connack5('24 02'), code: PROTOCOL },
  { name: 'Receive Maximum 0', v: 5, hex: connack5('21 0000'), code: PROTOCOL },
  { name: 'Maximum Packet Size 0', v: 5, hex: connect5('27 00000000'), code: PROTOCOL },
  { name: 'Topic Alias 0', v: 5, hex: pub5('23 0000'), code: TOPIC_ALIAS_INVALID },
  { name: 'Payload Format Indicator 2', v: 5, hex: pub5('01 02'), code: PROTOCOL },
  { name: 'Request Problem Information 2', v: 5, hex: connect5('17 02'), code: PROTOCOL },
  { name: 'Retain Available 2', v: 5, hex: connack5('25 02'), code: PROTOCOL },
  { name: 'Subscription Identifier 0', v: 5, hex: pub5('0b 00'), code: PROTOCOL },
  { name: 'Response Topic with a wildcard', v: 5, hex: pub5('08' + str('r/+')), code: PROTOCOL },
  { name: 'Authentication Data without an Authentication Method', v: 5, hex: connack5('16' + bin('01')), code: PROTOCOL },
];

function decodeAllOf(bytes: Uint8Array, v: ProtocolVersion, bytewise: boolean): void {
  const d = new Decoder({ protocolVersion: v });
  const chunks = bytewise ? Array.from(bytes, (x) => new Uint8Array([x])) : [bytes];
  for (const c of chunks) {
    d.feed(c);
    while (d.read() !== null);
  }
}

describe('the decoder refuses', () => {
  for (const f of FIXTURES) {
    it(`${f.name}: 0x${f.code.toString(16)}`, () => {
      const bytes = h(f.hex);
      expect(codeOf(() => decodeAllOf(bytes, f.v, false))).toBe(f.code);
      expect(codeOf(() => decodeAllOf(bytes, f.v, true))).toBe(f.code);
    });
  }
});
