// The context a route's middleware and handler receive for one message.
import type { MqttClient } from '../client/client';
import type { Properties, QoS, ReceivedPublish } from '../codec/packets';
import type { Envelope } from './envelope';
import { extractParams } from './pattern';
import { bytesToText } from './payload';
import { sendReply } from './reply';
import type { ReplyOptions } from './reply';
import type { Route, Router } from './router';

export type Params = { [name: string]: string };

export class Context {
  /**
   * Middleware may enrich the context with fields of its own (ctx.user = ...), as Koa
   * and Express do; declared fields below are what the router provides.
   */
  [key: string]: unknown;

  /** the topic the message was published to (an alias already resolved) */
  readonly topic: string;
  /** the payload bytes (a Buffer on Node); on a 3.1.1 request route, the bytes inside the envelope */
  payload: Uint8Array;
  /** the named levels of the route's pattern, by name */
  readonly params: Params;
  /** the PUBLISH as received */
  readonly packet: ReceivedPublish;
  readonly qos: QoS;
  readonly retain: boolean;
  /** the MQTT 5 PUBLISH properties ({} when none); on a 3.1.1 request route, those the envelope carried */
  properties: Properties;
  readonly client: MqttClient;
  readonly router: Router;
  readonly route: Route;
  /** where a reply goes: the MQTT 5 Response Topic (or the envelope's on 3.1.1); undefined when no reply was asked for */
  responseTopic: string | undefined;
  correlationData: Uint8Array | undefined;
  /** the handler was called (false when a middleware stopped the chain) */
  handled: boolean;
  /** what the handler returned (resolved) */
  result: unknown;
  /** reply() was called */
  replied: boolean;
  /** @internal the message is acknowledged only after the handler (ackAfterHandler) */
  deferredAck: boolean;
  /** @internal the router's connection count when the message arrived */
  generation: number;
  /** @internal the chain has settled */
  settled: boolean;
  private textValue: string | null;
  private jsonValue: unknown;
  private jsonParsed: boolean;

  constructor(router: Router, route: Route, topic: string, payload: Uint8Array, packet: ReceivedPublish, levels: string[]) {
    this.topic = topic;
    this.payload = payload;
    this.params = extractParams(route.compiled, levels);
    this.packet = packet;
    this.qos = packet.qos;
    this.retain = packet.retain;
    const props = packet.properties;
    this.properties = props === undefined ? {} : props;
    this.client = router.client;
    this.router = router;
    this.route = route;
    this.responseTopic = props === undefined ? undefined : props.responseTopic;
    this.correlationData = props === undefined ? undefined : props.correlationData;
    this.handled = false;
    this.result = undefined;
    this.replied = false;
    this.deferredAck = false;
    this.generation = 0;
    this.settled = false;
    this.textValue = null;
    this.jsonValue = undefined;
    this.jsonParsed = false;
  }

  /** The payload as text (UTF-8, malformed sequences as U+FFFD); decoded once, on first use. */
  text(): string {
    if (this.textValue === null) this.textValue = bytesToText(this.payload);
    return this.textValue;
  }

  /** The payload parsed as JSON, once, on first use. Throws (SyntaxError) when it is not JSON. */
  json<T = unknown>(): T {
    if (!this.jsonParsed) {
      this.jsonValue = JSON.parse(this.text());
      this.jsonParsed = true;
    }
    return this.jsonValue as T;
  }

  /** Whether the message asked for a reply (it has a response topic). */
  get wantsReply(): boolean {
    return this.responseTopic !== undefined && this.responseTopic !== '';
  }

  /**
   * Publishes a reply to the message's response topic with its correlation data and a
   * `status` user property (default 200). Rejects when the message asked for no reply.
   */
  reply(value: unknown, options?: ReplyOptions): Promise<void> {
    if (!this.wantsReply) return Promise.reject(new Error('reply(): the message on "' + this.topic + '" asked for no reply'));
    this.replied = true;
    return sendReply(this.client, this.responseTopic as string, this.correlationData, value, this.qos, options);
  }

  /** @internal The message is a 3.1.1 request: take what the envelope carries. */
  unwrap(env: Envelope): void {
    this.payload = env.payload;
    this.responseTopic = env.responseTopic === '' ? undefined : env.responseTopic;
    this.correlationData = env.correlationData;
    this.properties = { userProperties: env.userProperties };
    if (this.responseTopic !== undefined) this.properties.responseTopic = this.responseTopic;
    if (env.correlationData.length > 0) this.properties.correlationData = env.correlationData;
    this.textValue = null;
    this.jsonParsed = false;
  }
}
