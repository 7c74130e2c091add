// Route patterns compile once into a filter, levels and parameter positions; bad
// patterns fail at route() time with a stable code.
import { describe, expect, it } from 'vitest';
import { compilePattern, extractParams, ROUTE_PATTERN_INVALID } from '../../src/router/pattern';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('compilePattern', () => {
  it('turns named levels into + and records their positions', () => {
    const c = compilePattern('sensors/{device}/data/{kind}');
    expect(c.filter).toBe('sensors/+/data/+');
    expect(c.subscription).toBe('sensors/+/data/+');
    expect(c.names).toEqual(['device', 'kind']);
    expect(c.positions).toEqual([1, 3]);
    expect(c.rest).toBe(false);
    expect(c.share).toBeNull();
  });

  it('turns a trailing {name...} into # that captures the rest of the topic', () => {
    const c = compilePattern('logs/{path...}');
    expect(c.filter).toBe('logs/#');
    expect(c.rest).toBe(true);
    expect(extractParams(c, 'logs/a/b/c'.split('/'))).toEqual({ path: 'a/b/c' });
    // '#' matches the parent level too: the rest is empty.
    expect(extractParams(c, ['logs'])).toEqual({ path: '' });
  });

  it('keeps plain + and # as uncaptured wildcards, and literal levels as they are', () => {
    const c = compilePattern('a/+/b/{x}/#');
    expect(c.filter).toBe('a/+/b/+/#');
    expect(c.names).toEqual(['x']);
    expect(extractParams(c, 'a/1/b/2/3/4'.split('/'))).toEqual({ x: '2' });
    expect(compilePattern('a//b').filter).toBe('a//b');
    expect(compilePattern('$SYS/broker/{stat}').filter).toBe('$SYS/broker/+');
  });

  it('subscribes $share/<group>/<filter> for the share option or a $share/ prefix', () => {
    const a = compilePattern('jobs/{id}', 'workers');
    expect(a.share).toBe('workers');
    expect(a.filter).toBe('jobs/+');
    expect(a.subscription).toBe('$share/workers/jobs/+');
    const b = compilePattern('$share/workers/jobs/{id}');
    expect(b.share).toBe('workers');
    expect(b.filter).toBe('jobs/+');
    expect(b.levels).toEqual(['jobs', '+']);
    expect(b.positions).toEqual([1]);
    expect(compilePattern('$share/workers/jobs/{id}', 'workers').subscription).toBe('$share/workers/jobs/+');
  });

  it.each([
    ['', 'empty'],
    ['a/#/b', '# not last'],
    ['a/{rest...}/b', 'multi-level parameter not last'],
    ['a/b+', 'wildcard inside a level'],
    ['a/#b', 'hash inside a level'],
    ['a/x{id}', 'parameter inside a level'],
    ['a/{id}x', 'parameter inside a level (suffix)'],
    ['a/{}', 'empty name'],
    ['a/{1x}', 'name starting with a digit'],
    ['a/{a-b}', 'name with a dash'],
    ['a/{__proto__}', 'a name that would corrupt params'],
    ['a/{x}/{x}', 'duplicate name'],
    ['$share/g', 'share prefix with no filter'],
    ['$share//a', 'empty share group'],
  ])('refuses %j (%s) with ROUTE_PATTERN_INVALID', (pattern) => {
    expect(codeOf(() => compilePattern(pattern))).toBe(ROUTE_PATTERN_INVALID);
  });

  it('refuses a bad share group and a prefix that contradicts the option', () => {
    expect(codeOf(() => compilePattern('a', 'g/h'))).toBe(ROUTE_PATTERN_INVALID);
    expect(codeOf(() => compilePattern('a', 'g+'))).toBe(ROUTE_PATTERN_INVALID);
    expect(codeOf(() => compilePattern('a', ''))).toBe(ROUTE_PATTERN_INVALID);
    expect(codeOf(() => compilePattern('$share/one/a', 'two'))).toBe(ROUTE_PATTERN_INVALID);
  });
});
