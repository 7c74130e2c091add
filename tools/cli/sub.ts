// `firmqtt sub`: subscribe like mosquitto_sub. Prints each message's payload (with -v:
// "topic payload") on a line; stops after -C messages or -W seconds; reconnects by
// itself if the connection drops.
//
//   firmqtt sub -h localhost -t 'sensors/#' -v
//   firmqtt sub -t status -C 1 -W 10 -q 1 -V mqttv5
import { UsageError, bool, flag, int, list, parseArgs } from './args';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFrom } from './common';
import { open } from './pub';

const FLAGS = CONNECTION_FLAGS.concat([
  flag('topic', ['-t', '--topic'], true, true),
  flag('filterOut', ['-T', '--filter-out'], true, true),
  flag('count', ['-C', '--count'], true),
  flag('verbose', ['-v', '--verbose'], false),
  flag('noNewline', ['-N'], false),
  flag('noRetained', ['-R'], false),
  flag('retainedOnly', ['--retained-only'], false),
  flag('timeout', ['-W'], true),
  flag('exitAfterSubscribe', ['-E'], false),
]);

export const SUB_HELP = `firmqtt sub: subscribe and print messages (mosquitto_sub flags)

Usage: firmqtt sub -t FILTER [-t FILTER ...] [options]

 -t, --topic FILTER     topic filter to subscribe to (repeatable)
 -T, --filter-out F     do not print topics matching this filter (repeatable)
 -C, --count N          exit after N messages
 -v, --verbose          print "topic payload"
 -N                     no newline after each payload
 -R                     skip retained (stale) messages
     --retained-only    print only retained messages, exit at the first live one
 -W S                   give up after S seconds (exit code 27, as mosquitto_sub)
 -E                     exit once the subscriptions are acknowledged

${CONNECTION_HELP}`;

/** mosquitto_sub's exit status when -W expires (MOSQ_ERR_TIMEOUT). */
export const TIMEOUT_EXIT = 27;

export async function sub(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(SUB_HELP + '\n');
    return 0;
  }
  const c = connectionFrom(p, 'sub');
  const topics = list(p, 'topic');
  if (c.urlTopic !== undefined) topics.push(c.urlTopic);
  if (topics.length === 0) throw new UsageError('No topic given: use -t FILTER.');
  const count = int(p, 'count', 1, Number.MAX_SAFE_INTEGER, 'message count');
  const timeout = int(p, 'timeout', 1, 86400 * 365, 'timeout');
  const verbose = bool(p, 'verbose');
  const newline = !bool(p, 'noNewline');
  const noRetained = bool(p, 'noRetained');
  const retainedOnly = bool(p, 'retainedOnly');
  const filterOut = list(p, 'filterOut');

  let received = 0;
  let finished = false;
  /** an exit decided before the client was ready (-C reached by a kept session's messages) */
  let earlyExit: number | null = null;
  let finish = (code: number) => {
    if (earlyExit === null) earlyExit = code;
  };
  const onMessage = (topic: string, payload: Uint8Array, packet: { retain: boolean }) => {
    if (finished || earlyExit !== null) return;
    if (noRetained && packet.retain) return;
    if (retainedOnly && !packet.retain) {
      finish(0);
      return;
    }
    for (let i = 0; i < filterOut.length; i++) if (matches(filterOut[i], topic)) return;
    const out: Buffer[] = [];
    if (verbose) out.push(Buffer.from(topic + ' '));
    out.push(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    if (newline) out.push(Buffer.from('\n'));
    process.stdout.write(Buffer.concat(out));
    received++;
    if (count !== undefined && received >= count) finish(0);
  };
  // The listener is in place before CONNECT: a kept session (-c) may deliver queued
  // messages right after CONNACK, before the SUBSCRIBE is even answered.
  const client = await open(c, (cl) => cl.on('message', onMessage));
  if (client === null) return 1;
  return new Promise<number>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    finish = (code: number) => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      client.end(false, () => resolve(code));
    };
    if (earlyExit !== null) {
      finish(earlyExit);
      return;
    }
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        if (!c.quiet) process.stderr.write('Timed out\n');
        finish(TIMEOUT_EXIT);
      }, timeout * 1000);
    }
    client.subscribe(topics, { qos: c.qos }, (error, granted) => {
      if (error) {
        if (!c.quiet) process.stderr.write(`Error: subscribe failed: ${error.message}\n`);
        finish(1);
        return;
      }
      let refused = 0;
      for (const g of granted ?? []) {
        if (g.qos >= 0x80) {
          refused++;
          if (!c.quiet) process.stderr.write(`Warning: subscription to '${g.topic}' refused by the broker (0x${g.qos.toString(16)})\n`);
        }
      }
      if (c.debug) process.stderr.write(`firmqtt: subscribed to ${topics.join(', ')} at QoS ${c.qos}\n`);
      if (refused === topics.length) finish(1);
      else if (bool(p, 'exitAfterSubscribe')) finish(0);
    });
  });
}

/** Whether a topic matches a filter with + and # wildcards. */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i > 0 || !topic.startsWith('$');
    if (i >= t.length) return false;
    if (f[i] === '+') {
      if (i === 0 && t[0].startsWith('$')) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
