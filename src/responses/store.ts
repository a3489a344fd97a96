/**
 * The bounded in-memory store of responses (`store: true`), for `GET /v1/responses/{id}` and
 * `previous_response_id`.
 *
 * It is a cache in front of the A2A task store: it holds the response objects themselves, which
 * the task store does not. After a restart (or once an entry is evicted) `GET` answers 404, while
 * `previous_response_id` still works from the task, as long as the agent's task store keeps it
 * (SQLite: across restarts; memory: its retention).
 *
 * @module
 */
import type { ResponseInputItem, ResponseObject } from './types.js';

/** One kept response. */
export interface StoredResponse {
  /** The response as last built (a live object while the response is in progress). */
  response: ResponseObject;
  /** The caller it belongs to (principal id), or `undefined` without authentication. */
  owner: string | undefined;
  /** Its A2A task and context. */
  taskId: string;
  contextId: string;
  /** The input it was created from (for `input_items`). */
  input: readonly ResponseInputItem[];
}

/** Default number of responses kept. */
export const DEFAULT_MAX_STORED_RESPONSES = 1_000;

/** A map of responses that forgets the least recently written ones beyond `max` entries. */
export class ResponseStore {
  readonly #entries = new Map<string, StoredResponse>();
  readonly #max: number;

  constructor(max = DEFAULT_MAX_STORED_RESPONSES) {
    this.#max = Math.max(1, max);
  }

  /** Number of responses kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Keep (or refresh) a response. */
  put(entry: StoredResponse): void {
    const id = entry.response.id;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** The response `id` if `owner` may see it. */
  get(id: string, owner: string | undefined): StoredResponse | undefined {
    const entry = this.#entries.get(id);
    return entry && entry.owner === owner ? entry : undefined;
  }

  /** Forget a response; true if `owner` had it. */
  delete(id: string, owner: string | undefined): boolean {
    if (!this.get(id, owner)) return false;
    return this.#entries.delete(id);
  }
}
