// Types of tools/lib/bundle.mjs for the TypeScript callers.

export interface BundleOptions {
  /** the entry file (absolute, or relative to the working directory) */
  entry?: string;
  /** or JavaScript source to bundle instead of an entry file */
  code?: string;
  /** where `code` resolves its imports from */
  resolveDir?: string;
  /** the bundle to write (its directory is created) */
  outfile: string;
  /** leave npm packages external (default true): the bundle must then live inside the repository */
  external?: boolean;
  /** an inline source map (default false) */
  sourcemap?: boolean;
  /** a require() in scope, for CommonJS packages imported from the bundle (default false) */
  requireShim?: boolean;
  /** module aliases, e.g. { firmqtt: '<root>/targets/node/index.ts' } */
  alias?: Record<string, string>;
  /** esbuild's logLevel (default 'warning') */
  logLevel?: 'silent' | 'error' | 'warning' | 'info';
  /** write to a temporary file and rename it into place (parallel runs never import a half-written bundle) */
  atomic?: boolean;
}

/** Bundles for Node 20 (ESM, DEBUG false) and resolves with options.outfile. */
export function bundleForNode(options: BundleOptions): Promise<string>;
