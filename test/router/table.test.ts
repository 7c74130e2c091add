// The route table: one step per topic level, literal before + before #, backtracking,
// $-topics kept from leading wildcards, one route per filter.
import { describe, expect, it } from 'vitest';
import { compilePattern, ROUTE_CONFLICT } from '../../src/router/pattern';
import type { CompiledPattern } from '../../src/router/pattern';
import { RouteTable } from '../../src/router/table';

interface R {
  compiled: CompiledPattern;
}

function table(patterns: string[]): { t: RouteTable<R>; routes: R[] } {
  const t = new RouteTable<R>();
  const routes: R[] = [];
  for (const p of patterns) {
    const r = { compiled: compilePattern(p) };
    t.add(r);
    routes.push(r);
  }
  return { t, routes };
}

function hit(t: RouteTable<R>, topic: string): string | null {
  const r = t.match(topic);
  return r === null ? null : r.compiled.pattern;
}

describe('RouteTable', () => {
  it('matches literal levels and named parameters', () => {
    const { t } = table(['sensors/{device}/data/{kind}', 'sensors/{device}/status']);
    expect(hit(t, 'sensors/d1/data/temp')).toBe('sensors/{device}/data/{kind}');
    expect(hit(t, 'sensors/d1/status')).toBe('sensors/{device}/status');
    expect(hit(t, 'sensors/d1/data')).toBeNull();
    expect(hit(t, 'sensors/d1/data/temp/x')).toBeNull();
    expect(hit(t, 'other/d1/status')).toBeNull();
  });

  it('+ matches exactly one level, including an empty one', () => {
    const { t } = table(['a/+/c']);
    expect(hit(t, 'a/b/c')).toBe('a/+/c');
    expect(hit(t, 'a//c')).toBe('a/+/c');
    expect(hit(t, 'a/c')).toBeNull();
    expect(hit(t, 'a/b/b/c')).toBeNull();
  });

  it('# matches any number of levels, and the parent level itself', () => {
    const { t } = table(['logs/{path...}']);
    expect(hit(t, 'logs/a')).toBe('logs/{path...}');
    expect(hit(t, 'logs/a/b/c')).toBe('logs/{path...}');
    expect(hit(t, 'logs')).toBe('logs/{path...}');
    expect(hit(t, 'logsx')).toBeNull();
    const all = table(['#']).t;
    expect(hit(all, 'x')).toBe('#');
    expect(hit(all, 'x/y/z')).toBe('#');
  });

  it('prefers a literal to a parameter to #, and backtracks when the literal branch fails', () => {
    const { t } = table(['a/#', 'a/{x}/c', 'a/b/d', 'a/b/{y}/e']);
    expect(hit(t, 'a/b/d')).toBe('a/b/d');
    expect(hit(t, 'a/b/c')).toBe('a/{x}/c'); // a/b/... has no "c" child: back to a/{x}
    expect(hit(t, 'a/q/c')).toBe('a/{x}/c');
    expect(hit(t, 'a/b/z/e')).toBe('a/b/{y}/e');
    expect(hit(t, 'a/b/z/f')).toBe('a/#');
    expect(hit(t, 'a')).toBe('a/#');
  });

  it('never matches a $-topic with a leading wildcard [MQTT-4.7.2-1]', () => {
    const { t } = table(['#', '+/broker/{stat}']);
    expect(hit(t, '$SYS/broker/uptime')).toBeNull();
    expect(hit(t, '$share/x')).toBeNull();
    expect(hit(t, 'SYS/broker/uptime')).toBe('+/broker/{stat}');
    const sys = table(['$SYS/#', '$SYS/broker/{stat}']).t;
    expect(hit(sys, '$SYS/broker/uptime')).toBe('$SYS/broker/{stat}');
    expect(hit(sys, '$SYS/other')).toBe('$SYS/#');
    // Only the first level is special: a/$x is an ordinary level.
    expect(hit(table(['a/+']).t, 'a/$x')).toBe('a/+');
  });

  it('is not fooled by levels named like Object.prototype members', () => {
    const { t } = table(['a/constructor', 'b/{x}']);
    expect(hit(t, 'a/constructor')).toBe('a/constructor');
    expect(hit(t, 'a/toString')).toBeNull();
    expect(hit(t, 'a/__proto__')).toBeNull();
    expect(hit(t, '__proto__/x')).toBeNull();
    expect(hit(t, 'b/__proto__')).toBe('b/{x}');
  });

  it('refuses a second route on the same filter (whatever the parameter names or share group)', () => {
    const t = new RouteTable<R>();
    t.add({ compiled: compilePattern('a/{x}') });
    let code: string | undefined;
    try {
      t.add({ compiled: compilePattern('$share/g/a/{y}') });
    } catch (e) {
      code = (e as { code: string }).code;
    }
    expect(code).toBe(ROUTE_CONFLICT);
    expect(() => t.add({ compiled: compilePattern('a/#') })).not.toThrow();
    expect(() => t.add({ compiled: compilePattern('a/{rest...}') })).toThrow(/filter/);
  });

  it('removes routes and prunes their branches', () => {
    const { t, routes } = table(['a/b/c', 'a/{x}', 'a/#']);
    expect(t.size).toBe(3);
    expect(t.remove(routes[0])).toBe(true);
    expect(t.remove(routes[0])).toBe(false);
    expect(hit(t, 'a/b/c')).toBe('a/#');
    t.remove(routes[1]);
    expect(hit(t, 'a/b')).toBe('a/#');
    t.remove(routes[2]);
    expect(t.size).toBe(0);
    expect(hit(t, 'a/b')).toBeNull();
    // the filter is free again
    t.add({ compiled: compilePattern('a/{y}') });
    expect(hit(t, 'a/b')).toBe('a/{y}');
  });

  it('finds the right one of 1,000 routes', () => {
    const patterns: string[] = [];
    for (let i = 0; i < 1000; i++) patterns.push(`site${i % 10}/dev${i}/{sensor}/data`);
    const { t } = table(patterns);
    expect(hit(t, 'site7/dev517/temp/data')).toBe('site7/dev517/{sensor}/data');
    expect(hit(t, 'site7/dev518/temp/data')).toBeNull();
  });
});
