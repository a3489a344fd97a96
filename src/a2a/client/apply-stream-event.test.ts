import { describe, expect, it } from 'vitest';
import type { Task } from '../types.js';
import { applyStreamEvent, taskText } from './client.js';

const base: Task = {
  id: 't1',
  contextId: 'c1',
  status: { state: 'TASK_STATE_SUBMITTED' },
  history: [{ messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] }],
};

describe('applyStreamEvent', () => {
  it('folds status and artifact updates into the task, appending chunks', () => {
    let task = applyStreamEvent(undefined, { task: base });
    task = applyStreamEvent(task, {
      artifactUpdate: {
        taskId: 't1',
        contextId: 'c1',
        artifact: { artifactId: 'a', parts: [{ text: 'Hel' }] },
      },
    });
    task = applyStreamEvent(task, {
      artifactUpdate: {
        taskId: 't1',
        contextId: 'c1',
        artifact: { artifactId: 'a', parts: [{ text: 'lo' }] },
        append: true,
      },
    });
    const message = { messageId: 'm2', role: 'ROLE_AGENT' as const, parts: [{ text: 'done' }] };
    task = applyStreamEvent(task, {
      statusUpdate: { taskId: 't1', contextId: 'c1', status: { state: 'TASK_STATE_COMPLETED', message } },
    });
    expect(task?.status.state).toBe('TASK_STATE_COMPLETED');
    expect(task?.history?.map((m) => m.messageId)).toEqual(['m1', 'm2']);
    expect(taskText(task!)).toBe('Hello');
    // The input task is untouched.
    expect(base.status.state).toBe('TASK_STATE_SUBMITTED');
    expect(base.artifacts).toBeUndefined();
  });

  it('replaces an artifact without append, ignores other tasks and messages', () => {
    let task = applyStreamEvent(undefined, {
      task: { ...base, artifacts: [{ artifactId: 'a', parts: [{ text: 'old' }] }] },
    });
    task = applyStreamEvent(task, {
      artifactUpdate: {
        taskId: 't1',
        contextId: 'c1',
        artifact: { artifactId: 'a', parts: [{ text: 'new' }] },
      },
    });
    task = applyStreamEvent(task, {
      statusUpdate: { taskId: 'other', contextId: 'c1', status: { state: 'TASK_STATE_FAILED' } },
    });
    task = applyStreamEvent(task, {
      message: { messageId: 'x', role: 'ROLE_AGENT', parts: [{ text: 'x' }] },
    });
    expect(taskText(task!)).toBe('new');
    expect(task?.status.state).toBe('TASK_STATE_SUBMITTED');
    expect(
      applyStreamEvent(undefined, {
        statusUpdate: { taskId: 't1', contextId: 'c1', status: { state: 'TASK_STATE_WORKING' } },
      }),
    ).toBeUndefined();
  });
});
