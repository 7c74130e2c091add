// Publishing a reply to a request: to its Response Topic, with its Correlation Data and
// a `status` user property (HTTP-like: 200 done, 400 bad request, 500 failure), on MQTT 5
// as PUBLISH properties and on MQTT 3.1.1 inside an envelope (envelope.ts).
import type { MqttClient } from '../client/client';
import type { Properties, QoS, UserProperties } from '../codec/packets';
import { encodeEnvelope } from './envelope';
import { isJsonValue, toPayload } from './payload';

export interface ReplyOptions {
  /** default: the QoS the request arrived with */
  qos?: QoS;
  /** user property `status`; default 200 */
  status?: number;
  /** user property `reason`, for an error reply */
  reason?: string;
  /** more MQTT 5 properties (contentType, messageExpiryInterval, userProperties, ...); on 3.1.1 only userProperties travel */
  properties?: Properties;
}

function noop(): void {
  // a publish callback's packet is not needed
}

/** Publishes `value` (bytes, a string, or anything JSON) as the reply; resolves when the client has sent it (QoS 0) or it was acknowledged. */
export function sendReply(client: MqttClient, responseTopic: string, correlationData: Uint8Array | undefined, value: unknown,
  qos: QoS, options: ReplyOptions | undefined): Promise<void> {
  const o = options === undefined ? {} : options;
  const extra = o.properties;
  const user: UserProperties = [['status', String(o.status === undefined ? 200 : o.status)]];
  if (o.reason !== undefined) user.push(['reason', o.reason]);
  if (extra !== undefined && extra.userProperties !== undefined) {
    for (let i = 0; i < extra.userProperties.length; i++) user.push(extra.userProperties[i]);
  }
  const payload = toPayload(value);
  const q = o.qos === undefined ? qos : o.qos;
  if (client.options.protocolVersion === 5) {
    const props: Properties = Object.assign({}, extra);
    if (correlationData !== undefined) props.correlationData = correlationData;
    props.userProperties = user;
    if (props.contentType === undefined && isJsonValue(value)) props.contentType = 'application/json';
    return client.publishAsync(responseTopic, payload, { qos: q, properties: props }).then(noop);
  }
  return client.publishAsync(responseTopic, encodeEnvelope('', correlationData, user, payload), { qos: q }).then(noop);
}

/** The value of the first user property named `key`, or undefined. */
export function userProperty(properties: Properties | undefined, key: string): string | undefined {
  const list = properties === undefined ? undefined : properties.userProperties;
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) if (list[i][0] === key) return list[i][1];
  return undefined;
}
