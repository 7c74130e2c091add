// The demo's live log: one line per event, with the time since the demo started and who
// speaks, so the story (connect, telemetry, a cut, the reconnect) reads top to bottom.
import { performance } from 'node:perf_hooks';

const start = performance.now();
const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;

const COLORS: Record<string, string> = {
  demo: '1',
  broker: '35',
  device: '36',
  operator: '33',
};

export function elapsedSeconds(): number {
  return (performance.now() - start) / 1000;
}

export function log(who: keyof typeof COLORS, text: string): void {
  const time = `[${elapsedSeconds().toFixed(3).padStart(7)}s]`;
  const name = who.padEnd(8);
  const tag = useColor ? `\x1b[${COLORS[who]}m${name}\x1b[0m` : name;
  process.stdout.write(`${time} ${tag} | ${text}\n`);
}
