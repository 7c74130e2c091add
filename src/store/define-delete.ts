// Its own module so a bundle that has a Store of its own (Espruino's StorageStore) does
// not pull in MemoryStore, whose prototype assignment esbuild must keep as a side effect.

/**
 * Gives a Store class its `delete` method. A class body cannot declare it on Espruino
 * (a reserved word as a method name: SyntaxError), a prototype assignment can.
 */
export function defineDelete<T>(cls: { prototype: T }, fn: (this: T, key: string) => void): void {
  (cls.prototype as unknown as { [k: string]: unknown })['delete'] = fn;
}

