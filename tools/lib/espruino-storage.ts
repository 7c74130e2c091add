// Espruino code that writes files from the host's disk into Espruino's Storage, as a
// flashed device has them (the Linux build keeps Storage in espruino.flash, in its working
// directory). Used by the engine scenario's 'lean' runs and the memory benchmark.
import { statSync } from 'node:fs';

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
