// aedes behind the chaos run's FaultProxy (tools/proxy/proxy.ts), for the tests that
// stall or cut the link of one client, each test starting its own and the afterEach
// tearing it down.
import { afterEach } from 'vitest';
import type { MqttClient } from '../../targets/node/index';
import { FaultProxy } from '../../tools/proxy/proxy';
import { startAedes } from './brokers';
import type { AedesBroker } from './brokers';

export interface ProxiedAedes {
  broker: AedesBroker;
  proxy: FaultProxy;
}

export interface ProxiedAedesRig {
  /** starts aedes and a FaultProxy in front of it */
  start(): Promise<ProxiedAedes>;
  /** the client under test, ended after the test; returned as given */
  track<C extends MqttClient>(client: C): C;
}

/**
 * Registers an afterEach that ends the tracked client (forcefully), then stops the proxy,
 * then the broker: whatever the test got to start.
 */
export function aedesBehindFaultProxy(): ProxiedAedesRig {
  let broker: AedesBroker | null = null;
  let proxy: FaultProxy | null = null;
  let client: MqttClient | null = null;
  afterEach(async () => {
    if (client !== null) await client.endAsync(true);
    client = null;
    if (proxy !== null) await proxy.stop();
    proxy = null;
    if (broker !== null) await broker.stop();
    broker = null;
  });
  return {
    async start() {
      const b = await startAedes();
      broker = b;
      const p = new FaultProxy({ target: b.port });
      proxy = p;
      await p.start();
      return { broker: b, proxy: p };
    },
    track(c) {
      client = c;
      return c;
    },
  };
}
