// `firmqtt pub`: publish like mosquitto_pub. One message (-m, -f, -n, -s), or one per
// line of stdin (-l); exits 0 once every message is sent (QoS 0) or acknowledged (QoS 1/2)
// and the client has disconnected, 1 on a connection or publish error.
//
//   firmqtt pub -h localhost -t sensors/temp -m 21.5 -q 1
//   tail -f log | firmqtt pub -t logs -l -q 1 -V mqttv5
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { connect } from '../../targets/node/index';
import type { MqttClient } from '../../targets/node/index';
import { UsageError, bool, flag, int, parseArgs, str } from './args';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFrom, describe } from './common';
import type { Connection } from './common';

const FLAGS = CONNECTION_FLAGS.concat([
  flag('topic', ['-t', '--topic'], true),
  flag('message', ['-m', '--message'], true),
  flag('file', ['-f', '--file'], true),
  flag('lines', ['-l', '--stdin-line'], false),
  flag('stdin', ['-s', '--stdin-file'], false),
  flag('null', ['-n', '--null-message'], false),
  flag('retain', ['-r', '--retain'], false),
  flag('repeat', ['--repeat'], true),
  flag('repeatDelay', ['--repeat-delay'], true),
]);

export const PUB_HELP = `firmqtt pub: publish MQTT messages (mosquitto_pub flags)

Usage: firmqtt pub -t TOPIC (-m MESSAGE | -f FILE | -l | -n | -s) [options]

Message:
 -t, --topic TOPIC      topic to publish to
 -m, --message TEXT     the payload
 -f, --file FILE        the payload is the file's content
 -l, --stdin-line       one message per line of stdin (blank lines are skipped)
 -s, --stdin-file       the payload is all of stdin
 -n, --null-message     a zero-length payload
 -r, --retain           retained message
     --repeat N         publish the message N times
     --repeat-delay S   seconds between repeats

${CONNECTION_HELP}`;

/** Most messages held (queued or in flight) before -l stops reading stdin for a while. */
const LINE_WINDOW = 100;

export async function pub(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(PUB_HELP + '\n');
    return 0;
  }
  const c = connectionFrom(p, 'pub');
  const topic = str(p, 'topic') ?? c.urlTopic;
  if (topic === undefined) throw new UsageError('No topic given: use -t TOPIC.');
  const sources = ['message', 'file', 'lines', 'stdin', 'null'].filter((k) => p.flags[k] !== undefined);
  if (sources.length === 0) throw new UsageError('No message given: use -m, -f, -l, -n or -s.');
  if (sources.length > 1) throw new UsageError('Only one of -m, -f, -l, -n and -s can be used.');
  const repeat = int(p, 'repeat', 1, 1e9, 'repeat count') ?? 1;
  const repeatDelay = Number(str(p, 'repeatDelay') ?? '0');
  if (!(repeatDelay >= 0)) throw new UsageError(`Invalid repeat delay '${str(p, 'repeatDelay')}'.`);
  const retain = bool(p, 'retain');

  let payload: Uint8Array | null = null;
  if (bool(p, 'null')) payload = new Uint8Array(0);
  else if (str(p, 'message') !== undefined) payload = Buffer.from(str(p, 'message') as string);
  else if (str(p, 'file') !== undefined) payload = readFileSync(str(p, 'file') as string);
  else if (bool(p, 'stdin')) payload = readFileSync(0);

  const client = await open(c);
  if (client === null) return 1;
  let failed = false;
  const done = (e: Error | null) => {
    if (e !== null && !failed) {
      failed = true;
      if (!c.quiet) process.stderr.write(`Error: publish failed: ${e.message}\n`);
    }
  };
  if (payload !== null) {
    for (let i = 0; i < repeat && !failed; i++) {
      if (i > 0 && repeatDelay > 0) await new Promise((r) => setTimeout(r, repeatDelay * 1000));
      client.publish(topic, payload, { qos: c.qos, retain }, done);
      if (c.debug) process.stderr.write(`firmqtt: PUBLISH q${c.qos} r${retain ? 1 : 0} '${topic}' (${payload.length} bytes)\n`);
    }
  } else {
    await publishLines(client, topic, c, retain, done);
  }
  // A graceful end waits until every QoS 1/2 message is acknowledged.
  await client.endAsync();
  return failed ? 1 : 0;
}

function publishLines(client: MqttClient, topic: string, c: Connection, retain: boolean, done: (e: Error | null) => void): Promise<void> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    let paused = false;
    const after = (e: Error | null) => {
      done(e);
      if (paused && client.inflightCount + client.queuedCount < LINE_WINDOW / 2) {
        paused = false;
        rl.resume();
      }
    };
    rl.on('line', (line) => {
      if (line === '') return;
      client.publish(topic, Buffer.from(line), { qos: c.qos, retain }, after);
      if (c.debug) process.stderr.write(`firmqtt: PUBLISH q${c.qos} '${topic}' (${Buffer.byteLength(line)} bytes)\n`);
      if (c.qos > 0 && !paused && client.inflightCount + client.queuedCount >= LINE_WINDOW) {
        paused = true;
        rl.pause();
      }
    });
    rl.on('close', () => resolve());
  });
}

/**
 * Connects; on the first failure prints it (as mosquitto_pub does) and returns null.
 * `prepare` runs before the connection opens: listeners that must not miss anything
 * (messages a kept session delivers right after CONNACK) go there.
 */
export function open(c: Connection, prepare?: (client: MqttClient) => void): Promise<MqttClient | null> {
  return new Promise((resolve) => {
    const client = connect(c.url, c.options);
    if (prepare !== undefined) prepare(client);
    const onConnect = () => {
      client.off('error', onError);
      if (c.debug) process.stderr.write(`firmqtt: connected to ${describe(c)} as ${client.options.clientId}\n`);
      client.on('error', (e: Error) => {
        if (c.debug) process.stderr.write(`firmqtt: ${e.message}\n`);
      });
      client.on('offline', () => {
        if (!c.quiet) process.stderr.write(`firmqtt: connection to ${describe(c)} lost; reconnecting\n`);
      });
      resolve(client);
    };
    const onError = (e: Error & { code?: unknown }) => {
      client.off('connect', onConnect);
      client.end(true);
      if (!c.quiet) process.stderr.write(`Error: ${connectError(e, c)}\n`);
      resolve(null);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}

function connectError(e: Error & { code?: unknown }, c: Connection): string {
  if (e.code === 'ECONNREFUSED') return `Connection refused: nothing listens at ${describe(c)}`;
  if (e.code === 'ENOTFOUND') return `Unknown host in ${describe(c)}`;
  return e.message;
}
