// `firmqtt bridge`: the serial <-> TCP bridge from the command line (tools/bridge/bridge.ts).
//
//   firmqtt bridge --serial /dev/ttyUSB0 --baud 115200 --broker mqtt://localhost:1883
//   firmqtt bridge /dev/ttyUSB0 -h broker.local -p 1883
import { UsageError, bool, flag, int, parseArgs, str } from '../cli/args';
import { SerialBridge } from './bridge';

const FLAGS = [
  flag('serial', ['-s', '--serial', '--port-path', '--device'], true),
  flag('baud', ['-b', '--baud', '--baud-rate'], true),
  flag('broker', ['-B', '--broker'], true),
  flag('host', ['-h', '--host'], true),
  flag('port', ['-p', '--port'], true),
  flag('insecure', ['--insecure'], false),
  flag('quiet', ['-q', '--quiet'], false),
  flag('help', ['--help'], false),
];

export const BRIDGE_HELP = `firmqtt bridge: carry MQTT between a serial port and a TCP broker

Usage: firmqtt bridge --serial DEVICE [--baud N] [--broker URL | -h HOST -p PORT]

 -s, --serial DEVICE   the serial port the board is on (/dev/ttyUSB0, COM3); also the
                       first argument
 -b, --baud N          baud rate (default 115200)
 -B, --broker URL      mqtt://host:port or mqtts://host:port (default mqtt://localhost:1883)
 -h, --host HOST       broker host, instead of --broker
 -p, --port PORT       broker port, instead of --broker
     --insecure        mqtts: do not check the broker's certificate
 -q, --quiet           report nothing but errors
     --help            this text

Each CONNECT the board sends opens a fresh broker connection (closing the previous
one). Broker closes are reported; the board notices them through its keep-alive and
reconnects. Runs until interrupted (Ctrl-C).`;

export async function bridge(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(BRIDGE_HELP + '\n');
    return 0;
  }
  const serial = str(p, 'serial') ?? p.positional[0];
  if (serial === undefined) throw new UsageError('No serial port given: use --serial /dev/ttyUSB0.');
  const baudRate = int(p, 'baud', 1, 10000000, 'baud rate') ?? 115200;
  let broker = str(p, 'broker');
  if (broker === undefined) {
    const host = str(p, 'host') ?? 'localhost';
    broker = `mqtt://${host.indexOf(':') >= 0 ? `[${host}]` : host}:${int(p, 'port', 1, 65535, 'port') ?? 1883}`;
  } else if (str(p, 'host') !== undefined || str(p, 'port') !== undefined) {
    throw new UsageError('Use either --broker or -h/-p.');
  }
  const quiet = bool(p, 'quiet');
  const b = new SerialBridge({
    port: serial,
    baudRate,
    broker,
    tls: bool(p, 'insecure') ? { rejectUnauthorized: false } : undefined,
    log: (line) => {
      if (!quiet || /unavailable|cannot|lost|WARNING/.test(line)) process.stderr.write(line + '\n');
    },
  });
  try {
    await b.start();
  } catch (e) {
    process.stderr.write(`Error: ${(e as Error).message.replace(/^bridge: /, '')}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.stderr.write('bridge: stopping\n');
      b.stop().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    b.once('serial-close', () => resolve(1));
  });
}
