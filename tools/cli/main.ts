// `firmqtt <command>`: the command-line entry (the package's bin is the launcher
// tools/cli/firmqtt.mjs, which bundles this file and calls main()).
import { UsageError } from './args';
import { pub, PUB_HELP } from './pub';
import { sub, SUB_HELP } from './sub';
import { bridge, BRIDGE_HELP } from '../bridge/cli';
import { proxy, PROXY_HELP } from '../proxy/cli';
import { chaos, CHAOS_HELP } from '../chaos/cli';
import { build, BUILD_HELP } from './build';
import { flash, FLASH_HELP } from './flash';

const COMMANDS: { [name: string]: { run: (argv: string[]) => Promise<number>; help: string } } = {
  pub: { run: pub, help: PUB_HELP },
  sub: { run: sub, help: SUB_HELP },
  bridge: { run: bridge, help: BRIDGE_HELP },
  proxy: { run: proxy, help: PROXY_HELP },
  chaos: { run: chaos, help: CHAOS_HELP },
  build: { run: build, help: BUILD_HELP },
  flash: { run: flash, help: FLASH_HELP },
};

const USAGE = `firmqtt <command> [options]   (firmqtt <command> --help for its options)

  pub      publish messages (mosquitto_pub flags: -h -p -t -m -q -r -V -l -n -f ...)
  sub      subscribe and print messages (mosquitto_sub flags: -h -p -t -q -V -C -v ...)
  bridge   carry MQTT between a serial port and a TCP broker
  proxy    a TCP proxy that injects faults (cut, stall, delay, fragment, corrupt)
  chaos    QoS 1/2 through faults and broker restarts; counts lost and duplicated
  build    bundle an app with firmqtt for espruino, moddable or node (size table)
  flash    build an app for Espruino and upload it over a serial port`;

export async function main(argv: string[]): Promise<void> {
  const name = argv[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS[argv[1]] : undefined;
    process.stdout.write((topic !== undefined ? topic.help : USAGE) + '\n');
    process.exitCode = name === undefined ? 2 : 0;
    return;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`firmqtt: unknown command '${name}'\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    process.exitCode = await command.run(argv.slice(1));
  } catch (e) {
    if (e instanceof UsageError) {
      // Exit status 1, as mosquitto_pub / mosquitto_sub on a usage error.
      process.stderr.write(`Error: ${e.message}\nUse 'firmqtt ${name} --help' to see usage.\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
