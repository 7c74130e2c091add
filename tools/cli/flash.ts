// `firmqtt flash`: build an app for Espruino (firmqtt build --target espruino) and upload
// it to a board over its serial console (tools/flash/upload.ts: the Web IDE's protocol).
//
//   firmqtt flash --port /dev/ttyUSB0 app.ts                  run from RAM (gone on reset)
//   firmqtt flash --port /dev/ttyUSB0 --save app.ts           to Storage (.bootcde): runs at every boot
//   firmqtt flash --port /dev/ttyUSB0 --monitor app.ts        then keep printing the console
import { UsageError, bool, flag, int, parseArgs, str } from './args';
import { BuildError, buildApp, sizeTable } from './build';
import { openPort } from '../flash/serial';
import { upload, UploadError } from '../flash/upload';

const FLAGS = [
  flag('port', ['-p', '--port'], true),
  flag('baud', ['-b', '--baud'], true),
  flag('save', ['--save'], false),
  flag('lite', ['--lite'], false),
  flag('noReset', ['--no-reset'], false),
  flag('monitor', ['-m', '--monitor'], false),
  flag('wait', ['-w', '--wait'], true),
  flag('timeout', ['--timeout'], true),
  flag('help', ['--help'], false),
];

export const FLASH_HELP = `firmqtt flash: build an app for Espruino and upload it over the serial port

Usage: firmqtt flash --port DEVICE [--baud 115200] [--save] [--lite] app.ts

 -p, --port DEVICE   the board's serial port (/dev/ttyUSB0, /dev/ttyACM0, COM3)
 -b, --baud N        baud rate (default 115200)
     --save          write to Storage (.bootcde) so it runs after every reset; without
                     it the code runs from RAM until the next reset
     --lite          the lite firmqtt (MQTT 3.1.1 only; smaller)
     --no-reset      do not reset() the board first (keep what runs)
 -m, --monitor       after the upload, print the board's console until Ctrl-C
 -w, --wait S        without --monitor: print the console for S seconds (default 2)
     --timeout MS    how long to wait for the board to answer (default 3000)
     --help          this text

Close the Web IDE (or any terminal on the port) first: the port can have one user.`;

export async function flash(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(FLASH_HELP + '\n');
    return 0;
  }
  const path = str(p, 'port');
  if (path === undefined) throw new UsageError('--port is required (the board\'s serial port, e.g. /dev/ttyUSB0).');
  if (p.positional.length !== 1) throw new UsageError('Give exactly one application file (app.ts).');
  const baud = int(p, 'baud', 1, 10000000, 'baud rate') ?? 115200;
  const timeoutMs = int(p, 'timeout', 100, 600000, 'timeout') ?? 3000;
  const wait = int(p, 'wait', 0, 3600, 'wait') ?? 2;
  const entry = p.positional[0];
  const err = (m: string) => process.stderr.write(`firmqtt flash: ${m}\n`);

  let code: string;
  try {
    const built = await buildApp({ entry, target: 'espruino', lite: bool(p, 'lite'), outfile: undefined });
    process.stderr.write(sizeTable([built]) + '\n');
    code = built.minCode;
  } catch (e) {
    if (e instanceof BuildError) {
      err(e.message);
      return 1;
    }
    throw e;
  }

  let port;
  try {
    port = await openPort(path, baud);
  } catch (e) {
    if (e instanceof UploadError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  let lastPct = -1;
  try {
    process.stderr.write(`firmqtt flash: ${path} at ${baud} baud\n`);
    await upload(port, {
      code,
      save: bool(p, 'save'),
      reset: !bool(p, 'noReset'),
      timeoutMs,
      onStep(s) {
        const what: { [k: string]: string } = {
          probe: 'asking the board', reset: 'reset()', upload: `sending ${code.length} bytes to RAM`,
          save: `writing ${code.length} bytes to Storage (.bootcde)`, load: 'load(): restarting with the saved code', confirm: 'waiting for the board', done: 'done',
        };
        process.stderr.write(`firmqtt flash: ${what[s] ?? s}\n`);
      },
      onProgress(sent, total) {
        const pct = Math.floor((sent / total) * 100);
        if (pct >= lastPct + 10 || sent === total) {
          lastPct = pct;
          process.stderr.write(`firmqtt flash: ${String(pct).padStart(3)}% (${sent}/${total} B)\n`);
        }
      },
      onOutput(text) {
        process.stdout.write(text);
      },
    });
  } catch (e) {
    await port.close();
    if (e instanceof UploadError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  if (bool(p, 'monitor')) {
    process.stderr.write('firmqtt flash: console follows (Ctrl-C to quit)\n');
    port.onData((c) => process.stdout.write(Buffer.from(c).toString('latin1').replace(/\x1b\[J|\r/g, '')));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  } else if (wait > 0) {
    port.onData((c) => process.stdout.write(Buffer.from(c).toString('latin1').replace(/\x1b\[J|\r/g, '')));
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
  await port.close();
  return 0;
}
