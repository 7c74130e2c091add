// Small waiting helpers shared by the tests.

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it returns something truthy and resolves with that; rejects after
 * `ms` naming `what`. For conditions no event announces (a line in a child's output, a
 * count reached across several clients); never a fixed sleep.
 */
export async function until<T>(check: () => T | undefined | null | false, what: string, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}
