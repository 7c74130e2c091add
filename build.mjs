// Bundles firmqtt for each target with esbuild and prints a size table.
//
//   node build.mjs            build every bundle into dist/, print sizes and a JSON line
//
// The Espruino bundle is the portability gate for src/ (../shared/DESIGN.md): esbuild
// is told that the engine lacks the syntax Espruino lacks, so such syntax becomes a build
// error naming file and line; a scan of the output then refuses what esbuild would
// otherwise have lowered with helpers Espruino cannot run (object spread, #private) or
// passed through untouched (labels, computed keys).
import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Syntax the Espruino 2v29 interpreter does not parse (measured; DESIGN.md). */
export const ESPRUINO_UNSUPPORTED = {
  'destructuring': false,
  'default-argument': false,
  'rest-argument': false,
  'array-spread': false,
  'object-rest-spread': false,
  'async-await': false,
  'async-generator': false,
  'for-await': false,
  'generator': false,
  'class-private-field': false,
  'class-private-method': false,
  'class-private-accessor': false,
  'class-private-static-field': false,
  'class-private-static-method': false,
  'class-private-static-accessor': false,
  'class-private-brand-check': false,
  'class-static-blocks': false,
  'optional-chain': false,
  'exponent-operator': false,
};

/**
 * What must not appear in an Espruino bundle even after esbuild lowered it, with the
 * reason. Checked on unminified output, where esbuild's helper names are stable.
 */
const ESPRUINO_FORBIDDEN_OUTPUT = [
  [/\b__spreadValues\b|\b__objRest\b/, 'object spread or rest (esbuild lowers it with Symbol helpers)'],
  [/\b__private(Get|Set|Add|Method)\b/, '#private members (lowered to WeakMap)'],
  [/\b(new (Map|Set|WeakMap|WeakSet)\b|Symbol\s*[.(])/, 'Map, Set, WeakMap or Symbol'],
  [/^\s*[A-Za-z_$][\w$]*:\s*(for|while|do)\b/m, 'a labeled loop'],
  [/[{,]\s*\[[^\]\n]+\]\s*:/, 'a computed property key'],
  [/\bclass\s+\w+\s+extends\s+Error\b/, 'class extends Error'],
];

/** esbuild options shared by every bundle of a target; also used by the gate test. */
export function targetOptions(target) {
  const common = { bundle: true, write: false, logLevel: 'silent', legalComments: 'none' };
  if (target === 'espruino') {
    return { ...common, platform: 'neutral', format: 'cjs', target: 'es2017', supported: ESPRUINO_UNSUPPORTED, define: { DEBUG: 'false' } };
  }
  if (target === 'node') {
    // npm packages (serialport, loaded only for serial:// URLs) stay imports, not bundled.
    return { ...common, platform: 'node', format: 'esm', target: 'node18', packages: 'external', define: { DEBUG: 'false' } };
  }
  throw new Error(`unknown target ${target}`);
}

/** Throws an Error listing every Espruino-incompatible construct left in `code`. */
export function checkEspruinoOutput(code, name) {
  const problems = [];
  for (const [re, why] of ESPRUINO_FORBIDDEN_OUTPUT) {
    const m = re.exec(code);
    if (m) {
      const line = code.slice(0, m.index).split('\n').length;
      problems.push(`${name}:${line}: ${why}: ${m[0].trim()}`);
    }
  }
  if (problems.length) throw new Error('Espruino syntax gate:\n' + problems.join('\n'));
}

/** Builds one bundle; returns { name, code, minified, gzip }. Throws on build or gate errors. */
export async function buildBundle({ name, entry, target, outfile }) {
  const options = { ...targetOptions(target), entryPoints: [entry], absWorkingDir: root };
  const plain = await esbuild.build(options);
  const code = plain.outputFiles[0].text;
  if (target === 'espruino') checkEspruinoOutput(code, name);
  const min = await esbuild.build({ ...options, minify: true });
  const minCode = min.outputFiles[0].contents;
  if (outfile) {
    mkdirSync(dirname(`${root}/${outfile}`), { recursive: true });
    writeFileSync(`${root}/${outfile}`, minCode);
  }
  return { name, code, minified: minCode.length, gzip: gzipSync(minCode, { level: 9 }).length };
}

/** Every bundle firmqtt ships. */
export const BUNDLES = [
  { name: 'node', entry: 'targets/node/index.ts', target: 'node', outfile: 'dist/node/firmqtt.js' },
  { name: 'espruino', entry: 'src/index.ts', target: 'espruino', outfile: 'dist/espruino/firmqtt.js' },
];

async function main() {
  const rows = [];
  for (const b of BUNDLES) {
    const r = await buildBundle(b);
    rows.push({ name: r.name, minified: r.minified, gzip: r.gzip });
  }
  console.log('bundle'.padEnd(16) + 'minified'.padStart(10) + 'gzip'.padStart(10));
  for (const r of rows) console.log(r.name.padEnd(16) + String(r.minified).padStart(10) + String(r.gzip).padStart(10));
  console.log(JSON.stringify({ bundles: rows }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e.errors ? e.errors.map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`).join('\n') : e.message);
    process.exit(1);
  });
}
