// The device side of the engine scenario (test/engines/scenario.ts drives it): plain
// JavaScript that Espruino 2v29 and XS both run. Each start*() function connects through
// one API and returns a controller whose methods the Node side calls by name; what
// happens comes back through report(event):
//   {ev:'connect'} {ev:'close'} {ev:'done', tag, error} {ev:'message', topic, payload, qos, retain}
//   (firmqtt API: also bytes, the payload's length; its text only up to 100 bytes)
//   {ev:'error', error} (firmqtt API: the message and ' code ' + the error's code)
//   {ev:'mem', label, usage} (Espruino only)
// o: {host, address, port, clientId, prefix, keepalive (s), reconnectPeriod (ms), serialPath (Espruino: Serial1 on that device),
//    storage (Espruino: a StorageStore), tls (Espruino: mqtts)}

function fqText(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function fqWill(o) {
  return { topic: o.prefix + '/will', payload: 'gone', qos: 1, retain: false };
}

/** The firmqtt (MQTT.js-style) API: fq.connect(options). */
function startFirmqtt(fq, o, report) {
  var options = {
    host: o.host, address: o.address, port: o.port, clientId: o.clientId, keepalive: o.keepalive,
    reconnectPeriod: o.reconnectPeriod, will: fqWill(o),
  };
  // MQTT over a UART (Espruino's Serial1 on a device path) to the host bridge
  if (o.serialPath) {
    options.serial = Serial1;
    options.baud = 115200;
    options.setup = { path: o.serialPath };
  }
  // TLS (Espruino's tls module; the test's terminator has a self-signed certificate)
  if (o.tls) options.protocol = 'mqtts';
  // unacknowledged QoS 1/2 messages in Espruino's Storage (flash), surviving a restart
  if (o.storage) {
    options.store = new fq.StorageStore();
    options.storePrefix = 'fq';
  }
  var c = fq.connect(options);
  c.on('connect', function () { report({ ev: 'connect' }); });
  c.on('close', function () { report({ ev: 'close' }); });
  c.on('error', function (e) { report({ ev: 'error', error: String(e.message || e) + ' code ' + e.code }); });
  c.on('message', function (topic, payload, packet) {
    // a long payload's text would take more variables than a small device has: its length only
    report({ ev: 'message', topic: topic, payload: payload.length > 100 ? '' : fqText(payload), bytes: payload.length, qos: packet.qos, retain: !!packet.retain });
  });
  function done(tag) {
    return function (error) { report({ ev: 'done', tag: tag, error: error ? String(error.message || error) : null }); };
  }
  return {
    subscribe: function (tag, topic, qos) { c.subscribe(topic, { qos: qos }, done(tag)); },
    publish: function (tag, topic, payload, qos, retain) { c.publish(topic, payload, { qos: qos, retain: retain }, done(tag)); },
    end: function (tag) { c.end(false, done(tag)); },
  };
}

/** Espruino's MQTT module shape: fq.create(server, options) (Espruino only: messages are binary strings). */
function startCompat(fq, o, report) {
  var m = fq.create(o.host, {
    port: o.port, client_id: o.clientId, keep_alive: o.keepalive,
    reconnectPeriod: o.reconnectPeriod, will: fqWill(o),
  });
  var pending = { 1: [], 2: [] };
  var subs = [];
  m.on('connected', function () { report({ ev: 'connect' }); });
  m.on('disconnected', function () { report({ ev: 'close' }); });
  m.on('publish', function (msg) {
    report({ ev: 'message', topic: msg.topic, payload: msg.message, qos: msg.qos, retain: !!msg.retain });
  });
  m.on('puback', function () { report({ ev: 'done', tag: pending[1].shift(), error: null }); });
  m.on('pubcomp', function () { report({ ev: 'done', tag: pending[2].shift(), error: null }); });
  m.on('subscribed', function () { report({ ev: 'done', tag: subs.shift(), error: null }); });
  m.on('subscribed_fail', function () { report({ ev: 'done', tag: subs.shift(), error: 'refused' }); });
  m.connect();
  return {
    subscribe: function (tag, topic, qos) { subs.push(tag); m.subscribe(topic, { qos: qos }); },
    publish: function (tag, topic, payload, qos, retain) {
      if (qos > 0) pending[qos].push(tag);
      m.publish(topic, payload, { qos: qos, retain: retain });
      if (qos === 0) report({ ev: 'done', tag: tag, error: null });
    },
    end: function (tag) { m.disconnect(); report({ ev: 'done', tag: tag, error: null }); },
  };
}

/** The ECMA-419 "MQTT client" class pattern (XS): new MQTTClient({... onReadable, onControl ...}). */
function start419(MQTTClient, o, report) {
  var pending = { 4: [], 7: [] };
  var subs = [];
  var reading = null;
  var client = new MQTTClient({
    host: o.address, port: o.port, id: o.clientId, keepAlive: o.keepalive * 1000, clean: true,
    will: { topic: o.prefix + '/will', message: 'gone', QoS: 1, retain: false },
    reconnectPeriod: o.reconnectPeriod,
    onControl: function (opcode, message) {
      if (opcode === MQTTClient.CONNACK) report({ ev: 'connect' });
      else if (opcode === MQTTClient.SUBACK) report({ ev: 'done', tag: subs.shift(), error: message.payload[0] >= 0x80 ? 'refused' : null });
      else if (opcode === MQTTClient.PUBACK || opcode === MQTTClient.PUBCOMP) report({ ev: 'done', tag: pending[opcode].shift(), error: null });
    },
    onReadable: function (count, info) {
      reading = info;
      var bytes = new Uint8Array(this.read(count));
      report({ ev: 'message', topic: info.topic, payload: fqText(bytes), qos: info.QoS, retain: !!info.retain });
    },
    onError: function () { report({ ev: 'close' }); },
  });
  client.client.on('close', function () { report({ ev: 'close' }); });
  return {
    subscribe: function (tag, topic, qos) {
      subs.push(tag);
      client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: topic, QoS: qos }] });
    },
    publish: function (tag, topic, payload, qos, retain) {
      if (qos > 0) pending[qos === 1 ? 4 : 7].push(tag);
      client.write(payload, { topic: topic, QoS: qos, retain: retain });
      if (qos === 0) report({ ev: 'done', tag: tag, error: null });
    },
    end: function (tag) {
      client.write(null, { operation: MQTTClient.DISCONNECT });
      report({ ev: 'done', tag: tag, error: null });
    },
  };
}
