// `firmqtt proxy`: the fault-injecting proxy by hand (tools/proxy/proxy.ts). Faults given
// as flags apply to every connection; typed commands act on the open ones.
//
//   firmqtt proxy --listen 1884 --target localhost:1883 --fragment --delay 50
//   firmqtt proxy --listen 1884 --target localhost:1883 --cut-after-bytes 200
import { createInterface } from 'node:readline';
import { UsageError, bool, flag, int, parseArgs, str } from '../cli/args';
import { FaultProxy } from './proxy';
import type { Direction, ProxyFaults } from './proxy';

const FLAGS = [
  flag('listen', ['-l', '--listen'], true),
  flag('bind', ['--bind'], true),
  flag('target', ['-t', '--target'], true),
  flag('cutAfterBytes', ['--cut-after-bytes'], true),
  flag('cutAfterMs', ['--cut-after-ms'], true),
  flag('stallAfterBytes', ['--stall-after-bytes'], true),
  flag('stallAfterMs', ['--stall-after-ms'], true),
  flag('delay', ['--delay'], true),
  flag('fragment', ['--fragment'], false),
  flag('fragmentDelay', ['--fragment-delay'], true),
  flag('corruptAt', ['--corrupt-at'], true),
  flag('corruptPacket', ['--corrupt-packet'], true),
  flag('direction', ['--direction'], true),
  flag('quiet', ['-q', '--quiet'], false),
  flag('help', ['--help'], false),
];

export const PROXY_HELP = `firmqtt proxy: a TCP proxy that injects faults into MQTT connections

Usage: firmqtt proxy --listen PORT --target HOST:PORT [faults]

 -l, --listen PORT          port to listen on (default 1884); --bind ADDR (default 127.0.0.1)
 -t, --target HOST:PORT     where to forward (default localhost:1883)
Faults, for every connection ("up" = client to broker, "down" = broker to client):
     --cut-after-bytes N    close both sides after N bytes forwarded
     --cut-after-ms N       close both sides N ms after the connection opened
     --stall-after-bytes N  stop forwarding (without closing) after N bytes
     --stall-after-ms N     stop forwarding N ms after the connection opened
     --delay MS             hold every chunk MS milliseconds
     --fragment             forward one byte per write
     --fragment-delay MS    pause between those bytes (default 1)
     --corrupt-at N         flip the byte at offset N
     --corrupt-packet N     turn the first byte of the Nth packet into 0x00 (reserved type)
     --direction D          up | down | both: which bytes the counts and corruption
                            apply to (default both; corruption: up)
 -q, --quiet                no event lines
Commands typed while it runs (for the open connections):
  cut | stall | resume | delay MS | fragment on|off | corrupt [up|down] [PACKET-TYPE] | stats`;

export async function proxy(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(PROXY_HELP + '\n');
    return 0;
  }
  const direction = str(p, 'direction');
  if (direction !== undefined && direction !== 'up' && direction !== 'down' && direction !== 'both') {
    throw new UsageError(`Invalid direction '${direction}': up, down or both.`);
  }
  const faults: ProxyFaults = {
    cutAfterBytes: int(p, 'cutAfterBytes', 0, Number.MAX_SAFE_INTEGER),
    cutAfterMs: int(p, 'cutAfterMs', 0, Number.MAX_SAFE_INTEGER),
    stallAfterBytes: int(p, 'stallAfterBytes', 0, Number.MAX_SAFE_INTEGER),
    stallAfterMs: int(p, 'stallAfterMs', 0, Number.MAX_SAFE_INTEGER),
    delayMs: int(p, 'delay', 0, 3600000),
    fragment: bool(p, 'fragment'),
    corruptAt: int(p, 'corruptAt', 0, Number.MAX_SAFE_INTEGER),
    corruptPacket: int(p, 'corruptPacket', 1, Number.MAX_SAFE_INTEGER),
    direction: direction as Direction | undefined,
  };
  const quiet = bool(p, 'quiet');
  const fp = new FaultProxy({
    target: str(p, 'target') ?? 'localhost:1883',
    port: int(p, 'listen', 0, 65535, 'port') ?? 1884,
    host: str(p, 'bind'),
    faults,
    fragmentDelay: int(p, 'fragmentDelay', 0, 60000),
    log: quiet ? undefined : (line) => process.stderr.write(line + '\n'),
  });
  try {
    await fp.start();
  } catch (e) {
    process.stderr.write(`Error: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  // The port line goes to stdout, so scripts can read it (with --listen 0).
  process.stdout.write(`listening on ${fp.port}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => command(fp, line.trim()));
  return new Promise<number>((resolve) => {
    const stop = () => {
      rl.close();
      fp.stop().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function command(fp: FaultProxy, line: string): void {
  const [word, a, b] = line.split(/\s+/);
  const say = (s: string) => process.stderr.write(`proxy: ${s}\n`);
  switch (word) {
    case '':
      return;
    case 'cut':
      say(`cut ${fp.cut()} connection(s)`);
      return;
    case 'stall':
      say(`stalled ${fp.stall()} connection(s)`);
      return;
    case 'resume':
      fp.resume();
      say('resumed');
      return;
    case 'delay':
      fp.delay(Number(a ?? 0) || 0);
      say(`delay ${fp.delayMs} ms`);
      return;
    case 'fragment':
      fp.fragment(a !== 'off');
      say(`fragment ${fp.fragmenting ? 'on' : 'off'}`);
      return;
    case 'corrupt': {
      const dir = a === 'down' ? 'down' : 'up';
      const type = b === undefined ? undefined : Number(b);
      void fp.corruptNext({ direction: dir, packetType: type });
      say(`the next ${type === undefined ? '' : 'type-' + type + ' '}packet going ${dir} will be corrupted`);
      return;
    }
    case 'stats':
      say(JSON.stringify(fp.stats));
      return;
    default:
      say(`unknown command '${word}' (cut, stall, resume, delay MS, fragment on|off, corrupt [up|down] [TYPE], stats)`);
  }
}
