// A sensor for Moddable XS (ESP32, Pico W): telemetry at QoS 1, a retained
// online/offline status with a Last Will, and commands on a topic. The same app as
// examples/espruino/sensor.ts.
//
// Build firmqtt once (dist/moddable, which manifest.json includes), then from this folder:
//
//   npm run build                       (in the firmqtt checkout)
//   mcconfig -d -m -p esp32 ssid="my-wifi" password="secret" broker="192.168.1.10"
//
// manifest_net.json joins the Wi-Fi network before this module runs (ssid / password
// come from the mcconfig command line). ECMA-419 sockets dial an IP address: give the
// broker's address, not a host name.
//
// Topics (device = config.device, "sensor2" by default):
//   sensors/sensor2/status      "online" (retained) / "offline" (retained Last Will)
//   sensors/sensor2/telemetry   {"n":..., "ticks":...} at QoS 1
//   sensors/sensor2/cmd/<name>  interval (seconds), ping (-> sensors/sensor2/pong)
//
// Commands are routed by a small switch on the topic's last level (firmqtt's Router is
// not in the Moddable bundle).
import { connect } from "firmqtt";
import config from "mc/config";
import Timer from "timer";
import Time from "time";

const device = config.device ?? "sensor2";
const base = `sensors/${device}`;
let intervalMs = 10000;
let timer;
let count = 0;

function text(bytes) {
	let s = "";
	for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
	return s;
}

const client = connect({
	address: config.broker,
	port: 1883,
	clientId: device,
	keepalive: 30,
	reconnectPeriod: 2000,
	will: { topic: `${base}/status`, payload: "offline", qos: 1, retain: true },
});

function publishTelemetry() {
	client.publish(`${base}/telemetry`, JSON.stringify({ n: ++count, ticks: Time.ticks }), { qos: 1 });
}

function schedule() {
	if (timer !== undefined) Timer.clear(timer);
	timer = Timer.repeat(publishTelemetry, intervalMs);
}

const commands = {
	interval(arg) {
		const s = parseFloat(arg);
		if (s > 0) {
			intervalMs = s * 1000;
			schedule();
		}
	},
	ping(arg) {
		client.publish(`${base}/pong`, arg, { qos: 1 });
	},
};

client.on("connect", () => {
	trace(`connected to ${config.broker}\n`);
	client.publish(`${base}/status`, "online", { qos: 1, retain: true });
	client.subscribe(`${base}/cmd/+`, { qos: 1 });
	publishTelemetry();
	schedule();
});

client.on("message", (topic, payload) => {
	const name = topic.slice(topic.lastIndexOf("/") + 1);
	const handler = commands[name];
	if (handler === undefined) {
		trace(`unknown command ${name}\n`);
		return;
	}
	try {
		handler(text(payload));
	} catch (e) {
		trace(`command ${name} failed: ${e}\n`);
	}
});

client.on("offline", () => trace("offline, reconnecting\n"));
// connect() listens to "error" itself (the client reconnects on its own): show them here
client.on("error", (e) => trace(`error: ${e}\n`));
