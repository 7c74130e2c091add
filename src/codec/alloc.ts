// Where encode() and the Decoder get their buffers.
//
// On V8 (Node), every `new Uint8Array(n)` above 64 bytes allocates its own off-heap
// backing store, which costs more than encoding a whole PUBLISH (~0.4 us for 300 bytes,
// ~1 us for 4 KiB, measured on Node 20). So on an engine that looks desktop-class the
// codec carves small buffers out of a shared slab, as Node's Buffer.allocUnsafe does:
// each buffer is a view of its own, never reused, and a slab is freed by the garbage
// collector once no view of it is alive (so keeping one small buffer keeps its slab).
//
// On a microcontroller (Espruino, XS) RAM is counted in kilobytes and allocation is
// cheap, so there is no slab: every buffer is its own exact-size Uint8Array. The test
// for "desktop-class" is the presence of WebAssembly (V8, JavaScriptCore, SpiderMonkey
// have it; Espruino and Moddable XS do not). setBufferPool() overrides the choice.

declare const WebAssembly: unknown;

/** Default slab size on desktop-class engines; buffers up to an eighth of it come from the slab. */
const DESKTOP_SLAB = 65536;

let slabSize = typeof WebAssembly === 'object' ? DESKTOP_SLAB : 0;
let poolMax = slabSize >> 3;
let slab: ArrayBuffer | null = null;
let used = 0;

/**
 * Sets the slab size in bytes (0 turns pooling off: every buffer is allocated on its own).
 * Buffers up to slabSize / 8 bytes come from the slab. Default: 65536 on engines with
 * WebAssembly, else 0.
 */
export function setBufferPool(bytes: number): void {
  slabSize = bytes > 0 ? bytes | 0 : 0;
  poolMax = slabSize >> 3;
  slab = null;
  used = 0;
}

/** A new buffer of exactly n bytes (zero-filled) that nothing else writes to. */
export function allocBytes(n: number): Uint8Array {
  if (n > poolMax || poolMax === 0) return new Uint8Array(n);
  if (slab === null || used + n > slabSize) {
    slab = new ArrayBuffer(slabSize);
    used = 0;
  }
  const b = new Uint8Array(slab, used, n);
  used = (used + n + 7) & ~7; // keep views 8-byte aligned
  return b;
}
