// TLS over a real socket: aedes behind a TLS server with a self-signed certificate for
// localhost / 127.0.0.1 (test/node/fixtures, valid until 2126). Certificate checks are on
// by default, as in MQTT.js.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { startAedes } from '../helpers/brokers';
import type { AedesBroker } from '../helpers/brokers';

const fixtures = join(__dirname, 'fixtures');
const cert = readFileSync(join(fixtures, 'broker-cert.pem'), 'utf8');
const key = readFileSync(join(fixtures, 'broker-key.pem'), 'utf8');

let broker: AedesBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startAedes(undefined, { key, cert });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
});

function firstOf(client: MqttClient): Promise<string> {
  return new Promise((resolve) => {
    client.once('connect', () => resolve('connect'));
    client.once('error', (e) => resolve(`error:${(e as Error & { code?: string }).code ?? e.message}`));
  });
}

describe('TLS', () => {
  it('connects when the server certificate is trusted through ca, and carries messages', async () => {
    const c = connect(`mqtts://localhost:${broker.port}`, { ca: cert, clientId: 'tls-ok' });
    clients.push(c);
    expect(await firstOf(c)).toBe('connect');
    const got = new Promise<string>((resolve) => c.on('message', (_topic, payload) => resolve(payload.toString())));
    await c.subscribeAsync('tls/t', { qos: 1 });
    await c.publishAsync('tls/t', 'over TLS', { qos: 1 });
    expect(await got).toBe('over TLS');
  });

  it('checks the certificate against the IP address when connecting by IP', async () => {
    const c = connect(`ssl://127.0.0.1:${broker.port}`, { ca: cert, clientId: 'tls-ip' });
    clients.push(c);
    expect(await firstOf(c)).toBe('connect');
  });

  it('refuses an untrusted certificate by default, and keeps retrying', async () => {
    const c = connect(`mqtts://localhost:${broker.port}`, { clientId: 'tls-untrusted', reconnectPeriod: 20, jitter: 0 });
    clients.push(c);
    expect(await firstOf(c)).toBe('error:DEPTH_ZERO_SELF_SIGNED_CERT');
    await new Promise<void>((resolve) => c.once('reconnect', () => resolve()));
    expect(c.connected).toBe(false);
  });

  it('accepts any certificate with rejectUnauthorized: false', async () => {
    const c = connect({ protocol: 'tls', host: 'localhost', port: broker.port, rejectUnauthorized: false, clientId: 'tls-lax' });
    clients.push(c);
    expect(await firstOf(c)).toBe('connect');
  });

  it('refuses a certificate issued for another name', async () => {
    const c = connect(`mqtts://localhost:${broker.port}`, { ca: cert, servername: 'broker.example', clientId: 'tls-wrong-name', reconnectPeriod: 0 });
    clients.push(c);
    expect(await firstOf(c)).toBe('error:ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
