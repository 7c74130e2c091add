// MQTT framing without decoding: where each packet starts in a byte stream, from the
// fixed header alone (type nibble + Remaining Length). The bridge uses it to cut the
// serial stream between packets, never inside one; the proxy uses it to aim a corrupted
// byte at a packet header. Version-agnostic: 3.1.1 and 5 share the fixed header.

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;

/** Packet type numbers (the high nibble of the first byte). */
export const CONNECT = 1;
export const DISCONNECT = 14;

export const TYPE_NAMES = [
  'reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
];

export class FrameScanner {
  /** type of the packet whose first byte nextStart() returned last */
  type: number;
  /** set when the Remaining Length is malformed (more than 4 bytes): framing is lost */
  malformed: boolean;
  /** packets started so far */
  count: number;
  private state: number;
  private remaining: number;
  private multiplier: number;
  private lengthBytes: number;

  constructor() {
    this.type = 0;
    this.malformed = false;
    this.count = 0;
    this.state = HEADER;
    this.remaining = 0;
    this.multiplier = 1;
    this.lengthBytes = 0;
  }

  /** Inside a packet: its fixed header or body has begun and not ended. */
  get inPacket(): boolean {
    return this.state !== HEADER;
  }

  /** Forget everything: the next byte starts a packet. */
  reset(): void {
    this.type = 0;
    this.malformed = false;
    this.state = HEADER;
    this.remaining = 0;
  }

  /**
   * Consumes chunk[from..] up to and including the first byte of the next packet and
   * returns that byte's index (this.type is then its type), or -1 when the chunk ends
   * first (or framing is lost: see malformed). Loop with
   * `for (let i = s.nextStart(c, 0); i >= 0; i = s.nextStart(c, i + 1))`.
   */
  nextStart(chunk: Uint8Array, from: number): number {
    const end = chunk.length;
    let i = from;
    while (i < end && !this.malformed) {
      if (this.state === HEADER) {
        this.type = chunk[i] >> 4;
        this.count++;
        this.state = LENGTH;
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        return i;
      }
      if (this.state === LENGTH) {
        const b = chunk[i++];
        this.remaining += (b & 127) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (b & 128) {
          if (this.lengthBytes === 4) this.malformed = true;
        } else {
          this.state = this.remaining === 0 ? HEADER : BODY;
        }
        continue;
      }
      const n = Math.min(this.remaining, end - i);
      i += n;
      this.remaining -= n;
      if (this.remaining === 0) this.state = HEADER;
    }
    return -1;
  }
}

const MQTT_NAME = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]; // "\0\4MQTT" (3.1.1, 5)
const MQISDP_NAME = [0x00, 0x06, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70]; // "\0\6MQIsdp" (3.1)

/**
 * Looks for the start of a CONNECT packet in `buf` (0x10, a Remaining Length, then the
 * protocol name): how a bridge finds the first packet after noise on the line (a board's
 * boot log) or after framing was lost. Returns its index; or -(k + 1) when a CONNECT
 * may start at k but the bytes end before it can be told (keep buf[k..] and retry with
 * more); or -(buf.length + 1) when there is none.
 */
export function findConnect(buf: Uint8Array): number {
  for (let p = 0; p < buf.length; p++) {
    if (buf[p] !== 0x10) continue;
    let q = p + 1;
    let lengthDone = false;
    while (q < buf.length && q <= p + 4) {
      if ((buf[q++] & 128) === 0) {
        lengthDone = true;
        break;
      }
    }
    if (!lengthDone) {
      if (q <= p + 4) return -(p + 1); // ran out of bytes inside the length
      continue; // a 5-byte length: not a packet
    }
    const m = matchName(buf, q);
    if (m === 1) return p;
    if (m === 0) return -(p + 1);
  }
  return -(buf.length + 1);
}

/** 1 = a protocol name at buf[q..], 0 = maybe (bytes ran out), -1 = no */
function matchName(buf: Uint8Array, q: number): number {
  let best = -1;
  const names = [MQTT_NAME, MQISDP_NAME];
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    let k = 0;
    while (k < name.length && q + k < buf.length && buf[q + k] === name[k]) k++;
    if (k === name.length) return 1;
    if (q + k === buf.length) best = 0;
  }
  return best;
}
