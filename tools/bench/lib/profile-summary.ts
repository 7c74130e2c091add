// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by source
// area (firmqtt src/, targets/, mqtt, node internals, GC, idle), so a benchmark's "where
// does the time go" is a table instead of a flame graph.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof .cache/run/e2e.mjs --brokers mosquitto --qos 1 --libs firmqtt --no-memory
//   node tools/run.mjs tools/bench/lib/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(f: CallFrame): string {
  const u = f.url;
  if (f.functionName === '(garbage collector)') return 'GC';
  if (f.functionName === '(idle)') return 'idle';
  if (f.functionName === '(program)') return 'program (native, unattributed)';
  if (u.includes('/src/codec/') || u.includes('src/codec')) return 'firmqtt src/codec';
  if (u.includes('src/session')) return 'firmqtt src/session';
  if (u.includes('src/client') || u.includes('src/util')) return 'firmqtt src/client';
  if (u.includes('targets/node')) return 'firmqtt targets/node';
  if (u.includes('node_modules/mqtt-packet')) return 'mqtt-packet';
  if (u.includes('node_modules/mqtt/')) return 'mqtt (MQTT.js)';
  if (u.includes('node_modules/')) return 'other node_modules';
  if (u.startsWith('node:')) return 'node internals (' + u.replace(/^node:internal\//, '').split('/')[0] + ')';
  if (u === '') return 'native';
  return 'other: ' + u.replace(/^.*\//, '');
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? '25');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>();
for (const n of p.nodes) byId.set(n.id, n);
const self = new Map<number, number>();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const dt = p.timeDeltas[i] ?? 0;
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  total += dt;
}
const byArea = new Map<string, number>();
const byFn = new Map<string, number>();
for (const [id, t] of self) {
  const f = byId.get(id)!.callFrame;
  const a = area(f);
  byArea.set(a, (byArea.get(a) ?? 0) + t);
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/|src\/|targets\/)/, '$1')}:${f.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
}
const busy = total - (byArea.get('idle') ?? 0);
const pct = (t: number, of: number) => ((100 * t) / of).toFixed(1).padStart(5) + '%';
console.log(`total ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms`);
console.log('\nself time by area (% of busy):');
for (const [a, t] of [...byArea].sort((x, y) => y[1] - x[1])) {
  if (a !== 'idle') console.log(`  ${pct(t, busy)}  ${(t / 1000).toFixed(0).padStart(6)} ms  ${a}`);
}
console.log(`\ntop ${top} functions by self time (% of busy):`);
for (const [k, t] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  if (!k.startsWith('(idle)')) console.log(`  ${pct(t, busy)}  ${k}`);
}
