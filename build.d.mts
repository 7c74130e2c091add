// Types for build.mjs, which tests import to build fixtures with the real target settings.
export interface BundleSpec {
  name: string;
  entry: string;
  target: 'node' | 'espruino' | 'moddable';
  outfile?: string;
  /** the lite flags (FIRMQTT_LITE): MQTT 3.1.1 only */
  lite?: boolean;
  /** minified bytes allowed; null = none */
  budget?: number | null;
  /** shorten internal property names (internalNames()) */
  mangle?: boolean;
  /** compile out error texts in src/ ("file:line"; codes kept) */
  terse?: boolean;
  /** more esbuild options, merged last (e.g. plugins, reserveProps); plugins are kept beside the build's own */
  esbuildOptions?: Record<string, unknown>;
}
export interface BuiltBundle {
  name: string;
  /** unminified output (Espruino: after the exports rewrite) */
  code: string;
  /** minified output, as written to outfile */
  minCode: string;
  minified: number;
  gzip: number;
  metafile: unknown;
}
export const ESPRUINO_UNSUPPORTED: Record<string, boolean>;
export const BUNDLES: BundleSpec[];
export function targetOptions(target: string, lite?: boolean): Record<string, unknown>;
export function espruinoExports(code: string): string;
export function checkEspruinoOutput(code: string, name: string): void;
export function espruinoArrowsSafe(code: string): boolean;
export function buildBundle(spec: BundleSpec): Promise<BuiltBundle>;
/** Property names declared private and absent from the bundle's boundary (mangled in device bundles). */
export function internalNames(): string[];
/** src/ source with error texts replaced by "file:line" (the terse device builds). */
export function stripMessages(source: string, file: string): string;
