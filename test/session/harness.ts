// A session driven by hand, as a scripted broker would drive it: no sockets, no
// timers. `now` is a number the test moves; what the session writes is decoded back
// into packets; what the "server" says is encoded and fed in.
import { Session } from '../../src/session/session';
import type { SessionOptions } from '../../src/session/options';
import type { SessionEvent } from '../../src/session/events';
import { EV_CLOSE, EV_CONNECTED, EV_DONE, EV_ERROR, EV_MESSAGE } from '../../src/session/events';
import { Decoder, encode } from '../../src/codec/index';
import { CONNACK } from '../../src/codec/packets';
import type { Packet, Properties } from '../../src/codec/packets';

export class Harness {
  session: Session;
  now: number;
  private decoder: Decoder;
  /** events connect() looked through, still to be seen by events() */
  private held: SessionEvent[];
  readonly v: 4 | 5;

  constructor(options: SessionOptions, now?: number) {
    this.session = new Session(options);
    this.v = options.protocolVersion === 5 ? 5 : 4;
    this.now = now === undefined ? 1000 : now;
    this.decoder = new Decoder({ protocolVersion: this.v });
    this.held = [];
  }

  /** Every packet the session wrote since the last call. */
  sent(): Packet[] {
    const packets: Packet[] = [];
    let b = this.session.takeOutput();
    while (b !== null) {
      this.decoder.feed(b.slice());
      let p = this.decoder.read();
      while (p !== null) {
        packets.push(p);
        p = this.decoder.read();
      }
      b = this.session.takeOutput();
    }
    return packets;
  }

  /** The raw bytes the session wrote since the last call, joined. */
  sentBytes(): Uint8Array {
    const parts: Uint8Array[] = [];
    let n = 0;
    let b = this.session.takeOutput();
    while (b !== null) {
      parts.push(b.slice());
      n += b.length;
      b = this.session.takeOutput();
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Every event since the last call (except the EV_CONNECTED connect() checked for). */
  events(): SessionEvent[] {
    const list: SessionEvent[] = this.held;
    this.held = [];
    let e = this.session.nextEvent();
    while (e !== null) {
      list.push(e);
      e = this.session.nextEvent();
    }
    return list;
  }

  /** Calls every pending completion callback, as a client would. */
  runDone(events: SessionEvent[]): void {
    for (const e of events) if (e.kind === EV_DONE) e.done(e.error, e.packet);
  }

  serverSends(p: Packet): void {
    this.session.receive(encode(p, this.v), this.now);
  }

  /** open(), check the CONNECT, answer CONNACK; returns the CONNECT. */
  connect(sessionPresent?: boolean, properties?: Properties): Packet {
    this.session.open(this.now);
    const sent = this.sent();
    if (sent.length !== 1) throw new Error('expected one CONNECT, got ' + sent.length + ' packets');
    this.serverSends({ type: CONNACK, sessionPresent: sessionPresent === true, reasonCode: 0, properties: properties });
    const ev = this.events();
    if (!ev.some((e) => e.kind === EV_CONNECTED)) throw new Error('not connected: ' + JSON.stringify(ev));
    this.held = ev.filter((e) => e.kind !== EV_CONNECTED);
    return sent[0];
  }

  /** Moves the clock and ticks when the session asked for it. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const d = this.session.nextDeadline();
      if (d < 0 || d > end) break;
      this.now = Math.max(this.now, d);
      this.session.tick(this.now);
    }
    this.now = end;
  }

  /** The transport dropped. */
  drop(): void {
    this.session.closed(this.now);
  }
}

export function kinds(events: SessionEvent[]): number[] {
  return events.map((e) => e.kind);
}

export function errorCodes(events: SessionEvent[]): number[] {
  const codes: number[] = [];
  for (const e of events) {
    if (e.kind === EV_ERROR) codes.push(e.error.code);
    if (e.kind === EV_CLOSE && e.error !== null) codes.push(e.error.code);
  }
  return codes;
}

export function messages(events: SessionEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === EV_MESSAGE) out.push(e.packet.topic + '=' + new TextDecoder().decode(e.packet.payload));
  }
  return out;
}
