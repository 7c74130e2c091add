import { describe, expect, it } from 'vitest';
import { Harness, errorCodes, kinds } from './harness';
import { CONNACK, CONNECT, PUBLISH, AUTH, DISCONNECT } from '../../src/codec/packets';
import type { ConnectPacket } from '../../src/codec/packets';
import { EV_AUTH, EV_CLOSE, EV_CONNECTED, EV_ERROR } from '../../src/session/events';
import { CONNECTED, CONNECTING, DISCONNECTED, DISCONNECTING } from '../../src/session/session';

describe('connect', () => {
  it('sends CONNECT with client id, clean flag, keep-alive, credentials and Last Will (3.1.1)', () => {
    const h = new Harness({
      clientId: 'dev-1', clean: false, keepalive: 30, username: 'u', password: 'p',
      will: { topic: 'dev/1/status', payload: 'offline', qos: 1, retain: true },
    });
    h.session.open(h.now);
    const [c] = h.sent() as ConnectPacket[];
    expect(c.type).toBe(CONNECT);
    expect(c.protocolVersion).toBe(4);
    expect(c.clientId).toBe('dev-1');
    expect(c.clean).toBe(false);
    expect(c.keepalive).toBe(30);
    expect(c.username).toBe('u');
    expect(new TextDecoder().decode(c.password as Uint8Array)).toBe('p');
    expect(c.will!.topic).toBe('dev/1/status');
    expect(c.will!.qos).toBe(1);
    expect(c.will!.retain).toBe(true);
    expect(h.session.state).toBe(CONNECTING);
  });

  it('sends MQTT 5 CONNECT properties, will properties, and our maximum packet size', () => {
    const h = new Harness({
      protocolVersion: 5, clientId: 'd', maxIncomingPacketSize: 4096,
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 10 },
      will: { topic: 'w', payload: 'x', properties: { willDelayInterval: 5, contentType: 'text/plain' } },
    });
    h.session.open(h.now);
    const [c] = h.sent() as ConnectPacket[];
    expect(c.protocolVersion).toBe(5);
    expect(c.properties).toMatchObject({ sessionExpiryInterval: 3600, receiveMaximum: 10, maximumPacketSize: 4096 });
    expect(c.will!.properties).toMatchObject({ willDelayInterval: 5, contentType: 'text/plain' });
  });

  it('generates a client id when none is given', () => {
    const h = new Harness({});
    h.session.open(h.now);
    const [c] = h.sent() as ConnectPacket[];
    expect(c.clientId).toMatch(/^firmqtt_[0-9a-f]{8}$/);
  });

  it('is connected after CONNACK Success and reports the server-assigned client id', () => {
    const h = new Harness({ protocolVersion: 5, clientId: '' });
    h.session.open(h.now);
    h.sent();
    h.serverSends({ type: CONNACK, sessionPresent: false, reasonCode: 0, properties: { assignedClientIdentifier: 'srv-42' } });
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_CONNECTED]);
    expect(h.session.state).toBe(CONNECTED);
    expect(h.session.connack!.properties!.assignedClientIdentifier).toBe('srv-42');
  });

  it('maps a refused 3.1.1 CONNACK to the MQTT 5 reason code and asks to close', () => {
    const h = new Harness({});
    h.session.open(h.now);
    h.serverSends({ type: CONNACK, sessionPresent: false, reasonCode: 5 });
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_ERROR, EV_CLOSE]);
    expect(errorCodes(ev)).toEqual([0x87, 0x87]);
    expect(h.session.state).toBe(DISCONNECTING);
  });

  it('reports a refused MQTT 5 CONNACK with its reason string', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.session.open(h.now);
    h.serverSends({ type: CONNACK, sessionPresent: false, reasonCode: 0x86, properties: { reasonString: 'wrong password' } });
    const ev = h.events();
    expect(errorCodes(ev)).toEqual([0x86, 0x86]);
    expect(ev[0].kind === EV_ERROR && ev[0].error.message).toContain('wrong password');
  });

  it('gives up when CONNACK does not come within connectTimeout', () => {
    const h = new Harness({ connectTimeout: 5000 });
    h.session.open(h.now);
    expect(h.session.nextDeadline()).toBe(h.now + 5000);
    h.advance(4999);
    expect(h.events()).toEqual([]);
    h.advance(1);
    expect(kinds(h.events())).toEqual([EV_ERROR, EV_CLOSE]);
  });

  it('treats any packet before CONNACK as a protocol error', () => {
    const h = new Harness({});
    h.session.open(h.now);
    h.sent();
    h.serverSends({ type: PUBLISH, topic: 't', payload: 'x', qos: 0, retain: false, dup: false });
    expect(errorCodes(h.events())).toEqual([0x82, 0x82]);
  });

  it('treats a second CONNACK as a protocol error and tells an MQTT 5 server why', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.serverSends({ type: CONNACK, sessionPresent: false, reasonCode: 0 });
    expect(errorCodes(h.events())).toEqual([0x82, 0x82]);
    expect(h.sent()).toEqual([{ type: DISCONNECT, reasonCode: 0x82 }]);
  });

  it('refuses open() while a connection is active', () => {
    const h = new Harness({});
    h.session.open(h.now);
    expect(() => h.session.open(h.now)).toThrow();
    h.drop();
    expect(h.session.state).toBe(DISCONNECTED);
    expect(() => h.session.open(h.now)).not.toThrow();
  });

  it('disconnect() sends DISCONNECT and asks to close; MQTT 5 carries the reason code', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.session.disconnect(0x04, undefined, h.now);
    expect(h.sent()).toEqual([{ type: DISCONNECT, reasonCode: 4 }]);
    const ev = h.events();
    expect(ev).toEqual([{ kind: EV_CLOSE, error: null }]);
    expect(h.session.state).toBe(DISCONNECTING);
  });

  it('a normal MQTT 5 DISCONNECT is the two bytes E0 00', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.session.disconnect(0, undefined, h.now);
    expect(Array.from(h.sentBytes())).toEqual([0xe0, 0x00]);
  });

  it('passes the server AUTH challenge to the application and sends its answer (enhanced auth)', () => {
    const h = new Harness({ protocolVersion: 5, properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    h.session.open(h.now);
    h.sent();
    h.serverSends({ type: AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: new Uint8Array([1, 2]) } });
    const ev = h.events();
    expect(kinds(ev)).toEqual([EV_AUTH]);
    h.session.auth(0x18, { authenticationMethod: 'SCRAM-SHA-1', authenticationData: new Uint8Array([3]) }, h.now);
    const [a] = h.sent();
    expect(a).toMatchObject({ type: AUTH, reasonCode: 0x18 });
    h.serverSends({ type: CONNACK, sessionPresent: false, reasonCode: 0 });
    expect(kinds(h.events())).toEqual([EV_CONNECTED]);
  });

  it('refuses auth() on MQTT 3.1.1', () => {
    const h = new Harness({});
    h.connect();
    expect(() => h.session.auth(0x19, undefined, h.now)).toThrow(/MQTT 5/);
  });
});
