/** Polling with a deadline: how the suites wait for something to happen, without sleeps or timed assertions. */

/**
 * Poll `probe` until it returns something other than `undefined`/`false`; fail after `timeoutMs`
 * (a probe that throws is retried, and its last error is reported).
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what = 'condition',
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
