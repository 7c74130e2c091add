// Running Espruino's Linux build from Node: starting it, and a script that writes files
// into its Storage as a flashed device has them (the Linux build keeps Storage in
// espruino.flash, in its working directory). Used by the engine scenario
// (test/engines/espruino.test.ts) and the memory benchmark (tools/bench/espruino-memory.ts).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';

/**
 * Starts the Espruino executable `bin` on `script` in `cwd`; what it prints (stdout and
 * stderr, latin1) goes to `onOutput`. Espruino's REPL exits at end of input: 'pipe' keeps
 * stdin open (an idle pipe) so it runs until killed; 'ignore' lets it end after the script.
 */
export function spawnEspruino(bin: string, cwd: string, script: string, stdin: 'pipe' | 'ignore', onOutput: (text: string) => void): ChildProcess {
  const proc = spawn(bin, [script], { cwd, stdio: [stdin, 'pipe', 'pipe'] });
  const onData = (chunk: Buffer) => onOutput(chunk.toString('latin1'));
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  return proc;
}

/**
 * A script for a first Espruino process: each file's bytes written to the Storage file
 * `name`, 512 bytes at a time (a whole bundle as one string would not fit in 2,500
 * variables), then `after(name, bytes)` called, `after` being a JavaScript function
 * expression in the script.
 */
export function storageWriter(files: { name: string; path: string }[], after: string): string {
  return [
    `var after = ${after};`,
    'function put(name, path, size) {',
    "  var f = E.openFile(path, 'r'), at = 0, d;",
    "  while ((d = f.read(512)) !== undefined) { require('Storage').write(name, d, at, size); at += d.length; }",
    '  f.close();',
    '  after(name, at);',
    '}',
    ...files.map((f) => `put(${JSON.stringify(f.name)}, ${JSON.stringify(f.path)}, ${statSync(f.path).size});`),
  ].join('\n');
}
