/**
 * Durability: tasks written by one server on a SQLite file are there for the next server on the
 * same file, and a task left waiting for input can be resumed to completion after the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { A2AServer, type Worker } from '../src/index.js';
import { rest, rpc, userMessage } from './helpers/http.js';

const dir = mkdtempSync(join(tmpdir(), 'timestep-restart-'));
const file = join(dir, 'agent.db');
const open: A2AServer[] = [];

afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function startOnFile(worker: Worker): Promise<{ server: A2AServer; url: string }> {
  const server = new A2AServer({
    card: { name: 'Durable Agent', description: 'Remembers across restarts.' },
    store: `sqlite:${file}`,
    worker,
  });
  open.push(server);
  const { url } = await server.listen();
  return { server, url };
}

describe('SQLite store across a restart', () => {
  it('keeps completed and waiting tasks, and resumes the waiting one', async () => {
    const firstCalls: string[] = [];
    const first = await startOnFile(async (ctx) => {
      firstCalls.push(ctx.userText);
      if (ctx.userText === 'plan a trip') await ctx.requestInput('Where to?');
      else await ctx.complete({ content: `done: ${ctx.userText}`, message: 'finished' });
    });
    const completedMessage = userMessage('quick job');
    const completed = (await rpc(first.url, 'SendMessage', { message: completedMessage })).body.result.task;
    expect(completed.status.state).toBe('TASK_STATE_COMPLETED');
    const waiting = (await rpc(first.url, 'SendMessage', { message: userMessage('plan a trip') })).body.result
      .task;
    expect(waiting.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const before = {
      completed: (await rpc(first.url, 'GetTask', { id: completed.id })).body.result,
      waiting: (await rpc(first.url, 'GetTask', { id: waiting.id })).body.result,
    };
    await first.server.close();
    open.splice(open.indexOf(first.server), 1);
    // The old server is really gone.
    await expect(fetch(`${first.url}/.well-known/agent-card.json`)).rejects.toThrow();

    const secondCalls: Array<{ text: string; isNewTask: boolean; history: string[] }> = [];
    const second = await startOnFile(async (ctx) => {
      secondCalls.push({
        text: ctx.userText,
        isNewTask: ctx.isNewTask,
        history: ctx.history.map((m) => m.parts.map((p) => ('text' in p ? p.text : '')).join('')),
      });
      await ctx.complete(`booked: ${ctx.userText}`);
    });

    // Both tasks read back exactly as they were.
    expect((await rpc(second.url, 'GetTask', { id: completed.id })).body.result).toEqual(before.completed);
    expect((await rpc(second.url, 'GetTask', { id: waiting.id })).body.result).toEqual(before.waiting);
    expect((await rest(second.url, 'GET', `/tasks/${waiting.id}`)).body).toEqual(before.waiting);
    const list = (await rpc(second.url, 'ListTasks', { includeArtifacts: true })).body.result;
    expect(list.totalSize).toBe(2);
    expect(list.tasks.map((t: { id: string }) => t.id).sort()).toEqual([completed.id, waiting.id].sort());
    const waitingOnly = (await rpc(second.url, 'ListTasks', { status: 'TASK_STATE_INPUT_REQUIRED' })).body
      .result;
    expect(waitingOnly.tasks.map((t: { id: string }) => t.id)).toEqual([waiting.id]);

    // A retried send of the first message still finds its task: no second run.
    const retried = (await rpc(second.url, 'SendMessage', { message: completedMessage })).body.result.task;
    expect(retried.id).toBe(completed.id);

    // The waiting task resumes on the new server and completes.
    const resumed = (
      await rpc(second.url, 'SendMessage', { message: userMessage('Lisbon', { taskId: waiting.id }) })
    ).body.result.task;
    expect(resumed.id).toBe(waiting.id);
    expect(resumed.contextId).toBe(waiting.contextId);
    expect(resumed.status.state).toBe('TASK_STATE_COMPLETED');
    expect(resumed.artifacts.at(-1).parts).toEqual([{ text: 'booked: Lisbon' }]);
    expect(secondCalls).toEqual([
      { text: 'Lisbon', isNewTask: false, history: ['plan a trip', 'Where to?', 'Lisbon'] },
    ]);
    expect(firstCalls).toEqual(['quick job', 'plan a trip']);

    // And the result is durable too.
    await second.server.close();
    open.splice(open.indexOf(second.server), 1);
    const third = await startOnFile((ctx) => ctx.complete('unused'));
    const reread = (await rpc(third.url, 'GetTask', { id: waiting.id })).body.result;
    expect(reread.status.state).toBe('TASK_STATE_COMPLETED');
    expect(reread.history).toHaveLength(3);
  });
});
