// The lite Espruino bundle's stand-in for src/codec/reason-codes.ts (MQTT 5 reason code
// table and names). MQTT 3.1.1 has reason codes only as SUBACK return codes and CONNACK
// return codes; the codec checks MQTT 5 reason codes only on MQTT 5 packets, which the
// lite build never handles. Same exports and signatures as the real module.
import { SUBACK } from '../../../src/codec/packets';

const CONNACK_V4 = ['Connection Accepted', 'unacceptable protocol version', 'identifier rejected', 'Server unavailable', 'bad user name or password', 'not authorized'];

export function isReasonCodeAllowed(code: number, packetType: number): boolean {
  return code === 0 || (packetType === SUBACK && (code === 1 || code === 2 || code === 0x80));
}

export function reasonName(code: number, _packetType?: number): string {
  return '0x' + (code >>> 0).toString(16);
}

export function connackReturnCodeName(code: number): string {
  return code >= 0 && code < CONNACK_V4.length ? CONNACK_V4[code] : '0x' + (code >>> 0).toString(16);
}
