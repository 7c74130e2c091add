// The one esbuild setup for running TypeScript (or a README example) on Node 20, which
// cannot run .ts itself: tools/run.mjs, the `firmqtt` bin, the chaos run's publisher and
// the tests that spawn a bundled child all bundle through bundleForNode(). The bundle is
// ESM for node20 with DEBUG defined false; npm packages are left external by default, so
// they resolve from the repository's node_modules and the bundle must then be written
// inside the repository (under .cache/). Plain JavaScript, so that the .mjs launchers can
// import it before anything is bundled; bundle.d.mts types it for the TypeScript callers.
import * as esbuild from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** CommonJS packages imported from an ESM bundle need a require() in scope. */
const REQUIRE_BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/**
 * Bundles `entry` (a file) or `code` (JavaScript source, resolved from `resolveDir`) into
 * `outfile` and resolves with `outfile`; rejects when esbuild fails (it has printed the
 * errors unless logLevel is 'silent').
 * @param {import('./bundle.d.mts').BundleOptions} options
 * @returns {Promise<string>}
 */
export async function bundleForNode(options) {
  const o = options;
  mkdirSync(dirname(o.outfile), { recursive: true });
  // atomic: each build writes its own temporary file and renames it into place, so
  // parallel runs never import a half-written bundle.
  const written = o.atomic === true
    ? join(dirname(o.outfile), `${basename(o.outfile, '.mjs')}.${process.pid}.${Date.now()}.tmp.mjs`)
    : o.outfile;
  await esbuild.build({
    ...(o.entry !== undefined
      ? { entryPoints: [o.entry] }
      : { stdin: { contents: o.code ?? '', resolveDir: o.resolveDir, loader: 'js' } }),
    outfile: written,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    ...(o.external === false ? {} : { packages: 'external' }),
    ...(o.sourcemap === true ? { sourcemap: 'inline' } : {}),
    define: { DEBUG: 'false' },
    ...(o.alias !== undefined ? { alias: o.alias } : {}),
    logLevel: o.logLevel ?? 'warning',
    ...(o.requireShim === true ? { banner: { js: REQUIRE_BANNER } } : {}),
  });
  if (written !== o.outfile) renameSync(written, o.outfile);
  return o.outfile;
}
