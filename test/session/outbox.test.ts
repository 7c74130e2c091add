import { describe, expect, it } from 'vitest';
import { Outbox, WAIT_PUBACK, WAIT_PUBCOMP, WAIT_PUBREC, readPublishId, writePublishId } from '../../src/session/outbox';
import { encode } from '../../src/codec/index';
import { PUBLISH } from '../../src/codec/packets';

function put(ob: Outbox, payload: string, qos: 1 | 2): number {
  const bytes = encode({ type: PUBLISH, topic: 'topic', payload: payload, qos: qos, retain: false, dup: false, messageId: 0xffff }, 4);
  ob.alloc(bytes.length);
  ob.allocBlock.set(bytes, ob.allocOffset);
  return ob.add(qos, qos === 1 ? WAIT_PUBACK : WAIT_PUBREC, bytes.length, undefined);
}

describe('Outbox', () => {
  it('keeps records in publication order with consecutive sequence numbers', () => {
    const ob = new Outbox(64);
    const a = put(ob, 'a', 1);
    const b = put(ob, 'b', 2);
    expect(ob.seq(b) - ob.seq(a)).toBe(1);
    expect(ob.count).toBe(2);
  });

  it('packs packets into shared blocks and gives a larger one its own block', () => {
    const ob = new Outbox(64);
    const a = put(ob, 'a', 1);
    const b = put(ob, 'b', 1);
    expect(ob.packet(a).buffer).toBe(ob.packet(b).buffer);
    const big = put(ob, 'x'.repeat(100), 1);
    expect(ob.packet(big).buffer.byteLength).toBe(ob.packet(big).length);
    expect(ob.bytes).toBe(ob.packet(a).length * 2 + ob.packet(big).length);
  });

  it('writes and finds packet ids; finds only the awaited state', () => {
    const ob = new Outbox(256);
    const a = put(ob, 'a', 1);
    const b = put(ob, 'b', 2);
    ob.setId(a, 10);
    ob.setId(b, 11);
    expect(readPublishId(ob.packet(b))).toBe(11);
    expect(ob.find(10, WAIT_PUBACK)).toBe(a);
    expect(ob.find(11, WAIT_PUBACK)).toBe(-1);
    expect(ob.find(11, WAIT_PUBREC)).toBe(b);
    ob.toPubcompWait(b);
    expect(ob.find(11, WAIT_PUBCOMP)).toBe(b);
    expect(ob.hasPacket(b)).toBe(false);
    expect(ob.holdsId(11)).toBe(true);
    ob.remove(b);
    expect(ob.holdsId(11)).toBe(false);
  });

  it('frees out of order, advances the head past holes, and reuses nothing still referenced', () => {
    const ob = new Outbox(64);
    const slots = [put(ob, '1', 1), put(ob, '2', 1), put(ob, '3', 1)];
    const keep = ob.packet(slots[2]).slice();
    ob.remove(slots[1]);
    expect(ob.head).toBe(slots[0]);
    ob.remove(slots[0]);
    expect(ob.head).toBe(slots[2]);
    expect(Array.from(ob.packet(slots[2]))).toEqual(Array.from(keep));
    expect(ob.count).toBe(1);
  });

  it('grows and compacts across thousands of records without losing order', () => {
    const ob = new Outbox(512);
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 100; k++) {
        const s = put(ob, String(next), 1);
        ob.setId(s, (next % 65535) + 1);
        next++;
      }
      // ack the oldest 90: what is left must still be the newest, in order
      for (let k = 0; k < 90; k++) {
        const id = ob.id(ob.head);
        ob.remove(ob.find(id, WAIT_PUBACK));
      }
    }
    expect(ob.count).toBe(500);
    const seen: string[] = [];
    for (let i = ob.head; i < ob.tail; i++) if (!ob.isFree(i)) seen.push(new TextDecoder().decode(ob.packet(i).subarray(11)));
    // after each round the 90 oldest were removed: rebuild the survivors the same way
    const survivors: string[] = [];
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 100; k++) survivors.push(String(round * 100 + k));
      survivors.splice(0, 90);
    }
    expect(seen).toEqual(survivors);
  });

  it('marks sent PUBLISHes DUP when everything must be resent', () => {
    const ob = new Outbox(64);
    const a = put(ob, 'a', 1);
    const b = put(ob, 'b', 1);
    ob.markSent(a);
    ob.markAllUnsent();
    expect(ob.packet(a)[0] & 0x08).toBe(0x08);
    expect(ob.packet(b)[0] & 0x08).toBe(0);
    expect(ob.isSent(a)).toBe(false);
  });

  it('writePublishId finds the id behind a multi-byte length and a long topic', () => {
    const bytes = encode({ type: PUBLISH, topic: 'a'.repeat(300), payload: 'x'.repeat(200), qos: 1, retain: false, dup: false, messageId: 1 }, 4);
    writePublishId(bytes, 0, 0xbeef);
    expect(readPublishId(bytes)).toBe(0xbeef);
  });
});
