/**
 * Chains of handoffs: a handed-off agent's `input-required` surfaces at the top with the chain of
 * agents, the answer is routed back down, cancellation reaches the bottom, progress is reported
 * upward, and cycles and over-deep chains are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { askWithApprovals, guardedWeatherAssistant } from '../examples/handoff-approval.js';
import { A2AClient, taskText } from '../src/a2a/client/client.js';
import type { WorkerFunction } from '../src/a2a/runtime/worker.js';
import { A2AServer } from '../src/a2a/server/server.js';
import type { JsonObject, Message, Part, Task } from '../src/a2a/types.js';
import { Agent } from '../src/agent/agent.js';
import { createPersonalAssistant, demoWeather } from '../src/agent/demo-agents.js';
import { Environment, tool } from '../src/environment/index.js';
import { ScriptedModel } from '../src/models/scripted.js';
import type { StoreSpec } from '../src/stores/open.js';
import { freePort } from './helpers/http.js';
import { waitFor } from './helpers/wait.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

function dataOf(message: Message | undefined, key: string): unknown {
  for (const part of message?.parts ?? []) {
    if ('data' in part && typeof part.data === 'object' && part.data !== null && key in part.data) {
      return (part.data as Record<string, unknown>)[key];
    }
  }
  return undefined;
}

/** An agent on the demo's scripted brain that hands off to `targets` (the first one is used). */
async function relay(
  name: string,
  targets: Array<{ url: string; name: string }>,
  options: { maxHandoffDepth?: number; port?: number; store?: StoreSpec } = {},
) {
  const agent = new Agent({
    name,
    description: `${name} passes questions on`,
    environment: new Environment({ name, systemPrompt: 'Hand off.', handoff: { agents: targets } }),
    model: ScriptedModel.demo(),
    store: options.store ?? 'memory',
    ...(options.maxHandoffDepth !== undefined ? { maxHandoffDepth: options.maxHandoffDepth } : {}),
  });
  const { url } = await agent.listen({ port: options.port ?? 0 });
  closers.push(() => agent.close());
  return { agent, url };
}

/** A weather agent (the demo's scripted brain); with `ran`, its `get_weather` needs the user's approval. */
async function weatherAgent(ran?: string[]) {
  const agent = new Agent({
    name: 'Weather',
    description: ran ? 'Weather, with approval' : 'Weather',
    environment: new Environment({
      name: 'weather',
      systemPrompt: 'Report the weather.',
      handoff: false,
      tools: [
        tool({
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: z.object({ city: z.string() }),
          needsApproval: ran !== undefined,
          execute: ({ city }) => {
            ran?.push(city);
            return `18°C, fog in ${city}`;
          },
        }),
      ],
    }),
    model: ScriptedModel.demo(),
    store: 'memory',
  });
  const { url } = await agent.listen({ port: 0 });
  closers.push(() => agent.close());
  return { agent, url };
}

async function plainTarget(worker: WorkerFunction): Promise<{ server: A2AServer; url: string }> {
  const server = new A2AServer({
    card: { name: 'Target', description: 'A test target' },
    worker,
    store: 'memory',
  });
  const { url } = await server.listen({ port: 0 });
  closers.push(() => server.close());
  return { server, url };
}

describe('a handed-off agent that needs input', () => {
  it("surfaces the target's question with the chain and routes the answer back down", async () => {
    const seen: string[] = [];
    const { server, url: targetUrl } = await plainTarget(async (ctx) => {
      seen.push(ctx.userText);
      if (ctx.isNewTask) await ctx.requestInput('Which city do you mean?');
      else await ctx.complete(`Sunny in ${ctx.userText}`);
    });
    const { url } = await relay('Caller', [{ url: targetUrl, name: 'Target' }]);
    const client = await A2AClient.connect(url);

    const asked = asTask(await client.send('What about the weather?'));
    expect(asked.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(textOfParts(asked.status.message?.parts)).toContain('Target asks: Which city do you mean?');
    const question = dataOf(asked.status.message, 'question') as { text: string; chain: JsonObject[] };
    expect(question.text).toBe('Which city do you mean?');
    const [targetTask] = (await server.runtime.listTasks({})).tasks;
    expect(question.chain).toEqual([
      {
        agent_name: 'Target',
        agent_uri: targetUrl,
        task_id: targetTask!.id,
        context_id: targetTask!.contextId,
      },
    ]);

    const done = asTask(await client.send({ text: 'Oakland', taskId: asked.id, contextId: asked.contextId }));
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(done)).toContain('Sunny in Oakland');
    // The answer continued the same target task; no second task was started.
    expect(seen).toEqual(['What about the weather?', 'Oakland']);
    const { tasks } = await server.runtime.listTasks({});
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('surfaces an approval two agents down, with the chain, and approving runs the tool there', async () => {
    const ran: string[] = [];
    const weather = await weatherAgent(ran);
    const middle = await relay('Middle', [{ url: weather.url, name: 'Weather' }]);
    const top = await relay('Top', [{ url: middle.url, name: 'Middle' }]);
    const client = await A2AClient.connect(top.url);

    const asked = asTask(await client.send('What is the weather in Oakland?'));
    expect(asked.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const calls = dataOf(asked.status.message, 'tool_calls') as JsonObject[];
    expect(calls).toHaveLength(1);
    const call = calls[0] as {
      call_id: string;
      name: string;
      kind: string;
      arguments: JsonObject;
      chain: JsonObject[];
    };
    expect(call).toMatchObject({ name: 'get_weather', kind: 'approval', arguments: { city: 'Oakland' } });
    expect(call.chain.map((l) => l.agent_name)).toEqual(['Middle', 'Weather']);
    expect(call.chain.map((l) => l.agent_uri)).toEqual([middle.url, weather.url]);
    expect(textOfParts(asked.status.message?.parts)).toContain('get_weather (asked by Weather)');
    expect(ran).toEqual([]);

    const done = asTask(
      await client.send({
        parts: [{ data: { tool_approvals: [{ call_id: call.call_id, approved: true }] } }],
        taskId: asked.id,
        contextId: asked.contextId,
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(ran).toEqual(['Oakland']);
    expect(taskText(done)).toContain('18°C, fog in Oakland');
    // Each agent below has exactly one task, completed.
    for (const agent of [middle.agent, weather.agent]) {
      const { tasks } = await agent.server.runtime.listTasks({});
      expect(tasks.map((t) => t.status.state)).toEqual(['TASK_STATE_COMPLETED']);
    }
  });

  it('routes a refusal with its reason down to the agent that asked', async () => {
    const ran: string[] = [];
    const weather = await weatherAgent(ran);
    const top = await relay('Top', [{ url: weather.url, name: 'Weather' }]);
    const client = await A2AClient.connect(top.url);
    const asked = asTask(await client.send('What is the weather in Oakland?'));
    const [call] = dataOf(asked.status.message, 'tool_calls') as Array<{ call_id: string }>;
    const done = asTask(
      await client.send({
        parts: [
          { data: { tool_approvals: [{ call_id: call!.call_id, approved: false, reason: 'not today' }] } },
        ],
        taskId: asked.id,
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(ran).toEqual([]);
    expect(taskText(done)).toContain('The user refused this call: not today');
  });

  it("cancels the waiting target's task when the caller's waiting task is canceled", async () => {
    const ran: string[] = [];
    const weather = await weatherAgent(ran);
    const top = await relay('Top', [{ url: weather.url, name: 'Weather' }]);
    const client = await A2AClient.connect(top.url);
    const asked = asTask(await client.send('What is the weather in Oakland?'));
    expect(asked.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const canceled = await client.cancel(asked.id);
    expect(canceled.status.state).toBe('TASK_STATE_CANCELED');
    await waitFor(async () => {
      const { tasks } = await weather.agent.server.runtime.listTasks({});
      return tasks[0]?.status.state === 'TASK_STATE_CANCELED';
    }, "the weather agent's task to be canceled");
    expect(ran).toEqual([]);
  });
});

describe('handoff progress', () => {
  it('reports each agent of the chain on the top task, child states and the answer', async () => {
    const { agent: weather, url: weatherUrl } = await weatherAgent();
    const middle = await relay('Middle', [{ url: weatherUrl, name: 'Weather' }]);
    const top = await relay('Top', [{ url: middle.url, name: 'Middle' }]);
    const client = await A2AClient.connect(top.url);

    const reports: Array<{ path: string[]; state: string; text?: string; task_id?: string }> = [];
    let final: Task | undefined;
    for await (const event of client.stream('What is the weather in Oakland?')) {
      const update = 'statusUpdate' in event ? event.statusUpdate : undefined;
      const meta = update?.status.message?.metadata?.['timestep/handoff'] as
        | { path: string[]; state: string; text?: string; task_id?: string }
        | undefined;
      if (meta) reports.push(meta);
      if ('task' in event) final = event.task;
    }
    const paths = reports.map((r) => `${r.path.join('>')}:${r.state.replace('TASK_STATE_', '')}`);
    expect(paths[0]).toBe('Middle:SUBMITTED');
    expect(paths).toContain('Middle>Weather:SUBMITTED');
    expect(paths).toContain('Middle>Weather:COMPLETED');
    expect(paths.at(-1)).toBe('Middle:COMPLETED');
    const weatherDone = reports.find(
      (r) => r.path.join('>') === 'Middle>Weather' && r.state === 'TASK_STATE_COMPLETED',
    );
    expect(weatherDone?.text).toContain('18°C, fog in Oakland');
    const [weatherTask] = (await weather.server.runtime.listTasks({})).tasks;
    expect(weatherDone?.task_id).toBe(weatherTask!.id);
    // The progress messages are not part of the answer.
    const done = await client.getTask(final?.id ?? reports[0]!.task_id ?? '');
    expect(taskText(done)).not.toContain('Handing off');
  });
});

describe('handoff context continuity', () => {
  it('continues the target context after the caller restarts (read from its stored progress reports)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timestep-handoff-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const { agent: weather, url: weatherUrl } = await weatherAgent();
    const start = async () => {
      const { agent: caller, url } = await relay('Caller', [{ url: weatherUrl, name: 'Weather' }], {
        store: `sqlite:${join(dir, 'caller.db')}`,
      });
      return { caller, client: await A2AClient.connect(url) };
    };
    const first = await start();
    const lisbon = asTask(await first.client.send('What is the weather in Lisbon?'));
    await first.caller.close();
    const second = await start();
    const paris = asTask(
      await second.client.send({ text: 'What is the weather in Paris?', contextId: lisbon.contextId }),
    );
    expect(taskText(paris)).toContain('Paris');
    const { tasks } = await weather.server.runtime.listTasks({});
    expect(tasks).toHaveLength(2);
    expect(tasks[0]!.contextId).toBe(tasks[1]!.contextId);
  });
});

describe('handoff limits', () => {
  it('refuses targets outside allowedHandoffs, even when a remote Environment asks for them', async () => {
    const good = await plainTarget((ctx) => ctx.complete('hello from the allowed agent'));
    const bad = await plainTarget((ctx) => ctx.complete('should never run'));
    // A remote Environment that accepts any handoff target (no allowlist of its own).
    const environment = new Environment({ name: 'open', systemPrompt: 'Hand off.', handoff: true });
    const { url: environmentUrl } = await environment.listen({ port: 0 });
    closers.push(() => environment.close());
    const agent = new Agent({
      name: 'Fenced',
      description: 'Hands off only where allowed',
      environment: environmentUrl,
      allowedHandoffs: [`${good.url}/`],
      model: new ScriptedModel({
        rules: [
          {
            when: /^ask (\S+)$/,
            reply: (_request, match) => ({
              toolCalls: [{ name: 'handoff', arguments: { agent_uri: match![1]!, message: 'hi' } }],
            }),
          },
        ],
      }),
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    closers.push(() => agent.close());
    const client = await A2AClient.connect(url);
    const refused = asTask(await client.send(`ask ${bad.url}`));
    expect(taskText(refused)).toContain('is not among the agents this agent may hand off to');
    expect((await bad.server.runtime.listTasks({})).tasks).toHaveLength(0);
    const allowed = asTask(await client.send(`ask ${good.url}`));
    expect(taskText(allowed)).toContain('hello from the allowed agent');
  });

  it('refuses a handoff back to an agent already in the chain', async () => {
    // Top hands off to Bounce, which would hand straight back to Top: a loop.
    const [topPort, bouncePort] = [await freePort(), await freePort()];
    const topUrl = `http://127.0.0.1:${topPort}`;
    const bounceUrl = `http://127.0.0.1:${bouncePort}`;
    const top = (await relay('Top', [{ url: bounceUrl, name: 'Bounce' }], { port: topPort })).agent;
    const bounce = (await relay('Bounce', [{ url: topUrl, name: 'Top' }], { port: bouncePort })).agent;
    const client = await A2AClient.connect(topUrl);
    const done = asTask(await client.send('Ping?'));
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(done)).toContain('handoff refused');
    expect(taskText(done)).toContain('would loop');
    // Top got only the user's task; Bounce one task.
    expect((await top.server.runtime.listTasks({})).tasks).toHaveLength(1);
    expect((await bounce.server.runtime.listTasks({})).tasks).toHaveLength(1);
  });

  it('refuses a handoff deeper than maxHandoffDepth', async () => {
    const ran: string[] = [];
    const weather = await weatherAgent(ran);
    // Middle is one handoff below Top; with a depth limit of 1 it may not hand off again.
    const middle = await relay('Middle', [{ url: weather.url, name: 'Weather' }], { maxHandoffDepth: 1 });
    const top = await relay('Top', [{ url: middle.url, name: 'Middle' }], { maxHandoffDepth: 1 });
    const client = await A2AClient.connect(top.url);
    const done = asTask(await client.send('What is the weather in Oakland?'));
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(done)).toContain('already 1 handoff(s) down a chain (maxHandoffDepth is 1)');
    expect((await weather.agent.server.runtime.listTasks({})).tasks).toHaveLength(0);
  });
});

function textOfParts(parts: readonly Part[] | undefined): string {
  return (parts ?? []).map((p) => ('text' in p ? p.text : '')).join('');
}

describe('examples/handoff-approval.ts', () => {
  it('approves a call raised two agents down from the top task, and refuses one', async () => {
    const weather = guardedWeatherAssistant();
    const { url: weatherUrl } = await weather.listen({ port: 0 });
    closers.push(() => weather.close());
    const personal = createPersonalAssistant({ model: ScriptedModel.demo(), store: 'memory', weatherUrl });
    const { url } = await personal.listen({ port: 0 });
    closers.push(() => personal.close());
    const approved = await askWithApprovals(url, 'What is the weather in Oakland?', true);
    expect(approved.asked).toEqual(['Guarded Weather asks to run get_weather({"city":"Oakland"})']);
    expect(approved.answer).toBe(
      `The weather in Oakland is ${demoWeather('Oakland').temperature} with ${demoWeather('Oakland').conditions}.`,
    );
    const refused = await askWithApprovals(url, 'What is the weather in Paris?', false);
    expect(refused.answer).toContain('The user refused this call: not now');
  });
});
