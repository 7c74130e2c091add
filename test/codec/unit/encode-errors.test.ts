// The encoder refuses a packet it cannot encode validly: an MqttError with a reason
// code, the same from encode(), encodeInto() and encodedLength(), and (but for a topic
// guessed to be ASCII, see below) nothing written.
import { describe, expect, it } from 'vitest';
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, PUBACK, PUBCOMP, PUBLISH, PUBREL, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
  encode, encodeInto, encodedLength,
} from '../../../src/codec/index';
import type { Packet, Properties, ProtocolVersion } from '../../../src/codec/index';
import { codeOf } from './helpers';

const MALFORMED = 0x81;
const PROTOCOL = 0x82;
const TOPIC_FILTER_INVALID = 0x8f;
const TOPIC_NAME_INVALID = 0x90;
const TOPIC_ALIAS_INVALID = 0x94;
const PACKET_TOO_LARGE = 0x95;

const P = new Uint8Array([1, 2]);

function pub(extra: Partial<Record<string, unknown>>): Packet {
  return Object.assign({ type: PUBLISH, topic: 'a/b', payload: P, qos: 0, retain: false, dup: false }, extra) as Packet;
}

function pubProps(properties: Properties): Packet {
  return pub({ properties });
}

/** A Uint8Array that claims to be 256 MiB long, to reach the Remaining Length limit without allocating it. */
class Huge extends Uint8Array {
  get length(): number {
    return 268435456;
  }
}

interface EncodeErrorCase {
  name: string;
  v: ProtocolVersion;
  packet: Packet;
  code: number;
  /**
   * encodeInto() may have written part of the packet before it throws: a PUBLISH topic
   * is guessed to be ASCII and checked while it is copied (see encode.ts)
   */
  mayWrite?: true;
}

const CASES: EncodeErrorCase[] = [
  // PUBLISH header and packet id
  { name: 'PUBLISH with QoS 3', v: 4, packet: pub({ qos: 3, messageId: 1 }), code: MALFORMED },
  { name: 'PUBLISH QoS 1 without a messageId', v: 4, packet: pub({ qos: 1 }), code: PROTOCOL },
  { name: 'PUBLISH QoS 2 with messageId 0', v: 5, packet: pub({ qos: 2, messageId: 0 }), code: PROTOCOL },
  { name: 'PUBLISH QoS 1 with messageId 65536', v: 4, packet: pub({ qos: 1, messageId: 65536 }), code: PROTOCOL },
  { name: 'PUBLISH QoS 1 with a fractional messageId', v: 4, packet: pub({ qos: 1, messageId: 1.5 }), code: PROTOCOL },
  { name: 'PUBLISH QoS 0 with DUP', v: 4, packet: pub({ dup: true }), code: PROTOCOL },
  // Topic names
  { name: 'PUBLISH topic with "+"', v: 4, packet: pub({ topic: 'a/+/b' }), code: TOPIC_NAME_INVALID },
  { name: 'PUBLISH topic with "#"', v: 5, packet: pub({ topic: '#' }), code: TOPIC_NAME_INVALID },
  { name: 'empty PUBLISH topic in MQTT 3.1.1', v: 4, packet: pub({ topic: '' }), code: PROTOCOL },
  { name: 'empty PUBLISH topic without a topicAlias in MQTT 5', v: 5, packet: pub({ topic: '' }), code: PROTOCOL },
  { name: 'PUBLISH topic with U+0000', v: 4, packet: pub({ topic: 'a\u0000b' }), code: MALFORMED, mayWrite: true },
  { name: 'PUBLISH topic with a lone high surrogate', v: 4, packet: pub({ topic: 'a/\ud800' }), code: MALFORMED, mayWrite: true },
  { name: 'PUBLISH topic with a lone low surrogate', v: 5, packet: pub({ topic: '\udc00/x' }), code: MALFORMED, mayWrite: true },
  { name: 'PUBLISH topic longer than 65535 bytes', v: 4, packet: pub({ topic: 'a'.repeat(65536) }), code: MALFORMED },
  { name: 'PUBLISH topic of 21846 three-byte characters (65538 bytes)', v: 4, packet: pub({ topic: '€'.repeat(21846) }), code: MALFORMED, mayWrite: true },
  { name: 'PUBLISH topic that is not a string', v: 4, packet: pub({ topic: 7 }), code: PROTOCOL },
  { name: 'PUBLISH payload that is neither bytes nor a string', v: 4, packet: pub({ payload: 12 }), code: PROTOCOL },
  { name: 'will topic with a wildcard', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 0, will: { topic: 'w/+', payload: P, qos: 0, retain: false } }, code: TOPIC_NAME_INVALID },
  { name: 'empty will topic', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 0, will: { topic: '', payload: P, qos: 0, retain: false } }, code: TOPIC_NAME_INVALID },
  { name: 'will with QoS 3', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 0, will: { topic: 'w', payload: P, qos: 3 as 0, retain: false } }, code: MALFORMED },
  // Topic filters
  { name: 'SUBSCRIBE filter with "#" not last', v: 4, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a/#/b', qos: 0 }] }, code: TOPIC_FILTER_INVALID },
  { name: 'SUBSCRIBE filter with "+" inside a level', v: 5, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a/b+', qos: 0 }] }, code: TOPIC_FILTER_INVALID },
  { name: 'SUBSCRIBE with an empty filter', v: 4, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: '', qos: 0 }] }, code: TOPIC_FILTER_INVALID },
  { name: 'SUBSCRIBE to "$share/g/" (no filter after the share name)', v: 5, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: '$share/g/', qos: 0 }] }, code: TOPIC_FILTER_INVALID },
  { name: 'UNSUBSCRIBE filter with "#" inside a level', v: 4, packet: { type: UNSUBSCRIBE, messageId: 1, unsubscriptions: ['a/b#'] }, code: TOPIC_FILTER_INVALID },
  // SUBSCRIBE / UNSUBSCRIBE / SUBACK / UNSUBACK contents
  { name: 'SUBSCRIBE without subscriptions', v: 4, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [] }, code: PROTOCOL },
  { name: 'SUBSCRIBE without a messageId', v: 4, packet: { type: SUBSCRIBE, subscriptions: [{ topic: 'a', qos: 0 }] } as unknown as Packet, code: PROTOCOL },
  { name: 'SUBSCRIBE with QoS 3', v: 4, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a', qos: 3 as 0 }] }, code: MALFORMED },
  { name: 'SUBSCRIBE with Retain Handling 3', v: 5, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a', qos: 0, rh: 3 }] }, code: PROTOCOL },
  { name: 'SUBSCRIBE with No Local on a shared subscription', v: 5, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: '$share/g/a', qos: 0, nl: true }] }, code: PROTOCOL },
  { name: 'UNSUBSCRIBE without topic filters', v: 5, packet: { type: UNSUBSCRIBE, messageId: 1, unsubscriptions: [] }, code: PROTOCOL },
  { name: 'SUBACK without return codes', v: 4, packet: { type: SUBACK, messageId: 1, granted: [] }, code: PROTOCOL },
  { name: 'SUBACK with return code 3 (3.1.1)', v: 4, packet: { type: SUBACK, messageId: 1, granted: [3] }, code: PROTOCOL },
  { name: 'SUBACK with reason code 0x11 (UNSUBACK only)', v: 5, packet: { type: SUBACK, messageId: 1, granted: [0x11] }, code: PROTOCOL },
  { name: 'MQTT 5 UNSUBACK without reason codes', v: 5, packet: { type: UNSUBACK, messageId: 1 }, code: PROTOCOL },
  { name: 'UNSUBACK with reason code 0x02', v: 5, packet: { type: UNSUBACK, messageId: 1, granted: [0x02] }, code: PROTOCOL },
  // Acknowledgements and reason codes
  { name: 'PUBACK without a messageId', v: 4, packet: { type: PUBACK } as unknown as Packet, code: PROTOCOL },
  { name: 'PUBCOMP with messageId 0', v: 5, packet: { type: PUBCOMP, messageId: 0 }, code: PROTOCOL },
  { name: 'PUBACK with reason code 0x92', v: 5, packet: { type: PUBACK, messageId: 1, reasonCode: 0x92 }, code: PROTOCOL },
  { name: 'PUBREL with reason code 0x10', v: 5, packet: { type: PUBREL, messageId: 1, reasonCode: 0x10 }, code: PROTOCOL },
  { name: 'PUBACK with reason code 256', v: 5, packet: { type: PUBACK, messageId: 1, reasonCode: 0x100 }, code: PROTOCOL },
  { name: 'DISCONNECT with reason code 0x01', v: 5, packet: { type: DISCONNECT, reasonCode: 1 }, code: PROTOCOL },
  { name: 'AUTH with reason code 0x87', v: 5, packet: { type: AUTH, reasonCode: 0x87 }, code: PROTOCOL },
  { name: 'AUTH in MQTT 3.1.1', v: 4, packet: { type: AUTH }, code: PROTOCOL },
  { name: 'CONNACK with reason code 0x04', v: 5, packet: { type: CONNACK, sessionPresent: false, reasonCode: 4 }, code: PROTOCOL },
  { name: 'CONNACK with return code 6 (3.1.1)', v: 4, packet: { type: CONNACK, sessionPresent: false, reasonCode: 6 }, code: PROTOCOL },
  { name: 'CONNACK with Session Present on a refusal', v: 4, packet: { type: CONNACK, sessionPresent: true, reasonCode: 5 }, code: PROTOCOL },
  // CONNECT
  { name: 'CONNECT with a password and no user name (3.1.1)', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 0, password: P }, code: PROTOCOL },
  { name: 'CONNECT for a protocolVersion other than the one asked for', v: 4, packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0 }, code: PROTOCOL },
  { name: 'CONNECT with keepalive 65536', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 65536 }, code: PROTOCOL },
  { name: 'CONNECT with a client id longer than 65535 bytes', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'x'.repeat(65536), clean: true, keepalive: 0 }, code: MALFORMED },
  { name: 'CONNECT with a lone surrogate in the client id', v: 4, packet: { type: CONNECT, protocolVersion: 4, clientId: 'c\udfff', clean: true, keepalive: 0 }, code: MALFORMED },
  { name: 'CONNECT with a password longer than 65535 bytes', v: 5, packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, password: new Uint8Array(65536) }, code: MALFORMED },
  // Properties not allowed in the packet
  { name: 'Topic Alias in a PUBACK', v: 5, packet: { type: PUBACK, messageId: 1, properties: { topicAlias: 1 } }, code: MALFORMED },
  { name: 'Session Expiry Interval in the will properties', v: 5, packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, will: { topic: 'w', payload: P, qos: 0, retain: false, properties: { sessionExpiryInterval: 1 } } }, code: MALFORMED },
  { name: 'Maximum QoS in a CONNECT', v: 5, packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, properties: { maximumQoS: 1 } }, code: MALFORMED },
  { name: 'Reason String in a PUBLISH', v: 5, packet: pubProps({ reasonString: 'x' }), code: MALFORMED },
  { name: 'User Property in an UNSUBSCRIBE is fine but Subscription Identifier is not', v: 5, packet: { type: UNSUBSCRIBE, messageId: 1, unsubscriptions: ['a'], properties: { userProperties: [['k', 'v']], subscriptionIdentifier: 1 } }, code: MALFORMED },
  // Property values
  { name: 'Receive Maximum 0', v: 5, packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, properties: { receiveMaximum: 0 } }, code: PROTOCOL },
  { name: 'Receive Maximum 65536', v: 5, packet: { type: CONNACK, sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 65536 } }, code: PROTOCOL },
  { name: 'Maximum Packet Size 0', v: 5, packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, properties: { maximumPacketSize: 0 } }, code: PROTOCOL },
  { name: 'Message Expiry Interval 2^32', v: 5, packet: pubProps({ messageExpiryInterval: 4294967296 }), code: PROTOCOL },
  { name: 'Topic Alias 0', v: 5, packet: pubProps({ topicAlias: 0 }), code: TOPIC_ALIAS_INVALID },
  { name: 'Maximum QoS 2', v: 5, packet: { type: CONNACK, sessionPresent: false, reasonCode: 0, properties: { maximumQoS: 2 } }, code: PROTOCOL },
  { name: 'Payload Format Indicator "yes"', v: 5, packet: pubProps({ payloadFormatIndicator: 'yes' as unknown as boolean }), code: PROTOCOL },
  { name: 'Subscription Identifier 0', v: 5, packet: pubProps({ subscriptionIdentifier: 0 }), code: PROTOCOL },
  { name: 'Subscription Identifier 268435456', v: 5, packet: pubProps({ subscriptionIdentifier: [1, 268435456] }), code: PROTOCOL },
  { name: 'two Subscription Identifiers in a SUBSCRIBE', v: 5, packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }], properties: { subscriptionIdentifier: [1, 2] } }, code: PROTOCOL },
  { name: 'Response Topic with a wildcard', v: 5, packet: pubProps({ responseTopic: 'r/#' }), code: PROTOCOL },
  { name: 'Content Type that is not a string', v: 5, packet: pubProps({ contentType: 5 as unknown as string }), code: PROTOCOL },
  { name: 'Content Type with U+0000', v: 5, packet: pubProps({ contentType: 'a\u0000' }), code: MALFORMED },
  { name: 'Correlation Data that is not bytes', v: 5, packet: pubProps({ correlationData: [1, 2] as unknown as Uint8Array }), code: PROTOCOL },
  { name: 'Correlation Data longer than 65535 bytes', v: 5, packet: pubProps({ correlationData: new Uint8Array(65536) }), code: MALFORMED },
  { name: 'user properties as an object', v: 5, packet: pubProps({ userProperties: { a: 'b' } as unknown as [string, string][] }), code: PROTOCOL },
  { name: 'a user property that is not a pair', v: 5, packet: pubProps({ userProperties: [['a']] as unknown as [string, string][] }), code: PROTOCOL },
  { name: 'a user property value with a lone surrogate', v: 5, packet: pubProps({ userProperties: [['a', '\ud83d']] }), code: MALFORMED },
  { name: 'Authentication Data without an Authentication Method', v: 5, packet: { type: AUTH, reasonCode: 0x18, properties: { authenticationData: P } }, code: PROTOCOL },
  // Sizes and types
  { name: 'a Remaining Length above 268435455', v: 4, packet: pub({ payload: new Huge(0) }), code: PACKET_TOO_LARGE },
  { name: 'an unknown packet type', v: 4, packet: { type: 0 } as unknown as Packet, code: PROTOCOL },
  { name: 'protocol version 6', v: 6 as ProtocolVersion, packet: { type: DISCONNECT }, code: PROTOCOL },
];

describe('the encoder refuses', () => {
  for (const c of CASES) {
    it(`${c.name}: 0x${c.code.toString(16)}`, () => {
      expect(codeOf(() => encode(c.packet, c.v))).toBe(c.code);
      expect(codeOf(() => encodedLength(c.packet, c.v))).toBe(c.code);
      const buf = new Uint8Array(70000).fill(0xee);
      expect(codeOf(() => encodeInto(c.packet, c.v, buf, 0))).toBe(c.code);
      if (c.mayWrite !== true) expect(buf.every((x) => x === 0xee)).toBe(true);
    });
  }
});

describe('the encoder accepts what is valid next to a refusal', () => {
  it('an empty topic with a topicAlias in MQTT 5', () => {
    expect(encode(pubProps({ topicAlias: 1 }), 5).length).toBeGreaterThan(0);
    expect(encode(pub({ topic: '', properties: { topicAlias: 1 } }), 5).length).toBe(10);
  });

  it('a password without a user name in MQTT 5', () => {
    expect(encode({ type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0, password: P }, 5).length).toBeGreaterThan(0);
  });

  it('a 65535-byte topic, the longest there is', () => {
    expect(encode(pub({ topic: 'a'.repeat(65535) }), 4).length).toBe(1 + 3 + 2 + 65535 + 2);
  });

  it('No Local on a shared subscription in MQTT 3.1.1 (no options there) and "$share//" as a plain 3.1.1 filter', () => {
    expect(encode({ type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: '$share/g/a', qos: 0, nl: true }] }, 4).length).toBeGreaterThan(0);
    expect(encode({ type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: '$share//a', qos: 0 }] }, 4).length).toBeGreaterThan(0);
  });

  it('a QoS 0 PUBLISH with a messageId (the id is not written)', () => {
    expect(encode(pub({ messageId: 5 }), 4).length).toBe(9);
  });
});
