// Types for build.mjs, which tests import to build fixtures with the real target settings.
export interface BundleSpec {
  name: string;
  entry: string;
  target: 'node' | 'espruino';
  outfile?: string;
}
export interface BuiltBundle {
  name: string;
  code: string;
  minified: number;
  gzip: number;
}
export const ESPRUINO_UNSUPPORTED: Record<string, boolean>;
export const BUNDLES: BundleSpec[];
export function targetOptions(target: string): Record<string, unknown>;
export function checkEspruinoOutput(code: string, name: string): void;
export function buildBundle(spec: BundleSpec): Promise<BuiltBundle>;
