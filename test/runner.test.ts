/**
 * `runTask` (the client-side runner) against real Timestep agents: an Agent whose Loop sends every
 * tool call to the client (`toolExecution: 'client'`), one that asks approvals and runs client-side
 * tools by policy, and a plain A2A agent that asks a question.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { askWithLocalTools } from '../examples/client-side-tools.js';
import { A2AClient, taskText } from '../src/a2a/client/client.js';
import type { JsonObject, Message, Task } from '../src/a2a/types.js';
import { Agent } from '../src/agent/agent.js';
import { Environment, tool } from '../src/environment/index.js';
import type { ModelItem, ModelRequest } from '../src/models/model.js';
import { lastUserText, ScriptedModel } from '../src/models/scripted.js';
import { type RunEvent, RunTaskError, runTask } from '../src/runner/index.js';
import { caught, createTestAgent, recordingFetch, startServer } from './helpers/agents.js';
import { Gate } from './helpers/wait.js';

/** Tool calls the Environment ran, by tool name. */
type Ran = Record<string, JsonObject[]>;

function environment(ran: Ran): Environment {
  const record = (name: string, args: JsonObject) => {
    ran[name] = [...(ran[name] ?? []), args];
  };
  return new Environment({
    name: 'runner-test',
    systemPrompt: 'You help with weather and files.',
    handoff: false,
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => {
          record('get_weather', { city });
          return `18°C, fog in ${city} (from the Environment)`;
        },
      }),
      tool({
        name: 'get_location',
        description: "The user's location (the client knows it)",
        parameters: z.object({}),
        clientSide: true,
        execute: () => 'unreachable: the client runs this tool',
      }),
      tool({
        name: 'delete_file',
        description: 'Delete a file',
        parameters: z.object({ path: z.string() }),
        needsApproval: true,
        execute: ({ path }) => {
          record('delete_file', { path });
          return `deleted ${path}`;
        },
      }),
    ],
  });
}

function lastItem(request: ModelRequest): ModelItem | undefined {
  return request.items.at(-1);
}

function model(): ScriptedModel {
  return new ScriptedModel({
    rules: [
      {
        // "forever": every weather result makes the model ask for the weather again.
        when: (request) => {
          const last = lastItem(request);
          return last?.type === 'tool_result' && /forever/.test(lastUserText(request));
        },
        reply: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Nowhere' } }] },
      },
      {
        // "… then clean up": once the client said where it is, delete a file there (a second round).
        when: (request) => {
          const last = lastItem(request);
          return (
            last?.type === 'tool_result' &&
            last.name === 'get_location' &&
            /clean up/.test(lastUserText(request))
          );
        },
        reply: (request) => {
          const last = lastItem(request) as Extract<ModelItem, { type: 'tool_result' }>;
          return { toolCalls: [{ name: 'delete_file', arguments: { path: `/${last.output}/cache` } }] };
        },
      },
      { when: /where am i/i, reply: { toolCalls: [{ name: 'get_location', arguments: {} }] } },
      {
        when: /weather in (\w+) and (\w+)/,
        reply: (_request, match) => ({
          toolCalls: [
            { name: 'get_weather', arguments: { city: match![1]! } },
            { name: 'get_weather', arguments: { city: match![2]! } },
          ],
        }),
      },
      {
        when: /weather in (\w+)/,
        reply: (_request, match) => ({
          toolCalls: [{ name: 'get_weather', arguments: { city: match![1]! } }],
        }),
      },
      {
        when: /time in (\w+)/,
        reply: (_request, match) => ({ toolCalls: [{ name: 'get_time', arguments: { city: match![1]! } }] }),
      },
      {
        when: /delete (\S+)/,
        reply: (_request, match) => ({
          toolCalls: [{ name: 'delete_file', arguments: { path: match![1]! } }],
        }),
      },
    ],
  });
}

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error(`expected a task, got a message: ${JSON.stringify(result)}`);
  return result;
}

interface Harness {
  agent: Agent;
  client: A2AClient;
  ran: Ran;
  /** The agent's own Environment endpoint (`<agent>/mcp`). */
  mcpUrl: string;
}

async function startAgent(toolExecution: 'client' | 'server'): Promise<Harness> {
  const ran: Ran = {};
  const agent = new Agent({
    name: toolExecution === 'client' ? 'Client Runner Agent' : 'Careful Agent',
    description: 'Runs tools through its client',
    environment: environment(ran),
    model: model(),
    store: 'memory',
    toolExecution,
  });
  const { url } = await agent.listen({ port: 0 });
  return { agent, client: await A2AClient.connect(url), ran, mcpUrl: `${url}/mcp` };
}

describe("runTask against an Agent with toolExecution: 'client'", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAgent('client');
  });
  afterAll(async () => {
    await h.agent.close();
  });

  it('runs a call with a local handler and sends the result until the task completes', async () => {
    const events: RunEvent[] = [];
    const seen: Array<{ args: JsonObject; callId: string; taskId: string }> = [];
    const task = asTask(
      await runTask(h.client, 'What is the weather in Oakland?', {
        tools: {
          get_weather: (args, { call, task }) => {
            seen.push({ args, callId: call.call_id, taskId: task.id });
            return `25°C, sun in ${String(args.city)}`;
          },
        },
        onEvent: (event) => events.push(event),
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('get_weather: 25°C, sun in Oakland');
    expect(seen).toEqual([{ args: { city: 'Oakland' }, callId: 'call_1', taskId: task.id }]);
    expect(h.ran.get_weather).toBeUndefined();
    expect(events.filter((e) => e.type !== 'stream')).toEqual([
      {
        type: 'tool_call',
        call: { call_id: 'call_1', name: 'get_weather', arguments: { city: 'Oakland' }, kind: 'client' },
        on: 'local',
      },
      {
        type: 'tool_result',
        call: { call_id: 'call_1', name: 'get_weather', arguments: { city: 'Oakland' }, kind: 'client' },
        output: '25°C, sun in Oakland',
      },
    ]);
    // The task went through input-required once, and the final task is the stored one (with history).
    const states = events.flatMap((e) =>
      e.type === 'stream' && 'statusUpdate' in e.event ? [e.event.statusUpdate.status.state] : [],
    );
    expect(states).toContain('TASK_STATE_INPUT_REQUIRED');
    expect(task.history?.some((m) => m.parts.some((p) => 'data' in p))).toBe(true);
  });

  it('answers all the calls of a round in one message, JSON-encoding structured outputs', async () => {
    const task = asTask(
      await runTask(h.client, 'weather in Oslo and Rome', {
        tools: { get_weather: async (args) => ({ city: args.city ?? null, celsius: 20 }) },
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe(
      'get_weather: {"city":"Oslo","celsius":20}\nget_weather: {"city":"Rome","celsius":20}',
    );
    const answers = (task.history ?? []).filter(
      (m) => m.role === 'ROLE_USER' && m.parts.some((p) => 'data' in p),
    );
    expect(answers).toHaveLength(1);
    expect(answers[0]!.parts).toEqual([
      {
        data: {
          tool_results: [
            { call_id: 'call_1', name: 'get_weather', output: '{"city":"Oslo","celsius":20}' },
            { call_id: 'call_2', name: 'get_weather', output: '{"city":"Rome","celsius":20}' },
          ],
        },
      },
    ]);
  });

  it('runs a call with no local handler on the Environment (by URL)', async () => {
    h.ran.get_weather = [];
    const events: RunEvent[] = [];
    const task = asTask(
      await runTask(h.client, 'What is the weather in Lisbon?', {
        environment: h.mcpUrl,
        onEvent: (event) => events.push(event),
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.get_weather).toEqual([{ city: 'Lisbon' }]);
    expect(taskText(task)).toBe('get_weather: 18°C, fog in Lisbon (from the Environment)');
    expect(events.find((e) => e.type === 'tool_call')).toMatchObject({ on: 'environment' });
  });

  it('runs a call on a connected MCP client, and leaves that client open', async () => {
    h.ran.get_weather = [];
    const mcp = new Client({ name: 'runner-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(h.mcpUrl)));
    try {
      const task = asTask(await runTask(h.client, 'weather in Porto', { environment: mcp }));
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      expect(h.ran.get_weather).toEqual([{ city: 'Porto' }]);
      // Still usable: the runner did not close a client it was given.
      const { tools } = await mcp.listTools();
      expect(tools.map((t) => t.name)).toContain('get_weather');
    } finally {
      await mcp.close();
    }
  });

  it('prefers the local handler over the Environment', async () => {
    h.ran.get_weather = [];
    const task = asTask(
      await runTask(h.client, 'weather in Paris', {
        environment: h.mcpUrl,
        tools: { get_weather: () => 'local sunshine' },
      }),
    );
    expect(taskText(task)).toBe('get_weather: local sunshine');
    expect(h.ran.get_weather).toEqual([]);
  });

  it('tells the model when it has no handler and no Environment', async () => {
    const task = asTask(await runTask(h.client, 'weather in Bergen'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe(
      'get_weather: Error: the client has no tool named "get_weather" (no local handler and no Environment to run it on).',
    );
  });

  it('sends a throwing handler’s error as the output', async () => {
    const task = asTask(
      await runTask(h.client, 'weather in Madrid', {
        tools: {
          get_weather: () => {
            throw new Error('the weather service is down');
          },
        },
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('get_weather: Error: the weather service is down');
  });

  it('offers declared tools to the model through timestep/tools', async () => {
    const task = asTask(
      await runTask(h.client, 'Tell me the time in Tokyo', {
        tools: {
          get_time: {
            description: 'The local time in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            execute: (args) => `09:00 in ${String(args.city)}`,
          },
        },
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('get_time: 09:00 in Tokyo');
  });

  it('cancels the task when the signal aborts', async () => {
    const started = new Gate();
    const controller = new AbortController();
    let taskId = '';
    const run = runTask(h.client, 'weather in Reykjavik', {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'stream' && 'task' in event.event) taskId = event.event.task.id;
      },
      tools: {
        get_weather: (_args, { signal }) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            started.open();
          }),
      },
    });
    await started.opened;
    controller.abort(new Error('the user gave up'));
    const error = await caught(() => run);
    expect(error.message).toBe('the user gave up');
    expect(taskId).not.toBe('');
    expect((await h.client.getTask(taskId)).status.state).toBe('TASK_STATE_CANCELED');
  });

  it('does not wait for a handler that ignores the signal', async () => {
    const started = new Gate();
    const controller = new AbortController();
    let taskId = '';
    const run = runTask(h.client, 'weather in Helsinki', {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'stream' && 'task' in event.event) taskId = event.event.task.id;
      },
      tools: {
        get_weather: () =>
          new Promise<string>(() => {
            started.open();
          }),
      },
    });
    await started.opened;
    controller.abort(new Error('stop now'));
    expect((await caught(() => run)).message).toBe('stop now');
    expect((await h.client.getTask(taskId)).status.state).toBe('TASK_STATE_CANCELED');
  });

  it('gives up after maxRounds, with the task still waiting', async () => {
    let calls = 0;
    const error = await caught(() =>
      runTask(h.client, 'weather in Oakland, forever', {
        maxRounds: 3,
        tools: {
          get_weather: () => {
            calls++;
            return 'sun';
          },
        },
      }),
    );
    expect(error).toBeInstanceOf(RunTaskError);
    expect(error.message).toContain('after 3 rounds');
    expect(calls).toBe(3);
    const task = (error as unknown as RunTaskError).task;
    expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect((await h.client.getTask(task.id)).status.state).toBe('TASK_STATE_INPUT_REQUIRED');
  });

  it('runs examples/client-side-tools.ts against the agent', async () => {
    const text = await askWithLocalTools(h.agent.url, 'What is the weather in Oakland?');
    expect(text).toBe(
      'get_weather: {"city":"Oakland","temperature":"21°C","conditions":"clear (local sensor)"}',
    );
  });

  it('works over A2A 0.3 JSON-RPC, with the v0.3 wire shapes', async () => {
    const recorder = recordingFetch();
    const v03 = await A2AClient.connect(h.agent.url, { transport: 'jsonrpc-0.3', fetch: recorder.fetch });
    const task = asTask(
      await runTask(v03, 'What is the weather in Quito?', {
        tools: { get_weather: (args) => `14°C, rain in ${String(args.city)}` },
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('get_weather: 14°C, rain in Quito');
    const posts = recorder.exchanges.filter((e) => e.method === 'POST');
    const bodies = posts
      .map((e) => (e.requestBody ? (JSON.parse(e.requestBody) as Record<string, unknown>) : undefined))
      .filter((b): b is Record<string, unknown> => b !== undefined);
    expect(bodies.map((b) => b.method)).toEqual(['message/stream', 'message/stream', 'tasks/get']);
    expect(posts.every((e) => e.requestHeaders.get('a2a-version') !== '1.0')).toBe(true);
    const answer = (bodies[1]!.params as { message: Record<string, unknown> }).message;
    expect(answer).toMatchObject({
      kind: 'message',
      role: 'user',
      taskId: task.id,
      parts: [
        {
          kind: 'data',
          data: { tool_results: [{ call_id: 'call_1', name: 'get_weather', output: '14°C, rain in Quito' }] },
        },
      ],
    });
  });
});

describe('runTask against an Agent that asks approvals (server execution)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAgent('server');
  });
  afterAll(async () => {
    await h.agent.close();
  });

  it('approves a call: the agent runs it on its Environment', async () => {
    h.ran.delete_file = [];
    const asked: string[] = [];
    const task = asTask(
      await runTask(h.client, 'Please delete /tmp/a.txt', {
        approve: (call) => {
          asked.push(`${call.kind} ${call.name} ${JSON.stringify(call.arguments)}`);
          return true;
        },
      }),
    );
    expect(asked).toEqual(['approval delete_file {"path":"/tmp/a.txt"}']);
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([{ path: '/tmp/a.txt' }]);
    expect(taskText(task)).toBe('delete_file: deleted /tmp/a.txt');
  });

  it('approves with edited arguments', async () => {
    h.ran.delete_file = [];
    const task = asTask(
      await runTask(h.client, 'Please delete /home/me', {
        approve: () => ({ approved: true, arguments: { path: '/home/me/tmp' } }),
      }),
    );
    expect(h.ran.delete_file).toEqual([{ path: '/home/me/tmp' }]);
    expect(taskText(task)).toBe('delete_file: deleted /home/me/tmp');
  });

  it('refuses a call with a reason the model sees', async () => {
    h.ran.delete_file = [];
    const task = asTask(
      await runTask(h.client, 'Please delete /etc/passwd', {
        approve: () => ({ approved: false, reason: 'far too risky' }),
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([]);
    expect(taskText(task)).toBe('delete_file: The user refused this call: far too risky');
  });

  it('refuses by default, saying no approver was configured', async () => {
    h.ran.delete_file = [];
    const task = asTask(await runTask(h.client, 'Please delete /var/log'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([]);
    expect(taskText(task)).toContain('No approver was configured on the client');
  });

  it('refuses when the approver throws', async () => {
    h.ran.delete_file = [];
    const task = asTask(
      await runTask(h.client, 'Please delete /srv', {
        approve: () => {
          throw new Error('approval UI crashed');
        },
      }),
    );
    expect(h.ran.delete_file).toEqual([]);
    expect(taskText(task)).toContain(
      "The client's approver failed, so the call was refused: approval UI crashed",
    );
  });

  it('runs a client-side tool, then answers an approval, in two rounds of one task', async () => {
    h.ran.delete_file = [];
    const events: RunEvent[] = [];
    const task = asTask(
      await runTask(h.client, 'Where am I? Then clean up', {
        tools: { get_location: () => 'home' },
        approve: () => true,
        onEvent: (event) => events.push(event),
      }),
    );
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([{ path: '/home/cache' }]);
    expect(events.filter((e) => e.type !== 'stream').map((e) => e.type)).toEqual([
      'tool_call',
      'tool_result',
      'approval',
    ]);
    const answers = (task.history ?? []).filter(
      (m) => m.role === 'ROLE_USER' && m.parts.some((p) => 'data' in p),
    );
    expect(answers.map((m) => m.parts)).toEqual([
      [{ data: { tool_results: [{ call_id: 'call_1', name: 'get_location', output: 'home' }] } }],
      [{ data: { tool_approvals: [{ call_id: 'call_2', approved: true }] } }],
    ]);
  });
});

describe('runTask against an agent that asks a question', () => {
  let url = '';
  let close: () => Promise<void>;
  beforeAll(async () => {
    const { server, url: started } = await startServer(createTestAgent('Asking Agent').agent);
    url = started;
    close = () => server.close();
  });
  afterAll(async () => {
    await close();
  });

  it('answers with `answer` and returns the completed task', async () => {
    const client = await A2AClient.connect(url);
    const questions: string[] = [];
    const task = asTask(
      await runTask(client, 'ask', {
        answer: (question) => {
          questions.push(`${question.text} (${question.chain.length})`);
          return 'Ada';
        },
      }),
    );
    expect(questions).toHaveLength(1);
    expect(questions[0]).toMatch(/\(0\)$/);
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('Hello, Ada');
  });

  it('returns the task still waiting when there is no `answer`', async () => {
    const client = await A2AClient.connect(url);
    const task = asTask(await runTask(client, 'ask'));
    expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
  });
});

describe('runTask through a handoff (the call or question comes from a handed-off agent)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    while (closers.length > 0) await closers.pop()?.();
  });

  /** An agent on the demo's scripted brain that hands every message off to `target`. */
  async function relay(target: { url: string; name: string }): Promise<A2AClient> {
    const agent = new Agent({
      name: 'Front Desk',
      description: 'Passes questions on',
      environment: new Environment({
        name: 'front',
        systemPrompt: 'Hand off.',
        handoff: { agents: [target] },
      }),
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    closers.push(() => agent.close());
    return A2AClient.connect(url);
  }

  it('runs a handed-off agent’s client call, with its chain, and the answer goes down to it', async () => {
    const child = await startAgent('client');
    closers.push(() => child.agent.close());
    const front = await relay({ url: child.agent.url, name: 'Client Runner Agent' });
    const chains: unknown[] = [];
    const task = asTask(
      await runTask(front, 'What is the weather in Lima?', {
        tools: {
          get_weather: (args, { call }) => {
            chains.push(call.chain?.map((link) => [link.agent_name, link.agent_uri]));
            return `20°C in ${String(args.city)}`;
          },
        },
      }),
    );
    expect(chains).toEqual([[['Client Runner Agent', child.agent.url]]]);
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('get_weather: 20°C in Lima');
  });

  it('answers a handed-off agent’s question, with its chain', async () => {
    const { server, url } = await startServer(createTestAgent('Asking Agent').agent);
    closers.push(() => server.close());
    const front = await relay({ url, name: 'Asking Agent' });
    const chains: string[][] = [];
    const task = asTask(
      await runTask(front, 'ask', {
        answer: (question) => {
          chains.push(question.chain.map((link) => link.agent_name));
          return 'Grace';
        },
      }),
    );
    expect(chains).toEqual([['Asking Agent']]);
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe('Hello, Grace');
  });
});
