// Packet objects: what the codec encodes and decodes, and what the session speaks.
//
// Packet types are small integers (the MQTT control packet type), never strings: a
// switch on an integer is what Espruino and XS do fastest, and the numbers are the
// spec's own (MQTT 5.0 §2.1.2).
//
// Field names follow MQTT.js / mqtt-packet where they exist (messageId, clean,
// keepalive, granted, nl/rap/rh) so users moving over recognise them. One deliberate
// difference: user properties are ordered [key, value] pairs with repeats allowed, as
// on the wire (MQTT 5.0 §3.3.2.3.7), not an object keyed by name.

export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;
export const AUTH = 15;

/** 3 = MQTT 3.1 (decoded only), 4 = MQTT 3.1.1, 5 = MQTT 5.0 */
export type ProtocolVersion = 3 | 4 | 5;
export type QoS = 0 | 1 | 2;

/** Bytes on input; a string is UTF-8 encoded by the encoder. Decoded values are always Uint8Array. */
export type Bytes = Uint8Array | string;

export type UserProperties = [string, string][];

/** Every MQTT 5 property, by the name MQTT.js uses. Which packet may carry which is checked by the codec. */
export interface Properties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  /** A PUBLISH from the server may carry several; SUBSCRIBE carries at most one. */
  subscriptionIdentifier?: number | number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: boolean;
  willDelayInterval?: number;
  requestResponseInformation?: boolean;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  userProperties?: UserProperties;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
}

export interface Will {
  topic: string;
  payload: Bytes;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

export interface ConnectPacket {
  type: typeof CONNECT;
  protocolVersion: ProtocolVersion;
  clientId: string;
  clean: boolean;
  /** seconds, 0 = off */
  keepalive: number;
  username?: string;
  password?: Bytes;
  will?: Will;
  properties?: Properties;
}

export interface ConnackPacket {
  type: typeof CONNACK;
  sessionPresent: boolean;
  /** MQTT 5 reason code, or the MQTT 3.1.1 return code (0..5) */
  reasonCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: typeof PUBLISH;
  topic: string;
  payload: Bytes;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** present when qos > 0 */
  messageId?: number;
  properties?: Properties;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP share one shape. */
export interface AckPacket {
  type: typeof PUBACK | typeof PUBREC | typeof PUBREL | typeof PUBCOMP;
  messageId: number;
  /** MQTT 5 only; absent means Success (0) */
  reasonCode?: number;
  properties?: Properties;
}

export interface Subscription {
  topic: string;
  qos: QoS;
  /** MQTT 5 subscription options: No Local, Retain As Published, Retain Handling (0..2) */
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

export interface SubscribePacket {
  type: typeof SUBSCRIBE;
  messageId: number;
  subscriptions: Subscription[];
  properties?: Properties;
}

export interface SubackPacket {
  type: typeof SUBACK;
  messageId: number;
  /** granted QoS (0..2) or a failure reason code (0x80 and above) per subscription */
  granted: number[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: typeof UNSUBSCRIBE;
  messageId: number;
  unsubscriptions: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: typeof UNSUBACK;
  messageId: number;
  /** MQTT 5 only: one reason code per topic filter */
  granted?: number[];
  properties?: Properties;
}

export interface PingreqPacket {
  type: typeof PINGREQ;
}

export interface PingrespPacket {
  type: typeof PINGRESP;
}

export interface DisconnectPacket {
  type: typeof DISCONNECT;
  /** MQTT 5 only; absent means Normal disconnection (0) */
  reasonCode?: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: typeof AUTH;
  /** absent means Success (0) */
  reasonCode?: number;
  properties?: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** A decoded PUBLISH: payload is always bytes. */
export interface ReceivedPublish extends PublishPacket {
  payload: Uint8Array;
}
