// What the session keeps about messages coming from the server: QoS 2 packet ids
// delivered and awaiting PUBREL (so a resent PUBLISH is not delivered twice), ids
// awaiting a manual acknowledgement, and the server's topic aliases.
//
// Id lists are plain arrays scanned linearly: their length is bounded by how many
// unacknowledged messages the server may have out at once (our Receive Maximum; 20 on
// a default Mosquitto), so a scan is a few compares.
import type { ReceivedPublish } from '../codec/packets';
import { PROTOCOL_ERROR, TOPIC_ALIAS_INVALID, mqttError } from '../codec/errors';

export class Inbound {
  /** our Receive Maximum: how many QoS 1/2 messages the server may leave unacknowledged */
  readonly receiveMaximum: number;
  private aliasMax: number;
  private aliasTopics: string[];
  private released: number[];
  /** messages delivered on this connection awaiting a manual ack: the packet objects themselves, so an ack for a message of an earlier connection can never match a new message that reuses its id */
  private unacked: ReceivedPublish[];

  constructor(aliasMax: number, receiveMaximum: number) {
    this.receiveMaximum = receiveMaximum;
    this.aliasMax = aliasMax;
    this.aliasTopics = [];
    this.released = [];
    this.unacked = [];
  }

  /**
   * Resolves or records a topic alias (MQTT 5.0 §3.3.2.3.4) and puts the real topic in
   * the packet. Aliases live for one connection.
   */
  resolveAlias(p: ReceivedPublish): void {
    const alias = p.properties === undefined ? undefined : p.properties.topicAlias;
    if (alias === undefined) {
      if (p.topic === '') throw mqttError(PROTOCOL_ERROR, 'PUBLISH with an empty topic and no topic alias');
      return;
    }
    if (alias === 0 || alias > this.aliasMax) {
      // [MQTT-3.3.2-9] / [MQTT-3.3.2-10]
      throw mqttError(TOPIC_ALIAS_INVALID, 'topic alias ' + alias + ' outside 1..' + this.aliasMax);
    }
    if (p.topic === '') {
      const topic = this.aliasTopics[alias];
      if (topic === undefined) throw mqttError(PROTOCOL_ERROR, 'topic alias ' + alias + ' was never set');
      p.topic = topic;
    } else {
      this.aliasTopics[alias] = p.topic;
    }
  }

  awaitingRelease(id: number): boolean {
    return this.released.indexOf(id) >= 0;
  }

  awaitRelease(id: number): void {
    if (this.released.indexOf(id) < 0) this.released.push(id);
  }

  /** PUBREL arrived: true when the id was awaiting it. */
  release(id: number): boolean {
    const k = this.released.indexOf(id);
    if (k < 0) return false;
    this.released.splice(k, 1);
    return true;
  }

  /** Messages the server has out to us unacknowledged (counted against our Receive Maximum). */
  pending(): number {
    return this.released.length + this.unacked.length;
  }

  addUnacked(p: ReceivedPublish): void {
    this.unacked.push(p);
  }

  /** True (and forgotten) when `p` was delivered on this connection and not yet acknowledged. */
  takeUnacked(p: ReceivedPublish): boolean {
    const k = this.unacked.indexOf(p);
    if (k < 0) return false;
    this.unacked.splice(k, 1);
    return true;
  }

  /** The server lost the session: it will never send PUBREL for these. Returns them. */
  forgetAll(): number[] {
    const ids = this.released;
    this.released = [];
    return ids;
  }

  connectionClosed(): void {
    this.aliasTopics = [];
    // Unacknowledged messages come again on the next connection.
    this.unacked = [];
  }
}
