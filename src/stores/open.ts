/**
 * Open a store from a short spec string, as the CLI and server options accept them.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MemoryTaskStore } from './memory.js';
import { SqliteTaskStore } from './sqlite.js';
import type { TaskStore } from './store.js';

/** `memory`, `sqlite` (default file), `sqlite:<file>`, or a store instance. */
export type StoreSpec = 'memory' | 'sqlite' | `sqlite:${string}` | TaskStore;

/**
 * A store for a spec. `sqlite` without a file uses `defaultSqlitePath`; the folder is created.
 * Throws with the accepted forms when the spec is not understood.
 */
export function openStore(spec: StoreSpec, defaultSqlitePath: string): TaskStore {
  if (typeof spec !== 'string') return spec;
  if (spec === 'memory') return new MemoryTaskStore();
  if (spec === 'sqlite' || spec.startsWith('sqlite:')) {
    const path = spec === 'sqlite' ? defaultSqlitePath : spec.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return new SqliteTaskStore({ path });
  }
  throw new Error(`Unknown store '${spec}'. Use 'memory', 'sqlite' or 'sqlite:<file>'.`);
}
