import { randomUUID } from 'node:crypto';
import { SendMessageRequest, TaskState } from '@a2a-js/sdk';
import { ClientFactory, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { A2AClient, taskText } from '../src/a2a/client/client.js';
import type { JsonObject, Message, Task } from '../src/a2a/types.js';
import { Agent, type AgentOptions } from '../src/agent/agent.js';
import { Environment, tool } from '../src/environment/index.js';
import type { Model, ModelItem, ModelRequest } from '../src/models/model.js';
import { ScriptedModel, type ScriptedReply } from '../src/models/scripted.js';

/** Tool calls the Environment ran, by tool name. */
type Ran = Record<string, JsonObject[]>;

function policyEnvironment(ran: Ran): Environment {
  const record = (name: string, args: JsonObject) => {
    ran[name] = [...(ran[name] ?? []), args];
  };
  return new Environment({
    name: 'policy',
    systemPrompt: 'You help with files and weather.',
    handoff: false,
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => {
          record('get_weather', { city });
          return `18°C, fog in ${city}`;
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
      tool({
        name: 'drop_table',
        description: 'Drop a database table',
        parameters: z.object({ table: z.string() }),
        annotations: { destructiveHint: true },
        execute: ({ table }) => {
          record('drop_table', { table });
          return `dropped ${table}`;
        },
      }),
    ],
  });
}

/** The last user message's text. */
function lastText(request: ModelRequest): string {
  const user = request.items.findLast((i) => i.type === 'message' && i.role === 'user');
  return user?.type === 'message' ? user.content : '';
}

/** A scripted model whose requests are recorded. */
function recordingModel(requests: ModelRequest[]): Model {
  const scripted = new ScriptedModel({
    rules: [
      {
        // "… and clean up": once the client said where it is, ask to delete a file there (a second round).
        when: (request) => {
          const last = request.items.at(-1);
          return (
            last?.type === 'tool_result' && last.name === 'get_location' && /clean up/.test(lastText(request))
          );
        },
        reply: (request): ScriptedReply => {
          const last = request.items.at(-1) as Extract<ModelItem, { type: 'tool_result' }>;
          return { toolCalls: [{ name: 'delete_file', arguments: { path: `/${last.output}/cache` } }] };
        },
      },
      { when: /where am i/i, reply: { toolCalls: [{ name: 'get_location', arguments: {} }] } },
      {
        when: /weather in (\w+) and delete (\S+)/,
        reply: (_request, match): ScriptedReply => ({
          toolCalls: [
            { name: 'get_weather', arguments: { city: match![1]! } },
            { name: 'delete_file', arguments: { path: match![2]! } },
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
        when: /delete (\S+)/,
        reply: (_request, match) => ({
          text: 'Let me do that.',
          toolCalls: [{ name: 'delete_file', arguments: { path: match![1]! } }],
        }),
      },
      {
        when: /drop (\S+)/,
        reply: (_request, match) => ({
          toolCalls: [{ name: 'drop_table', arguments: { table: match![1]! } }],
        }),
      },
    ],
  });
  return {
    name: 'recording',
    stream: (request) => {
      requests.push(request);
      return scripted.stream(request);
    },
  };
}

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

/** The `tool_calls` data part of a task's status message. */
function toolCallsOf(task: Task): unknown {
  const part = task.status.message?.parts.find((p) => 'data' in p);
  return part && 'data' in part ? (part.data as { tool_calls?: unknown }).tool_calls : undefined;
}

/** Every tool call of the conversation has exactly one tool result. */
function expectConsistent(items: readonly ModelItem[]): void {
  const calls = items.filter((i) => i.type === 'tool_call').map((i) => i.callId);
  const results = items.filter((i) => i.type === 'tool_result').map((i) => i.callId);
  expect(new Set(calls).size).toBe(calls.length);
  expect([...results].sort()).toEqual([...calls].sort());
}

interface Harness {
  agent: Agent;
  client: A2AClient;
  ran: Ran;
  requests: ModelRequest[];
}

async function startAgent(options: Partial<AgentOptions> = {}): Promise<Harness> {
  const ran: Ran = {};
  const requests: ModelRequest[] = [];
  const agent = new Agent({
    name: 'Careful',
    description: 'Asks before it acts',
    environment: policyEnvironment(ran),
    model: recordingModel(requests),
    store: 'memory',
    ...options,
  });
  const { url } = await agent.listen({ port: 0 });
  return { agent, client: await A2AClient.connect(url), ran, requests };
}

describe('Loop tool policy (server execution)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAgent();
  });
  afterAll(async () => {
    await h.agent.close();
  });

  it('round-trips a client-side tool with the official @a2a-js/sdk client', async () => {
    const factory = new ClientFactory({
      transports: [new JsonRpcTransportFactory({ fetchImpl: fetch })],
      preferredTransports: ['JSONRPC'],
    });
    const sdk = await factory.createFromUrl(h.agent.url);
    const first = await sdk.sendMessage(
      SendMessageRequest.fromJSON({
        message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'Where am I?' }] },
      }),
    );
    if (!('status' in first) || !first.status) throw new Error('expected a task');
    expect(first.status.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const parts = first.status.message?.parts ?? [];
    expect(parts[0]?.content?.$case).toBe('text');
    const data = parts.find((p) => p.content?.$case === 'data')?.content?.value;
    expect(data).toEqual({
      tool_calls: [{ call_id: 'call_1', name: 'get_location', arguments: {}, kind: 'client' }],
    });
    const second = await sdk.sendMessage(
      SendMessageRequest.fromJSON({
        message: {
          messageId: randomUUID(),
          role: 'ROLE_USER',
          taskId: first.id,
          contextId: first.contextId,
          parts: [
            { data: { tool_results: [{ call_id: 'call_1', name: 'get_location', output: 'Lisbon' }] } },
          ],
        },
      }),
    );
    if (!('status' in second) || !second.status) throw new Error('expected a task');
    expect(second.id).toBe(first.id);
    expect(second.status.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const text = second.artifacts
      .flatMap((a) => a.parts)
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
      .join('');
    expect(text).toContain('get_location: Lisbon');
    expect(h.ran.get_location).toBeUndefined();
    const last = h.requests.at(-1)!;
    expect(last.items).toEqual([
      { type: 'message', role: 'user', content: 'Where am I?' },
      { type: 'tool_call', callId: 'call_1', name: 'get_location', arguments: {} },
      { type: 'tool_result', callId: 'call_1', name: 'get_location', output: 'Lisbon' },
    ]);
  });

  it('runs an approved call on the Environment', async () => {
    const first = asTask(await h.client.send('Please delete /tmp/a.txt'));
    expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(toolCallsOf(first)).toEqual([
      { call_id: 'call_1', name: 'delete_file', arguments: { path: '/tmp/a.txt' }, kind: 'approval' },
    ]);
    expect(h.ran.delete_file).toBeUndefined();
    const done = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [{ data: { tool_approvals: [{ call_id: 'call_1', approved: true }] } }],
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([{ path: '/tmp/a.txt' }]);
    expect(taskText(done)).toContain('delete_file: deleted /tmp/a.txt');
    // The text said before the tool call stays in the answer.
    expect(taskText(done)).toContain('Let me do that.');
    expectConsistent(h.requests.at(-1)!.items);
  });

  it('tells the model why a call was refused', async () => {
    h.ran.delete_file = [];
    const first = asTask(await h.client.send('Please delete /etc/passwd'));
    expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const done = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [
          { data: { tool_approvals: [{ call_id: 'call_1', approved: false, reason: 'far too risky' }] } },
        ],
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([]);
    expect(taskText(done)).toContain('The user refused this call: far too risky');
    const last = h.requests.at(-1)!;
    expect(last.items.at(-1)).toEqual({
      type: 'tool_result',
      callId: 'call_1',
      name: 'delete_file',
      output: 'The user refused this call: far too risky',
    });
    expectConsistent(last.items);
  });

  it('runs an approved call with the arguments the user edited', async () => {
    h.ran.delete_file = [];
    const first = asTask(await h.client.send('Please delete /home/me'));
    const done = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [
          {
            data: {
              tool_approvals: [{ call_id: 'call_1', approved: true, arguments: { path: '/home/me/tmp' } }],
            },
          },
        ],
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([{ path: '/home/me/tmp' }]);
    expect(taskText(done)).toContain('deleted /home/me/tmp');
    const call = h.requests.at(-1)!.items.find((i) => i.type === 'tool_call');
    expect(call).toMatchObject({ name: 'delete_file', arguments: { path: '/home/me/tmp' } });
  });

  it('asks approval for a destructive tool (MCP destructiveHint)', async () => {
    const first = asTask(await h.client.send('drop users'));
    expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(toolCallsOf(first)).toEqual([
      { call_id: 'call_1', name: 'drop_table', arguments: { table: 'users' }, kind: 'approval' },
    ]);
    const done = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [{ data: { tool_approvals: [{ call_id: 'call_1', approved: false }] } }],
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.drop_table).toBeUndefined();
    expect(taskText(done)).toContain('The user refused this call: no reason given');
  });

  it('runs the server tools of a mixed turn first, then asks for the approval', async () => {
    h.ran.get_weather = [];
    h.ran.delete_file = [];
    const first = asTask(await h.client.send('weather in Oakland and delete /tmp/b.txt'));
    expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(h.ran.get_weather).toEqual([{ city: 'Oakland' }]);
    expect(toolCallsOf(first)).toEqual([
      { call_id: 'call_2', name: 'delete_file', arguments: { path: '/tmp/b.txt' }, kind: 'approval' },
    ]);
    const done = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [{ data: { tool_approvals: [{ call_id: 'call_2', approved: true }] } }],
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.get_weather).toEqual([{ city: 'Oakland' }]);
    expect(h.ran.delete_file).toEqual([{ path: '/tmp/b.txt' }]);
    const text = taskText(done);
    expect(text).toContain('get_weather: 18°C, fog in Oakland');
    expect(text).toContain('delete_file: deleted /tmp/b.txt');
    const items = h.requests.at(-1)!.items;
    expect(items.map((i) => i.type)).toEqual([
      'message',
      'tool_call',
      'tool_result',
      'tool_call',
      'tool_result',
    ]);
    expectConsistent(items);
  });

  it('keeps the conversation across two rounds of client calls in one task', async () => {
    h.ran.delete_file = [];
    const first = asTask(await h.client.send('Where am I? Then clean up'));
    expect(toolCallsOf(first)).toEqual([
      { call_id: 'call_1', name: 'get_location', arguments: {}, kind: 'client' },
    ]);
    const second = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [{ data: { tool_results: [{ call_id: 'call_1', name: 'get_location', output: 'home' }] } }],
      }),
    );
    expect(second.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(toolCallsOf(second)).toEqual([
      { call_id: 'call_2', name: 'delete_file', arguments: { path: '/home/cache' }, kind: 'approval' },
    ]);
    const done = asTask(
      await h.client.send({
        taskId: first.id,
        parts: [{ data: { tool_approvals: [{ call_id: 'call_2', approved: true }] } }],
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(h.ran.delete_file).toEqual([{ path: '/home/cache' }]);
    const items = h.requests.at(-1)!.items;
    expect(items).toEqual([
      { type: 'message', role: 'user', content: 'Where am I? Then clean up' },
      { type: 'tool_call', callId: 'call_1', name: 'get_location', arguments: {} },
      { type: 'tool_result', callId: 'call_1', name: 'get_location', output: 'home' },
      { type: 'tool_call', callId: 'call_2', name: 'delete_file', arguments: { path: '/home/cache' } },
      { type: 'tool_result', callId: 'call_2', name: 'delete_file', output: 'deleted /home/cache' },
    ]);
  });

  it('round-trips a client-side tool over v0.3 JSON-RPC (raw fetch, no A2A-Version header)', async () => {
    const rpc = async (params: unknown) => {
      const res = await fetch(h.agent.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: randomUUID(), method: 'message/send', params }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
      expect(body.error).toBeUndefined();
      return body.result as {
        kind: string;
        id: string;
        contextId: string;
        status: { state: string; message?: { parts: Array<Record<string, unknown>> } };
        artifacts?: Array<{ parts: Array<{ kind: string; text?: string }> }>;
      };
    };
    const first = await rpc({
      message: {
        kind: 'message',
        messageId: randomUUID(),
        role: 'user',
        parts: [{ kind: 'text', text: 'where am I' }],
      },
    });
    expect(first.kind).toBe('task');
    expect(first.status.state).toBe('input-required');
    expect(first.status.message?.parts).toContainEqual({
      kind: 'data',
      data: { tool_calls: [{ call_id: 'call_1', name: 'get_location', arguments: {}, kind: 'client' }] },
    });
    const done = await rpc({
      message: {
        kind: 'message',
        messageId: randomUUID(),
        role: 'user',
        taskId: first.id,
        contextId: first.contextId,
        parts: [
          {
            kind: 'data',
            data: { tool_results: [{ call_id: 'call_1', name: 'get_location', output: 'Porto' }] },
          },
        ],
      },
    });
    expect(done.id).toBe(first.id);
    expect(done.status.state).toBe('completed');
    const text = (done.artifacts ?? []).flatMap((a) => a.parts.map((p) => p.text ?? '')).join('');
    expect(text).toContain('get_location: Porto');
  });
});

describe('Loop tool policy options', () => {
  it("toolExecution: 'client' sends every tool call to the client", async () => {
    const h = await startAgent({ toolExecution: 'client' });
    try {
      const first = asTask(await h.client.send('What is the weather in Oakland?'));
      expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
      expect(toolCallsOf(first)).toEqual([
        { call_id: 'call_1', name: 'get_weather', arguments: { city: 'Oakland' }, kind: 'client' },
      ]);
      const done = asTask(
        await h.client.send({
          taskId: first.id,
          parts: [
            { data: { tool_results: [{ call_id: 'call_1', name: 'get_weather', output: '25°C, sun' }] } },
          ],
        }),
      );
      expect(done.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(done)).toContain('get_weather: 25°C, sun');
      expect(h.ran.get_weather).toBeUndefined();
    } finally {
      await h.agent.close();
    }
  });

  it('an approval override decides which calls need approval', async () => {
    const h = await startAgent({ approval: (t) => t.name === 'get_weather' });
    try {
      const first = asTask(await h.client.send('What is the weather in Oakland?'));
      expect(toolCallsOf(first)).toEqual([
        { call_id: 'call_1', name: 'get_weather', arguments: { city: 'Oakland' }, kind: 'approval' },
      ]);
      const deleted = asTask(await h.client.send('Please delete /tmp/c.txt'));
      expect(deleted.status.state).toBe('TASK_STATE_COMPLETED');
      expect(h.ran.delete_file).toEqual([{ path: '/tmp/c.txt' }]);
    } finally {
      await h.agent.close();
    }
  });

  it('answers a call the client left unanswered with an error result', async () => {
    const h = await startAgent();
    try {
      const first = asTask(await h.client.send('Where am I?'));
      const done = asTask(await h.client.send({ taskId: first.id, text: 'never mind' }));
      expect(done.status.state).toBe('TASK_STATE_COMPLETED');
      const items = h.requests.at(-1)!.items;
      expectConsistent(items);
      expect(items.at(-1)).toEqual({ type: 'message', role: 'user', content: 'never mind' });
      expect(items).toContainEqual({
        type: 'tool_result',
        callId: 'call_1',
        name: 'get_location',
        output: 'Error: the client sent no result for this call.',
      });
    } finally {
      await h.agent.close();
    }
  });
});
