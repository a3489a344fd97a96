/**
 * Durable task store on SQLite (better-sqlite3).
 *
 * The driver is synchronous; the methods are `async` only to fit the {@link TaskStore} seam.
 * A task is one row holding its JSON body next to the columns that lists filter on. Writes are
 * guarded by `version`, so several processes may share one database file without losing
 * updates: the loser of a race gets a `VersionConflictError` instead of silently overwriting.
 *
 * @module
 */
import Database from 'better-sqlite3';
import type { Task, TaskPushNotificationConfig } from '../a2a/types.js';
import { decodeCursor, encodeCursor } from './memory.js';
import {
  type StoredTask,
  type TaskPage,
  type TaskQuery,
  type TaskStore,
  VersionConflictError,
  type WriteOptions,
} from './store.js';

/** Options of a {@link SqliteTaskStore}. */
export interface SqliteStoreOptions {
  /** Database file, created if missing; `:memory:` for a private in-memory database. */
  path: string;
  /** How long a write waits for another connection's lock before failing, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

/** The `user_version` this code writes; bump it together with a migration in `migrate`. */
const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    context_id TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS tasks_updated ON tasks (updated_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS tasks_context ON tasks (context_id, updated_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state, updated_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS tasks_owner ON tasks (owner, updated_at DESC, id DESC);
  CREATE TABLE IF NOT EXISTS message_keys (
    key TEXT PRIMARY KEY,
    task_id TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS push_configs (
    task_id TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (task_id, id)
  ) WITHOUT ROWID;
`;

/** A write waiting for its batch's commit. */
interface PendingWrite {
  readonly task: Task;
  /** Filled from the row on update. */
  owner: string | null;
  /** 0 for a create. */
  readonly expectedVersion: number;
  readonly version: number;
  readonly keys: string[];
  readonly now: number;
  ok: boolean;
  readonly resolve: (record: StoredTask) => void;
  readonly reject: (error: unknown) => void;
}

interface TaskRow {
  body: string;
  owner: string | null;
  version: number;
  updated_at: number;
}

type ListFilter = 'owner' | 'context_id' | 'state' | 'updated_at';

/**
 * A {@link TaskStore} in a SQLite database file: survives restarts and can be shared by several
 * processes on one machine (WAL mode, `busy_timeout`).
 *
 * Returned tasks are parsed from JSON, so each read yields fresh objects. A message key already
 * recorded for a task keeps pointing at that task. Nothing is evicted.
 */
export class SqliteTaskStore implements TaskStore {
  private readonly db: Database.Database;
  private readonly selectTask: Database.Statement<[string], TaskRow>;
  private readonly insertTask: Database.Statement<
    [string, string, string, string | null, number, number, string]
  >;
  private readonly updateTask: Database.Statement<
    [string, string, number, number, string, string, number],
    { owner: string | null }
  >;
  private readonly insertKey: Database.Statement<[string, string]>;
  private readonly selectKey: Database.Statement<[string], { task_id: string }>;
  private readonly upsertPush: Database.Statement<[{ taskId: string; id: string; body: string }]>;
  private readonly selectPush: Database.Statement<[string, string], { body: string }>;
  private readonly selectPushes: Database.Statement<[string], { body: string }>;
  private readonly deletePush: Database.Statement<[string, string]>;
  /** Applies a batch of writes in one transaction; each gets its own outcome. */
  private readonly commitTx: (writes: PendingWrite[]) => void;
  /** Writes waiting for the batch's commit, in call order. */
  private pending: PendingWrite[] = [];
  /** The latest pending write of each task, so reads see it before it is committed. */
  private readonly pendingById = new Map<string, PendingWrite>();
  /** Message keys of pending writes. */
  private readonly pendingKeys = new Map<string, string>();
  private commitTimer: NodeJS.Immediate | undefined;
  /** List statements by filter shape, prepared on first use (16 shapes × with/without cursor). */
  private readonly listStatements = new Map<
    string,
    Database.Statement<unknown[], TaskRow & { id: string }>
  >();
  private readonly countStatements = new Map<string, Database.Statement<unknown[], { n: number }>>();

  /** Opens (creating if needed) the database at `options.path`, or at the given path string. */
  constructor(options: SqliteStoreOptions | string) {
    const { path, busyTimeoutMs = 5_000 } = typeof options === 'string' ? { path: options } : options;
    this.db = new Database(path);
    try {
      // busy_timeout first: switching to WAL itself needs a lock another process may hold.
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
      this.db.pragma('journal_mode = WAL');
      // With WAL, NORMAL only risks the last commits on power loss, never corruption, and
      // saves an fsync per transaction.
      this.db.pragma('synchronous = NORMAL');
      // A bigger page cache and fewer, larger checkpoints: index pages written by many commits in a
      // row are copied to the database file once per checkpoint instead of once per ~1 000 pages.
      this.db.pragma('cache_size = -16000');
      this.db.pragma('wal_autocheckpoint = 4000');
      this.migrate();
    } catch (error) {
      this.db.close();
      throw error;
    }

    this.selectTask = this.db.prepare('SELECT body, owner, version, updated_at FROM tasks WHERE id = ?');
    this.insertTask = this.db.prepare(
      `INSERT INTO tasks (id, context_id, state, owner, version, updated_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.updateTask = this.db.prepare(
      `UPDATE tasks SET context_id = ?, state = ?, version = ?, updated_at = ?, body = ?
       WHERE id = ? AND version = ? RETURNING owner`,
    );
    // OR IGNORE: the first task recorded for a key keeps it (a retried send must find the original).
    this.insertKey = this.db.prepare('INSERT OR IGNORE INTO message_keys (key, task_id) VALUES (?, ?)');
    this.selectKey = this.db.prepare('SELECT task_id FROM message_keys WHERE key = ?');
    // A replaced config keeps its seq, so it keeps its place in creation order.
    this.upsertPush = this.db.prepare(
      `INSERT INTO push_configs (task_id, id, seq, body)
       VALUES (@taskId, @id,
               (SELECT COALESCE(MAX(seq), 0) + 1 FROM push_configs WHERE task_id = @taskId), @body)
       ON CONFLICT (task_id, id) DO UPDATE SET body = excluded.body`,
    );
    this.selectPush = this.db.prepare('SELECT body FROM push_configs WHERE task_id = ? AND id = ?');
    this.selectPushes = this.db.prepare('SELECT body FROM push_configs WHERE task_id = ? ORDER BY seq');
    this.deletePush = this.db.prepare('DELETE FROM push_configs WHERE task_id = ? AND id = ?');

    this.commitTx = this.db.transaction((writes: PendingWrite[]) => {
      for (const write of writes) {
        const { task, now, version } = write;
        const body = JSON.stringify(task);
        if (write.expectedVersion === 0) {
          const info = this.insertTask.run(
            task.id,
            task.contextId,
            task.status.state,
            write.owner,
            version,
            now,
            body,
          );
          write.ok = info.changes === 1;
        } else {
          const row = this.updateTask.get(
            task.contextId,
            task.status.state,
            version,
            now,
            body,
            task.id,
            write.expectedVersion,
          );
          write.ok = row !== undefined;
          if (row) write.owner = row.owner;
        }
        // Keys only count when the write they belong to happened.
        if (write.ok) for (const key of write.keys) this.insertKey.run(key, task.id);
      }
    });
  }

  /** {@inheritDoc TaskStore.get} */
  async get(taskId: string): Promise<StoredTask | undefined> {
    const row = this.selectTask.get(taskId);
    const pending = this.pendingById.get(taskId);
    if (pending) {
      return {
        task: pending.task,
        version: pending.version,
        owner: pending.owner ?? row?.owner ?? undefined,
        updatedAt: pending.now,
      };
    }
    return row === undefined ? undefined : toStored(row);
  }

  /**
   * {@inheritDoc TaskStore.create}
   *
   * Writes made in the same turn of the event loop are committed together in one transaction
   * (group commit): far fewer WAL commits under load, and every write is still checked on its own.
   */
  create(task: Task, owner: string | undefined, options?: WriteOptions): Promise<StoredTask> {
    const version = options?.version ?? 1;
    if (this.pendingById.has(task.id)) return Promise.reject(new VersionConflictError(task.id, 0));
    return this.enqueue(task, owner ?? null, 0, version, options?.messageKeys ?? []);
  }

  /** {@inheritDoc TaskStore.update} */
  update(task: Task, expectedVersion: number, options?: WriteOptions): Promise<StoredTask> {
    const version = options?.version ?? expectedVersion + 1;
    if (version <= expectedVersion) {
      return Promise.reject(new RangeError(`version ${version} must be greater than ${expectedVersion}`));
    }
    const pending = this.pendingById.get(task.id);
    if (pending && pending.version !== expectedVersion) {
      return Promise.reject(new VersionConflictError(task.id, expectedVersion));
    }
    return this.enqueue(task, pending?.owner ?? null, expectedVersion, version, options?.messageKeys ?? []);
  }

  private enqueue(
    task: Task,
    owner: string | null,
    expectedVersion: number,
    version: number,
    keys: string[],
  ): Promise<StoredTask> {
    return new Promise((resolve, reject) => {
      const write: PendingWrite = {
        task,
        owner,
        expectedVersion,
        version,
        keys,
        now: Date.now(),
        ok: false,
        resolve,
        reject,
      };
      this.pending.push(write);
      this.pendingById.set(task.id, write);
      for (const key of keys) if (!this.pendingKeys.has(key)) this.pendingKeys.set(key, task.id);
      this.scheduleCommit();
    });
  }

  /**
   * Commit after two turns of the event loop: under load the second turn brings the writes of the
   * requests that arrived meanwhile, so each commit (and its WAL frame writes) serves more of them.
   * A write waits well under a millisecond longer; its promise resolves only once it is committed.
   */
  private scheduleCommit(): void {
    if (this.commitTimer) return;
    this.commitTimer = setImmediate(() => {
      this.commitTimer = setImmediate(() => this.commit());
    });
  }

  /** Commit every pending write now, in one transaction, and settle each write's promise. */
  private commit(): void {
    if (this.commitTimer) clearImmediate(this.commitTimer);
    this.commitTimer = undefined;
    const writes = this.pending;
    if (writes.length === 0) return;
    this.pending = [];
    this.pendingById.clear();
    this.pendingKeys.clear();
    try {
      this.commitTx(writes);
    } catch (error) {
      for (const write of writes) write.reject(error);
      return;
    }
    for (const write of writes) {
      if (!write.ok) write.reject(new VersionConflictError(write.task.id, write.expectedVersion));
      else
        write.resolve({
          task: write.task,
          version: write.version,
          owner: write.owner ?? undefined,
          updatedAt: write.now,
        });
    }
  }

  /** {@inheritDoc TaskStore.list} */
  async list(query: TaskQuery): Promise<TaskPage> {
    // Lists read many rows: let them see pending writes by committing those first.
    this.commit();
    const position = query.cursor ? decodeCursor(query.cursor) : undefined;
    const filters: ListFilter[] = [];
    const params: unknown[] = [];
    if (query.owner !== undefined) {
      filters.push('owner');
      params.push(query.owner);
    }
    if (query.contextId !== undefined) {
      filters.push('context_id');
      params.push(query.contextId);
    }
    if (query.state !== undefined) {
      filters.push('state');
      params.push(query.state);
    }
    if (query.updatedSince !== undefined) {
      filters.push('updated_at');
      params.push(query.updatedSince);
    }
    const shape = filters.join(',');
    const { n: totalSize } = this.countStatement(filters, shape).get(...params)!;
    const limit = Math.max(0, Math.trunc(query.limit));
    const pageParams =
      position === undefined
        ? [...params, limit + 1]
        : [...params, position.updatedAt, position.id, limit + 1];
    const rows = this.listStatement(filters, shape, position !== undefined).all(...pageParams);
    // One extra row tells whether another page exists without a second query.
    const more = rows.length > limit;
    const pageRows = more ? rows.slice(0, limit) : rows;
    const tasks = pageRows.map(toStored);
    const last = pageRows.at(-1);
    const nextCursor = more && last !== undefined ? encodeCursor(last.updated_at, last.id) : '';
    return { tasks, nextCursor, totalSize };
  }

  /** {@inheritDoc TaskStore.findTaskByMessageKey} */
  async findTaskByMessageKey(key: string): Promise<string | undefined> {
    return this.selectKey.get(key)?.task_id ?? this.pendingKeys.get(key);
  }

  /** {@inheritDoc TaskStore.putPushConfig} */
  async putPushConfig(taskId: string, config: TaskPushNotificationConfig & { id: string }): Promise<void> {
    this.upsertPush.run({ taskId, id: config.id, body: JSON.stringify(config) });
  }

  /** {@inheritDoc TaskStore.getPushConfig} */
  async getPushConfig(taskId: string, configId: string): Promise<TaskPushNotificationConfig | undefined> {
    const row = this.selectPush.get(taskId, configId);
    return row === undefined ? undefined : parseConfig(row.body);
  }

  /** {@inheritDoc TaskStore.listPushConfigs} */
  async listPushConfigs(taskId: string): Promise<TaskPushNotificationConfig[]> {
    return this.selectPushes.all(taskId).map((row) => parseConfig(row.body));
  }

  /** {@inheritDoc TaskStore.deletePushConfig} */
  async deletePushConfig(taskId: string, configId: string): Promise<boolean> {
    return this.deletePush.run(taskId, configId).changes > 0;
  }

  /** Closes the database; later calls do nothing. */
  async close(): Promise<void> {
    if (this.db.open) {
      this.commit();
      this.db.close();
    }
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true });
    if (typeof current !== 'number') throw new Error('SQLite did not report a user_version');
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `Task database schema version ${current} is newer than this Timestep supports (${SCHEMA_VERSION}).`,
      );
    }
    if (current === SCHEMA_VERSION) return;
    // IMMEDIATE takes the write lock up front, so two processes opening a fresh file at once
    // do not both try to create the schema.
    this.db
      .transaction(() => {
        this.db.exec(SCHEMA_V1);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  private listStatement(
    filters: ListFilter[],
    shape: string,
    withCursor: boolean,
  ): Database.Statement<unknown[], TaskRow & { id: string }> {
    const key = `${shape}|${withCursor ? 'c' : ''}`;
    let statement = this.listStatements.get(key);
    if (statement === undefined) {
      const conditions = filters.map(condition);
      // A row-value comparison lets SQLite seek straight to the cursor in the (…, updated_at, id) index.
      if (withCursor) conditions.push('(updated_at, id) < (?, ?)');
      statement = this.db.prepare(
        `SELECT id, body, owner, version, updated_at FROM tasks${where(conditions)}
         ORDER BY updated_at DESC, id DESC LIMIT ?`,
      );
      this.listStatements.set(key, statement);
    }
    return statement;
  }

  private countStatement(filters: ListFilter[], shape: string): Database.Statement<unknown[], { n: number }> {
    let statement = this.countStatements.get(shape);
    if (statement === undefined) {
      statement = this.db.prepare(`SELECT COUNT(*) AS n FROM tasks${where(filters.map(condition))}`);
      this.countStatements.set(shape, statement);
    }
    return statement;
  }
}

function condition(filter: ListFilter): string {
  return filter === 'updated_at' ? 'updated_at >= ?' : `${filter} = ?`;
}

function where(conditions: string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

function toStored(row: TaskRow): StoredTask {
  return {
    task: JSON.parse(row.body) as Task,
    version: row.version,
    owner: row.owner ?? undefined,
    updatedAt: row.updated_at,
  };
}

function parseConfig(body: string): TaskPushNotificationConfig {
  return JSON.parse(body) as TaskPushNotificationConfig;
}
