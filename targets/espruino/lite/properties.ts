// The lite Espruino bundle's stand-in for src/codec/properties.ts (build.mjs swaps it in
// when FIRMQTT_LITE is set). The lite build speaks MQTT 3.1.1 only, which has no
// properties: the codec calls these only for MQTT 5 packets, which the lite session
// never makes and refuses to decode (protocolVersion 5 is refused at construction).
// Same exports and signatures as the real module.
import type { Properties } from '../../../src/codec/packets';
import type { Reader } from '../../../src/codec/reader';

export const WILL_PROPERTIES = 1;

export const PROPERTY_ID: { [name: string]: number } = {};

export function isPropertyAllowed(_id: number, _bit: number): boolean {
  return false;
}

export function propertiesLength(_props: Properties | undefined, _bit: number): number {
  return 0;
}

export function writeProperties(_buf: Uint8Array, pos: number, _props: Properties | undefined, _len: number): number {
  return pos;
}

export function readProperties(_r: Reader, _bit: number): Properties | undefined {
  return undefined;
}
