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

/** A one-shot latch: a worker (or a proxy) waits on `opened`; the test calls `open()`. */
export class Gate {
  readonly opened: Promise<void>;
  isOpen = false;
  #open!: () => void;
  constructor() {
    this.opened = new Promise((resolve) => {
      this.#open = resolve;
    });
  }
  open(): void {
    this.isOpen = true;
    this.#open();
  }
}

/** Named gates, created on first use by either side. */
export class Gates {
  readonly #gates = new Map<string, Gate>();
  get(name: string): Gate {
    let gate = this.#gates.get(name);
    if (!gate) {
      gate = new Gate();
      this.#gates.set(name, gate);
    }
    return gate;
  }
  open(name: string): void {
    this.get(name).open();
  }
}
