// `firmqtt chaos` / `npm run chaos`: the chaos run (tools/chaos/run.ts) from the command
// line. Prints progress on stderr, then the per-QoS table and one JSON line on stdout;
// exits 0 when nothing was lost at QoS 1 or 2 and nothing duplicated at QoS 2, else 1.
//
//   npm run chaos                               5,000 + 5,000 messages, >= 55 faults
//   npm run chaos -- --messages 500 --faults 15 --seed 42
import { UsageError, bool, flag, int, parseArgs } from '../cli/args';
import { protocolVersion } from '../cli/common';
import { formatReport, requirementsMet, runChaos } from './run';

const FLAGS = [
  flag('messages', ['-n', '--messages'], true),
  flag('faults', ['-f', '--faults'], true),
  flag('interval', ['--fault-interval'], true),
  flag('restarts', ['--broker-restarts'], true),
  flag('kills', ['--client-restarts'], true),
  flag('corruptions', ['--corruptions'], true),
  flag('rate', ['--rate'], true),
  flag('seed', ['--seed'], true),
  flag('version', ['-V', '--protocol-version'], true),
  flag('keepalive', ['-k', '--keepalive'], true),
  flag('quiet', ['-q', '--quiet'], false),
  flag('help', ['--help'], false),
];

export const CHAOS_HELP = `firmqtt chaos: QoS 1 and QoS 2 through a faulty network; counts lost and duplicated

Usage: firmqtt chaos [options]          (needs mosquitto installed)

 -n, --messages N        messages per QoS (default 5000)
 -f, --faults N          proxy faults to inject, at least (default 55)
     --fault-interval MS mean time between faults (default 600)
     --broker-restarts N Mosquitto restarts (default 2)
     --client-restarts N kills (SIGKILL) and restarts of the publisher (default 1)
     --corruptions N     corrupted packet headers (default 1)
     --rate N            messages per QoS per second (default: spread over the faults)
     --seed N            PRNG seed for the faults (default: from the clock; printed)
 -V, --protocol-version  mqttv5 (default) or mqttv311
 -k, --keepalive S       keep-alive of both clients (default 2)
 -q, --quiet             no progress lines
Exit status 0 when lost = 0 at QoS 1 and 2 and duplicated = 0 at QoS 2.`;

export async function chaos(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(CHAOS_HELP + '\n');
    return 0;
  }
  if (p.positional.length > 0) throw new UsageError(`Unexpected argument '${p.positional[0]}'.`);
  const quiet = bool(p, 'quiet');
  const report = await runChaos({
    messages: int(p, 'messages', 1, 10000000, 'message count'),
    faults: int(p, 'faults', 0, 100000, 'fault count'),
    faultInterval: int(p, 'interval', 10, 600000, 'fault interval'),
    brokerRestarts: int(p, 'restarts', 0, 100, 'broker restarts'),
    clientRestarts: int(p, 'kills', 0, 100, 'client restarts'),
    corruptions: int(p, 'corruptions', 0, 1000, 'corruptions'),
    rate: int(p, 'rate', 1, 1000000, 'rate'),
    seed: int(p, 'seed', 0, 0xffffffff, 'seed'),
    protocolVersion: p.flags.version === undefined ? 5 : protocolVersion(p.flags.version as string),
    keepalive: int(p, 'keepalive', 1, 600, 'keepalive'),
    log: quiet ? undefined : (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(formatReport(report) + '\n');
  const ok = requirementsMet(report.result) && report.unexpected === 0;
  if (!ok || report.problems.length > 0 || process.env.CHAOS_VERBOSE === '1') {
    process.stderr.write('chaos: timeline\n' + report.timeline.join('\n') + '\n');
  }
  if (!ok) process.stderr.write('chaos: FAILED: messages were lost at QoS 1/2 or duplicated at QoS 2\n');
  return ok ? 0 : 1;
}
