/**
 * Task stores: the {@link TaskStore} seam, its errors and the built-in implementations.
 *
 * @module
 */
export { type MemoryStoreOptions, MemoryTaskStore } from './memory.js';
export { type SqliteStoreOptions, SqliteTaskStore } from './sqlite.js';
export {
  InvalidCursorError,
  type StoredTask,
  type TaskPage,
  type TaskQuery,
  type TaskStore,
  VersionConflictError,
  type WriteOptions,
} from './store.js';
