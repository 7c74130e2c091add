// Broker URLs and connect() options, as MQTT.js reads them.
import { describe, expect, it } from 'vitest';
import { parseBrokerUrl, resolveConnectOptions } from '../../targets/node/connect';

describe('parseBrokerUrl', () => {
  it('reads protocol, host, port, credentials and clientId', () => {
    expect(parseBrokerUrl('mqtt://alice:s3cret@broker.local:1884/?clientId=dev-7')).toEqual({
      protocol: 'mqtt', host: 'broker.local', port: 1884, username: 'alice', password: 's3cret', clientId: 'dev-7',
    });
  });

  it('percent-decodes user name and password', () => {
    expect(parseBrokerUrl('mqtts://us%40er:p%3Aw%2Fd@h')).toMatchObject({ username: 'us@er', password: 'p:w/d' });
  });

  it('leaves out what the URL does not say', () => {
    expect(parseBrokerUrl('tcp://10.0.0.2')).toEqual({ protocol: 'tcp', host: '10.0.0.2' });
  });

  it('gives a non-ASCII host name in its ASCII (punycode) form, as MQTT.js does', () => {
    expect(parseBrokerUrl('mqtts://user:pw@münchen.example:8883').host).toBe('xn--mnchen-3ya.example');
  });

  it('strips the brackets of an IPv6 host', () => {
    expect(parseBrokerUrl('mqtt://[::1]:1883')).toMatchObject({ host: '::1', port: 1883 });
  });

  it('accepts every scheme MQTT.js has for TCP and TLS, in any case', () => {
    for (const scheme of ['mqtt', 'tcp', 'mqtts', 'ssl', 'tls']) {
      expect(parseBrokerUrl(`${scheme.toUpperCase()}://h`).protocol).toBe(scheme);
    }
  });

  it('refuses a URL without a protocol', () => {
    expect(() => parseBrokerUrl('broker.local:1883')).toThrow(/Missing protocol/);
  });
});

describe('resolveConnectOptions', () => {
  it('defaults to localhost:1883 over TCP', () => {
    expect(resolveConnectOptions({})).toMatchObject({ protocol: 'mqtt', host: 'localhost', port: 1883 });
  });

  it('defaults to port 8883 for TLS', () => {
    expect(resolveConnectOptions('mqtts://h').port).toBe(8883);
    expect(resolveConnectOptions('ssl://h').port).toBe(8883);
    expect(resolveConnectOptions('tls://h:9999').port).toBe(9999);
  });

  it('lets explicit options win over the URL', () => {
    const o = resolveConnectOptions('mqtt://u:p@h:1883?clientId=fromUrl', { clientId: 'explicit', port: 2883, keepalive: 5 });
    expect(o).toMatchObject({ host: 'h', port: 2883, clientId: 'explicit', username: 'u', password: 'p', keepalive: 5 });
  });

  it('accepts a single options object with hostname or host', () => {
    expect(resolveConnectOptions({ hostname: 'a', port: 1 })).toMatchObject({ host: 'a', port: 1 });
    expect(resolveConnectOptions({ host: 'b', protocol: 'mqtts' })).toMatchObject({ host: 'b', port: 8883, protocol: 'mqtts' });
  });

  it('switches mqtt to mqtts when a client certificate and key are given', () => {
    expect(resolveConnectOptions('mqtt://h', { cert: 'C', key: 'K' }).protocol).toBe('mqtts');
  });

  it('refuses protocols it cannot speak', () => {
    expect(() => resolveConnectOptions('ws://h')).toThrow(/Unsupported protocol "ws"/);
  });

  it('requires a clientId for a persistent session (clean: false), as MQTT.js does', () => {
    expect(() => resolveConnectOptions('mqtt://h', { clean: false })).toThrow(/Missing clientId/);
    expect(resolveConnectOptions('mqtt://h?clientId=x', { clean: false }).clientId).toBe('x');
  });
});
