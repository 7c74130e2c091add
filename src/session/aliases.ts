// Outgoing topic aliases (MQTT 5.0 §3.3.2.3.4), opt-in with autoAssignTopicAlias: the
// first message to a topic carries topic + alias, later ones only the alias. Aliases
// are handed out until the server's Topic Alias Maximum is used up, then topics go
// out in full; they live for one connection.

export interface AliasChoice {
  /** 0 = send the topic in full, no alias */
  alias: number;
  /** the server already knows the alias: the topic may be sent empty */
  known: boolean;
}

const NONE: AliasChoice = { alias: 0, known: false };

export class OutboundAliases {
  /** whether assign() can hand out aliases on this connection */
  active: boolean;
  private autoMax: number;
  private serverMax: number;
  private byTopic: { [topic: string]: number };
  private next: number;

  constructor() {
    this.active = false;
    this.autoMax = 0;
    this.serverMax = 0;
    this.byTopic = Object.create(null);
    this.next = 1;
  }

  /** A new connection: `autoMax` aliases to assign, `serverMax` the server's limit. */
  reset(autoMax: number, serverMax: number): void {
    this.autoMax = autoMax;
    this.serverMax = serverMax;
    this.byTopic = Object.create(null);
    this.next = 1;
    this.active = autoMax > 0;
  }

  clear(): void {
    this.reset(0, 0);
  }

  /** Whether an alias the application chose itself is within the server's limit. */
  allows(alias: number): boolean {
    return alias >= 1 && alias <= this.serverMax;
  }

  /**
   * The alias for a message to `topic`: a known one, a new one, or none. A new one counts
   * as known only after commit(), once its message is certain to be sent: the server
   * learns an alias from the first message that carries it [MQTT-3.3.2-12].
   */
  choose(topic: string): AliasChoice {
    const known = this.byTopic[topic];
    if (known !== undefined) return { alias: known, known: true };
    if (this.next > this.autoMax) return NONE;
    return { alias: this.next, known: false };
  }

  /** Records the new alias choose() gave for `topic`, its message now being sent. */
  commit(topic: string): void {
    this.byTopic[topic] = this.next++;
  }
}
