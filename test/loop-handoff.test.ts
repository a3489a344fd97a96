import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { A2AClient, taskText } from '../src/a2a/client/client.js';
import type { WorkerFunction } from '../src/a2a/runtime/worker.js';
import { A2AServer } from '../src/a2a/server/server.js';
import type { Message, Task } from '../src/a2a/types.js';
import { Agent } from '../src/agent/agent.js';
import { Environment, tool } from '../src/environment/index.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { waitFor } from './helpers/wait.js';

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function target(worker: WorkerFunction): Promise<{ server: A2AServer; url: string }> {
  const server = new A2AServer({
    card: { name: 'Target', description: 'A test target' },
    worker,
    store: 'memory',
  });
  const { url } = await server.listen({ port: 0 });
  closers.push(() => server.close());
  return { server, url };
}

async function caller(targetUrl: string): Promise<A2AClient> {
  const agent = new Agent({
    name: 'Caller',
    description: 'Hands everything off',
    environment: new Environment({
      name: 'caller',
      systemPrompt: 'Hand off.',
      handoff: { agents: [{ url: targetUrl, name: 'Target' }] },
    }),
    model: ScriptedModel.demo(),
    store: 'memory',
  });
  const { url } = await agent.listen({ port: 0 });
  closers.push(() => agent.close());
  return A2AClient.connect(url);
}

describe('Loop handoffs', () => {
  it('gives the model the error when the target fails', async () => {
    const { url } = await target((ctx) => ctx.fail('no forecast today'));
    const client = await caller(url);
    const task = asTask(await client.send('What about the weather?'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toMatch(/Error: .*no forecast today/);
  });

  it('cancels the target task when the caller task is canceled', async () => {
    const { server, url } = await target(async (ctx) => {
      await ctx.sendStatus('thinking');
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    });
    const client = await caller(url);
    const started = asTask(
      await client.send({ text: 'Take your time', configuration: { returnImmediately: true } }),
    );
    const targetTask = await waitFor(async () => {
      const { tasks } = await server.runtime.listTasks({});
      return tasks[0]?.status.state === 'TASK_STATE_WORKING' && tasks[0];
    }, 'the target task to start');
    await client.cancel(started.id);
    await waitFor(async () => {
      const task = await server.runtime.getTask(targetTask.id, undefined);
      return task.status.state === 'TASK_STATE_CANCELED';
    }, 'the target task to be canceled');
  });
});

describe('Loop tool errors', () => {
  it('gives the model the error of a failing tool', async () => {
    const agent = new Agent({
      name: 'Fragile',
      description: 'Its tool fails',
      environment: new Environment({
        name: 'fragile',
        systemPrompt: 'Use the tool.',
        handoff: false,
        tools: [
          tool({
            name: 'get_weather',
            description: 'Current weather',
            parameters: z.object({ city: z.string() }),
            execute: ({ city }) => {
              throw new Error(`the weather service does not know ${city}`);
            },
          }),
        ],
      }),
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    closers.push(() => agent.close());
    const client = await A2AClient.connect(url);
    const task = asTask(await client.send('What is the weather in Atlantis?'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toContain('Error: the weather service does not know Atlantis');
  });
});
