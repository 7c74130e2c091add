// Router benchmark: finding the route of a topic (and its params) among N routes, with
// firmqtt's route table against a linear regex scan, in the same process.
//
//   npm run bench:router            (node tools/run.mjs tools/bench/router.ts)
//   npm run bench:router -- --quick (fewer, shorter runs; for a smoke test)
//
// The routes look like a gateway's: per device, telemetry `app<a>/dev<i>/{sensor}/data`,
// commands `app<a>/dev<i>/cmd/{action}`, status `app<a>/dev<i>/status`, and logs
// `logs/dev<i>/{path...}`, cycling through the four shapes, for N = 10, 100 and 1,000
// routes. The topics (10,000 per N, built before any timing) are drawn at random from the
// routes, one in ten matching no route at all.
//
// firmqtt: what Router.dispatch does per message: topic.split('/'), RouteTable.find(),
// extractParams(). Linear scan: what a router without a tree does: each route compiled
// once to an anchored RegExp with one group per parameter ({name} -> ([^/]+), {name...}
// -> (?:/(.*))?), tried in order until one matches, then params from the groups. Both
// return the same route and params for every topic (checked before timing).
//
// Method (STYLE.md §5): inputs built first; both sides warmed up; REPS runs interleaved,
// each after a GC when available; median reported; time from process.hrtime.bigint().
// Prints a table, then as the last line one JSON object:
//   {"routes":1000,"firmqtt_matches_per_s":...,"linear_regex_matches_per_s":...,"ratio":...}
import { compilePattern, extractParams } from '../../src/router/pattern';
import type { CompiledPattern } from '../../src/router/pattern';
import { RouteTable } from '../../src/router/table';
import { Rng } from '../lib/prng';
import { exposeGc } from '../lib/gc';
import { median } from '../lib/median';

const QUICK = process.argv.includes('--quick');
const REPS = QUICK ? 3 : 9;
const TARGET_NS = QUICK ? 20e6 : 150e6; // per run
const TOPICS = 10000;

const gc = exposeGc();

interface Entry {
  compiled: CompiledPattern;
}

interface LinearRoute {
  entry: Entry;
  re: RegExp;
  names: string[];
}

type Params = { [name: string]: string };

function patternOf(i: number): string {
  const dev = `app${i % 17}/dev${i >> 2}`;
  switch (i % 4) {
    case 0: return `${dev}/{sensor}/data`;
    case 1: return `${dev}/cmd/{action}`;
    case 2: return `${dev}/status`;
    default: return `logs/dev${i >> 2}/{path...}`;
  }
}

function topicFor(i: number, rng: Rng): string {
  const dev = `app${i % 17}/dev${i >> 2}`;
  switch (i % 4) {
    case 0: return `${dev}/${['temp', 'hum', 'co2', 'lux'][rng.int(4)]}/data`;
    case 1: return `${dev}/cmd/${['reboot', 'led', 'ota'][rng.int(3)]}`;
    case 2: return `${dev}/status`;
    default: return `logs/dev${i >> 2}/${['boot', 'net/wifi', 'app/main/loop'][rng.int(3)]}`;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The anchored RegExp a linear router would compile for a pattern. */
function linearRoute(entry: Entry): LinearRoute {
  const parts = entry.compiled.pattern.split('/');
  let src = '^';
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    const m = /^\{(\w+)(\.\.\.)?\}$/.exec(s);
    if (m !== null && m[2] !== undefined) {
      names.push(m[1]);
      src += i === 0 ? '(.*)' : '(?:/(.*))?';
      break;
    }
    if (i > 0) src += '/';
    if (m !== null) {
      names.push(m[1]);
      src += '([^/]+)';
    } else {
      src += escapeRegExp(s);
    }
  }
  return { entry, re: new RegExp(src + '$'), names };
}

function linearMatch(routes: LinearRoute[], topic: string): { entry: Entry; params: Params } | null {
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    const m = r.re.exec(topic);
    if (m === null) continue;
    const params: Params = {};
    for (let k = 0; k < r.names.length; k++) params[r.names[k]] = m[k + 1] === undefined ? '' : m[k + 1];
    return { entry: r.entry, params };
  }
  return null;
}

function treeMatch(table: RouteTable<Entry>, topic: string): { entry: Entry; params: Params } | null {
  const levels = topic.split('/');
  const entry = table.find(levels, topic);
  if (entry === null) return null;
  return { entry, params: extractParams(entry.compiled, levels) };
}

interface Case {
  n: number;
  table: RouteTable<Entry>;
  linear: LinearRoute[];
  topics: string[];
}

function buildCase(n: number): Case {
  const table = new RouteTable<Entry>();
  const linear: LinearRoute[] = [];
  for (let i = 0; i < n; i++) {
    const entry = { compiled: compilePattern(patternOf(i)) };
    table.add(entry);
    linear.push(linearRoute(entry));
  }
  const rng = new Rng(n);
  const topics: string[] = [];
  for (let k = 0; k < TOPICS; k++) {
    if (rng.int(10) === 0) topics.push(`app${rng.int(17)}/nodev${rng.int(1000)}/temp/data`);
    else topics.push(topicFor(rng.int(n), rng));
  }
  // Both must agree on every topic before anything is timed.
  for (const t of topics) {
    const a = treeMatch(table, t);
    const b = linearMatch(linear, t);
    if ((a === null) !== (b === null) || (a !== null && b !== null && (a.entry !== b.entry || JSON.stringify(a.params) !== JSON.stringify(b.params)))) {
      throw new Error(`route table and linear scan disagree on "${t}": ${JSON.stringify(a?.params)} vs ${JSON.stringify(b?.params)}`);
    }
  }
  return { n, table, linear, topics };
}

let sink = 0;

/** Matches per second over one run of at least TARGET_NS. */
function run(c: Case, tree: boolean): number {
  if (gc !== null) gc();
  const topics = c.topics;
  let done = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let k = 0; k < topics.length; k++) {
      const m = tree ? treeMatch(c.table, topics[k]) : linearMatch(c.linear, topics[k]);
      if (m !== null) sink++;
    }
    done += topics.length;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < BigInt(TARGET_NS));
  return (done * 1e9) / Number(elapsed);
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function main(): void {
  const cases = [10, 100, 1000].map(buildCase);
  for (const c of cases) {
    run(c, true);
    run(c, false);
  }
  const rows: { routes: number; firmqtt: number; linear: number; ratio: number }[] = [];
  for (const c of cases) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < REPS; r++) {
      a.push(run(c, true));
      b.push(run(c, false));
    }
    const firmqtt = median(a);
    const linear = median(b);
    rows.push({ routes: c.n, firmqtt, linear, ratio: firmqtt / linear });
  }
  console.log(`route matching, ${TOPICS.toLocaleString('en-US')} topics (10% unrouted), median of ${REPS} runs, Node ${process.version}${gc === null ? ' (no gc between runs)' : ''}`);
  console.log('routes'.padStart(7) + 'firmqtt matches/s'.padStart(20) + 'linear regex matches/s'.padStart(25) + 'ratio'.padStart(10));
  for (const r of rows) {
    console.log(String(r.routes).padStart(7) + fmt(r.firmqtt).padStart(20) + fmt(r.linear).padStart(25) + (r.ratio.toFixed(1) + 'x').padStart(10));
  }
  if (sink < 0) console.log(sink);
  const last = rows[rows.length - 1];
  console.log(JSON.stringify({
    routes: last.routes,
    firmqtt_matches_per_s: Math.round(last.firmqtt),
    linear_regex_matches_per_s: Math.round(last.linear),
    ratio: Math.round(last.ratio * 10) / 10,
  }));
}

main();
