#!/usr/bin/env node
// `npx firmqtt <command>`: the package's bin. The commands are TypeScript
// (tools/cli/main.ts) and Node 20 cannot run .ts, so this launcher bundles them with
// esbuild (a dev dependency; tools/lib/bundle.mjs, as for tools/run.mjs) on every
// start, about 0.1 s, and imports the bundle: no build step to forget, and the bundle is never stale. Each run
// writes its own temporary file and renames it into place, so parallel runs (the CLI
// tests spawn several) never import a half-written bundle. npm packages stay external
// and resolve from the repository's node_modules.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForNode } from '../lib/bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outfile = join(root, '.cache', 'cli', 'firmqtt.mjs');
try {
  await bundleForNode({
    entry: join(root, 'tools/cli/main.ts'),
    outfile,
    sourcemap: true,
    requireShim: true,
    logLevel: 'error',
    atomic: true,
  });
} catch {
  // esbuild has printed the errors.
  process.exit(2);
}
const { main } = await import(pathToFileURL(outfile).href);
await main(process.argv.slice(2));
