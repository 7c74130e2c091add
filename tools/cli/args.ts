// A small command-line parser for mosquitto-style flags: `-t topic`, `--topic topic`,
// `--topic=topic`; flags that take no value (`-r`, `-v`); repeatable flags (`-t` in sub).
// Unknown flags are errors that name the flag, as mosquitto_pub does.

export interface FlagSpec {
  /** canonical name, the key in the result */
  name: string;
  /** every spelling: '-t', '--topic' */
  aliases: string[];
  /** takes a value (the next argument) */
  value: boolean;
  /** may be given several times (the result is a list) */
  repeat?: boolean;
}

export interface Parsed {
  flags: { [name: string]: string | boolean | string[] };
  positional: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], specs: FlagSpec[]): Parsed {
  const flags: Parsed['flags'] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const spec = specs.find((s) => s.aliases.indexOf(arg) >= 0);
    if (spec === undefined) throw new UsageError(`Unknown option '${arg}'.`);
    let value: string | boolean = true;
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`${arg} argument given but no value specified.`);
    } else if (inline !== undefined) {
      throw new UsageError(`${arg} takes no value.`);
    }
    if (spec.repeat) {
      const list = (flags[spec.name] as string[] | undefined) ?? [];
      list.push(String(value));
      flags[spec.name] = list;
    } else {
      flags[spec.name] = value;
    }
  }
  return { flags, positional };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(p: Parsed, name: string): boolean {
  return p.flags[name] === true;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.flags[name];
  return Array.isArray(v) ? v : [];
}

/** An integer flag within [min, max]; undefined when absent. */
export function int(p: Parsed, name: string, min: number, max: number, what?: string): number | undefined {
  const s = str(p, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`Invalid ${what ?? name} '${s}': expected an integer from ${min} to ${max}.`);
  return n;
}

export function flag(name: string, aliases: string[], value: boolean, repeat?: boolean): FlagSpec {
  return { name, aliases, value, repeat };
}
