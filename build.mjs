// Bundles firmqtt for each target with esbuild and prints a size table.
//
//   node build.mjs            build every bundle into dist/, print sizes and a JSON line
//
// Bundles: dist/node (ESM + .d.ts), dist/espruino (full + lite, one file each, loadable
// with require() after Modules.addCached), dist/moddable (an ES module + manifest.json).
// Each device bundle has a size budget (minified bytes). Until a budget is met the
// build prints the overshoot and passes; set FIRMQTT_ENFORCE_BUDGETS=1 to make an
// overshoot fail the build.
//
// The Espruino bundle is the portability gate for src/ (../shared/DESIGN.md): esbuild
// is told that the engine lacks the syntax Espruino lacks, so such syntax becomes a build
// error naming file and line; a scan of the output then refuses what esbuild would
// otherwise have lowered with helpers Espruino cannot run (object spread, #private) or
// passed through untouched (labels, computed keys).
import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Syntax the Espruino 2v29 interpreter does not parse (measured; DESIGN.md). */
export const ESPRUINO_UNSUPPORTED = {
  // Arrows parse, but 2v29 fails an internal assertion (ASSERT(jsvHasChildren(obj)),
  // jsvar.c) when it skips over, without running, an arrow function that uses `this`:
  // `x && f(() => this.y)` with x false, or the same in a braceless if or loop body (the
  // shapes minified code is full of). esbuild lowers arrows to functions that capture
  // `this` in a variable, which Espruino skips safely. Arrows that do not use `this` are
  // safe as they are: buildBundle keeps arrows when none in the bundle uses `this`
  // (espruinoArrowsSafe), which saves ~250 B (`function(a){return b}` is `a=>b`).
  'arrow': false,
  // the reverse: 2v29 parses `??` (DESIGN.md), so esbuild need not lower it for es2017
  'nullish-coalescing': true,
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

/** One character of a regular expression literal's body: not `/`, an escape, or a [class]. */
const REGEX_BODY = String.raw`(?:[^\/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])`;

/**
 * What must not appear in an Espruino bundle even after esbuild lowered it, with the
 * reason. Checked on unminified output, where esbuild's helper names are stable.
 */
const ESPRUINO_FORBIDDEN_OUTPUT = [
  [/\b__spreadValues\b|\b__objRest\b/, 'object spread or rest (esbuild lowers it with Symbol helpers)'],
  [/\b__private(Get|Set|Add|Method)\b/, '#private members (lowered to WeakMap)'],
  [/\b(new (Map|Set|WeakMap|WeakSet)\b|Symbol\s*[.(])/, 'Map, Set, WeakMap or Symbol'],
  [/\.copyWithin\(/, 'copyWithin (Espruino 2v29 typed arrays lack it)'],
  [/^\s*[A-Za-z_$][\w$]*:\s*(for|while|do)\b/m, 'a labeled loop'],
  [/[{,]\s*\[[^\]\n]+\]\s*:/, 'a computed property key'],
  [/\bclass\s+\w+\s+extends\s+Error\b/, 'class extends Error'],
  // measured on 2v29: after `a.length = n`, every later `a[i] = x` throws "Assignment to a constant"
  // esbuild lowers an arrow in a derived constructor to `var _this = this; super()`, which a
  // conforming engine rejects: bind a method instead
  [/var _this\d* = this;\s*super\(/, 'an arrow function in a derived class constructor (lowered, it reads this before super())'],
  // measured on 2v29: `class A { delete() {} }` is a SyntaxError (an object literal or a prototype assignment is not).
  // `function` is left out: a function expression passed as a call's next line looks the same
  [/^\s+(?:static\s+)?(delete|new|in|typeof|void|default|return|switch|case|catch|throw|try|finally|import|export|for|if|do|while|with|var|let|const|class|this|break|continue|else|instanceof|super|yield|enum)\([^)]*\)\s*\{/m, 'a class method named with a reserved word (assign it to the prototype: src/store/store.ts defineDelete)'],
  [/(?<!\bthis)\.length\s*=(?!=)/, 'array.length = n (Espruino 2v29 then throws on a[i] = x; assign a new array)'],
  // measured on 2v29: /^(mqtt|tcp)?$/ matches 'mqtts' and not '', /^ab|cd$/.exec('xcd') is
  // null, /a(?:b|c)d/.exec('xacd') gives ['cd'], /^(ab)+$/ does not match 'abab'
  [new RegExp(String.raw`(?<=(?:[=(,:!&|?;{}[]|\breturn|\btypeof)\s*)\/(?![\/*])${REGEX_BODY}*(?:\||\)[*+?{])${REGEX_BODY}*\/[gimsuy]*`), 'a regular expression with alternation (|) or a repeated group (2v29 matches those wrongly: compare strings instead)'],
];

/**
 * Build-time flags (esbuild `define`), read in src/ as described in src/flags.d.ts. The
 * lite Espruino bundle turns off MQTT 5 in the compact core (src/compact) so dead-code
 * elimination drops it; the main core does not read FIRMQTT_LITE.
 */
const FLAGS_FULL = { DEBUG: 'false', FIRMQTT_LITE: 'false' };
const FLAGS_LITE = { DEBUG: 'false', FIRMQTT_LITE: 'true' };

// ---- internal property names, mangled in device bundles ---------------------------------
//
// A property name is internal when our code declares it (a class member, an interface
// member, a `this.x =` assignment in src/ or the device targets) and it appears nowhere
// at the bundle's boundary:
// - not in the public declarations (tsc --declaration over the device entries, private
//   members left out): options, packets, events, methods a user calls;
// - not anywhere in TypeScript's ES lib files (lib.es*.d.ts): `length`, `set`, `buffer`, ...;
// - not after a '.' in target code or in the engine test scripts, where the engine's own
//   objects are reached (socket.write, Storage.read, E.toString, Timer.set).
// Those names are shortened by esbuild (mangleProps); everything a user or an engine can
// see keeps its name. The engine scenario (test/engines) runs the shortened bundles.

function walk(dir, ext, out) {
  for (const name of readdirSync(dir)) {
    const p = `${dir}/${name}`;
    if (statSync(p).isDirectory()) walk(p, ext, out);
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

const IDENT = /[A-Za-z_$][\w$]*/g;
/** member declarations: `  name: T`, `  name?: T`, `  private readonly name: T`, `  name(args) {` / `;` */
const MEMBER = /^[ \t]+(?:(?:private|public|protected|readonly|static|declare)\s+)*([A-Za-z_$][\w$]*)[?!]?\s*(?::|\()/gm;
const THIS_ASSIGN = /\bthis\.([A-Za-z_$][\w$]*)\s*=[^=]/g;
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'case', 'default', 'else', 'do', 'try', 'new', 'typeof', 'delete', 'void', 'in', 'of', 'const', 'let', 'var', 'constructor', 'get', 'set', 'super', 'this']);
let internalNamesCache = null;
/** The device entries whose declarations are the public boundary (full and lite Espruino, Moddable). */
const ENTRIES = ['targets/espruino/index', 'targets/espruino/lite', 'targets/moddable/index'];

function libDir() {
  const candidates = [`${root}/node_modules/@typescript/typescript-linux-x64/lib`, `${root}/node_modules/typescript/lib`];
  for (const d of candidates) {
    try {
      if (statSync(`${d}/lib.es5.d.ts`).isFile()) return d;
    } catch {
      // next
    }
  }
  return null;
}

/** `text` without its comments (the lib .d.ts files have no comment markers inside strings). */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** The internal property names (see above), as a sorted array; [] when the boundary cannot be known. */
export function internalNames() {
  if (internalNamesCache !== null) return internalNamesCache;
  const lib = libDir();
  if (lib === null) {
    console.warn('build: property names left unmangled: TypeScript lib .d.ts files not found');
    internalNamesCache = [];
    return internalNamesCache;
  }
  const sources = walk(`${root}/src`, '.ts', []).concat(walk(`${root}/targets/espruino`, '.ts', []), walk(`${root}/targets/moddable`, '.ts', []));
  const declared = new Set();
  for (const f of sources) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(MEMBER)) if (!KEYWORDS.has(m[1])) declared.add(m[1]);
    for (const m of text.matchAll(THIS_ASSIGN)) declared.add(m[1]);
  }
  const boundary = new Set(KEYWORDS);
  for (const f of readdirSync(lib)) {
    // declarations only: a word in a doc comment ("blocks", "pending") names no property
    if (/^lib\.es/.test(f)) for (const m of stripComments(readFileSync(`${lib}/${f}`, 'utf8')).matchAll(IDENT)) boundary.add(m[0]);
  }
  // public declarations
  const out = mkdtempSync(`${tmpdir()}/firmqtt-decl-`);
  try {
    const cfg = `${out}/tsconfig.json`;
    writeFileSync(cfg, JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, skipLibCheck: true,
        declaration: true, emitDeclarationOnly: true, rootDir: root, outDir: `${out}/d`, types: [],
        lib: ['es2022', 'dom'],
      },
      files: ENTRIES.map((e) => `${root}/${e}.ts`),
    }));
    const r = spawnSync(`${root}/node_modules/.bin/tsc`, ['-p', cfg], { encoding: 'utf8' });
    if (r.status !== 0) {
      // the boundary is unknown (a type error somewhere): shorten nothing rather than guess
      console.warn(`build: property names left unmangled, tsc --declaration failed:\n${r.stdout}${r.stderr}`);
      internalNamesCache = [];
      return internalNamesCache;
    }
    // only the declarations a user can reach: the entries' and what they import, transitively
    const queue = ENTRIES.map((e) => `${out}/d/${e}.d.ts`);
    const seen = new Set();
    while (queue.length) {
      const f = queue.pop();
      if (seen.has(f)) continue;
      seen.add(f);
      // declarations only, as for the lib files: a word in a doc comment names no property
      const text = stripComments(readFileSync(f, 'utf8')).split('\n').filter((l) => !/^\s*private\s/.test(l)).join('\n');
      for (const m of text.matchAll(IDENT)) boundary.add(m[0]);
      for (const m of text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = resolvePath(dirname(f), m[1].replace(/\.js$/, '')) + '.d.ts';
        try {
          if (statSync(target).isFile()) queue.push(target);
        } catch {
          queue.push(resolvePath(dirname(f), m[1], 'index.d.ts'));
        }
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  // what target code and engine scripts reach on objects they do not own (`this.x` in
  // target code is the target's own object: its private fields are shortened too)
  const reached = walk(`${root}/targets/espruino`, '.ts', []).concat(walk(`${root}/targets/moddable`, '.ts', []), walk(`${root}/test/engines`, '.js', []));
  for (const f of reached) for (const m of readFileSync(f, 'utf8').matchAll(/(?<!\bthis\s*)\.\s*([A-Za-z_$][\w$]*)/g)) boundary.add(m[1]);
  // quoted names (o['x'], 'x' in o) are left alone by esbuild: keep their dotted uses too
  for (const f of sources) for (const m of readFileSync(f, 'utf8').matchAll(/\[\s*'([A-Za-z_$][\w$]*)'\s*\]|'([A-Za-z_$][\w$]*)'\s+in\b/g)) boundary.add(m[1] || m[2]);
  internalNamesCache = [...declared].filter((n) => !boundary.has(n)).sort();
  return internalNamesCache;
}

// ---- device builds: error messages compiled out -----------------------------------------
//
// In src/, the text of an error (the string literals passed to mqttError(code, ...),
// protocolError(...), malformed(...) and new Error(...)) becomes "<file>:<line>", which
// points at the source; the MQTT reason code on the error stays. Espruino keeps a
// program's text in RAM, so every byte of message costs memory there.
const MESSAGE_CALL = /\b(mqttError\([^,()]+,\s*|protocolError\(\s*|malformed\(\s*|new Error\(\s*)('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")/g;

export function stripMessages(source, file) {
  const name = file.replace(/^.*\/src\//, '').replace(/\.ts$/, '');
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (pos) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  // The first literal becomes "<file>:<line>"; the other literals of the same argument
  // (`'x:1' + n + ' bytes exceeds ' + max`) become ' ', so the values stay, spaced.
  let out = '';
  let from = 0;
  for (const m of source.matchAll(MESSAGE_CALL)) {
    out += source.slice(from, m.index) + `${m[1]}'${name}:${lineOf(m.index)}'`;
    from = m.index + m[0].length;
    for (const [start, end] of tailLiterals(source, from)) {
      out += source.slice(from, start) + "' '";
      from = end;
    }
  }
  return out + source.slice(from);
}

/** [start, end) of each string literal longer than ' ' in the rest of the argument starting at `i`. */
function tailLiterals(source, i) {
  const found = [];
  let depth = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if ((c === ',' || c === ';') && depth === 0) break;
    else if (c === '`') return [];
    else if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      if (depth === 0 && j + 1 - i > 3) found.push([i, j + 1]);
      i = j + 1;
      continue;
    }
    i++;
  }
  return found;
}

const stripMessagesPlugin = {
  name: 'firmqtt-strip-messages',
  setup(build) {
    // src/compact writes short texts already ('bad topic'); file:line would be longer
    build.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => (args.path.includes('/src/compact/') ? undefined : { contents: stripMessages(readFileSync(args.path, 'utf8'), args.path), loader: 'ts' }));
  },
};

/** esbuild options shared by every bundle of a target; also used by the gate test. */
export function targetOptions(target, lite) {
  const common = { bundle: true, write: false, logLevel: 'silent', legalComments: 'none' };
  // Class fields are assigned in constructors (STYLE.md), never defined one by one with
  // Object.defineProperty helpers, whatever the nearest tsconfig's target implies.
  const tsconfigRaw = { compilerOptions: { useDefineForClassFields: false } };
  const flags = lite ? FLAGS_LITE : FLAGS_FULL;
  // device bundles reach the codec only through the client's session (src/flags.d.ts)
  const define = { ...flags, FIRMQTT_CLIENT_ONLY: target === 'node' ? 'false' : 'true', FIRMQTT_ESPRUINO: target === 'espruino' ? 'true' : 'false' };
  if (target === 'espruino') {
    // ESM out, then the export statement becomes `exports.x = y` (espruinoExports): no
    // getters or defineProperty helpers as esbuild's cjs output has. An app's bare
    // require('Wifi') is Espruino's global one: left bare in an ES module, it makes esbuild
    // add its dynamic-require shim (~330 B); `(0, global.require)('Wifi')` works on 2v29.
    return { ...common, platform: 'neutral', format: 'esm', target: 'es2017', supported: ESPRUINO_UNSUPPORTED, define: { ...define, require: 'global.require' }, tsconfigRaw };
  }
  if (target === 'moddable') {
    // XS is a modern engine; Moddable modules are ES modules.
    return { ...common, platform: 'neutral', format: 'esm', target: 'es2022', define, tsconfigRaw, external: ['timer', 'time', 'embedded:*'] };
  }
  if (target === 'node') {
    // npm packages (serialport, loaded only for serial:// URLs) stay imports, not bundled.
    return { ...common, platform: 'node', format: 'esm', target: 'node18', packages: 'external', define };
  }
  throw new Error(`unknown target ${target}`);
}

/**
 * Turns the ESM bundle's trailing `export { a as b, c };` into `exports.b = a;
 * exports.c = c;`: what Espruino's module loader (and Modules.addCached) expects.
 */
export function espruinoExports(code) {
  const m = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(code);
  if (m === null) return code;
  const assigns = m[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [local, exported] = s.split(/\s+as\s+/);
    return `exports.${exported === undefined ? local : exported}=${local};`;
  });
  return code.slice(0, m.index) + assigns.join('') + '\n';
}

/**
 * Whether a bundle's arrow functions may stay arrows on Espruino: none of them uses `this`
 * (see ESPRUINO_UNSUPPORTED). `code` is the output with arrows lowered, where esbuild
 * captures `this` for an arrow that uses it as `var _this = this`.
 */
export function espruinoArrowsSafe(code) {
  return !/\bvar _this\d* = this\b/.test(code);
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

/**
 * Builds one bundle; returns { name, code, minCode, minified, gzip, metafile }. Throws
 * on build or gate errors. `code` is the unminified output (after the exports rewrite).
 */
export async function buildBundle({ name, entry, target, outfile, lite, mangle, terse, esbuildOptions }) {
  // esbuildOptions: merged last (`firmqtt build` adds a resolver for 'firmqtt' and reserveProps)
  const options = { ...targetOptions(target, lite), entryPoints: [entry], absWorkingDir: root, ...esbuildOptions };
  const plugins = esbuildOptions && esbuildOptions.plugins ? [...esbuildOptions.plugins] : [];
  if (terse) plugins.push(stripMessagesPlugin);
  if (plugins.length) options.plugins = plugins;
  if (mangle) {
    const names = internalNames();
    if (names.length) options.mangleProps = new RegExp(`^(${names.join('|')})$`);
  }
  const plain = await esbuild.build(options);
  let code = plain.outputFiles[0].text;
  if (target === 'espruino') {
    checkEspruinoOutput(code, name);
    code = espruinoExports(code);
  }
  const minOptions = { ...options, minify: true, metafile: true };
  if (target === 'espruino' && espruinoArrowsSafe(code)) minOptions.supported = { ...options.supported, arrow: true };
  const min = await esbuild.build(minOptions);
  let minCode = min.outputFiles[0].text;
  if (target === 'espruino') minCode = espruinoExports(minCode);
  const bytes = Buffer.from(minCode);
  if (outfile) {
    mkdirSync(dirname(`${root}/${outfile}`), { recursive: true });
    writeFileSync(`${root}/${outfile}`, bytes);
  }
  return { name, code, minCode, minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, metafile: min.metafile };
}

/**
 * Every bundle firmqtt ships. `budget`: minified bytes allowed (issue #4); null = none.
 */
export const BUNDLES = [
  { name: 'node', entry: 'targets/node/index.ts', target: 'node', outfile: 'dist/node/firmqtt.js', budget: null },
  { name: 'espruino', entry: 'targets/espruino/index.ts', target: 'espruino', mangle: true, terse: true, outfile: 'dist/espruino/firmqtt.js', budget: 16000 },
  { name: 'espruino-lite', entry: 'targets/espruino/lite.ts', target: 'espruino', lite: true, mangle: true, terse: true, outfile: 'dist/espruino/firmqtt-lite.js', budget: 6000 },
  { name: 'moddable', entry: 'targets/moddable/device.ts', target: 'moddable', mangle: true, outfile: 'dist/moddable/firmqtt.js', budget: null },
];

/** Whether an overshoot fails the build. Off until the budgets are met (see the header). */
const ENFORCE_BUDGETS = process.env.FIRMQTT_ENFORCE_BUDGETS === '1';

/** The largest inputs of a bundle, from its metafile: [[path, bytes in output]]. */
function contributions(metafile, top) {
  const out = Object.values(metafile.outputs)[0];
  return Object.entries(out.inputs).map(([p, v]) => [p, v.bytesInOutput]).sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** dist/node/*.d.ts from targets/node/index.ts (tsc --emitDeclarationOnly). */
function nodeDeclarations() {
  const tsc = `${root}/node_modules/.bin/tsc`;
  const args = ['-p', `${root}/targets/node/tsconfig.decl.json`];
  const r = spawnSync(tsc, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc declarations failed:\n${r.stdout}${r.stderr}`);
  // Relative specifiers get their .js, as Node's ESM resolution (moduleResolution node16 /
  // nodenext in a consumer) requires; bundler resolution accepts both.
  for (const f of walk(`${root}/dist/node/types`, '.d.ts', [])) {
    const text = readFileSync(f, 'utf8');
    const fixed = text.replace(/((?:from\s+|import\(\s*)['"])(\.{1,2}\/[^'"]+?)(['"])/g, (m, pre, spec, post) => (spec.endsWith('.js') ? m : `${pre}${spec}.js${post}`));
    if (fixed !== text) writeFileSync(f, fixed);
  }
  writeFileSync(`${root}/dist/node/firmqtt.d.ts`, "export * from './types/targets/node/index.js';\n");
}

/** dist/moddable: the module and a manifest an mcconfig project includes with one line. */
function moddableManifest() {
  mkdirSync(`${root}/dist/moddable`, { recursive: true });
  copyFileSync(`${root}/targets/moddable/manifest.json`, `${root}/dist/moddable/manifest.json`);
}

async function main() {
  const rows = [];
  const overshoots = [];
  const verbose = process.argv.includes('--contributions');
  for (const b of BUNDLES) {
    const r = await buildBundle(b);
    rows.push({ name: r.name, minified: r.minified, gzip: r.gzip, budget: b.budget });
    if (b.budget !== null && r.minified > b.budget) overshoots.push(`${b.name}: ${r.minified} B minified, budget ${b.budget} B, over by ${r.minified - b.budget} B`);
    if (verbose) {
      console.log(`${b.name}: largest inputs (minified bytes)`);
      for (const [p, n] of contributions(r.metafile, 15)) console.log(`  ${String(n).padStart(7)}  ${p}`);
    }
  }
  nodeDeclarations();
  moddableManifest();
  console.log('bundle'.padEnd(16) + 'minified'.padStart(10) + 'gzip'.padStart(10) + 'budget'.padStart(10));
  for (const r of rows) {
    console.log(r.name.padEnd(16) + String(r.minified).padStart(10) + String(r.gzip).padStart(10) + String(r.budget === null ? '-' : r.budget).padStart(10));
  }
  for (const o of overshoots) console.log(`OVER BUDGET ${o}${ENFORCE_BUDGETS ? '' : ' (not enforced yet: FIRMQTT_ENFORCE_BUDGETS=1 makes this fail)'}`);
  console.log(JSON.stringify({ bundles: rows }));
  if (ENFORCE_BUDGETS && overshoots.length) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e.errors ? e.errors.map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`).join('\n') : e.message);
    process.exit(1);
  });
}
