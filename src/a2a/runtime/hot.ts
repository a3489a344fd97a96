/**
 * Helpers for the per-request hot path, where V8's costs show up in `npm run bench`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';

/**
 * A random (v4) UUID, as a flat string.
 *
 * Node builds `randomUUID()` by concatenating 2-character pieces, which V8 keeps as a tree of
 * ~20 cons strings (~0.5 KB) until something flattens it; ids a task keeps (its context id,
 * artifact and message ids) would each carry that tree while the task is stored. Lower-casing the
 * (already lower-case) id returns a flat copy of the same text.
 */
export function newId(): string {
  return randomUUID().toLowerCase();
}

/**
 * `{ ...base, ...extra }`: the same keys, values and key order, built so objects share hidden
 * classes.
 *
 * On Node 20 (V8 11), an object made by spreading another and then given a key its source lacks
 * (`{ ...message, taskId, contextId }`, `{ ...task, artifacts }`) gets a hidden class of its own:
 * each costs a few µs to make and ~0.4 KB more to keep (stored tasks keep it), and every read of
 * it goes megamorphic. `Object.assign` onto a fresh `{}` walks shared transitions instead. It
 * differs from spread only for an own `__proto__` key in `base` (possible in parsed JSON), which
 * it would treat as the prototype setter; such objects keep the spread.
 */
export function extend<T extends object, U extends object>(base: T, extra: U): Omit<T, keyof U> & U {
  if (Object.hasOwn(base, '__proto__')) return { ...base, ...extra };
  return Object.assign({}, base, extra);
}

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date().toISOString()`, formatted once per millisecond: formatting costs ~1–2 µs and a
 * turn stamps several statuses within the same millisecond.
 */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
