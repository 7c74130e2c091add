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
  /**
   * messages delivered on this connection awaiting a manual ack, in the order they came:
   * the packet objects themselves, so an ack for a message of an earlier connection can
   * never match a new message that reuses its id
   */
  private unacked: ReceivedPublish[];
  /** the reason code the application acked each with, -1 while it has not (parallel to unacked) */
  private ackCodes: number[];

  constructor(aliasMax: number, receiveMaximum: number) {
    this.receiveMaximum = receiveMaximum;
    this.aliasMax = aliasMax;
    this.aliasTopics = [];
    this.released = [];
    this.unacked = [];
    this.ackCodes = [];
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
    this.ackCodes.push(-1);
  }

  /** Whether a message with this id and QoS is awaiting the application's ack on this connection (a resend of it is the same message). */
  hasUnacked(id: number, qos: number): boolean {
    for (let k = 0; k < this.unacked.length; k++) if (this.unacked[k].messageId === id && this.unacked[k].qos === qos) return true;
    return false;
  }

  /** Records the application's ack of `p`; false when `p` is not awaiting one on this connection. */
  markAcked(p: ReceivedPublish, reasonCode: number): boolean {
    const k = this.unacked.indexOf(p);
    if (k < 0 || this.ackCodes[k] >= 0) return false;
    this.ackCodes[k] = reasonCode;
    return true;
  }

  /**
   * The acked messages whose acknowledgements may go now, in order, forgotten here: PUBACKs
   * in the order their QoS 1 PUBLISHes came and PUBRECs in that of their QoS 2 ones
   * [MQTT-4.6.0-2] [MQTT-4.6.0-3], so one not yet acked holds back the later ones of its QoS.
   */
  takeAcked(): { packet: ReceivedPublish; reasonCode: number }[] {
    const out: { packet: ReceivedPublish; reasonCode: number }[] = [];
    const held = [false, false, false];
    const keep: ReceivedPublish[] = [];
    const keepCodes: number[] = [];
    for (let k = 0; k < this.unacked.length; k++) {
      const p = this.unacked[k];
      const code = this.ackCodes[k];
      if (code >= 0 && !held[p.qos]) out.push({ packet: p, reasonCode: code });
      else {
        held[p.qos] = true;
        keep.push(p);
        keepCodes.push(code);
      }
    }
    this.unacked = keep;
    this.ackCodes = keepCodes;
    return out;
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
    this.ackCodes = [];
  }
}
