// Found by the chaos run (tools/chaos), kept as a regression test: queued QoS 1/2
// messages were never sent while the connection lasted once the session's outbox
// compacted its slot arrays (fails on session 3f4942e with 3 messages stuck in queue).
//
// src/session/outbox.ts makeRoom() moves the live records down to index 0 when the
// arrays are full and the freed front is large enough, but src/session/session.ts keeps
// `cursor` (the next record to write) as an index into those arrays and does not move it
// with them. After a compaction the cursor points `head` slots too far, so the unsent
// records in between are skipped; they stay queued until the connection drops (closed()
// resets the cursor), and if it never drops they are never sent: the chaos publisher
// ends with `queued` stuck above 0 and the subscriber misses those sequence numbers.
//
// Deterministic reproduction through a stalled proxy (maxInflight 2; the outbox starts
// with 8 slots): 4 messages acknowledged (head = 4), then 4 more published while the
// link is stalled (2 in flight, 2 queued, tail = 8, cursor = 6), then a 9th, whose add()
// compacts the arrays (records move down by 4, the cursor stays at 6). When the link
// comes back the two in-flight messages are acknowledged, and the three queued ones
// must follow.
import { describe, expect, it } from 'vitest';
import { connect } from '../../targets/node/index';
import { aedesBehindFaultProxy } from '../helpers/fault-proxy';
import { sleep } from '../helpers/wait';

const rig = aedesBehindFaultProxy();

describe('session outbox compaction (found by the chaos run)', () => {
  it('messages queued behind a full in-flight window are sent after the outbox compacts, without a reconnect', async () => {
    const { proxy } = await rig.start();
    const c = rig.track(connect(proxy.url, { clientId: 'compaction', maxInflight: 2, keepalive: 60 }));
    await new Promise<void>((r) => c.once('connect', () => r()));
    const completed: number[] = [];
    const publish = (n: number) => c.publish('compaction/t', `m${n}`, { qos: 1 }, (e) => {
      if (!e) completed.push(n);
    });
    for (let n = 1; n <= 4; n++) publish(n);
    while (completed.length < 4) await sleep(5);

    proxy.stall();
    for (let n = 5; n <= 8; n++) publish(n);
    expect(c.inflightCount).toBe(2);
    expect(c.queuedCount).toBe(2);
    publish(9); // the outbox is full (8 slots) with 4 freed at the front: it compacts
    proxy.resume();

    const deadline = Date.now() + 3000;
    while (completed.length < 9 && Date.now() < deadline) await sleep(10);
    expect({ completed, inflight: c.inflightCount, queued: c.queuedCount, connections: proxy.stats.connections })
      .toEqual({ completed: [1, 2, 3, 4, 5, 6, 7, 8, 9], inflight: 0, queued: 0, connections: 1 });
  });
});
