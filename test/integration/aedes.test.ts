// firmqtt against aedes 1.x, in-process. aedes 1.x speaks MQTT 3.1.1 only (its README:
// MQTT 5.0 "not support yet"; a v5 CONNECT gets return code 1), so the scenarios run with
// protocolVersion 4, and one test pins down what a v5 client sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedes } from '../helpers/brokers';
import type { AedesBroker } from '../helpers/brokers';
import { scenarios } from './scenarios';
import { endAll, firmUnawaited, uniqueId } from './suite';

describe('aedes (MQTT 3.1.1)', () => {
  let broker: AedesBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await endAll();
    await broker.stop();
  });

  scenarios(4, () => broker);

  it('refuses an MQTT 5 connection, and firmqtt reports it instead of connecting', async () => {
    const c = firmUnawaited(broker.url, { protocolVersion: 5, clientId: uniqueId('v5') });
    const error = await new Promise<Error>((resolve) => c.once('error', resolve));
    expect(c.connected).toBe(false);
    expect(error).toBeInstanceOf(Error);
    await endAll();
  });
});
