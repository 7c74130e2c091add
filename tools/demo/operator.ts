// The operator: a dashboard-like MQTT.js client on the other side of the broker. It
// watches every device's status and telemetry and sends commands. Using MQTT.js here
// shows firmqtt interoperating with the library it mirrors.
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { log } from './log';

export class Operator {
  telemetrySeen = 0;
  private readonly client: MqttClient;

  constructor(url: string) {
    this.client = connect(url, { clientId: 'operator', reconnectPeriod: 1000 });
    this.client.on('connect', () => {
      this.client.subscribe(['devices/+/status', 'devices/+/telemetry'], { qos: 1 }, (err) => {
        if (err) log('operator', `subscribe failed: ${err.message}`);
        else log('operator', 'connected (MQTT.js), watching devices/+/status and devices/+/telemetry');
      });
    });
    this.client.on('message', (topic, payload, packet) => {
      const [, device, kind] = topic.split('/');
      if (kind === 'status') {
        log('operator', `${device} is ${payload.toString()}${packet.retain ? ' (retained status)' : ''}`);
      } else if (kind === 'telemetry') {
        this.telemetrySeen++;
        const t = JSON.parse(payload.toString()) as { seq: number; temperature: number; humidity: number; led: boolean };
        log('operator', `${device} telemetry #${t.seq}: ${t.temperature} °C, ${t.humidity} %, LED ${t.led ? 'on' : 'off'}`);
      }
    });
    this.client.on('error', (e) => log('operator', `error: ${e.message}`));
  }

  command(device: string, name: string, value: string): void {
    log('operator', `-> devices/${device}/cmd/${name} ${value}`);
    this.client.publish(`devices/${device}/cmd/${name}`, value, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client.endAsync();
  }
}
