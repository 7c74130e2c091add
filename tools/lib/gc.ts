// A gc() for memory measurements, where V8 lets us have one (the benchmarks, the fuzz
// test's bounded-memory check): --expose-gc set at run time, gc taken from a new context.
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** gc(), or null where V8 does not allow it. */
export function exposeGc(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}
