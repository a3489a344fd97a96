import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../a2a/types.js';
import { VersionConflictError } from './index.js';
import { SqliteTaskStore } from './sqlite.js';
import { describeTaskStore } from './store.contract.js';

describeTaskStore('SqliteTaskStore (:memory:)', () => new SqliteTaskStore(':memory:'));

describe('SqliteTaskStore on a file', () => {
  let dir: string;
  let file: string;
  const opened: SqliteTaskStore[] = [];

  function open(): SqliteTaskStore {
    const store = new SqliteTaskStore({ path: file });
    opened.push(store);
    return store;
  }

  function task(id: string, text: string): Task {
    return {
      id,
      contextId: 'ctx',
      status: { state: 'TASK_STATE_WORKING', timestamp: '2026-01-01T00:00:00.000Z' },
      history: [{ messageId: `m-${id}`, role: 'ROLE_USER', parts: [{ text }] }],
    };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'timestep-sqlite-'));
    file = join(dir, 'tasks.db');
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describeTaskStore('SqliteTaskStore (file)', () => open());

  it('keeps tasks, keys and push configs across close and reopen', async () => {
    const first = open();
    const t = task('t1', 'persist me');
    await first.create(t, 'alice', { messageKeys: ['k1'] });
    await first.update({ ...t, status: { state: 'TASK_STATE_COMPLETED' } }, 1, { messageKeys: ['k2'] });
    await first.putPushConfig('t1', { id: 'p1', url: 'https://example.test/hook', token: 'secret' });
    await first.putPushConfig('t1', { id: 'p0', url: 'https://example.test/hook2' });
    await first.close();

    const second = open();
    const got = await second.get('t1');
    expect(got).toMatchObject({ version: 2, owner: 'alice' });
    expect(got!.task).toEqual({ ...t, status: { state: 'TASK_STATE_COMPLETED' } });
    expect(await second.findTaskByMessageKey('k1')).toBe('t1');
    expect(await second.findTaskByMessageKey('k2')).toBe('t1');
    expect((await second.listPushConfigs('t1')).map((c) => c.id)).toEqual(['p1', 'p0']);
    const page = await second.list({ limit: 10, state: 'TASK_STATE_COMPLETED' });
    expect(page.totalSize).toBe(1);
    await expect(second.update(t, 1)).rejects.toBeInstanceOf(VersionConflictError);
    expect((await second.update(t, 2)).version).toBe(3);
  });

  it('lets only one of two processes win an update from the same version', async () => {
    const a = open();
    const b = open();
    await a.create(task('t1', 'start'), undefined);
    const seenByA = await a.get('t1');
    const seenByB = await b.get('t1');
    expect(seenByA!.version).toBe(1);
    expect(seenByB!.version).toBe(1);

    await a.update(task('t1', 'from a'), seenByA!.version);
    await expect(
      b.update(task('t1', 'from b'), seenByB!.version, { messageKeys: ['kb'] }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    const final = await b.get('t1');
    expect(final!.version).toBe(2);
    expect(final!.task.history![0]!.parts[0]).toEqual({ text: 'from a' });
    // The losing write's idempotency key must not be recorded either.
    expect(await a.findTaskByMessageKey('kb')).toBeUndefined();
    // Nor can a second create of the id slip in through the other connection.
    await expect(b.create(task('t1', 'again'), undefined)).rejects.toBeInstanceOf(VersionConflictError);
  });

  it('runs in WAL mode with the schema version set', async () => {
    const store = open();
    await store.create(task('t1', 'x'), undefined);
    const probe = new Database(file, { readonly: true });
    try {
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(probe.pragma('user_version', { simple: true })).toBe(1);
      const tables = probe
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all() as { name: string }[];
      expect(tables.map((t) => t.name)).toEqual(['message_keys', 'push_configs', 'tasks']);
    } finally {
      probe.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => open()).toThrow(/schema version 99/);
  });
});
