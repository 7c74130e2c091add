#!/usr/bin/env node
// `npx firmqtt <command>`: the package's bin. The commands are TypeScript
// (tools/cli/main.ts) and Node 20 cannot run .ts, so this launcher bundles them with
// esbuild (a dev dependency, as for tools/run.mjs) on every start, about 0.1 s, and
// imports the bundle: no build step to forget, and the bundle is never stale. Each run
// writes its own temporary file and renames it into place, so parallel runs (the CLI
// tests spawn several) never import a half-written bundle. npm packages stay external
// and resolve from the repository's node_modules.
import * as esbuild from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = join(root, '.cache', 'cli');
const outfile = join(outdir, 'firmqtt.mjs');
const temp = join(outdir, `firmqtt.${process.pid}.${Date.now()}.tmp.mjs`);
mkdirSync(outdir, { recursive: true });
try {
  await esbuild.build({
    entryPoints: [join(root, 'tools/cli/main.ts')],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    define: { DEBUG: 'false' },
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
} catch {
  // esbuild has printed the errors.
  process.exit(2);
}
renameSync(temp, outfile);
const { main } = await import(pathToFileURL(outfile).href);
await main(process.argv.slice(2));
