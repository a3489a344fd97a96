import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Task, TaskState } from '../a2a/types.js';
import { MemoryTaskStore } from './memory.js';
import { describeTaskStore } from './store.contract.js';

describeTaskStore('MemoryTaskStore', () => new MemoryTaskStore());

function task(id: string, state: TaskState): Task {
  return { id, contextId: 'ctx', status: { state } };
}

/** Creates a task, records a key and a push config for it, and drives it to `state`. */
async function seedTask(store: MemoryTaskStore, id: string, state: TaskState): Promise<void> {
  await store.create(task(id, 'TASK_STATE_SUBMITTED'), undefined, { messageKeys: [`key-${id}`] });
  await store.putPushConfig(id, { id: 'p', url: `https://example.test/${id}` });
  await store.update(task(id, state), 1, { messageKeys: [`key2-${id}`] });
}

async function isGone(store: MemoryTaskStore, id: string): Promise<boolean> {
  return (
    (await store.get(id)) === undefined &&
    (await store.findTaskByMessageKey(`key-${id}`)) === undefined &&
    (await store.findTaskByMessageKey(`key2-${id}`)) === undefined &&
    (await store.listPushConfigs(id)).length === 0
  );
}

describe('MemoryTaskStore', () => {
  let store: MemoryTaskStore | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await store?.close();
    store = undefined;
  });

  it('returns the very objects it was given', async () => {
    store = new MemoryTaskStore();
    const t = task('t1', 'TASK_STATE_WORKING');
    const created = await store.create(t, undefined);
    expect(created.task).toBe(t);
    expect(await store.get('t1')).toBe(created);
    expect((await store.list({ limit: 10 })).tasks[0]).toBe(created);
    const config = { id: 'p', url: 'https://example.test' };
    await store.putPushConfig('t1', config);
    expect(await store.getPushConfig('t1', 'p')).toBe(config);
  });

  it('evicts the oldest terminal tasks beyond the cap, with their keys and push configs', async () => {
    store = new MemoryTaskStore({ maxTerminalTasks: 3 });
    await seedTask(store, 'active-1', 'TASK_STATE_WORKING');
    for (let i = 0; i < 5; i++) await seedTask(store, `done-${i}`, 'TASK_STATE_COMPLETED');
    await seedTask(store, 'active-2', 'TASK_STATE_INPUT_REQUIRED');

    expect(await isGone(store, 'done-0')).toBe(true);
    expect(await isGone(store, 'done-1')).toBe(true);
    for (const id of ['done-2', 'done-3', 'done-4', 'active-1', 'active-2']) {
      expect(await store.get(id), id).toBeDefined();
      expect(await store.findTaskByMessageKey(`key-${id}`)).toBe(id);
      expect(await store.listPushConfigs(id)).toHaveLength(1);
    }
    expect(store.stats()).toEqual({
      tasks: 5,
      terminalTasks: 3,
      messageKeys: 10,
      keyedTasks: 5,
      pushConfigTasks: 5,
    });
    expect((await store.list({ limit: 100 })).totalSize).toBe(5);
  });

  it('never evicts active tasks, however many there are', async () => {
    store = new MemoryTaskStore({ maxTerminalTasks: 1, terminalTtlMs: 0 });
    for (let i = 0; i < 20; i++) await seedTask(store, `w-${i}`, 'TASK_STATE_WORKING');
    await seedTask(store, 'done', 'TASK_STATE_FAILED');
    expect(store.stats().tasks).toBe(20);
    expect(await isGone(store, 'done')).toBe(true);
  });

  it('counts a task as terminal from the write that finished it, oldest finish first', async () => {
    store = new MemoryTaskStore({ maxTerminalTasks: 1 });
    await store.create(task('old', 'TASK_STATE_WORKING'), undefined);
    await store.create(task('new', 'TASK_STATE_WORKING'), undefined);
    await store.update(task('new', 'TASK_STATE_CANCELED'), 1);
    await store.update(task('old', 'TASK_STATE_REJECTED'), 1);
    // 'new' was created later but finished first, so it goes.
    expect(await store.get('new')).toBeUndefined();
    expect(await store.get('old')).toBeDefined();
  });

  it('evicts terminal tasks older than the TTL on the next write', async () => {
    vi.useFakeTimers();
    store = new MemoryTaskStore({ terminalTtlMs: 50 });
    await seedTask(store, 'done', 'TASK_STATE_COMPLETED');
    await seedTask(store, 'active', 'TASK_STATE_WORKING');
    vi.setSystemTime(Date.now() + 40);
    await store.create(task('trigger-1', 'TASK_STATE_WORKING'), undefined);
    expect(await store.get('done')).toBeDefined();
    vi.setSystemTime(Date.now() + 20);
    await store.create(task('trigger-2', 'TASK_STATE_WORKING'), undefined);
    expect(await isGone(store, 'done')).toBe(true);
    expect(await store.get('active')).toBeDefined();
    expect(store.stats()).toEqual({
      tasks: 3,
      terminalTasks: 0,
      messageKeys: 2,
      keyedTasks: 1,
      pushConfigTasks: 1,
    });
  });

  it('evicts expired terminal tasks on its timer without any write', async () => {
    vi.useFakeTimers();
    store = new MemoryTaskStore({ terminalTtlMs: 50 });
    await seedTask(store, 'done', 'TASK_STATE_COMPLETED');
    await seedTask(store, 'active', 'TASK_STATE_AUTH_REQUIRED');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await isGone(store, 'done')).toBe(true);
    expect(await store.get('active')).toBeDefined();
  });

  it('stops its timer on close', async () => {
    vi.useFakeTimers();
    store = new MemoryTaskStore({ terminalTtlMs: 50 });
    expect(vi.getTimerCount()).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive', () => {
    store = new MemoryTaskStore();
    const timer = (store as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
  });

  it('rejects nonsensical retention options', () => {
    expect(() => new MemoryTaskStore({ maxTerminalTasks: -1 })).toThrow(RangeError);
    expect(() => new MemoryTaskStore({ terminalTtlMs: Number.NaN })).toThrow(RangeError);
  });
});
