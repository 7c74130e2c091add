// The operator: a dashboard-like MQTT.js client on the other side of the broker. It
// watches every device's status and telemetry and sends commands. Using MQTT.js here
// shows firmqtt interoperating with the library it mirrors. Status requests go through
// a firmqtt client: on MQTT 3.1.1 (aedes) request/response rides in firmqtt's small
// envelope, which MQTT.js does not speak.
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { connect as firmqttConnect, withRoutes } from '../../targets/node/index';
import type { RoutedClient } from '../../targets/node/index';
import { log } from './log';

export class Operator {
  telemetrySeen = 0;
  private readonly client: MqttClient;
  private readonly rpc: RoutedClient;

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
    this.rpc = withRoutes(firmqttConnect(url, { clientId: 'operator-rpc' }));
  }

  /** Asks a device for its state (request/response) and logs the answer. */
  status(device: string): void {
    log('operator', `-> request devices/${device}/rpc/status`);
    this.rpc.request(`devices/${device}/rpc/status`, '', { timeout: 2000 }).then(
      (reply) => log('operator', `<- ${device} status ${reply.status}: ${reply.text()}`),
      (e: Error) => log('operator', `status request failed: ${e.message}`),
    );
  }

  command(device: string, name: string, value: string): void {
    log('operator', `-> devices/${device}/cmd/${name} ${value}`);
    this.client.publish(`devices/${device}/cmd/${name}`, value, { qos: 1 });
  }

  async stop(): Promise<void> {
    await Promise.all([this.client.endAsync(), this.rpc.endAsync()]);
  }
}
