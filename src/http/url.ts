/**
 * Agent URLs as Timestep compares them.
 *
 * @module
 */

/** An agent URL in the form used for comparisons: trimmed, without trailing slashes. */
export function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}
