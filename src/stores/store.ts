/**
 * The task store seam: where tasks, their idempotency keys and their push configs live.
 *
 * The runtime is the only writer. It never mutates an object after handing it to a store and
 * never mutates what a store returns, so an in-memory store may keep and return the very
 * objects it was given. Every write is version-checked: `update` succeeds only when the
 * stored version is the one the writer read, so two writers (two processes on one database,
 * or a cancel racing a worker) cannot silently clobber each other.
 *
 * @module
 */
import type { Task, TaskPushNotificationConfig, TaskState } from '../a2a/types.js';

/** A task as stored, with its bookkeeping. */
export interface StoredTask {
  readonly task: Task;
  /** Starts at 1 and grows by one on every successful update. */
  readonly version: number;
  /** The authenticated principal that created the task, if any; it scopes reads and lists. */
  readonly owner?: string | undefined;
  /** Milliseconds since the epoch of the last write. */
  readonly updatedAt: number;
}

/** Options of a write. */
export interface WriteOptions {
  /** Idempotency keys of the user messages this write records (see `findTaskByMessageKey`). */
  messageKeys?: string[];
  /**
   * The version to store: default 1 for `create` and `expectedVersion + 1` for `update`. A writer
   * that batches several changes into one write stores the version of the last one, so versions
   * keep matching the task's event ids. Must be greater than the expected version.
   */
  version?: number;
}

/** A filter over stored tasks; results are newest update first. */
export interface TaskQuery {
  owner?: string | undefined;
  contextId?: string | undefined;
  state?: TaskState | undefined;
  /** Only tasks updated at or after this time (ms since the epoch). */
  updatedSince?: number | undefined;
  /** Page size, already clamped by the caller. */
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | undefined;
}

/** One page of a query. */
export interface TaskPage {
  tasks: StoredTask[];
  /** Cursor for the next page; empty string when this is the last one. */
  nextCursor: string;
  /** How many tasks match the filter in all. */
  totalSize: number;
}

/** Raised by `create` when the id exists and by `update` when the version moved on. */
export class VersionConflictError extends Error {
  constructor(
    readonly taskId: string,
    readonly expectedVersion: number,
  ) {
    super(`Task '${taskId}' was changed by another writer (expected version ${expectedVersion}).`);
    this.name = 'VersionConflictError';
  }
}

/** Raised by a store given a cursor it did not produce. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`Invalid page token '${cursor}'. Use the nextPageToken of a previous ListTasks answer.`);
    this.name = 'InvalidCursorError';
  }
}

/** Where tasks live. Implementations: `MemoryTaskStore`, `SqliteTaskStore`. */
export interface TaskStore {
  /** The task with this id, or `undefined`. */
  get(taskId: string): Promise<StoredTask | undefined>;
  /** Insert a new task (at version 1, or `options.version`). Throws `VersionConflictError` if the id exists. */
  create(task: Task, owner: string | undefined, options?: WriteOptions): Promise<StoredTask>;
  /**
   * Replace a task whose stored version is `expectedVersion`; resolves to the new record
   * (version + 1, or `options.version`). Throws `VersionConflictError` when the version moved on, and when the task is gone.
   */
  update(task: Task, expectedVersion: number, options?: WriteOptions): Promise<StoredTask>;
  /** Tasks matching a filter, newest update first. Throws `InvalidCursorError` for a foreign cursor. */
  list(query: TaskQuery): Promise<TaskPage>;
  /** The id of the task an idempotency key was recorded for, if any. */
  findTaskByMessageKey(key: string): Promise<string | undefined>;

  /** Create or replace a push config of a task (`config.id` is set by the caller). */
  putPushConfig(taskId: string, config: TaskPushNotificationConfig & { id: string }): Promise<void>;
  /** One push config of a task. */
  getPushConfig(taskId: string, configId: string): Promise<TaskPushNotificationConfig | undefined>;
  /** All push configs of a task, in creation order. */
  listPushConfigs(taskId: string): Promise<TaskPushNotificationConfig[]>;
  /** Remove a push config; resolves to whether it existed. */
  deletePushConfig(taskId: string, configId: string): Promise<boolean>;

  /** Release resources (close the database). */
  close(): Promise<void>;
}
