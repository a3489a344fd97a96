/**
 * The behaviour every {@link TaskStore} must have, as a reusable vitest suite.
 *
 * A store's own test file calls `describeTaskStore('name', () => new MyStore())`; the suite
 * gets a fresh store per test and closes it afterwards.
 *
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task, TaskPushNotificationConfig, TaskState } from '../a2a/types.js';
import { InvalidCursorError, type StoredTask, type TaskStore, VersionConflictError } from './store.js';

/** Builds a small task; `state` defaults to submitted and `contextId` to `ctx-1`. */
function makeTask(
  id: string,
  overrides: { contextId?: string; state?: TaskState; text?: string } = {},
): Task {
  return {
    id,
    contextId: overrides.contextId ?? 'ctx-1',
    status: { state: overrides.state ?? 'TASK_STATE_SUBMITTED', timestamp: new Date().toISOString() },
    history: [
      {
        messageId: `m-${id}`,
        role: 'ROLE_USER',
        parts: [{ text: overrides.text ?? 'hello' }],
      },
    ],
  };
}

/** Resolves once `Date.now()` has moved on, so the next write gets a strictly later `updatedAt`. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setTimeout(resolve, 1));
}

function ids(records: StoredTask[]): string[] {
  return records.map((record) => record.task.id);
}

function isSortedNewestFirst(records: StoredTask[]): boolean {
  for (let i = 1; i < records.length; i++) {
    const a = records[i - 1]!;
    const b = records[i]!;
    if (a.updatedAt < b.updatedAt) return false;
    if (a.updatedAt === b.updatedAt && a.task.id <= b.task.id) return false;
  }
  return true;
}

function pushConfig(id: string, url: string): TaskPushNotificationConfig & { id: string } {
  return { id, url, token: `token-${id}` };
}

/**
 * Registers a `describe` block that checks `makeStore`'s stores against the whole `TaskStore`
 * contract: versioned create/update, idempotency keys, filtered and paginated lists, push configs
 * and close.
 */
export function describeTaskStore(name: string, makeStore: () => Promise<TaskStore> | TaskStore): void {
  describe(`TaskStore contract: ${name}`, () => {
    let store: TaskStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('create and get', () => {
      it('stores a task at version 1 and returns it', async () => {
        const before = Date.now();
        const task = makeTask('t1');
        const created = await store.create(task, 'alice');
        expect(created.version).toBe(1);
        expect(created.owner).toBe('alice');
        expect(created.task).toEqual(task);
        expect(created.updatedAt).toBeGreaterThanOrEqual(before);
        expect(created.updatedAt).toBeLessThanOrEqual(Date.now());

        const got = await store.get('t1');
        expect(got).toBeDefined();
        expect(got!.task).toEqual(task);
        expect(got!.version).toBe(1);
        expect(got!.owner).toBe('alice');
        expect(got!.updatedAt).toBe(created.updatedAt);
      });

      it('keeps an absent owner absent', async () => {
        await store.create(makeTask('t1'), undefined);
        expect((await store.get('t1'))!.owner).toBeUndefined();
      });

      it('answers undefined for an unknown id', async () => {
        expect(await store.get('nope')).toBeUndefined();
      });

      it('rejects a second create of the same id and keeps the first', async () => {
        await store.create(makeTask('t1', { text: 'first' }), 'alice');
        const error = await store.create(makeTask('t1', { text: 'second' }), 'bob').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VersionConflictError);
        expect((error as VersionConflictError).taskId).toBe('t1');
        const got = await store.get('t1');
        expect(got!.version).toBe(1);
        expect(got!.owner).toBe('alice');
        expect(got!.task.history![0]!.parts[0]).toEqual({ text: 'first' });
      });
    });

    describe('update', () => {
      it('replaces the task when the version matches and bumps the version', async () => {
        const created = await store.create(makeTask('t1'), 'alice');
        await nextMillisecond();
        const working = makeTask('t1', { state: 'TASK_STATE_WORKING' });
        const updated = await store.update(working, 1);
        expect(updated.version).toBe(2);
        expect(updated.owner).toBe('alice');
        expect(updated.task).toEqual(working);
        expect(updated.updatedAt).toBeGreaterThan(created.updatedAt);

        const done = makeTask('t1', { state: 'TASK_STATE_COMPLETED' });
        expect((await store.update(done, 2)).version).toBe(3);
        const got = await store.get('t1');
        expect(got!.version).toBe(3);
        expect(got!.owner).toBe('alice');
        expect(got!.task.status.state).toBe('TASK_STATE_COMPLETED');
      });

      it('rejects a stale version and leaves the task alone', async () => {
        await store.create(makeTask('t1'), undefined);
        await store.update(makeTask('t1', { state: 'TASK_STATE_WORKING' }), 1);
        const error = await store
          .update(makeTask('t1', { state: 'TASK_STATE_CANCELED' }), 1)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VersionConflictError);
        expect((error as VersionConflictError).taskId).toBe('t1');
        expect((error as VersionConflictError).expectedVersion).toBe(1);
        const got = await store.get('t1');
        expect(got!.version).toBe(2);
        expect(got!.task.status.state).toBe('TASK_STATE_WORKING');
      });

      it('rejects a version from the future', async () => {
        await store.create(makeTask('t1'), undefined);
        await expect(store.update(makeTask('t1'), 5)).rejects.toBeInstanceOf(VersionConflictError);
      });

      it('rejects an update of a task that does not exist', async () => {
        await expect(store.update(makeTask('ghost'), 1)).rejects.toBeInstanceOf(VersionConflictError);
        expect(await store.get('ghost')).toBeUndefined();
      });

      it('stores the explicit version of a batched write, on create and on update', async () => {
        expect((await store.create(makeTask('t1'), undefined, { version: 4 })).version).toBe(4);
        expect((await store.get('t1'))?.version).toBe(4);
        await expect(store.update(makeTask('t1'), 1, { version: 9 })).rejects.toBeInstanceOf(
          VersionConflictError,
        );
        const updated = await store.update(makeTask('t1', { state: 'TASK_STATE_COMPLETED' }), 4, {
          version: 9,
        });
        expect(updated.version).toBe(9);
        expect((await store.get('t1'))?.version).toBe(9);
        expect((await store.get('t1'))?.task.status.state).toBe('TASK_STATE_COMPLETED');
      });

      it('refuses an explicit version that does not move forward', async () => {
        await store.create(makeTask('t1'), undefined, { version: 3 });
        await expect(store.update(makeTask('t1'), 3, { version: 3 })).rejects.toBeInstanceOf(RangeError);
        expect((await store.get('t1'))?.version).toBe(3);
      });
    });

    describe('message keys', () => {
      it('records keys on create and on update', async () => {
        await store.create(makeTask('t1'), undefined, { messageKeys: ['k1', 'k2'] });
        await store.update(makeTask('t1'), 1, { messageKeys: ['k3'] });
        expect(await store.findTaskByMessageKey('k1')).toBe('t1');
        expect(await store.findTaskByMessageKey('k2')).toBe('t1');
        expect(await store.findTaskByMessageKey('k3')).toBe('t1');
        expect(await store.findTaskByMessageKey('k4')).toBeUndefined();
      });

      it('keeps keys of different tasks apart', async () => {
        await store.create(makeTask('t1'), undefined, { messageKeys: ['a'] });
        await store.create(makeTask('t2'), undefined, { messageKeys: ['b'] });
        expect(await store.findTaskByMessageKey('a')).toBe('t1');
        expect(await store.findTaskByMessageKey('b')).toBe('t2');
      });

      it('does not record keys of a write that failed', async () => {
        await store.create(makeTask('t1'), undefined);
        await expect(store.create(makeTask('t1'), undefined, { messageKeys: ['dup'] })).rejects.toThrow();
        await expect(store.update(makeTask('t1'), 7, { messageKeys: ['stale'] })).rejects.toThrow();
        expect(await store.findTaskByMessageKey('dup')).toBeUndefined();
        expect(await store.findTaskByMessageKey('stale')).toBeUndefined();
      });

      it('keeps a key pointing at the task it was first recorded for', async () => {
        await store.create(makeTask('t1'), undefined, { messageKeys: ['k'] });
        await store.create(makeTask('t2'), undefined, { messageKeys: ['k'] });
        expect(await store.findTaskByMessageKey('k')).toBe('t1');
      });
    });

    describe('list', () => {
      /** Six tasks over two contexts, three owners and three states, each written in its own ms. */
      async function seed(): Promise<void> {
        const rows: [string, string, TaskState, string | undefined][] = [
          ['a', 'c1', 'TASK_STATE_COMPLETED', 'alice'],
          ['b', 'c1', 'TASK_STATE_WORKING', 'alice'],
          ['c', 'c2', 'TASK_STATE_COMPLETED', 'bob'],
          ['d', 'c2', 'TASK_STATE_INPUT_REQUIRED', 'alice'],
          ['e', 'c1', 'TASK_STATE_COMPLETED', undefined],
          ['f', 'c2', 'TASK_STATE_WORKING', 'bob'],
        ];
        for (const [id, contextId, state, owner] of rows) {
          await store.create(makeTask(id, { contextId, state }), owner);
          await nextMillisecond();
        }
      }

      it('returns every task newest first when unfiltered', async () => {
        await seed();
        const page = await store.list({ limit: 100 });
        expect(ids(page.tasks)).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
        expect(page.totalSize).toBe(6);
        expect(page.nextCursor).toBe('');
        expect(page.tasks[0]!.version).toBe(1);
        expect(page.tasks[0]!.owner).toBe('bob');
      });

      it('moves a task to the front when it is updated', async () => {
        await seed();
        await store.update(makeTask('a', { contextId: 'c1', state: 'TASK_STATE_COMPLETED' }), 1);
        const page = await store.list({ limit: 100 });
        expect(ids(page.tasks)).toEqual(['a', 'f', 'e', 'd', 'c', 'b']);
        expect(page.tasks[0]!.version).toBe(2);
      });

      it('filters by contextId', async () => {
        await seed();
        const page = await store.list({ contextId: 'c1', limit: 100 });
        expect(ids(page.tasks)).toEqual(['e', 'b', 'a']);
        expect(page.totalSize).toBe(3);
      });

      it('filters by state', async () => {
        await seed();
        const page = await store.list({ state: 'TASK_STATE_COMPLETED', limit: 100 });
        expect(ids(page.tasks)).toEqual(['e', 'c', 'a']);
        expect(page.totalSize).toBe(3);
        expect((await store.list({ state: 'TASK_STATE_REJECTED', limit: 100 })).totalSize).toBe(0);
      });

      it('filters by owner, leaving out tasks of other and of no owner', async () => {
        await seed();
        expect(ids((await store.list({ owner: 'alice', limit: 100 })).tasks)).toEqual(['d', 'b', 'a']);
        expect(ids((await store.list({ owner: 'bob', limit: 100 })).tasks)).toEqual(['f', 'c']);
        expect((await store.list({ owner: 'mallory', limit: 100 })).totalSize).toBe(0);
      });

      it('filters by updatedSince, inclusive', async () => {
        await seed();
        const since = Date.now();
        await store.update(makeTask('b', { contextId: 'c1', state: 'TASK_STATE_COMPLETED' }), 1);
        await store.update(makeTask('c', { contextId: 'c2', state: 'TASK_STATE_COMPLETED' }), 1);
        const page = await store.list({ updatedSince: since, limit: 100 });
        expect(new Set(ids(page.tasks))).toEqual(new Set(['b', 'c']));
        expect(page.totalSize).toBe(2);
        const exact = page.tasks.find((record) => record.task.id === 'b')!.updatedAt;
        expect(ids((await store.list({ updatedSince: exact, limit: 100 })).tasks)).toContain('b');
      });

      it('combines filters', async () => {
        await seed();
        const page = await store.list({
          owner: 'alice',
          contextId: 'c1',
          state: 'TASK_STATE_COMPLETED',
          limit: 100,
        });
        expect(ids(page.tasks)).toEqual(['a']);
        expect(page.totalSize).toBe(1);
      });

      it('pages through three pages in a stable order without duplicates', async () => {
        // Written back to back, so several share a millisecond and the id breaks the tie.
        for (let i = 0; i < 8; i++) await store.create(makeTask(`task-${i}`), undefined);
        const all = await store.list({ limit: 100 });
        expect(all.totalSize).toBe(8);
        expect(isSortedNewestFirst(all.tasks)).toBe(true);

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ limit: 3, cursor });
          expect(page.totalSize).toBe(8);
          expect(page.tasks.length).toBeLessThanOrEqual(3);
          seen.push(...ids(page.tasks));
          cursor = page.nextCursor;
          pages++;
          expect(pages).toBeLessThanOrEqual(3);
        } while (cursor !== '');
        expect(pages).toBe(3);
        expect(seen).toEqual(ids(all.tasks));
        expect(new Set(seen).size).toBe(8);
      });

      it('pages through a filtered list', async () => {
        for (let i = 0; i < 5; i++) {
          await store.create(makeTask(`in-${i}`, { contextId: 'wanted' }), undefined);
          await store.create(makeTask(`out-${i}`, { contextId: 'other' }), undefined);
        }
        const first = await store.list({ contextId: 'wanted', limit: 2 });
        const second = await store.list({ contextId: 'wanted', limit: 2, cursor: first.nextCursor });
        const third = await store.list({ contextId: 'wanted', limit: 2, cursor: second.nextCursor });
        expect(third.nextCursor).toBe('');
        const seen = [...ids(first.tasks), ...ids(second.tasks), ...ids(third.tasks)];
        expect(seen.sort()).toEqual(['in-0', 'in-1', 'in-2', 'in-3', 'in-4']);
        expect(first.totalSize).toBe(5);
        expect(third.totalSize).toBe(5);
      });

      it('gives no cursor when the page holds the rest exactly', async () => {
        for (let i = 0; i < 3; i++) await store.create(makeTask(`t${i}`), undefined);
        const page = await store.list({ limit: 3 });
        expect(page.tasks).toHaveLength(3);
        expect(page.nextCursor).toBe('');
      });

      it('treats an empty cursor as the first page', async () => {
        await store.create(makeTask('t1'), undefined);
        expect(ids((await store.list({ limit: 10, cursor: '' })).tasks)).toEqual(['t1']);
      });

      it('answers an empty page for an empty store', async () => {
        expect(await store.list({ limit: 10 })).toEqual({ tasks: [], nextCursor: '', totalSize: 0 });
      });

      it('rejects a cursor it did not produce', async () => {
        await store.create(makeTask('t1'), undefined);
        const foreign = [
          'garbage!!',
          'not a cursor',
          Buffer.from('hello').toString('base64url'),
          Buffer.from('12x:t1').toString('base64url'),
          Buffer.from('12:').toString('base64url'),
          Buffer.from(JSON.stringify({ offset: 10 })).toString('base64'),
        ];
        for (const cursor of foreign) {
          await expect(store.list({ limit: 10, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        }
      });
    });

    describe('push configs', () => {
      beforeEach(async () => {
        await store.create(makeTask('t1'), undefined);
        await store.create(makeTask('t2'), undefined);
      });

      it('puts and gets a config', async () => {
        const config = pushConfig('p1', 'https://example.test/hook');
        await store.putPushConfig('t1', config);
        expect(await store.getPushConfig('t1', 'p1')).toEqual(config);
        expect(await store.getPushConfig('t1', 'nope')).toBeUndefined();
        expect(await store.getPushConfig('t2', 'p1')).toBeUndefined();
      });

      it('lists configs in creation order, per task', async () => {
        await store.putPushConfig('t1', pushConfig('zeta', 'https://example.test/1'));
        await store.putPushConfig('t1', pushConfig('alpha', 'https://example.test/2'));
        await store.putPushConfig('t2', pushConfig('other', 'https://example.test/x'));
        await store.putPushConfig('t1', pushConfig('mid', 'https://example.test/3'));
        expect((await store.listPushConfigs('t1')).map((c) => c.id)).toEqual(['zeta', 'alpha', 'mid']);
        expect((await store.listPushConfigs('t2')).map((c) => c.id)).toEqual(['other']);
        expect(await store.listPushConfigs('t3')).toEqual([]);
      });

      it('replaces a config in place', async () => {
        await store.putPushConfig('t1', pushConfig('p1', 'https://example.test/old'));
        await store.putPushConfig('t1', pushConfig('p2', 'https://example.test/2'));
        const replacement = {
          id: 'p1',
          url: 'https://example.test/new',
          authentication: { scheme: 'Bearer' },
        };
        await store.putPushConfig('t1', replacement);
        expect(await store.getPushConfig('t1', 'p1')).toEqual(replacement);
        const listed = await store.listPushConfigs('t1');
        expect(listed.map((c) => c.id)).toEqual(['p1', 'p2']);
        expect(listed[0]!.url).toBe('https://example.test/new');
      });

      it('deletes a config and says whether it existed', async () => {
        await store.putPushConfig('t1', pushConfig('p1', 'https://example.test/1'));
        await store.putPushConfig('t1', pushConfig('p2', 'https://example.test/2'));
        expect(await store.deletePushConfig('t1', 'p1')).toBe(true);
        expect(await store.deletePushConfig('t1', 'p1')).toBe(false);
        expect(await store.deletePushConfig('t2', 'p2')).toBe(false);
        expect(await store.getPushConfig('t1', 'p1')).toBeUndefined();
        expect((await store.listPushConfigs('t1')).map((c) => c.id)).toEqual(['p2']);
      });

      it('puts a deleted config back at the end', async () => {
        await store.putPushConfig('t1', pushConfig('p1', 'https://example.test/1'));
        await store.putPushConfig('t1', pushConfig('p2', 'https://example.test/2'));
        await store.deletePushConfig('t1', 'p1');
        await store.putPushConfig('t1', pushConfig('p1', 'https://example.test/1'));
        expect((await store.listPushConfigs('t1')).map((c) => c.id)).toEqual(['p2', 'p1']);
      });
    });

    describe('close', () => {
      it('resolves, and again when called twice', async () => {
        await store.create(makeTask('t1'), undefined);
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
