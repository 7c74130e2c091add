// The outbox: every message the application handed us that the server has not finished
// with, in the order it was published. QoS 1/2 messages stay until acknowledged; QoS 0
// messages only until they are written.
//
// Records are struct-of-arrays in typed arrays (id, flags, block, offset; the length is
// read from the packet's own header), not one object per message, and the encoded
// packets live in shared byte blocks, not one Uint8Array each. On Node that is ~15 B of bookkeeping plus the packet bytes per
// message instead of ~300 B; on Espruino it is the difference between a handful of
// variables and a dozen per message. (coreMQTT's caller-sized in-flight records are
// the model.)
//
// Slots are appended at the tail and freed anywhere (acks can come out of order); a
// freed slot stays as a hole until the head passes it, so a slot's sequence number is
// simply `seqBase + index` and the order of publication is the order of slots.
//
// A QoS 1/2 record gets its packet id when it is first sent, not when it is published:
// then the ids in use are those of the in-flight window, and finding a free id or the
// record an ack names scans the window, not every queued message. Slots below
// `assignedEnd` may hold ids; none above it do.
import type { Done } from './options';

/** What a record is waiting for. */
export const WAIT_NONE = 0; // QoS 0: written, then gone
export const WAIT_PUBACK = 1;
export const WAIT_PUBREC = 2;
export const WAIT_PUBCOMP = 3;

const STATE_MASK = 0x03;
const QOS_SHIFT = 2;
const SENT = 0x10;
const FREE = 0x20;

export class Outbox {
  /** live records */
  count: number;
  /** bytes of live records' packets */
  bytes: number;
  /** sequence number of slot 0; slot i has seqBase + i */
  seqBase: number;
  head: number;
  tail: number;
  /** no slot at or above this index has a packet id yet */
  assignedEnd: number;
  private capacity: number;
  private ids: Uint16Array;
  private flags: Uint8Array;
  private blk: Int32Array;
  private off: Uint32Array;
  /** completion callbacks by sequence number; most messages have none, and then cost nothing here */
  private dones: { [seq: number]: Done };
  private blockSize: number;
  private blocks: (Uint8Array | null)[];
  private blockLive: number[];
  /** block number of blocks[0] */
  private blockBase: number;
  private cur: number;
  private curUsed: number;
  /** where alloc() put the last reservation */
  allocBlock: Uint8Array;
  allocOffset: number;

  constructor(blockSize: number) {
    this.count = 0;
    this.bytes = 0;
    this.seqBase = 0;
    this.head = 0;
    this.tail = 0;
    this.assignedEnd = 0;
    this.capacity = 8;
    this.ids = new Uint16Array(8);
    this.flags = new Uint8Array(8);
    this.blk = new Int32Array(8);
    this.off = new Uint32Array(8);
    this.dones = {};
    this.blockSize = blockSize;
    this.blocks = [];
    this.blockLive = [];
    this.blockBase = 0;
    this.cur = -1;
    this.curUsed = 0;
    this.allocBlock = new Uint8Array(0);
    this.allocOffset = 0;
  }

  /**
   * Reserves `n` bytes for the next add(); the caller encodes into allocBlock at
   * allocOffset. A packet larger than a block gets a block of its own.
   */
  alloc(n: number): void {
    if (n > this.blockSize) {
      this.newBlock(n);
    } else if (this.cur < 0 || this.curUsed + n > this.blockSize) {
      this.newBlock(this.blockSize);
    }
    this.allocBlock = this.blocks[this.cur - this.blockBase] as Uint8Array;
    this.allocOffset = this.curUsed;
  }

  /** Appends a record (no packet id yet) for the bytes reserved by the last alloc(n); returns its slot. */
  add(qos: number, state: number, n: number, done: Done | undefined): number {
    if (this.tail === this.capacity) this.makeRoom();
    const i = this.tail++;
    this.ids[i] = 0;
    this.flags[i] = state | (qos << QOS_SHIFT);
    this.blk[i] = this.cur;
    this.off[i] = this.curUsed;
    if (done !== undefined) this.dones[this.seqBase + i] = done;
    this.curUsed += n;
    this.blockLive[this.cur - this.blockBase]++;
    this.count++;
    this.bytes += n;
    return i;
  }

  /** Appends a record that has no packet bytes (a restored PUBREL-stage QoS 2 message). */
  addBare(id: number, done: Done | undefined): number {
    if (this.tail === this.capacity) this.makeRoom();
    const i = this.tail++;
    this.ids[i] = id;
    this.assignedEnd = i + 1;
    this.flags[i] = WAIT_PUBCOMP | (2 << QOS_SHIFT);
    this.blk[i] = -1;
    this.off[i] = 0;
    if (done !== undefined) this.dones[this.seqBase + i] = done;
    this.count++;
    return i;
  }

  isFree(i: number): boolean {
    return (this.flags[i] & FREE) !== 0;
  }
  isSent(i: number): boolean {
    return (this.flags[i] & SENT) !== 0;
  }
  state(i: number): number {
    return this.flags[i] & STATE_MASK;
  }
  qos(i: number): number {
    return (this.flags[i] >> QOS_SHIFT) & 3;
  }
  id(i: number): number {
    return this.ids[i];
  }
  seq(i: number): number {
    return this.seqBase + i;
  }
  done(i: number): Done | undefined {
    return this.dones[this.seqBase + i];
  }

  clearDone(i: number): void {
    delete this.dones[this.seqBase + i];
  }

  markSent(i: number): void {
    this.flags[i] |= SENT;
  }

  /** Gives slot i its packet id (first send), in the block bytes too. */
  setId(i: number, id: number): void {
    this.ids[i] = id;
    if (i >= this.assignedEnd) this.assignedEnd = i + 1;
    if (this.blk[i] >= 0) writePublishId(this.blocks[this.blk[i] - this.blockBase] as Uint8Array, this.off[i], id);
  }

  /** The packet bytes of slot i (a view into its block). */
  packet(i: number): Uint8Array {
    const b = this.blocks[this.blk[i] - this.blockBase] as Uint8Array;
    const o = this.off[i];
    return b.subarray(o, o + packetLength(b, o));
  }

  hasPacket(i: number): boolean {
    return this.blk[i] >= 0;
  }

  /**
   * PUBREC arrived: the QoS 2 message now waits for PUBCOMP and its PUBLISH bytes are
   * no longer needed (only PUBREL is resent from here on).
   */
  toPubcompWait(i: number): void {
    this.flags[i] = (this.flags[i] & ~STATE_MASK) | WAIT_PUBCOMP;
    this.releaseBytes(i);
  }

  /** Frees slot i; advances the head past freed slots. */
  remove(i: number): void {
    this.releaseBytes(i);
    this.flags[i] = FREE;
    delete this.dones[this.seqBase + i];
    this.count--;
    while (this.head < this.tail && (this.flags[this.head] & FREE) !== 0) this.head++;
    if (this.assignedEnd < this.head) this.assignedEnd = this.head;
  }

  /** After the transport closed: everything must be written again, PUBLISHes with DUP set. */
  markAllUnsent(): void {
    for (let i = this.head; i < this.tail; i++) {
      const f = this.flags[i];
      if ((f & FREE) !== 0) continue;
      this.flags[i] = f & ~SENT;
      // [MQTT-3.3.1-1] DUP is set on a PUBLISH that may have been sent before.
      if ((f & SENT) !== 0 && this.blk[i] >= 0 && (f & STATE_MASK) !== WAIT_PUBCOMP) {
        const b = this.blocks[this.blk[i] - this.blockBase] as Uint8Array;
        b[this.off[i]] |= 0x08;
      }
    }
  }

  /** Slot of the live record with packet id `id` awaiting `state`, or -1. */
  find(id: number, state: number): number {
    for (let i = this.head; i < this.assignedEnd; i++) {
      if (this.ids[i] === id && (this.flags[i] & (FREE | STATE_MASK)) === state) return i;
    }
    return -1;
  }

  /** Whether a live record holds packet id `id`. */
  holdsId(id: number): boolean {
    for (let i = this.head; i < this.assignedEnd; i++) {
      if (this.ids[i] === id && (this.flags[i] & FREE) === 0) return true;
    }
    return false;
  }

  private releaseBytes(i: number): void {
    const b = this.blk[i];
    if (b < 0) return;
    this.blk[i] = -1;
    this.bytes -= packetLength(this.blocks[b - this.blockBase] as Uint8Array, this.off[i]);
    const k = b - this.blockBase;
    if (--this.blockLive[k] === 0 && b !== this.cur) {
      this.blocks[k] = null;
      while (this.blocks.length > 0 && this.blocks[0] === null) {
        this.blocks.shift();
        this.blockLive.shift();
        this.blockBase++;
      }
    }
  }

  private newBlock(size: number): void {
    // A current block nothing lives in any more is dropped, never rewritten: a view of
    // it may still sit in a transport's write queue.
    if (this.cur >= 0 && this.blockLive[this.cur - this.blockBase] === 0) {
      this.blocks[this.cur - this.blockBase] = null;
    }
    this.blocks.push(new Uint8Array(size));
    this.blockLive.push(0);
    this.cur = this.blockBase + this.blocks.length - 1;
    this.curUsed = 0;
    while (this.blocks.length > 1 && this.blocks[0] === null) {
      this.blocks.shift();
      this.blockLive.shift();
      this.blockBase++;
    }
  }

  /** Drops the freed front, or grows the slot arrays when little is free there. */
  private makeRoom(): void {
    const live = this.tail - this.head;
    if (this.head > 0 && live <= this.capacity / 2) {
      // A loop, not copyWithin(): Espruino 2v29's typed arrays have no copyWithin.
      for (let i = 0; i < live; i++) {
        const from = this.head + i;
        this.ids[i] = this.ids[from];
        this.flags[i] = this.flags[from];
        this.blk[i] = this.blk[from];
        this.off[i] = this.off[from];
      }
      this.seqBase += this.head;
      this.assignedEnd -= this.head;
      this.tail = live;
      this.head = 0;
      return;
    }
    // 1.5x, not 2x: the slack is paid per slot while many messages are held.
    const cap = this.capacity + (this.capacity >> 1);
    this.ids = grow16(this.ids, cap);
    this.flags = grow8(this.flags, cap);
    const blk = new Int32Array(cap);
    blk.set(this.blk);
    this.blk = blk;
    this.off = grow32(this.off, cap);
    this.capacity = cap;
  }
}

/** The whole length of the encoded packet at `start`: fixed header byte, Remaining Length, body. */
function packetLength(b: Uint8Array, start: number): number {
  let p = start + 1;
  let n = 0;
  let mul = 1;
  for (;;) {
    const d = b[p++];
    n += (d & 0x7f) * mul;
    if ((d & 0x80) === 0) return p - start + n;
    mul *= 128;
  }
}

/** Where the packet id sits in an encoded QoS 1/2 PUBLISH: after the fixed header and the topic (MQTT 5.0 §3.3.2). */
function publishIdOffset(b: Uint8Array, start: number): number {
  let p = start + 1;
  while (b[p] & 0x80) p++;
  p++;
  return p + 2 + ((b[p] << 8) | b[p + 1]);
}

export function writePublishId(b: Uint8Array, start: number, id: number): void {
  const p = publishIdOffset(b, start);
  b[p] = id >> 8;
  b[p + 1] = id & 0xff;
}

export function readPublishId(b: Uint8Array): number {
  const p = publishIdOffset(b, 0);
  return (b[p] << 8) | b[p + 1];
}

function grow8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
function grow16(a: Uint16Array, n: number): Uint16Array {
  const b = new Uint16Array(n);
  b.set(a);
  return b;
}
function grow32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
