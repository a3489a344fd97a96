import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { A2AClient, taskText } from '../src/a2a/client/client.js';
import type { Message, Task } from '../src/a2a/types.js';
import { Agent } from '../src/agent/agent.js';
import { Environment, tool } from '../src/environment/index.js';
import { type Model, ModelError, type ModelEvent, type ModelRequest } from '../src/models/model.js';
import { ScriptedModel } from '../src/models/scripted.js';

function weatherEnvironment(): Environment {
  return new Environment({
    name: 'weather',
    systemPrompt: (agentName) => `You are ${agentName}. You report the weather.`,
    handoff: false,
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => ({ city, temperature: '18°C', conditions: 'fog' }),
      }),
    ],
  });
}

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

/** A model that records its requests and then fails. */
class FailingModel implements Model {
  readonly name = 'failing';
  readonly requests: ModelRequest[] = [];
  calls = 0;
  constructor(readonly retryable: boolean) {}
  // biome-ignore lint/correctness/useYield: it fails before yielding anything
  async *stream(request: ModelRequest): AsyncIterable<ModelEvent> {
    this.calls++;
    this.requests.push(request);
    throw new ModelError('the provider is down (HTTP 400)', this.retryable, 400);
  }
}

describe('Loop with an in-process Environment (scripted model)', () => {
  const agent = new Agent({
    name: 'Weather Assistant',
    description: 'Current weather for any city',
    skills: [{ name: 'Weather', description: 'Current weather for a city' }],
    environment: weatherEnvironment(),
    model: ScriptedModel.demo(),
    store: 'memory',
  });
  let client: A2AClient;

  beforeAll(async () => {
    const { url } = await agent.listen({ port: 0 });
    client = await A2AClient.connect(url);
  });
  afterAll(async () => {
    await agent.close();
  });

  it('serves the card with the skills and the MCP endpoint on the same port', async () => {
    expect(client.card.name).toBe('Weather Assistant');
    expect(client.card.skills.map((s) => s.name)).toEqual(['Weather']);
    const res = await fetch(`${agent.url}/mcp`, { method: 'DELETE' });
    expect(res.status).not.toBe(404);
    const other = await fetch(`${agent.url}/nothing-here`);
    expect(other.status).toBe(404);
  });

  it('calls the tool over MCP and answers with its result', async () => {
    const task = asTask(await client.send('What is the weather in Oakland?'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const text = taskText(task);
    expect(text).toContain('Oakland');
    expect(text).toContain('18°C');
  });

  it('streams the answer as artifact chunks', async () => {
    const chunks: string[] = [];
    let appends = 0;
    let finalState = '';
    for await (const event of client.stream('What is the weather in Paris?')) {
      if ('artifactUpdate' in event) {
        const update = event.artifactUpdate;
        expect(update.artifact.artifactId).toBe('response');
        if (update.append) appends++;
        chunks.push(update.artifact.parts.map((p) => ('text' in p ? p.text : '')).join(''));
      }
      if ('statusUpdate' in event) finalState = event.statusUpdate.status.state;
      if ('task' in event) finalState = event.task.status.state;
    }
    expect(finalState).toBe('TASK_STATE_COMPLETED');
    expect(chunks.length).toBeGreaterThan(1);
    expect(appends).toBe(chunks.length - 1);
    expect(chunks.join('')).toContain('Paris');
  });

  it('answers without tools when none fits', async () => {
    const task = asTask(await client.send('hello there'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toContain('hello there');
  });
});

describe('Loop conversations', () => {
  it('shows the model the earlier tasks of the conversation', async () => {
    const scripted = ScriptedModel.demo();
    const requests: ModelRequest[] = [];
    const model: Model = {
      name: 'recording',
      stream: (request) => {
        requests.push(request);
        return scripted.stream(request);
      },
    };
    const agent = new Agent({
      name: 'Memory',
      description: 'Remembers the conversation',
      environment: weatherEnvironment(),
      model,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      const first = asTask(await client.send('What is the weather in Oakland?'));
      const second = asTask(await client.send({ text: 'Thanks!', contextId: first.contextId }));
      expect(second.id).not.toBe(first.id);
      const last = requests.at(-1)!;
      expect(last.items).toEqual([
        { type: 'message', role: 'user', content: 'What is the weather in Oakland?' },
        { type: 'message', role: 'assistant', content: taskText(first) },
        { type: 'message', role: 'user', content: 'Thanks!' },
      ]);
      const other = asTask(await client.send('Hello'));
      expect(other.contextId).not.toBe(first.contextId);
      expect(requests.at(-1)!.items).toEqual([{ type: 'message', role: 'user', content: 'Hello' }]);
    } finally {
      await agent.close();
    }
  });
});

describe('Loop with a remote Environment', () => {
  it('reconnects once when the MCP session was lost (Environment restarted)', async () => {
    const first = weatherEnvironment();
    const { url, port } = await first.listen({ port: 0 });
    const agent = new Agent({
      name: 'Remote Weather',
      description: 'Weather through a remote Environment',
      environment: url,
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    let second: Environment | undefined;
    try {
      const { url: agentUrl } = await agent.listen({ port: 0 });
      const client = await A2AClient.connect(agentUrl);
      const before = asTask(await client.send('What is the weather in Oakland?'));
      expect(taskText(before)).toContain('18°C');
      await first.close();
      second = weatherEnvironment();
      await second.listen({ port });
      const after = asTask(await client.send('What is the weather in Lima?'));
      expect(after.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(after)).toContain('Lima');
    } finally {
      await agent.close();
      await second?.close();
    }
  });
});

describe('Loop model failures', () => {
  it('fails the task with a clear message when the Environment is unreachable', async () => {
    const agent = new Agent({
      name: 'Lost',
      description: 'Its Environment is gone',
      environment: 'http://127.0.0.1:1/mcp',
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      const task = asTask(await client.send('hi'));
      expect(task.status.state).toBe('TASK_STATE_FAILED');
      expect(taskText(task)).toContain('environment error: http://127.0.0.1:1/mcp');
    } finally {
      await agent.close();
    }
  });

  it('keeps text the model said before its tool calls, separated from the answer', async () => {
    const requests: ModelRequest[] = [];
    const scripted = new ScriptedModel({
      rules: [
        {
          when: /weather in (\w+)/,
          reply: (_request, match) => ({
            text: 'Let me check.',
            toolCalls: [{ name: 'get_weather', arguments: { city: match![1]! } }],
          }),
        },
      ],
    });
    const model: Model = {
      name: 'recording',
      stream: (request) => {
        requests.push(request);
        return scripted.stream(request);
      },
    };
    const agent = new Agent({
      name: 'Chatty',
      description: 'Talks while it works',
      environment: weatherEnvironment(),
      model,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      const task = asTask(await client.send('What is the weather in Oakland?'));
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(task)).toMatch(/^Let me check\.\n\nget_weather: .*Oakland/);
      expect(requests[1]?.items.map((i) => i.type)).toEqual([
        'message',
        'message',
        'tool_call',
        'tool_result',
      ]);
      expect(requests[1]?.items[1]).toEqual({ type: 'message', role: 'assistant', content: 'Let me check.' });
    } finally {
      await agent.close();
    }
  });

  it('fails the task with the cause when the model fails (not retryable)', async () => {
    const model = new FailingModel(false);
    const agent = new Agent({
      name: 'Broken',
      description: 'Its model always fails',
      environment: weatherEnvironment(),
      model,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      const task = asTask(await client.send('What is the weather in Oakland?'));
      expect(task.status.state).toBe('TASK_STATE_FAILED');
      expect(taskText(task)).toContain('model error: the provider is down');
      expect(model.calls).toBe(1);
      expect(model.requests[0]?.system).toBe('You are Broken. You report the weather.');
      expect(model.requests[0]?.tools.map((t) => t.name)).toEqual(['get_weather']);
    } finally {
      await agent.close();
    }
  });

  it('retries a retryable model error once', async () => {
    const model = new FailingModel(true);
    const agent = new Agent({
      name: 'Flaky',
      description: 'Its model is overloaded',
      environment: weatherEnvironment(),
      model,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      const task = asTask(await client.send('hi'));
      expect(task.status.state).toBe('TASK_STATE_FAILED');
      expect(model.calls).toBe(2);
    } finally {
      await agent.close();
    }
  });

  it('fails with a clear message when the model keeps calling tools', async () => {
    const model = new ScriptedModel({
      rules: [
        { when: () => true, reply: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] } },
      ],
    });
    const agent = new Agent({
      name: 'Looping',
      description: 'Never stops',
      environment: weatherEnvironment(),
      model,
      maxModelCalls: 3,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      const task = asTask(await client.send('weather please'));
      expect(task.status.state).toBe('TASK_STATE_FAILED');
      expect(taskText(task)).toMatch(/maxModelCalls is 3/);
    } finally {
      await agent.close();
    }
  });
});
