// The process the restart test kills and starts again (bundled by esbuild, run by node).
// One JSON argument:
//   { mode: 'publish' | 'resume', url, storeDir, clientId, version, n, prefix }
//
// publish: connects (or keeps trying to) with clean=false and a FileStore in storeDir,
//   publishes n QoS 1 and n QoS 2 messages, interleaved (prefix/q1/i, prefix/q2/i), then
//   reports {"event":"published", inflight, queued} on stdout and waits to be killed.
//   publish() returns only once the message is in the store.
// resume: connects with the same store and client id, publishes nothing, waits until the
//   session holds nothing unfinished, reports {"event":"drained"}, ends cleanly, exits 0.
//
// Each line on stdout is one JSON event; progress events carry the client's counters.
import { connect, FileStore } from '../../targets/node/index';
import type { NodeClientOptions } from '../../targets/node/index';

interface Args {
  mode: 'publish' | 'resume';
  url: string;
  storeDir: string;
  clientId: string;
  version: 4 | 5;
  n: number;
  prefix: string;
}

const args = JSON.parse(process.argv[2]) as Args;

function say(event: string, extra?: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(Object.assign({ event }, extra)) + '\n');
}

const options: NodeClientOptions = {
  protocolVersion: args.version,
  clientId: args.clientId,
  clean: false,
  // Mosquitto's default in-flight limit, which an MQTT 3.1.1 client is not told (see
  // test/integration/burst.test.ts: above it Mosquitto drops messages silently).
  maxInflight: 20,
  maxQueued: 4 * args.n + 10,
  reconnectPeriod: 50,
  jitter: 0,
  store: new FileStore(args.storeDir),
};
if (args.version === 5) options.properties = { sessionExpiryInterval: 300 };

const client = connect(args.url, options);
client.on('connect', (connack) => say('connect', { sessionPresent: connack.sessionPresent }));
client.on('error', (e) => say('error', { message: e.message }));

if (args.mode === 'publish') {
  for (let i = 0; i < args.n; i++) {
    client.publish(`${args.prefix}/q1/${i}`, `one ${i}`, { qos: 1 });
    client.publish(`${args.prefix}/q2/${i}`, `two ${i}`, { qos: 2 });
  }
  say('published', { inflight: client.inflightCount, queued: client.queuedCount });
  // Progress for the parent's logs while it decides when to kill us.
  setInterval(() => say('progress', { inflight: client.inflightCount, queued: client.queuedCount }), 200);
} else {
  client.once('connect', () => {
    const check = setInterval(() => {
      if (client.inflightCount + client.queuedCount > 0) return;
      clearInterval(check);
      say('drained');
      client.end(false, () => process.exit(0));
    }, 5);
  });
}
