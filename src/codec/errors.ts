// Errors with stable numeric codes. The codes are MQTT 5 reason codes where one fits
// (MQTT 5.0 §2.4), so a session can put the code straight into a DISCONNECT; tests
// assert codes, never message text.
//
// Espruino cannot subclass Error (`class X extends Error` is missing), so an MqttError
// is a plain Error with a `code` and a `name`, made by one function (as ws does with
// createError).

export const UNSPECIFIED_ERROR = 0x80;
export const MALFORMED_PACKET = 0x81;
export const PROTOCOL_ERROR = 0x82;
export const IMPLEMENTATION_SPECIFIC_ERROR = 0x83;
export const PACKET_TOO_LARGE = 0x95;
export const TOPIC_NAME_INVALID = 0x90;
export const TOPIC_FILTER_INVALID = 0x8f;
export const UNSUPPORTED_PROTOCOL_VERSION = 0x84;
export const TOPIC_ALIAS_INVALID = 0x94;
export const RECEIVE_MAXIMUM_EXCEEDED = 0x93;
export const QOS_NOT_SUPPORTED = 0x9b;
export const RETAIN_NOT_SUPPORTED = 0x9a;
export const KEEP_ALIVE_TIMEOUT = 0x8d;
export const QUOTA_EXCEEDED = 0x97;
export const PACKET_IDENTIFIER_NOT_FOUND = 0x92;
export const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9e;
export const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xa1;
export const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xa2;

export interface MqttError extends Error {
  /** an MQTT 5 reason code (0x80..0xFF) */
  code: number;
}

export function mqttError(code: number, message: string): MqttError {
  const e = new Error(message) as MqttError;
  e.name = 'MqttError';
  e.code = code;
  return e;
}

export function isMqttError(e: unknown): e is MqttError {
  return e instanceof Error && e.name === 'MqttError';
}
