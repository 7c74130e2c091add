// Runs a TypeScript entry (a tool, the demo, a benchmark) on Node 20, which cannot run
// .ts itself: esbuild bundles it (tools/lib/bundle.mjs), with npm packages left external,
// into .cache/, and the bundle is imported with the remaining arguments in process.argv.
//
//   node tools/run.mjs tools/bench/codec.ts [args...]
import { dirname, resolve, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForNode } from './lib/bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/run.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = resolve(root, '.cache/run', basename(entry).replace(/\.ts$/, '') + '.mjs');
await bundleForNode({
  entry: resolve(process.cwd(), entry),
  outfile,
  sourcemap: true,
  requireShim: true,
  logLevel: 'warning',
});
process.argv.splice(1, 2, outfile);
await import(pathToFileURL(outfile).href);
