// `firmqtt build`: bundles a user's application together with firmqtt for one target,
// with exactly the settings of the library's own bundles (build.mjs: targetOptions,
// BUNDLES' mangle/terse/lite, and for Espruino the syntax gate), and prints the size table.
//
//   firmqtt build --target espruino app.ts            -> app.espruino.js
//   firmqtt build --target espruino --lite app.ts
//   firmqtt build --target moddable --out main.js app.ts
//
// In the app, `import { connect } from 'firmqtt'` resolves to the entry of the library
// bundle the build takes its settings from (BUNDLES' entry: targets/espruino/index.ts, with
// --lite targets/espruino/lite.ts, targets/moddable/device.ts, targets/node/index.ts).
//
// build.mjs is imported at run time by path (not bundled into the CLI bundle: it finds
// its files relative to itself).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, bool, flag, parseArgs, str } from './args';

type BuildModule = typeof import('../../build.mjs');

export type Target = 'espruino' | 'moddable' | 'node';
export const TARGETS: Target[] = ['espruino', 'moddable', 'node'];

const FLAGS = [
  flag('target', ['-t', '--target'], true),
  flag('lite', ['--lite'], false),
  flag('out', ['-o', '--out'], true),
  flag('quiet', ['-q', '--quiet'], false),
  flag('help', ['--help'], false),
];

export const BUILD_HELP = `firmqtt build: bundle an application with firmqtt for a target

Usage: firmqtt build --target espruino|moddable|node [--lite] [--out FILE] app.ts

 -t, --target T   espruino (one script to upload), moddable (one ES module for an
                  mcconfig project), node (an ES module)
     --lite       espruino: the lite firmqtt (MQTT 3.1.1 only, connect() over net;
                  no create(), TLS or Serial; smaller)
 -o, --out FILE   where to write the bundle (default: app.<target>.js beside app.ts)
 -q, --quiet      no size table
     --help       this text

In the app, import firmqtt as 'firmqtt'. The Espruino target refuses syntax the
interpreter lacks (destructuring, default and rest parameters, spread, async/await,
generators, ?., **, Map/Set/Symbol, labels, computed keys ...) with file:line.`;

/** The repository root: the nearest directory up from here with firmqtt's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'build.mjs'))) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'firmqtt') return dir;
      } catch {
        // keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('firmqtt: cannot find the firmqtt package root (build.mjs)');
    dir = up;
  }
}

let buildModule: Promise<BuildModule> | null = null;
function loadBuild(root: string): Promise<BuildModule> {
  if (buildModule === null) {
    const url = pathToFileURL(join(root, 'build.mjs')).href;
    buildModule = import(/* @vite-ignore */ url) as Promise<BuildModule>;
  }
  return buildModule;
}

export interface BuildAppOptions {
  entry: string;
  target: Target;
  lite?: boolean;
  /** where to write; undefined: do not write */
  outfile?: string;
}

export interface BuiltApp {
  target: Target;
  name: string;
  code: string;
  minCode: string;
  minified: number;
  gzip: number;
  outfile?: string;
}

/** A build error with the places it names (file:line, relative to the working directory). */
export class BuildError extends Error {}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number; lineText?: string } | null;
}

function formatEsbuildErrors(errors: EsbuildMessage[], root: string): string {
  return errors.map((e) => {
    const loc = e.location;
    if (loc === null || loc === undefined) return e.text;
    const file = isAbsolute(loc.file) ? loc.file : resolve(root, loc.file);
    return `${relative(process.cwd(), file) || file}:${loc.line}:${loc.column + 1}: ${e.text}${loc.lineText ? `\n    ${loc.lineText.trim()}` : ''}`;
  }).join('\n');
}

const IDENT = /[A-Za-z_$][\w$]*/g;

/**
 * 'firmqtt' -> the target's entry. On the devices every other bare module name is the
 * engine's (Espruino: require('Wifi'), require('Storage'); Moddable: import 'wifi',
 * 'pins/digital'): left as it is, for the engine or mcconfig to resolve.
 */
function appResolver(firmqttEntry: string, target: Target): { name: string; setup(build: any): void } {
  return {
    name: 'firmqtt-app',
    setup(build) {
      build.onResolve({ filter: /^firmqtt$/ }, () => ({ path: firmqttEntry }));
      if (target !== 'node') build.onResolve({ filter: /^[^./]/ }, (args: { path: string }) => (isAbsolute(args.path) ? undefined : { path: args.path, external: true }));
    },
  };
}

/** Bundles an application with firmqtt for `target` (see the header). */
export async function buildApp(o: BuildAppOptions): Promise<BuiltApp> {
  const root = repoRoot();
  const b = await loadBuild(root);
  const esbuild = await import('esbuild');
  const entry = resolve(o.entry);
  if (!existsSync(entry)) throw new BuildError(`${o.entry}: no such file`);
  if (o.lite && o.target !== 'espruino') throw new BuildError('--lite is for the espruino target');
  const spec = b.BUNDLES.find((x) => x.name === (o.target === 'espruino' && o.lite ? 'espruino-lite' : o.target));
  if (spec === undefined) throw new BuildError(`unknown target ${o.target}`);
  // 'firmqtt' is the entry of the bundle whose settings these are: with --lite, the lite
  // API (lite.ts), so the lite flags are not spent on the full entry's create(), TLS, Serial
  const alias = appResolver(join(root, spec.entry), o.target);
  // 1. the user's files (what the bundle takes from outside firmqtt's own folders), and
  //    esbuild's own syntax errors with file:line (the Espruino gate's `supported`)
  let inputs: string[];
  try {
    const r = await esbuild.build({
      ...(b.targetOptions(o.target, o.lite) as object),
      entryPoints: [entry], absWorkingDir: root, plugins: [alias], metafile: true, write: false,
    } as Parameters<typeof esbuild.build>[0]);
    inputs = Object.keys(r.metafile!.inputs).map((p) => resolve(root, p));
  } catch (e) {
    const errors = (e as { errors?: EsbuildMessage[] }).errors;
    if (errors !== undefined && errors.length) throw new BuildError(`${o.target === 'espruino' ? 'Espruino syntax gate: ' : ''}build failed:\n${formatEsbuildErrors(errors, root)}`);
    throw e;
  }
  const own = [join(root, 'src') + '/', join(root, 'targets') + '/', join(root, 'node_modules') + '/'];
  const userFiles = inputs.filter((p) => !own.some((d) => p.startsWith(d)));
  // 2. the app's property names are never mangled: they may be payload fields
  //    (JSON.stringify), engine APIs or anything else the app shares with the outside
  const esbuildOptions: Record<string, unknown> = { plugins: [alias] };
  if (spec.mangle) {
    const names = new Set<string>();
    for (const f of userFiles) for (const m of readFileSync(f, 'utf8').matchAll(IDENT)) names.add(m[0]);
    if (names.size) esbuildOptions.reserveProps = new RegExp(`^(${[...names].map((n) => n.replace(/\$/g, '\\$')).join('|')})$`);
  }
  const name = basename(entry, extname(entry));
  let built;
  try {
    built = await b.buildBundle({ ...spec, name, entry, outfile: undefined, esbuildOptions });
  } catch (e) {
    const errors = (e as { errors?: EsbuildMessage[] }).errors;
    if (errors !== undefined && errors.length) throw new BuildError(`build failed:\n${formatEsbuildErrors(errors, root)}`);
    const msg = (e as Error).message;
    if (/^Espruino syntax gate/.test(msg)) throw new BuildError(await mapGateError(msg, entry, alias, o, b, root));
    throw e;
  }
  let outfile: string | undefined;
  if (o.outfile !== undefined) {
    outfile = resolve(o.outfile);
    mkdirSync(dirname(outfile), { recursive: true });
    writeFileSync(outfile, built.minCode);
  }
  return { target: o.target, name: spec.name === 'espruino-lite' ? `${name} (lite)` : name, code: built.code, minCode: built.minCode, minified: built.minified, gzip: built.gzip, outfile };
}

// ---- the output scan's errors (bundle lines) mapped back to source lines ----------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** For each generated line (0-based), its first mapping: [source index, source line (0-based)]. */
function decodeFirstMappings(mappings: string): ([number, number] | null)[] {
  const out: ([number, number] | null)[] = [];
  let src = 0;
  let srcLine = 0;
  for (const line of mappings.split(';')) {
    let first: [number, number] | null = null;
    for (const seg of line.split(',')) {
      if (seg === '') continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 4) {
        src += fields[1];
        srcLine += fields[2];
        if (first === null) first = [src, srcLine];
      }
    }
    out.push(first);
  }
  return out;
}

async function mapGateError(msg: string, entry: string, alias: { name: string; setup(build: any): void }, o: BuildAppOptions, b: BuildModule, root: string): Promise<string> {
  const esbuild = await import('esbuild');
  try {
    const r = await esbuild.build({
      ...(b.targetOptions(o.target, o.lite) as object),
      entryPoints: [entry], absWorkingDir: root, plugins: [alias], write: false, sourcemap: 'external', outfile: join(root, '.cache', 'gate.js'),
    } as Parameters<typeof esbuild.build>[0]);
    const js = r.outputFiles!.find((f) => f.path.endsWith('.js'))!.text;
    const map = JSON.parse(r.outputFiles!.find((f) => f.path.endsWith('.map'))!.text) as { sources: string[]; mappings: string };
    const lines = decodeFirstMappings(map.mappings);
    const where = (bundleLine: number): string | null => {
      for (let l = bundleLine - 1; l >= 0; l--) {
        const m = lines[l];
        if (m) return `${relative(process.cwd(), resolve(dirname(join(root, '.cache', 'gate.js')), map.sources[m[0]]))}:${m[1] + 1}`;
      }
      return null;
    };
    // the same scan, over this build's output (no exports rewrite: the lines stay put)
    try {
      b.checkEspruinoOutput(js, 'bundle');
    } catch (e) {
      const mapped = (e as Error).message.split('\n').map((l) => {
        const m = /^bundle:(\d+): (.*)$/.exec(l);
        if (m === null) return l;
        // a lowered helper (__spreadValues) is defined at the top, unmapped: report its uses
        let w = lines[Number(m[1]) - 1] ? where(Number(m[1])) : null;
        if (w === null) {
          const token = m[2].slice(m[2].lastIndexOf(': ') + 2);
          const uses: string[] = [];
          js.split('\n').forEach((text, i) => {
            const at = lines[i] && text.indexOf(token) >= 0 ? where(i + 1) : null;
            if (at !== null && uses.indexOf(at) < 0) uses.push(at);
          });
          if (uses.length) w = uses.join(', ');
        }
        return w === null ? l : `${w}: ${m[2]}`;
      });
      return mapped.join('\n');
    }
  } catch (e) {
    // fall back to the bundle's lines
    if (process.env.FIRMQTT_DEBUG) console.error(e);
  }
  return msg;
}

/** The size table, as build.mjs prints it. */
export function sizeTable(rows: BuiltApp[]): string {
  const lines = ['bundle'.padEnd(24) + 'minified'.padStart(10) + 'gzip'.padStart(10)];
  for (const r of rows) lines.push(`${r.target}/${r.name}`.padEnd(24) + String(r.minified).padStart(10) + String(r.gzip).padStart(10));
  return lines.join('\n');
}

export async function build(argv: string[]): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (bool(p, 'help')) {
    process.stdout.write(BUILD_HELP + '\n');
    return 0;
  }
  const target = str(p, 'target');
  if (target === undefined) throw new UsageError('--target is required: espruino, moddable or node.');
  if (TARGETS.indexOf(target as Target) < 0) throw new UsageError(`Unknown target '${target}': use espruino, moddable or node.`);
  if (p.positional.length !== 1) throw new UsageError('Give exactly one application file (app.ts).');
  const entry = p.positional[0];
  const lite = bool(p, 'lite');
  const outfile = str(p, 'out') ?? join(dirname(entry), `${basename(entry, extname(entry))}.${target}${lite ? '-lite' : ''}.js`);
  try {
    const r = await buildApp({ entry, target: target as Target, lite, outfile });
    if (!bool(p, 'quiet')) {
      process.stdout.write(sizeTable([r]) + '\n');
      process.stdout.write(`wrote ${relative(process.cwd(), r.outfile!) || r.outfile}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof BuildError) {
      process.stderr.write(`firmqtt build: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
