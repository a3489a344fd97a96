/**
 * In-process task store with bounded retention of finished tasks.
 *
 * Everything lives in a handful of `Map`s keyed by task id; there is no per-task timer or
 * closure, so the cost of a retained task is its own objects plus a few map entries. Finished
 * (terminal) tasks are kept in an insertion-ordered set, which makes "evict the oldest" a walk
 * from the front that stops at the first task still worth keeping.
 *
 * @module
 */
import { isTerminal, type Task, type TaskPushNotificationConfig } from '../a2a/types.js';
import {
  InvalidCursorError,
  type StoredTask,
  type TaskPage,
  type TaskQuery,
  type TaskStore,
  VersionConflictError,
  type WriteOptions,
} from './store.js';

/** Retention of a {@link MemoryTaskStore}. Non-terminal tasks are never evicted. */
export interface MemoryStoreOptions {
  /** Most terminal tasks kept; the oldest are evicted beyond it. Default 10 000. */
  maxTerminalTasks?: number;
  /** How long a terminal task is kept after its last write, in ms (0: not at all). Default one hour. */
  terminalTtlMs?: number;
}

const DEFAULT_MAX_TERMINAL_TASKS = 10_000;
const DEFAULT_TERMINAL_TTL_MS = 3_600_000;
// The timer only backs up the sweep done on every write, so a coarse period is enough and keeps an
// idle process from waking often; tiny TTLs (tests) still get swept within a second.
const MIN_SWEEP_INTERVAL_MS = 1_000;
const MAX_SWEEP_INTERVAL_MS = 60_000;

/** A decoded page cursor: the sort key of the last task of the previous page. */
export interface CursorPosition {
  readonly updatedAt: number;
  readonly id: string;
}

const CURSOR_TEXT = /^(0|[1-9][0-9]{0,15}):([\s\S]+)$/;

/**
 * Encodes the sort key of a task as an opaque page cursor (shared by the stores so their cursors agree).
 */
export function encodeCursor(updatedAt: number, id: string): string {
  return Buffer.from(`${updatedAt}:${id}`, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}; throws `InvalidCursorError` for anything else.
 */
export function decodeCursor(cursor: string): CursorPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Node's base64 decoder skips characters it does not know, so only a cursor that re-encodes to
  // itself is one we produced (and not, say, a page token from another server).
  const match = CURSOR_TEXT.exec(text);
  if (match === null || Buffer.from(text, 'utf8').toString('base64url') !== cursor) {
    throw new InvalidCursorError(cursor);
  }
  const updatedAt = Number(match[1]);
  if (!Number.isSafeInteger(updatedAt)) throw new InvalidCursorError(cursor);
  return { updatedAt, id: match[2]! };
}

/** Newest update first, then id descending, so ties have one stable order. */
function compareStored(a: StoredTask, b: StoredTask): number {
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  const ida = a.task.id;
  const idb = b.task.id;
  return ida < idb ? 1 : ida > idb ? -1 : 0;
}

function isAfter(record: StoredTask, position: CursorPosition): boolean {
  return (
    record.updatedAt < position.updatedAt ||
    (record.updatedAt === position.updatedAt && record.task.id < position.id)
  );
}

/**
 * A {@link TaskStore} in process memory, for tests, demos and single-process servers.
 *
 * It keeps and returns the very objects it is given (the runtime never mutates them). Terminal
 * tasks are evicted oldest first once more than `maxTerminalTasks` are kept or once their last
 * write is older than `terminalTtlMs`; eviction drops the task's idempotency keys and push
 * configs with it. Limits are enforced on every `create`/`update` and by an unref'd timer that
 * `close()` stops. A message key already recorded for a task keeps pointing at that task.
 */
export class MemoryTaskStore implements TaskStore {
  private readonly maxTerminalTasks: number;
  private readonly terminalTtlMs: number;
  private readonly tasks = new Map<string, StoredTask>();
  /** Terminal task id → the sequence number of its latest terminal write. */
  private readonly terminal = new Map<string, number>();
  /**
   * Terminal writes in order, as flat `(id, seq)` pairs from `head` on. An entry whose seq is no
   * longer the task's latest is stale and skipped: a FIFO instead of a Set walk, because V8 keeps
   * a Set's deleted entries as holes that every walk from the front would step over again.
   */
  private queue: (string | number)[] = [];
  private head = 0;
  private seq = 0;
  /** Idempotency key → task id. */
  private readonly messageKeys = new Map<string, string>();
  /** Task id → the keys it owns; a lone string for the usual one key, to avoid an array per task. */
  private readonly taskKeys = new Map<string, string | string[]>();
  /** Task id → config id → config; a `Map` keeps creation order through replacements. */
  private readonly pushConfigs = new Map<string, Map<string, TaskPushNotificationConfig>>();
  private timer: NodeJS.Timeout | undefined;

  /** Creates an empty store; see {@link MemoryStoreOptions} for the retention defaults. */
  constructor(options: MemoryStoreOptions = {}) {
    this.maxTerminalTasks = options.maxTerminalTasks ?? DEFAULT_MAX_TERMINAL_TASKS;
    this.terminalTtlMs = options.terminalTtlMs ?? DEFAULT_TERMINAL_TTL_MS;
    if (!(this.maxTerminalTasks >= 0)) throw new RangeError('maxTerminalTasks must be >= 0');
    if (!(this.terminalTtlMs >= 0)) throw new RangeError('terminalTtlMs must be >= 0');
    if (Number.isFinite(this.terminalTtlMs)) {
      const period = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, this.terminalTtlMs));
      this.timer = setInterval(() => this.sweep(Date.now()), period);
      // Retention must never be what keeps a process alive.
      this.timer.unref();
    }
  }

  /** {@inheritDoc TaskStore.get} */
  async get(taskId: string): Promise<StoredTask | undefined> {
    return this.tasks.get(taskId);
  }

  /** {@inheritDoc TaskStore.create} */
  async create(task: Task, owner: string | undefined, options?: WriteOptions): Promise<StoredTask> {
    if (this.tasks.has(task.id)) throw new VersionConflictError(task.id, 0);
    const now = Date.now();
    const record: StoredTask = { task, version: options?.version ?? 1, owner, updatedAt: now };
    this.tasks.set(task.id, record);
    this.afterWrite(task, now, options);
    return record;
  }

  /** {@inheritDoc TaskStore.update} */
  async update(task: Task, expectedVersion: number, options?: WriteOptions): Promise<StoredTask> {
    const current = this.tasks.get(task.id);
    if (current === undefined || current.version !== expectedVersion) {
      throw new VersionConflictError(task.id, expectedVersion);
    }
    const now = Date.now();
    const version = options?.version ?? expectedVersion + 1;
    if (version <= expectedVersion)
      throw new RangeError(`version ${version} must be greater than ${expectedVersion}`);
    const record: StoredTask = { task, version, owner: current.owner, updatedAt: now };
    this.tasks.set(task.id, record);
    this.afterWrite(task, now, options);
    return record;
  }

  /** {@inheritDoc TaskStore.list} */
  async list(query: TaskQuery): Promise<TaskPage> {
    const position = query.cursor ? decodeCursor(query.cursor) : undefined;
    const { owner, contextId, state, updatedSince } = query;
    let totalSize = 0;
    const rest: StoredTask[] = [];
    for (const record of this.tasks.values()) {
      if (owner !== undefined && record.owner !== owner) continue;
      if (contextId !== undefined && record.task.contextId !== contextId) continue;
      if (state !== undefined && record.task.status.state !== state) continue;
      if (updatedSince !== undefined && record.updatedAt < updatedSince) continue;
      totalSize++;
      if (position === undefined || isAfter(record, position)) rest.push(record);
    }
    rest.sort(compareStored);
    const limit = Math.max(0, query.limit);
    const tasks = rest.length > limit ? rest.slice(0, limit) : rest;
    const last = tasks.at(-1);
    const nextCursor =
      rest.length > tasks.length && last !== undefined ? encodeCursor(last.updatedAt, last.task.id) : '';
    return { tasks, nextCursor, totalSize };
  }

  /** {@inheritDoc TaskStore.findTaskByMessageKey} */
  async findTaskByMessageKey(key: string): Promise<string | undefined> {
    return this.messageKeys.get(key);
  }

  /** {@inheritDoc TaskStore.putPushConfig} */
  async putPushConfig(taskId: string, config: TaskPushNotificationConfig & { id: string }): Promise<void> {
    let configs = this.pushConfigs.get(taskId);
    if (configs === undefined) {
      configs = new Map();
      this.pushConfigs.set(taskId, configs);
    }
    configs.set(config.id, config);
  }

  /** {@inheritDoc TaskStore.getPushConfig} */
  async getPushConfig(taskId: string, configId: string): Promise<TaskPushNotificationConfig | undefined> {
    return this.pushConfigs.get(taskId)?.get(configId);
  }

  /** {@inheritDoc TaskStore.listPushConfigs} */
  async listPushConfigs(taskId: string): Promise<TaskPushNotificationConfig[]> {
    const configs = this.pushConfigs.get(taskId);
    return configs === undefined ? [] : [...configs.values()];
  }

  /** {@inheritDoc TaskStore.deletePushConfig} */
  async deletePushConfig(taskId: string, configId: string): Promise<boolean> {
    const configs = this.pushConfigs.get(taskId);
    if (configs === undefined || !configs.delete(configId)) return false;
    if (configs.size === 0) this.pushConfigs.delete(taskId);
    return true;
  }

  /** Stops the retention timer and drops every task. */
  async close(): Promise<void> {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.tasks.clear();
    this.terminal.clear();
    this.queue = [];
    this.head = 0;
    this.messageKeys.clear();
    this.taskKeys.clear();
    this.pushConfigs.clear();
  }

  /**
   * Entry counts of the internal indexes, for leak checks and diagnostics.
   * @internal
   */
  stats(): {
    tasks: number;
    terminalTasks: number;
    messageKeys: number;
    keyedTasks: number;
    pushConfigTasks: number;
  } {
    return {
      tasks: this.tasks.size,
      terminalTasks: this.terminal.size,
      messageKeys: this.messageKeys.size,
      keyedTasks: this.taskKeys.size,
      pushConfigTasks: this.pushConfigs.size,
    };
  }

  private afterWrite(task: Task, now: number, options: WriteOptions | undefined): void {
    const id = task.id;
    if (options?.messageKeys !== undefined) {
      for (const key of options.messageKeys) this.recordKey(id, key);
    }
    this.terminal.delete(id);
    if (isTerminal(task.status.state)) {
      const seq = ++this.seq;
      this.terminal.set(id, seq);
      this.queue.push(id, seq);
      this.sweep(now);
    } else if (this.terminal.size > 0) {
      // A TTL can lapse while only active tasks are written.
      this.sweep(now);
    }
  }

  private recordKey(taskId: string, key: string): void {
    // First writer wins: an idempotency key must keep resolving to the task it first created.
    if (this.messageKeys.has(key)) return;
    this.messageKeys.set(key, taskId);
    const owned = this.taskKeys.get(taskId);
    if (owned === undefined) this.taskKeys.set(taskId, key);
    else if (typeof owned === 'string') this.taskKeys.set(taskId, [owned, key]);
    else owned.push(key);
  }

  private sweep(now: number): void {
    const queue = this.queue;
    while (this.head < queue.length) {
      const id = queue[this.head] as string;
      if (this.terminal.get(id) !== queue[this.head + 1]) {
        this.head += 2;
        continue;
      }
      const record = this.tasks.get(id);
      const expired = record === undefined || now - record.updatedAt >= this.terminalTtlMs;
      if (!expired && this.terminal.size <= this.maxTerminalTasks) break;
      this.head += 2;
      this.evict(id);
    }
    // Drop the consumed front now and then so the queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }

  private evict(taskId: string): void {
    this.tasks.delete(taskId);
    this.terminal.delete(taskId);
    this.pushConfigs.delete(taskId);
    const owned = this.taskKeys.get(taskId);
    if (owned === undefined) return;
    this.taskKeys.delete(taskId);
    if (typeof owned === 'string') this.messageKeys.delete(owned);
    else for (const key of owned) this.messageKeys.delete(key);
  }
}
