// How the session's must-survive-a-reboot state sits in a Store.
//
//   <prefix>/o<seq base 36>  an outgoing QoS 1/2 message: [wait state] + its PUBLISH
//                            packet, or [WAIT_PUBCOMP, id hi, id lo] once PUBREC came
//   <prefix>/i<id>           an incoming QoS 2 packet id awaiting PUBREL (empty value)
//
// Writes happen when the state changes (publish, first send with its packet id, PUBREC,
// completion), so after a crash the store holds exactly what is unfinished.
import type { Store } from '../store/store';
import { WAIT_PUBCOMP } from './outbox';

export interface StoredMessage {
  seq: number;
  state: number;
  /** the PUBLISH packet, or undefined for a PUBREL-stage QoS 2 message */
  packet: Uint8Array | undefined;
  /** packet id of a PUBREL-stage message (the PUBLISH packet carries its own) */
  id: number;
}

const EMPTY = new Uint8Array(0);

/** Flag on a stored message's state byte: its packet id was assigned (it was sent). */
export const ID_ASSIGNED = 0x80;

export class Persistence {
  private store: Store | undefined;
  private out: string;
  private inc: string;

  constructor(store: Store | undefined, prefix: string) {
    this.store = store;
    this.out = prefix + '/o';
    this.inc = prefix + '/i';
  }

  saveMessage(seq: number, state: number, packet: Uint8Array): void {
    if (this.store === undefined) return;
    const v = new Uint8Array(packet.length + 1);
    v[0] = state;
    v.set(packet, 1);
    this.store.set(this.out + seq.toString(36), v);
  }

  saveReleased(seq: number, id: number): void {
    if (this.store === undefined) return;
    const v = new Uint8Array(3);
    v[0] = WAIT_PUBCOMP;
    v[1] = id >> 8;
    v[2] = id & 0xff;
    this.store.set(this.out + seq.toString(36), v);
  }

  dropMessage(seq: number): void {
    if (this.store !== undefined) this.store.delete(this.out + seq.toString(36));
  }

  saveIncoming(id: number): void {
    if (this.store !== undefined) this.store.set(this.inc + id, EMPTY);
  }

  dropIncoming(id: number): void {
    if (this.store !== undefined) this.store.delete(this.inc + id);
  }

  /** Stored outgoing messages, oldest first. Unreadable records are skipped. */
  loadMessages(): StoredMessage[] {
    const list: StoredMessage[] = [];
    if (this.store === undefined) return list;
    const keys = this.store.keys(this.out);
    for (let k = 0; k < keys.length; k++) {
      const seq = parseInt(keys[k].slice(this.out.length), 36);
      const v = this.store.get(keys[k]);
      if (isNaN(seq) || v === undefined || v.length < 3) continue;
      if ((v[0] & ~ID_ASSIGNED) === WAIT_PUBCOMP) {
        list.push({ seq: seq, state: WAIT_PUBCOMP, packet: undefined, id: (v[1] << 8) | v[2] });
      } else {
        list.push({ seq: seq, state: v[0], packet: v.subarray(1), id: 0 });
      }
    }
    list.sort(bySeq);
    return list;
  }

  loadIncoming(): number[] {
    const ids: number[] = [];
    if (this.store === undefined) return ids;
    const keys = this.store.keys(this.inc);
    for (let k = 0; k < keys.length; k++) {
      const id = parseInt(keys[k].slice(this.inc.length), 10);
      if (id > 0 && id < 65536) ids.push(id);
    }
    return ids;
  }
}

function bySeq(a: StoredMessage, b: StoredMessage): number {
  return a.seq - b.seq;
}
