// Topic Name / Topic Filter rules (MQTT 5.0 §4.7, §4.8.2), the reason-code table
// (§2.4 Table 2-6) and the property table (§2.2.2.2 Table 2-4).
import { describe, expect, it } from 'vitest';
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, PROPERTY_ID, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, SUBSCRIBE,
  UNSUBACK, UNSUBSCRIBE, WILL_PROPERTIES, connackReturnCodeName, isPropertyAllowed, isReasonCodeAllowed,
  isSharedFilter, isValidTopicFilter, isValidTopicName, reasonName,
} from '../../../src/codec/index';

describe('topic names', () => {
  it('allow anything but wildcards', () => {
    for (const t of ['a', 'a/b', '/', '//', '$SYS/x', 'a b', 'é/😀', 'a/pb']) expect(isValidTopicName(t), t).toBe(true);
    for (const t of ['+', '#', 'a/+', 'a/#', 'a+b', 'a#b']) expect(isValidTopicName(t), t).toBe(false);
  });
});

describe('topic filters', () => {
  const VALID = ['#', '+', 'a', 'a/b', 'a/+', '+/b', 'a/#', '+/+', '/+', '+/', '/#', 'a//b', '/', '$SYS/#', 'sport/tennis/+/#', 'é/+/😀'];
  const INVALID = ['', 'a#', '#a', 'a/#/b', '##', 'a+', '+a', 'a/b+', 'a/+b/c', '++', '#/'];
  for (const f of VALID) it(`accept "${f}"`, () => expect(isValidTopicFilter(f, true)).toBe(true));
  for (const f of INVALID) it(`refuse "${f}"`, () => expect(isValidTopicFilter(f, true)).toBe(false));

  it('check shared subscriptions in MQTT 5: a share name without wildcards, then a filter', () => {
    for (const f of ['$share/g/a', '$share/g/#', '$share/g/+/x', '$share/group-1//']) expect(isValidTopicFilter(f, true), f).toBe(true);
    for (const f of ['$share//a', '$share/g', '$share/g/', '$share/g+/a', '$share/#/a', '$share/g/a#']) expect(isValidTopicFilter(f, true), f).toBe(false);
  });

  it('treat "$share/..." as a plain filter in MQTT 3.1.1', () => {
    expect(isValidTopicFilter('$share//a', false)).toBe(true);
    expect(isValidTopicFilter('$share/g', false)).toBe(true);
    expect(isValidTopicFilter('$share/g/a#', false)).toBe(false);
  });

  it('recognise shared filters', () => {
    expect(isSharedFilter('$share/g/a')).toBe(true);
    expect(isSharedFilter('$shared/g/a')).toBe(false);
    expect(isSharedFilter('a/$share/g')).toBe(false);
  });
});

describe('reason codes', () => {
  it('name codes for logs, with the packet-specific names for 0x00', () => {
    expect(reasonName(0x87)).toBe('Not authorized');
    expect(reasonName(0x00)).toBe('Success');
    expect(reasonName(0x00, DISCONNECT)).toBe('Normal disconnection');
    expect(reasonName(0x00, SUBACK)).toBe('Granted QoS 0');
    expect(reasonName(0x95)).toBe('Packet too large');
    expect(reasonName(0x83)).toBe('Implementation specific error');
    expect(reasonName(0x05)).toBe('Unknown (0x5)');
    expect(connackReturnCodeName(4)).toBe('Connection Refused, bad user name or password');
    expect(connackReturnCodeName(9)).toBe('Unknown (0x9)');
  });

  it('allow each code only in its packets (spot checks of Table 2-6)', () => {
    const yes: [number, number][] = [
      [0x00, CONNACK], [0x00, PUBACK], [0x00, PUBREL], [0x00, SUBACK], [0x00, UNSUBACK], [0x00, DISCONNECT], [0x00, AUTH],
      [0x01, SUBACK], [0x02, SUBACK], [0x04, DISCONNECT], [0x10, PUBACK], [0x10, PUBREC], [0x11, UNSUBACK],
      [0x18, AUTH], [0x19, AUTH], [0x80, SUBACK], [0x84, CONNACK], [0x8d, DISCONNECT], [0x8f, UNSUBACK],
      [0x91, SUBACK], [0x92, PUBREL], [0x92, PUBCOMP], [0x97, PUBREC], [0x9e, SUBACK], [0xa2, DISCONNECT],
    ];
    const no: [number, number][] = [
      [0x01, PUBACK], [0x04, CONNACK], [0x10, PUBREL], [0x11, SUBACK], [0x18, DISCONNECT], [0x80, PUBREL],
      [0x84, DISCONNECT], [0x8d, CONNACK], [0x92, PUBACK], [0x99, SUBACK], [0xa3, DISCONNECT], [0xff, CONNACK],
      [0x00, PUBLISH], [0x00, CONNECT], [0x00, SUBSCRIBE], [0x00, UNSUBSCRIBE], [-1, PUBACK], [256, PUBACK], [0.5, PUBACK],
    ];
    for (const [code, type] of yes) expect(isReasonCodeAllowed(code, type), `0x${code.toString(16)} in ${type}`).toBe(true);
    for (const [code, type] of no) expect(isReasonCodeAllowed(code, type), `0x${code.toString(16)} in ${type}`).toBe(false);
  });
});

describe('property table', () => {
  it('has the 27 identifiers of Table 2-4', () => {
    const ids = Object.keys(PROPERTY_ID).map((k) => PROPERTY_ID[k]).sort((a, b) => a - b);
    expect(ids).toEqual([0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1c, 0x1f, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a]);
  });

  it('places properties in their packets (spot checks)', () => {
    const bit = (t: number): number => 1 << t;
    expect(isPropertyAllowed(0x26, bit(PUBREC))).toBe(true); // User Property everywhere
    expect(isPropertyAllowed(0x26, WILL_PROPERTIES)).toBe(true);
    expect(isPropertyAllowed(0x18, WILL_PROPERTIES)).toBe(true); // Will Delay Interval
    expect(isPropertyAllowed(0x18, bit(CONNECT))).toBe(false);
    expect(isPropertyAllowed(0x0b, bit(SUBSCRIBE))).toBe(true);
    expect(isPropertyAllowed(0x0b, bit(UNSUBSCRIBE))).toBe(false);
    expect(isPropertyAllowed(0x1f, bit(PUBCOMP))).toBe(true);
    expect(isPropertyAllowed(0x1f, bit(PUBLISH))).toBe(false);
    expect(isPropertyAllowed(0x1c, bit(DISCONNECT))).toBe(true);
    expect(isPropertyAllowed(0x11, bit(PUBLISH))).toBe(false);
    expect(isPropertyAllowed(0x15, bit(AUTH))).toBe(true);
    expect(isPropertyAllowed(0x00, bit(PUBLISH))).toBe(false);
    expect(isPropertyAllowed(0x2b, bit(CONNACK))).toBe(false);
  });
});
