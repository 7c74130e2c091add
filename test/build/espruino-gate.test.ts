// The Espruino build refuses the syntax Espruino lacks, naming file and line, and lets
// through what Espruino has. Each fixture uses exactly one forbidden feature.
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../build.mjs';

const forbidden = [
  'destructuring', 'default-parameter', 'rest-parameter', 'array-spread', 'async-await',
  'generator', 'object-spread', 'labeled-break', 'computed-key', 'map', 'regex-alternation',
];

describe('Espruino syntax gate', () => {
  for (const name of forbidden) {
    it(`fails the build for ${name}`, async () => {
      const entry = `test/fixtures/gate/${name}.ts`;
      const err = (await buildBundle({ name, entry, target: 'espruino' }).then(() => null, (e: unknown) => e)) as
        | { errors?: { location: { file: string; line: number } }[]; message: string }
        | null;
      expect(err).not.toBeNull();
      // esbuild's own errors name file and line; the output scan names bundle and line.
      const where = err!.errors ? `${err!.errors[0].location.file}:${err!.errors[0].location.line}` : err!.message;
      expect(where).toMatch(new RegExp(`${name}(\\.ts)?:\\d+`));
    });
  }

  it('builds a file that uses only what Espruino has', async () => {
    const r = await buildBundle({ name: 'allowed', entry: 'test/fixtures/gate/allowed.ts', target: 'espruino' });
    expect(r.minified).toBeGreaterThan(0);
  });

  it("leaves an app's require('Wifi') to Espruino's global require, without esbuild's dynamic-require shim", async () => {
    const r = await buildBundle({ name: 'engine-require', entry: 'test/fixtures/gate/engine-require.ts', target: 'espruino' });
    expect(r.minCode).toContain('(0,global.require)("Wifi")');
    expect(r.minCode).not.toMatch(/Dynamic require/);
  });

  it('builds the same file for Node', async () => {
    const r = await buildBundle({ name: 'map', entry: 'test/fixtures/gate/map.ts', target: 'node' });
    expect(r.code).toContain('new Map');
  });
});
