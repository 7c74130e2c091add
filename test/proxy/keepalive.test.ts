// Keep-alive through a stalled link: the proxy stops forwarding without closing (what a
// dead Wi-Fi link looks like to TCP), and only keep-alive can notice. The client must
// notice within 1.5x the keep-alive (PINGREQ after `keepalive` s of silence, then at
// most pingTimeout = keepalive / 2 for the PINGRESP) and reconnect.
//
// A behavioural bound, not a performance timing: both instants come from the client's
// own clock (NodeClock, performance.now()), and the bound is the protocol's. The stall
// starts QUIET_MS after the client's last packet, so the expected detection is
// 1.5 x keepalive - QUIET_MS after the stall, leaving the timers their few ms of lateness.
import { describe, expect, it } from 'vitest';
import { connect, NodeClock } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { aedesBehindFaultProxy } from '../helpers/fault-proxy';
import { sleep } from '../helpers/wait';

const KEEPALIVE_S = 2;
const QUIET_MS = 300;

const rig = aedesBehindFaultProxy();

function once<T extends unknown[]>(c: MqttClient, event: string): Promise<T> {
  return new Promise((resolve) => (c as unknown as { once(e: string, f: (...a: T) => void): void }).once(event, (...a: T) => resolve(a)));
}

describe('keep-alive through a stalled proxy', () => {
  it('notices the dead link between 1x and 1.5x keep-alive after the stall, then reconnects', async () => {
    const { proxy } = await rig.start();
    const clock = new NodeClock();
    const c = rig.track(connect(proxy.url, { keepalive: KEEPALIVE_S, reconnectPeriod: 100, clientId: 'ka-stall', connectTimeout: 5000 }));
    await once(c, 'connect');
    // One round trip, then QUIET_MS of silence before the link dies.
    await c.subscribeAsync('ka/t', { qos: 1 });
    await sleep(QUIET_MS);

    let detectedAt = -1;
    let detectError: (Error & { code?: number }) | null = null;
    c.on('error', (e: Error & { code?: number }) => {
      if (detectedAt < 0 && e.code === 0x8d) {
        detectedAt = clock.now();
        detectError = e;
      }
    });
    const stalledAt = clock.now();
    expect(proxy.stall()).toBe(1);
    await once(c, 'offline');
    expect(detectError).not.toBeNull();
    const detection = detectedAt - stalledAt;
    console.log(`keep-alive ${KEEPALIVE_S} s: dead link noticed ${detection} ms after the stall (bound ${KEEPALIVE_S * 1000}..${KEEPALIVE_S * 1500} ms; stall began ${QUIET_MS} ms after the last packet)`);
    expect(detection).toBeGreaterThanOrEqual(KEEPALIVE_S * 1000);
    expect(detection).toBeLessThanOrEqual(KEEPALIVE_S * 1500);

    // New connections are not stalled: the client is back and works.
    await once(c, 'connect');
    const got = once<[string, Buffer]>(c, 'message');
    await c.publishAsync('ka/t', 'after', { qos: 1 });
    const [topic, payload] = await got;
    expect(topic).toBe('ka/t');
    expect(payload.toString()).toBe('after');
    // The stalled connection was closed by the client and then by the proxy.
    expect(proxy.connections.length).toBe(1);
  }, 20000);
});
