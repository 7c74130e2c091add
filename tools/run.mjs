// Runs a TypeScript entry (a tool, the demo, a benchmark) on Node 20, which cannot run
// .ts itself: esbuild bundles it, with npm packages left external, into .cache/, and
// the bundle is imported with the remaining arguments in process.argv.
//
//   node tools/run.mjs tools/bench/codec.ts [args...]
import * as esbuild from 'esbuild';
import { dirname, resolve, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/run.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = resolve(root, '.cache/run', basename(entry).replace(/\.ts$/, '') + '.mjs');
await esbuild.build({
  entryPoints: [resolve(process.cwd(), entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  define: { DEBUG: 'false' },
  logLevel: 'warning',
  // CommonJS packages imported from ESM need a require() in scope.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
process.argv.splice(1, 2, outfile);
await import(pathToFileURL(outfile).href);
