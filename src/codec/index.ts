// The codec's public surface: bytes <-> packet objects (DESIGN.md "codec").
export * from './packets';
export * from './errors';
export { encode, encodeInto, encodedLength } from './encode';
export { Decoder, decodeAll, MAX_PACKET_SIZE } from './decode';
export type { DecoderOptions } from './decode';
export { reasonName, connackReturnCodeName, isReasonCodeAllowed } from './reason-codes';
export { isValidTopicName, isValidTopicFilter, isSharedFilter } from './validate';
export { PROPERTY_ID, isPropertyAllowed, WILL_PROPERTIES } from './properties';
export { setBufferPool } from './alloc';
export { utf8Length, utf8LengthStrict, writeUtf8, decodeUtf8, setStringCodec } from './utf8';
export { MAX_VARINT, varIntLength, writeVarInt } from './primitives';
