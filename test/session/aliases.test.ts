import { describe, expect, it } from 'vitest';
import { Harness, errorCodes, messages } from './harness';
import { DISCONNECT, PUBLISH } from '../../src/codec/packets';
import { encodedLength } from '../../src/codec/index';
import type { PublishPacket } from '../../src/codec/packets';

function pub(topic: string, alias: number | undefined, payload: string): PublishPacket {
  return {
    type: PUBLISH, topic: topic, payload: payload, qos: 0, retain: false, dup: false,
    properties: alias === undefined ? undefined : { topicAlias: alias },
  };
}

describe('topic aliases from the server', () => {
  it('are recorded and resolved to the real topic', () => {
    const h = new Harness({ protocolVersion: 5, properties: { topicAliasMaximum: 4 } });
    h.connect();
    h.serverSends(pub('sensors/a', 1, 'x'));
    h.serverSends(pub('', 1, 'y'));
    h.serverSends(pub('sensors/b', 1, 'z')); // re-pointed
    h.serverSends(pub('', 1, 'w'));
    expect(messages(h.events())).toEqual(['sensors/a=x', 'sensors/a=y', 'sensors/b=z', 'sensors/b=w']);
  });

  it('an alias never set is a protocol error (DISCONNECT 0x82)', () => {
    const h = new Harness({ protocolVersion: 5, properties: { topicAliasMaximum: 4 } });
    h.connect();
    h.serverSends(pub('', 2, 'x'));
    expect(errorCodes(h.events())).toEqual([0x82, 0x82]);
    expect(h.sent()).toEqual([{ type: DISCONNECT, reasonCode: 0x82 }]);
  });

  it('an alias above our Topic Alias Maximum is 0x94', () => {
    const h = new Harness({ protocolVersion: 5, properties: { topicAliasMaximum: 4 } });
    h.connect();
    h.serverSends(pub('t', 5, 'x'));
    expect(errorCodes(h.events())).toEqual([0x94, 0x94]);
  });

  it('do not survive a reconnect', () => {
    const h = new Harness({ protocolVersion: 5, properties: { topicAliasMaximum: 4 } });
    h.connect();
    h.serverSends(pub('t', 1, 'x'));
    h.events();
    h.drop();
    h.connect();
    h.serverSends(pub('', 1, 'y'));
    expect(errorCodes(h.events())).toEqual([0x82, 0x82]);
  });
});

describe('topic aliases to the server (autoAssignTopicAlias)', () => {
  it('send the topic once with its alias, then only the alias', () => {
    const h = new Harness({ protocolVersion: 5, autoAssignTopicAlias: true });
    h.connect(false, { topicAliasMaximum: 1 });
    h.session.publish('long/telemetry/topic', 'a', {}, h.now);
    h.session.publish('long/telemetry/topic', 'b', { qos: 1 }, h.now);
    h.session.publish('other', 'c', {}, h.now); // no alias left: full topic
    const sent = h.sent() as PublishPacket[];
    expect(sent.map((p) => [p.topic, p.properties && p.properties.topicAlias])).toEqual([
      ['long/telemetry/topic', 1], ['', 1], ['other', undefined],
    ]);
    expect(sent[1].messageId).toBe(1);
  });

  it('are not used when the server allows none', () => {
    const h = new Harness({ protocolVersion: 5, autoAssignTopicAlias: true });
    h.connect();
    h.session.publish('t', 'a', {}, h.now);
    h.session.publish('t', 'b', {}, h.now);
    expect((h.sent() as PublishPacket[]).map((p) => p.topic)).toEqual(['t', 't']);
  });

  it('a message resent after a reconnect carries its full topic', () => {
    const h = new Harness({ protocolVersion: 5, autoAssignTopicAlias: true });
    h.connect(false, { topicAliasMaximum: 5 });
    h.session.publish('t', 'a', {}, h.now);
    h.session.publish('t', 'b', { qos: 1 }, h.now);
    h.sent();
    h.drop();
    h.connect(true, { topicAliasMaximum: 5 });
    const [p] = h.sent() as PublishPacket[];
    expect(p).toMatchObject({ topic: 't', dup: true, messageId: 1 });
    expect(p.properties).toBeUndefined();
  });
  it('a message refused for its size does not make its alias known: the next one to the topic carries the topic', () => {
    const h = new Harness({ protocolVersion: 5, autoAssignTopicAlias: true });
    h.connect(false, { topicAliasMaximum: 5, maximumPacketSize: 100 });
    expect(() => h.session.publish('sensors/a', new Uint8Array(200), {}, h.now)).toThrow();
    expect(h.sent()).toEqual([]);
    h.session.publish('sensors/a', 'small', {}, h.now);
    const p = h.sent()[0] as PublishPacket;
    expect([p.topic, p.properties && p.properties.topicAlias]).toEqual(['sensors/a', 1]);
  });

  it('never passes the server Maximum Packet Size with the alias added: such a message goes out with its topic only [MQTT-3.2.2-15]', () => {
    for (const qos of [0, 1] as const) {
      const h = new Harness({ protocolVersion: 5, autoAssignTopicAlias: true });
      const max = 100;
      h.connect(false, { topicAliasMaximum: 5, maximumPacketSize: max });
      // the largest payload whose plain PUBLISH fits: with the alias property it would not
      let size = 0;
      while (encodedLength({ type: PUBLISH, topic: 'sensors/a', payload: new Uint8Array(size + 1), qos, retain: false, dup: false, messageId: qos ? 1 : undefined }, 5) <= max) size++;
      h.session.publish('sensors/a', new Uint8Array(size), { qos }, h.now);
      expect(h.sentBytes().length).toBe(max);
      // not made known by it: the next message introduces the alias with the topic
      h.session.publish('sensors/a', 'small', {}, h.now);
      const p = h.sent()[0] as PublishPacket;
      expect([p.topic, p.properties && p.properties.topicAlias]).toEqual(['sensors/a', 1]);
    }
  });
});
