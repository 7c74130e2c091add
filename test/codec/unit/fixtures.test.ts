// Byte fixtures: for each case one hex string and the packet it is. The hex is the
// source of truth: it decodes to the packet (fed whole, one byte at a time, and split
// at every position) and the packet encodes to the same hex. A few wire forms are valid
// but not what firmqtt writes (e.g. a PUBACK carrying Success explicitly): those say
// what they encode as instead.
import { describe, expect, it } from 'vitest';
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE, encode, encodeInto, encodedLength,
} from '../../../src/codec/index';
import type { Packet, ProtocolVersion } from '../../../src/codec/index';
import { bin, decodeBytewise, decodeSplit, decodeWhole, h, pkt, props, str, toHex } from './helpers';

interface Fixture {
  name: string;
  v: ProtocolVersion;
  hex: string;
  packet: Packet;
  /** what the packet encodes as, when the fixture is a valid non-canonical form */
  encodesAs?: string;
}

const b = h;

const V4: Fixture[] = [
  {
    name: 'CONNECT with a client id, clean session and keep-alive only',
    v: 4,
    hex: '10 0d 0004 4d515454 04 02 003c 0001 63',
    packet: { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 60 },
  },
  {
    name: 'CONNECT with will (QoS 1, retained), user name and password',
    v: 4,
    hex: '10 19 0004 4d515454 04 ee 003c 0001 63 0001 74 0001 77 0001 75 0001 70',
    packet: {
      type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 60, username: 'u', password: b('70'),
      will: { topic: 't', payload: b('77'), qos: 1, retain: true },
    },
  },
  {
    name: 'CONNECT with an empty client id, persistent session, keep-alive off',
    v: 4,
    hex: '10 0c 0004 4d515454 04 00 0000 0000',
    packet: { type: CONNECT, protocolVersion: 4, clientId: '', clean: false, keepalive: 0 },
  },
  {
    name: 'CONNECT of MQTT 3.1 ("MQIsdp", level 3)',
    v: 3,
    hex: '10 0f 0006 4d5149736470 03 02 003c 0001 63',
    packet: { type: CONNECT, protocolVersion: 3, clientId: 'c', clean: true, keepalive: 60 },
  },
  {
    name: 'CONNACK accepted',
    v: 4,
    hex: '20 02 00 00',
    packet: { type: CONNACK, sessionPresent: false, reasonCode: 0 },
  },
  {
    name: 'CONNACK accepted with a session present',
    v: 4,
    hex: '20 02 01 00',
    packet: { type: CONNACK, sessionPresent: true, reasonCode: 0 },
  },
  {
    name: 'CONNACK refused with return code 5 (not authorized) in reasonCode',
    v: 4,
    hex: '20 02 00 05',
    packet: { type: CONNACK, sessionPresent: false, reasonCode: 5 },
  },
  {
    name: 'PUBLISH QoS 0 without a packet id',
    v: 4,
    hex: '30 07 0003 612f62 6869',
    packet: { type: PUBLISH, topic: 'a/b', payload: b('6869'), qos: 0, retain: false, dup: false },
  },
  {
    name: 'PUBLISH QoS 0 retained with an empty payload',
    v: 4,
    hex: '31 05 0003 612f62',
    packet: { type: PUBLISH, topic: 'a/b', payload: b(''), qos: 0, retain: true, dup: false },
  },
  {
    name: 'PUBLISH QoS 1 with DUP',
    v: 4,
    hex: '3a 09 0003 612f62 000a 6869',
    packet: { type: PUBLISH, topic: 'a/b', payload: b('6869'), qos: 1, retain: false, dup: true, messageId: 10 },
  },
  {
    name: 'PUBLISH QoS 2 retained with packet id 65535',
    v: 4,
    hex: '35 08 0003 612f62 ffff 00',
    packet: { type: PUBLISH, topic: 'a/b', payload: b('00'), qos: 2, retain: true, dup: false, messageId: 65535 },
  },
  {
    name: 'PUBLISH to a topic with 2- and 4-byte UTF-8 (é, 😀)',
    v: 4,
    hex: '30 0b 0007 c3a92ff09f9880 0102',
    packet: { type: PUBLISH, topic: 'é/😀', payload: b('0102'), qos: 0, retain: false, dup: false },
  },
  {
    name: 'PUBLISH with a 200-byte payload (two-byte Remaining Length)',
    v: 4,
    hex: '30 cb01 0001 74 ' + 'ab'.repeat(200),
    packet: { type: PUBLISH, topic: 't', payload: b('ab'.repeat(200)), qos: 0, retain: false, dup: false },
  },
  {
    name: 'PUBACK',
    v: 4,
    hex: '40 02 0001',
    packet: { type: PUBACK, messageId: 1 },
  },
  {
    name: 'PUBREC',
    v: 4,
    hex: '50 02 1234',
    packet: { type: PUBREC, messageId: 0x1234 },
  },
  {
    name: 'PUBREL with its reserved flags 0010',
    v: 4,
    hex: '62 02 1234',
    packet: { type: PUBREL, messageId: 0x1234 },
  },
  {
    name: 'PUBCOMP',
    v: 4,
    hex: '70 02 ffff',
    packet: { type: PUBCOMP, messageId: 65535 },
  },
  {
    name: 'SUBSCRIBE to two filters with QoS 1 and 2',
    v: 4,
    hex: '82 0c 0002 0003 612f2b 01 0001 23 02',
    packet: { type: SUBSCRIBE, messageId: 2, subscriptions: [{ topic: 'a/+', qos: 1 }, { topic: '#', qos: 2 }] },
  },
  {
    name: 'SUBACK granting QoS 0, 1, 2 and refusing one (0x80)',
    v: 4,
    hex: '90 06 0002 00 01 02 80',
    packet: { type: SUBACK, messageId: 2, granted: [0, 1, 2, 0x80] },
  },
  {
    name: 'UNSUBSCRIBE two filters',
    v: 4,
    hex: 'a2 0a 0003 0003 612f62 0001 23',
    packet: { type: UNSUBSCRIBE, messageId: 3, unsubscriptions: ['a/b', '#'] },
  },
  {
    name: 'UNSUBACK (no reason codes in 3.1.1)',
    v: 4,
    hex: 'b0 02 0003',
    packet: { type: UNSUBACK, messageId: 3 },
  },
  { name: 'PINGREQ', v: 4, hex: 'c0 00', packet: { type: PINGREQ } },
  { name: 'PINGRESP', v: 4, hex: 'd0 00', packet: { type: PINGRESP } },
  { name: 'DISCONNECT', v: 4, hex: 'e0 00', packet: { type: DISCONNECT } },
];

const V5: Fixture[] = [
  {
    name: 'CONNECT with every CONNECT property and a will with every will property',
    v: 5,
    hex: pkt(
      '10',
      str('MQTT'), '05', 'f6', '001e',
      props(
        '11 00000e10', // sessionExpiryInterval 3600
        '21 0014', // receiveMaximum 20
        '27 00010000', // maximumPacketSize 65536
        '22 000a', // topicAliasMaximum 10
        '19 01', // requestResponseInformation
        '17 00', // requestProblemInformation
        '26' + str('k') + str('v'),
        '15' + str('SCRAM'),
        '16' + bin('0102'),
      ),
      str('dev-1'),
      props(
        '18 0000003c', // willDelayInterval 60
        '01 01', // payloadFormatIndicator
        '02 00000078', // messageExpiryInterval 120
        '03' + str('text/plain'),
        '08' + str('r/t'),
        '09' + bin('abcd'),
        '26' + str('w') + str('1'),
      ),
      str('will/t'), bin('627965'),
      str('user'), bin('707764'),
    ),
    packet: {
      type: CONNECT,
      protocolVersion: 5,
      clientId: 'dev-1',
      clean: true,
      keepalive: 30,
      username: 'user',
      password: b('707764'),
      will: {
        topic: 'will/t',
        payload: b('627965'),
        qos: 2,
        retain: true,
        properties: {
          willDelayInterval: 60,
          payloadFormatIndicator: true,
          messageExpiryInterval: 120,
          contentType: 'text/plain',
          responseTopic: 'r/t',
          correlationData: b('abcd'),
          userProperties: [['w', '1']],
        },
      },
      properties: {
        sessionExpiryInterval: 3600,
        receiveMaximum: 20,
        maximumPacketSize: 65536,
        topicAliasMaximum: 10,
        requestResponseInformation: true,
        requestProblemInformation: false,
        userProperties: [['k', 'v']],
        authenticationMethod: 'SCRAM',
        authenticationData: b('0102'),
      },
    },
  },
  {
    name: 'CONNECT with a password and no user name (allowed in MQTT 5)',
    v: 5,
    hex: pkt('10', str('MQTT'), '05', '42', '000a', '00', str('c'), bin('01')),
    packet: { type: CONNECT, protocolVersion: 5, clientId: 'c', clean: true, keepalive: 10, password: b('01') },
  },
  {
    name: 'CONNACK without properties',
    v: 5,
    hex: '20 03 00 00 00',
    packet: { type: CONNACK, sessionPresent: false, reasonCode: 0 },
  },
  {
    name: 'CONNACK refusing with 0x87 Not authorized',
    v: 5,
    hex: '20 03 00 87 00',
    packet: { type: CONNACK, sessionPresent: false, reasonCode: 0x87 },
  },
  {
    name: 'CONNACK with every CONNACK property',
    v: 5,
    hex: pkt(
      '20', '01', '00',
      props(
        '11 0000003c', // sessionExpiryInterval 60
        '21 0100', // receiveMaximum 256
        '24 01', // maximumQoS 1
        '25 00', // retainAvailable false
        '27 00100000', // maximumPacketSize 1 MiB
        '12' + str('auto-1'),
        '22 0005', // topicAliasMaximum 5
        '1f' + str('ok'),
        '26' + str('a') + str('b'),
        '28 01', // wildcardSubscriptionAvailable
        '29 00', // subscriptionIdentifiersAvailable
        '2a 01', // sharedSubscriptionAvailable
        '13 003c', // serverKeepAlive 60
        '1a' + str('resp/'),
        '1c' + str('other:1883'),
        '15' + str('SCRAM'),
        '16' + bin('ff'),
      ),
    ),
    packet: {
      type: CONNACK,
      sessionPresent: true,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 60,
        receiveMaximum: 256,
        maximumQoS: 1,
        retainAvailable: false,
        maximumPacketSize: 1048576,
        assignedClientIdentifier: 'auto-1',
        topicAliasMaximum: 5,
        reasonString: 'ok',
        userProperties: [['a', 'b']],
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
        serverKeepAlive: 60,
        responseInformation: 'resp/',
        serverReference: 'other:1883',
        authenticationMethod: 'SCRAM',
        authenticationData: b('ff'),
      },
    },
  },
  {
    name: 'PUBLISH without properties (property length 0)',
    v: 5,
    hex: '30 08 0003 612f62 00 6869',
    packet: { type: PUBLISH, topic: 'a/b', payload: b('6869'), qos: 0, retain: false, dup: false },
  },
  {
    name: 'PUBLISH QoS 1 with every PUBLISH property, user properties in order with a repeated key',
    v: 5,
    hex: pkt(
      '32', str('a/b'), '0007',
      props(
        '01 00', // payloadFormatIndicator false
        '02 0000000a', // messageExpiryInterval 10
        '23 0003', // topicAlias 3
        '08' + str('reply/x'),
        '09' + bin('0102'),
        '26' + str('k') + str('1'),
        '26' + str('k') + str('2'),
        '0b 8101', // subscriptionIdentifier 129
        '03' + str('json'),
      ),
      '7b7d',
    ),
    packet: {
      type: PUBLISH,
      topic: 'a/b',
      payload: b('7b7d'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 7,
      properties: {
        payloadFormatIndicator: false,
        messageExpiryInterval: 10,
        topicAlias: 3,
        responseTopic: 'reply/x',
        correlationData: b('0102'),
        userProperties: [['k', '1'], ['k', '2']],
        subscriptionIdentifier: 129,
        contentType: 'json',
      },
    },
  },
  {
    name: 'PUBLISH with several subscription identifiers, as an array',
    v: 5,
    hex: pkt('30', str('t'), props('0b 01', '0b 02', '0b ffffff7f'), '00'),
    packet: {
      type: PUBLISH, topic: 't', payload: b('00'), qos: 0, retain: false, dup: false,
      properties: { subscriptionIdentifier: [1, 2, 268435455] },
    },
  },
  {
    name: 'PUBLISH with an empty topic and a Topic Alias',
    v: 5,
    hex: pkt('30', '0000', props('23 0001'), '01'),
    packet: { type: PUBLISH, topic: '', payload: b('01'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } },
  },
  {
    name: 'PUBACK Success without properties: the 2-byte short form, reasonCode absent',
    v: 5,
    hex: '40 02 0001',
    packet: { type: PUBACK, messageId: 1 },
  },
  {
    name: 'PUBACK 0x10 No matching subscribers without properties: no property length',
    v: 5,
    hex: '40 03 0001 10',
    packet: { type: PUBACK, messageId: 1, reasonCode: 0x10 },
  },
  {
    name: 'PUBACK 0x80 with a reason string and a user property',
    v: 5,
    hex: pkt('40', '0001', '80', props('1f' + str('nope'), '26' + str('k') + str('v'))),
    packet: { type: PUBACK, messageId: 1, reasonCode: 0x80, properties: { reasonString: 'nope', userProperties: [['k', 'v']] } },
  },
  {
    name: 'PUBACK Success with a reason string (reason code written)',
    v: 5,
    hex: pkt('40', '0001', '00', props('1f' + str('ok'))),
    packet: { type: PUBACK, messageId: 1, reasonCode: 0, properties: { reasonString: 'ok' } },
  },
  {
    name: 'PUBACK with Success written out and no property length decodes with reasonCode 0',
    v: 5,
    hex: '40 03 0001 00',
    packet: { type: PUBACK, messageId: 1, reasonCode: 0 },
    encodesAs: '40 02 0001',
  },
  {
    name: 'PUBACK with Success and an empty property list decodes with reasonCode 0',
    v: 5,
    hex: '40 04 0001 00 00',
    packet: { type: PUBACK, messageId: 1, reasonCode: 0 },
    encodesAs: '40 02 0001',
  },
  {
    name: 'PUBACK with a reason code and an empty property list decodes without properties',
    v: 5,
    hex: '40 04 0001 10 00',
    packet: { type: PUBACK, messageId: 1, reasonCode: 0x10 },
    encodesAs: '40 03 0001 10',
  },
  {
    name: 'PUBREC 0x91 Packet Identifier in use',
    v: 5,
    hex: '50 03 0002 91',
    packet: { type: PUBREC, messageId: 2, reasonCode: 0x91 },
  },
  {
    name: 'PUBREC Success short form',
    v: 5,
    hex: '50 02 0002',
    packet: { type: PUBREC, messageId: 2 },
  },
  {
    name: 'PUBREL Success short form',
    v: 5,
    hex: '62 02 0003',
    packet: { type: PUBREL, messageId: 3 },
  },
  {
    name: 'PUBREL 0x92 Packet Identifier not found',
    v: 5,
    hex: '62 03 0003 92',
    packet: { type: PUBREL, messageId: 3, reasonCode: 0x92 },
  },
  {
    name: 'PUBCOMP 0x92 with a reason string',
    v: 5,
    hex: pkt('70', '0004', '92', props('1f' + str('gone'))),
    packet: { type: PUBCOMP, messageId: 4, reasonCode: 0x92, properties: { reasonString: 'gone' } },
  },
  {
    name: 'SUBSCRIBE with options (No Local, Retain As Published, Retain Handling), a subscription identifier and a user property',
    v: 5,
    hex: pkt(
      '82', '0010',
      props('0b 05', '26' + str('x') + str('y')),
      str('a/+'), '2d', // QoS 1, nl, rap, rh 2
      str('$share/g/t/#'), '10', // QoS 0, rh 1
      str('b'), '02', // QoS 2
    ),
    packet: {
      type: SUBSCRIBE,
      messageId: 16,
      subscriptions: [
        { topic: 'a/+', qos: 1, nl: true, rap: true, rh: 2 },
        { topic: '$share/g/t/#', qos: 0, nl: false, rap: false, rh: 1 },
        { topic: 'b', qos: 2, nl: false, rap: false, rh: 0 },
      ],
      properties: { subscriptionIdentifier: 5, userProperties: [['x', 'y']] },
    },
  },
  {
    name: 'SUBSCRIBE without properties',
    v: 5,
    hex: '82 07 0001 00 0001 23 00',
    packet: { type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: '#', qos: 0, nl: false, rap: false, rh: 0 }] },
  },
  {
    name: 'SUBACK with granted QoS and failure reason codes and a reason string',
    v: 5,
    hex: pkt('90', '0010', props('1f' + str('partly')), '00 01 02 80 8f a2'),
    packet: { type: SUBACK, messageId: 16, granted: [0, 1, 2, 0x80, 0x8f, 0xa2], properties: { reasonString: 'partly' } },
  },
  {
    name: 'UNSUBSCRIBE with a user property',
    v: 5,
    hex: pkt('a2', '0011', props('26' + str('u') + str('v')), str('a/+'), str('#')),
    packet: { type: UNSUBSCRIBE, messageId: 17, unsubscriptions: ['a/+', '#'], properties: { userProperties: [['u', 'v']] } },
  },
  {
    name: 'UNSUBACK with reason codes, without properties',
    v: 5,
    hex: 'b0 05 0011 00 00 11',
    packet: { type: UNSUBACK, messageId: 17, granted: [0, 0x11] },
  },
  {
    name: 'UNSUBACK with a reason string',
    v: 5,
    hex: pkt('b0', '0011', props('1f' + str('r')), '87'),
    packet: { type: UNSUBACK, messageId: 17, granted: [0x87], properties: { reasonString: 'r' } },
  },
  { name: 'PINGREQ', v: 5, hex: 'c0 00', packet: { type: PINGREQ } },
  { name: 'PINGRESP', v: 5, hex: 'd0 00', packet: { type: PINGRESP } },
  {
    name: 'DISCONNECT Normal disconnection without properties: E0 00, reasonCode absent',
    v: 5,
    hex: 'e0 00',
    packet: { type: DISCONNECT },
  },
  {
    name: 'DISCONNECT 0x8E Session taken over without properties: no property length',
    v: 5,
    hex: 'e0 01 8e',
    packet: { type: DISCONNECT, reasonCode: 0x8e },
  },
  {
    name: 'DISCONNECT with Will Message and every DISCONNECT property',
    v: 5,
    hex: pkt('e0', '04', props('11 00000000', '1f' + str('bye'), '1c' + str('srv2'), '26' + str('k') + str('v'))),
    packet: {
      type: DISCONNECT,
      reasonCode: 4,
      properties: { sessionExpiryInterval: 0, reasonString: 'bye', serverReference: 'srv2', userProperties: [['k', 'v']] },
    },
  },
  {
    name: 'DISCONNECT with Normal disconnection written out decodes with reasonCode 0',
    v: 5,
    hex: 'e0 02 00 00',
    packet: { type: DISCONNECT, reasonCode: 0 },
    encodesAs: 'e0 00',
  },
  {
    name: 'AUTH Success without properties: F0 00',
    v: 5,
    hex: 'f0 00',
    packet: { type: AUTH },
  },
  {
    name: 'AUTH 0x18 Continue authentication without properties keeps the property length',
    v: 5,
    hex: 'f0 02 18 00',
    packet: { type: AUTH, reasonCode: 0x18 },
  },
  {
    name: 'AUTH 0x18 without a property length is accepted',
    v: 5,
    hex: 'f0 01 18',
    packet: { type: AUTH, reasonCode: 0x18 },
    encodesAs: 'f0 02 18 00',
  },
  {
    name: 'AUTH 0x19 Re-authenticate with every AUTH property',
    v: 5,
    hex: pkt('f0', '19', props('15' + str('SCRAM'), '16' + bin('0a0b'), '1f' + str('again'), '26' + str('k') + str('v'))),
    packet: {
      type: AUTH,
      reasonCode: 0x19,
      properties: { authenticationMethod: 'SCRAM', authenticationData: b('0a0b'), reasonString: 'again', userProperties: [['k', 'v']] },
    },
  },
];

function run(fixtures: Fixture[]): void {
  for (const f of fixtures) {
    describe(f.name, () => {
      const bytes = h(f.hex);
      it('decodes, fed whole', () => {
        expect(decodeWhole(bytes, f.v)).toStrictEqual([f.packet]);
      });
      it('decodes, fed one byte at a time', () => {
        expect(decodeBytewise(bytes, f.v)).toStrictEqual([f.packet]);
      });
      it('decodes, split in two at every position', () => {
        for (let at = 1; at < bytes.length; at++) expect(decodeSplit(bytes, f.v, at), `split at ${at}`).toStrictEqual([f.packet]);
      });
      it(f.encodesAs === undefined ? 'encodes to the same bytes' : `encodes to its canonical form ${f.encodesAs}`, () => {
        const want = f.encodesAs === undefined ? h(f.hex) : h(f.encodesAs);
        expect(toHex(encode(f.packet, f.v))).toBe(toHex(want));
        expect(encodedLength(f.packet, f.v)).toBe(want.length);
        const buf = new Uint8Array(want.length + 4).fill(0xee);
        expect(encodeInto(f.packet, f.v, buf, 2)).toBe(2 + want.length);
        expect(toHex(buf)).toBe('eeee' + toHex(want) + 'eeee');
      });
    });
  }
}

describe('MQTT 3.1 / 3.1.1 fixtures', () => run(V4));
describe('MQTT 5.0 fixtures', () => run(V5));

describe('every packet type and every property is covered by a fixture', () => {
  it('has all 14 MQTT 3.1.1 types and all 15 MQTT 5 types', () => {
    const t4 = new Set<number>(V4.map((f) => f.packet.type));
    const t5 = new Set<number>(V5.map((f) => f.packet.type));
    for (let t = 1; t <= 14; t++) expect(t4.has(t), `v4 type ${t}`).toBe(true);
    for (let t = 1; t <= 15; t++) expect(t5.has(t), `v5 type ${t}`).toBe(true);
  });

  it('has all 27 MQTT 5 properties', () => {
    const seen = new Set<string>();
    for (const f of V5) {
      const p = f.packet as { properties?: object; will?: { properties?: object } };
      for (const k of Object.keys(p.properties || {})) seen.add(k);
      if (p.will && p.will.properties) for (const k of Object.keys(p.will.properties)) seen.add(k);
    }
    expect(seen.size).toBe(27);
  });
});

describe('encoder input forms', () => {
  it('encodes a string payload and password as UTF-8', () => {
    const p: Packet = { type: PUBLISH, topic: 't', payload: 'hé', qos: 0, retain: false, dup: false };
    expect(toHex(encode(p, 4))).toBe('3006' + '000174' + '68c3a9');
    const c: Packet = { type: CONNECT, protocolVersion: 4, clientId: 'c', clean: true, keepalive: 0, username: 'u', password: 'pw' };
    expect(toHex(encode(c, 4))).toContain('0001750002' + '7077');
  });

  it('encodes a lone surrogate in a string payload as U+FFFD, as TextEncoder does', () => {
    const p: Packet = { type: PUBLISH, topic: 't', payload: 'a\ud800b', qos: 0, retain: false, dup: false };
    expect(toHex(encode(p, 4))).toBe('3008' + '000174' + '61efbfbd62');
  });

  it('ignores properties, reason codes and subscription options before MQTT 5', () => {
    const pub: Packet = { type: PUBLISH, topic: 'a', payload: b(''), qos: 0, retain: false, dup: false, properties: { contentType: 'x' } };
    expect(toHex(encode(pub, 4))).toBe('3003000161');
    expect(toHex(encode({ type: PUBACK, messageId: 1, reasonCode: 0x10, properties: { reasonString: 'x' } }, 4))).toBe('40020001');
    expect(toHex(encode({ type: DISCONNECT, reasonCode: 0x8e }, 4))).toBe('e000');
    expect(toHex(encode({ type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a', qos: 1, nl: true, rap: true, rh: 2 }] }, 4))).toBe('8206000100016101');
    expect(toHex(encode({ type: UNSUBACK, messageId: 1, granted: [0x11] }, 4))).toBe('b0020001');
  });

  it('treats an empty property object and empty user properties as no properties (short forms stay short)', () => {
    expect(toHex(encode({ type: PUBACK, messageId: 1, properties: {} }, 5))).toBe('40020001');
    expect(toHex(encode({ type: DISCONNECT, properties: { userProperties: [] } }, 5))).toBe('e000');
    expect(toHex(encode({ type: PUBLISH, topic: 'a', payload: b(''), qos: 0, retain: false, dup: false, properties: {} }, 5))).toBe('300400016100');
  });

  it('writes properties in the order of the object keys and skips undefined values', () => {
    const bytes = encode({ type: PUBACK, messageId: 1, reasonCode: 0x10, properties: { userProperties: [['a', 'b']], reasonString: 'r', serverReference: undefined } as never }, 5);
    expect(toHex(bytes)).toBe(toHex(h(pkt('40', '0001', '10', props('26' + str('a') + str('b'), '1f' + str('r'))))));
  });

  it('writes a single subscription identifier given as a one-element array', () => {
    const bytes = encode({ type: SUBSCRIBE, messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }], properties: { subscriptionIdentifier: [9] } }, 5);
    expect(toHex(bytes)).toBe(toHex(h(pkt('82', '0001', props('0b 09'), str('a'), '00'))));
  });

  it('accepts numbers 0/1 for boolean properties and writes them as bytes', () => {
    const bytes = encode({ type: PUBLISH, topic: 'a', payload: b(''), qos: 0, retain: false, dup: false, properties: { payloadFormatIndicator: 1 as unknown as boolean } }, 5);
    expect(toHex(bytes)).toBe(toHex(h(pkt('30', str('a'), props('01 01')))));
  });

  it('writes the 4-byte Remaining Length of a 2 MiB PUBLISH', () => {
    const payload = new Uint8Array(2097152);
    const bytes = encode({ type: PUBLISH, topic: 't', payload, qos: 0, retain: false, dup: false }, 4);
    expect(toHex(bytes.subarray(0, 8))).toBe('30' + '83808001' + '000174');
    const back = decodeWhole(bytes, 4)[0] as { payload: Uint8Array };
    expect(back.payload.length).toBe(2097152);
  });
});
