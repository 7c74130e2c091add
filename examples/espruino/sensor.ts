// A sensor for Espruino (ESP32, ESP8266, or the Linux build): telemetry at QoS 1, a
// retained online/offline status with a Last Will, and commands on a topic.
//
//   npx firmqtt build --target espruino examples/espruino/sensor.ts     (bundle + sizes)
//   npx firmqtt flash --port /dev/ttyUSB0 examples/espruino/sensor.ts   (build + upload)
//   npx firmqtt flash --port /dev/ttyUSB0 --save examples/espruino/sensor.ts  (+ keep after a reset)
//
// Topics (DEVICE = 'sensor1'):
//   sensors/sensor1/status      'online' (retained, on connect) / 'offline' (retained: the
//                               Last Will, sent by the broker when the board vanishes)
//   sensors/sensor1/telemetry   {"t":..., "uptime":..., "mem":..., "temp":...} at QoS 1
//   sensors/sensor1/cmd/<name>  commands: interval (seconds), led (on|off), ping (-> pong)
//
// Commands are routed by a small switch on the topic's last level: firmqtt's Router is
// not part of the Espruino bundle (each byte costs RAM there).
//
// Only what Espruino 2v29 parses (the build refuses the rest with file:line): no
// destructuring, default/rest parameters, spread, async/await, ?., Map/Set.
import { connect } from 'firmqtt';

declare const E: any;
declare const LED1: any;
declare function getTime(): number;
declare function digitalWrite(pin: any, value: boolean): void;
declare function require(name: string): any;

// ---- settings: change these -------------------------------------------------------------
const BROKER = 'mqtt://192.168.1.10:1883';
const DEVICE = 'sensor1';
/** '' when the board already has a network (Espruino Wifi saved, Ethernet, the Linux build) */
const WIFI_SSID = '';
const WIFI_PASSWORD = '';
// -------------------------------------------------------------------------------------------

const base = 'sensors/' + DEVICE;
let intervalMs = 10000;
let timer: any = null;
let count = 0;

function telemetry(): string {
  const m = process.memory();
  return JSON.stringify({
    n: ++count,
    uptime: Math.round(getTime()),
    mem: m.usage,
    temp: typeof E.getTemperature === 'function' ? E.getTemperature() : null,
  });
}

function start(): void {
  const client = connect(BROKER, {
    clientId: DEVICE,
    keepalive: 30,
    reconnectPeriod: 2000,
    will: { topic: base + '/status', payload: 'offline', qos: 1, retain: true },
  });

  function publishTelemetry(): void {
    client.publish(base + '/telemetry', telemetry(), { qos: 1 });
  }

  function schedule(): void {
    if (timer !== null) clearInterval(timer);
    timer = setInterval(publishTelemetry, intervalMs);
  }

  const commands: { [name: string]: (arg: string) => void } = {
    interval: function (arg) {
      const s = parseFloat(arg);
      if (s > 0) {
        intervalMs = s * 1000;
        schedule();
      }
    },
    led: function (arg) {
      if (typeof LED1 !== 'undefined') digitalWrite(LED1, arg === 'on');
    },
    ping: function (arg) {
      client.publish(base + '/pong', arg, { qos: 1 });
    },
  };

  client.on('connect', function () {
    print('connected to ' + BROKER);
    client.publish(base + '/status', 'online', { qos: 1, retain: true });
    client.subscribe(base + '/cmd/+', { qos: 1 });
    publishTelemetry();
    schedule();
  });
  client.on('message', function (topic: string, payload: Uint8Array) {
    const name = topic.slice(topic.lastIndexOf('/') + 1);
    const handler = commands[name];
    if (handler === undefined) {
      print('unknown command ' + name);
      return;
    }
    try {
      handler(E.toString(payload));
    } catch (e) {
      print('command ' + name + ' failed: ' + e);
    }
  });
  // connect() listens to 'error' itself (the client reconnects on its own), so a failed
  // publish would go unseen without this
  client.on('error', function (e: any) {
    print('error: ' + e);
  });
  client.on('offline', function () {
    print('offline, reconnecting');
  });
}

declare function print(text: string): void;
declare const process: { memory(): { usage: number } };

if (WIFI_SSID === '') {
  start();
} else {
  require('Wifi').connect(WIFI_SSID, { password: WIFI_PASSWORD }, function (err: any) {
    if (err) print('Wi-Fi: ' + err);
    else start();
  });
}
