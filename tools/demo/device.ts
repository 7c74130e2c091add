// A simulated ESP32 sensor node running firmqtt: the shape of a real firmware sketch.
// It announces itself with a retained status ('online', and a retained Last Will
// 'offline' for when it dies), publishes telemetry at QoS 1 on a timer, obeys two
// commands routed from devices/<id>/cmd/{command} (led: on | off, interval: ms), and
// answers status requests on devices/<id>/rpc/status.
// Telemetry keeps being produced while the link is down; firmqtt queues it and sends it
// after the reconnect, which the log shows.
import { connect, withRoutes } from '../../targets/node/index';
import type { RoutedClient } from '../../targets/node/index';
import { log } from './log';

const MIN_INTERVAL = 200;
const MAX_INTERVAL = 60000;

export interface DeviceStats {
  published: number;
  acknowledged: number;
  reconnects: number;
}

export class Device {
  readonly id: string;
  readonly stats: DeviceStats = { published: 0, acknowledged: 0, reconnects: 0 };
  private readonly client: RoutedClient;
  private interval = 1000;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private led = false;
  private seq = 0;
  private temperature = 22 + Math.random() * 3;
  private humidity = 40 + Math.random() * 10;
  private wentOfflineAt = 0;

  constructor(url: string, id: string) {
    this.id = id;
    this.client = withRoutes(connect(url, {
      clientId: id,
      keepalive: 10,
      reconnectPeriod: 1000,
      will: { topic: this.topic('status'), payload: 'offline', qos: 1, retain: true },
    }));
    // Routes subscribe for themselves (and again after a reconnect to a server without
    // our session); {command} arrives as ctx.params.command.
    this.client.route(this.topic('cmd/{command}'), (ctx) => this.onCommand(ctx.params.command, ctx.text()), { qos: 1 });
    this.client.respond(this.topic('rpc/status'), () => ({ seq: this.seq, led: this.led, interval: this.interval }));
    this.client.router.on('error', (e, info) => log('device', `route ${info.route}: ${e.message}`));
    this.client.on('connect', (connack) => {
      const again = this.stats.reconnects > 0;
      // The queue was flushed when CONNACK arrived: what it held is now in flight.
      const resent = this.client.inflightCount;
      const version = this.client.options.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
      log('device', again
        ? `connected again after ${((Date.now() - this.wentOfflineAt) / 1000).toFixed(1)} s (session present: ${connack.sessionPresent}); ${resent} queued message(s) sent`
        : `connected to ${url} as ${id} (${version}, session present: ${connack.sessionPresent})`);
      this.client.publish(this.topic('status'), 'online', { qos: 1, retain: true });
    });
    this.client.on('offline', () => {
      this.wentOfflineAt = Date.now();
      log('device', 'connection lost; telemetry will be queued until the link is back');
    });
    this.client.on('reconnect', () => {
      this.stats.reconnects++;
      log('device', 'reconnecting...');
    });
    this.client.on('error', (e) => log('device', `error: ${e.message}`));
    this.schedule();
  }

  /**
   * A clean shutdown: say goodbye (a graceful DISCONNECT suppresses the will), wait for
   * the acknowledgements, then end. Bounded, as on a device that must power down: after
   * two seconds without them it closes anyway.
   */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    const graceful = (async () => {
      if (this.client.connected) await this.client.publishAsync(this.topic('status'), 'offline', { qos: 1, retain: true });
      await this.client.endAsync();
      return 'graceful';
    })();
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      giveUp = setTimeout(() => resolve('timeout'), 2000);
    });
    const how = await Promise.race([graceful, timeout]);
    clearTimeout(giveUp);
    if (how === 'timeout') {
      log('device', `no acknowledgement within 2 s (${this.client.inflightCount} in flight); closing anyway`);
      await this.client.endAsync(true);
      return;
    }
    log('device', 'stopped (status offline, DISCONNECT sent)');
  }

  private topic(suffix: string): string {
    return `devices/${this.id}/${suffix}`;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.sendTelemetry();
      this.schedule();
    }, this.interval);
  }

  private sendTelemetry(): void {
    // A slow random walk looks like a room, not like noise.
    this.temperature += (Math.random() - 0.5) * 0.3;
    this.humidity = Math.min(90, Math.max(20, this.humidity + (Math.random() - 0.5) * 0.8));
    const seq = ++this.seq;
    const reading = {
      seq,
      temperature: Math.round(this.temperature * 10) / 10,
      humidity: Math.round(this.humidity * 10) / 10,
      led: this.led,
    };
    const sentAt = Date.now();
    const offline = !this.client.connected;
    this.stats.published++;
    this.client.publish(this.topic('telemetry'), JSON.stringify(reading), { qos: 1 }, (err) => {
      if (err) {
        log('device', `telemetry #${seq} failed: ${err.message}`);
        return;
      }
      this.stats.acknowledged++;
      const ms = Date.now() - sentAt;
      if (offline) log('device', `telemetry #${seq} (queued while offline) acknowledged after ${ms} ms`);
      else log('device', `telemetry #${seq} ${reading.temperature} °C ${reading.humidity} % -> PUBACK in ${ms} ms`);
    });
    if (offline) log('device', `telemetry #${seq} queued while offline (${this.client.queuedCount} waiting)`);
  }

  private onCommand(command: string, value: string): void {
    if (command === 'led' && (value === 'on' || value === 'off')) {
      this.led = value === 'on';
      log('device', `command led=${value}: LED is ${value}`);
    } else if (command === 'interval' && Number(value) >= MIN_INTERVAL && Number(value) <= MAX_INTERVAL) {
      this.interval = Number(value);
      clearTimeout(this.timer);
      this.schedule();
      log('device', `command interval=${value}: telemetry every ${this.interval} ms`);
    } else {
      log('device', `ignored command ${command}=${JSON.stringify(value)}`);
    }
  }
}
