/**
 * What a caller may add to one turn through message metadata (`timestep/instructions`,
 * `timestep/tools`, `timestep/prior_items`), and the token usage the Loop records on the task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A2AClient, taskText } from '../src/a2a/client/client.js';
import type { JsonValue, Message, Task } from '../src/a2a/types.js';
import { Agent } from '../src/agent/agent.js';
import { Environment } from '../src/environment/index.js';
import type { Model, ModelRequest } from '../src/models/model.js';
import { ScriptedModel } from '../src/models/scripted.js';

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

describe('turn input from message metadata', () => {
  const requests: ModelRequest[] = [];
  let agent: Agent;
  let client: A2AClient;

  beforeAll(async () => {
    const scripted = new ScriptedModel({
      rules: [
        {
          when: /where am i/i,
          reply: (request) =>
            request.tools.some((t) => t.name === 'get_location')
              ? { toolCalls: [{ name: 'get_location', arguments: { precise: true } }] }
              : { text: 'I cannot tell.' },
        },
      ],
      fallback: (request) => ({ text: `Heard ${request.items.length} items.` }),
    });
    const model: Model = {
      name: 'recording',
      stream(request) {
        requests.push(request);
        return scripted.stream(request);
      },
    };
    agent = new Agent({
      name: 'Ada',
      description: 'Answers',
      environment: new Environment({ name: 'ada', systemPrompt: 'You are Ada.', handoff: false }),
      model,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    client = await A2AClient.connect(url);
  });
  afterAll(() => agent.close());

  it('appends timestep/instructions to the system prompt for that turn only', async () => {
    requests.length = 0;
    await client.send({ text: 'Hello', metadata: { 'timestep/instructions': 'Answer in French.' } });
    await client.send('Hello again');
    expect(requests[0]!.system).toBe('You are Ada.\n\nAnswer in French.');
    expect(requests[1]!.system).toBe('You are Ada.');
  });

  it('offers timestep/tools as client-side tools and ends the turn asking the client', async () => {
    requests.length = 0;
    const tools = [
      {
        name: 'get_location',
        description: 'Where the user is',
        parameters: { type: 'object', properties: { precise: { type: 'boolean' } } },
      },
    ];
    const asked = asTask(await client.send({ text: 'Where am I?', metadata: { 'timestep/tools': tools } }));
    expect(requests[0]!.tools.map((t) => t.name)).toContain('get_location');
    expect(asked.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const data = asked.status.message?.parts.find((p) => 'data' in p);
    expect(data && 'data' in data ? data.data : undefined).toEqual({
      tool_calls: [{ call_id: 'call_1', name: 'get_location', arguments: { precise: true }, kind: 'client' }],
    });
    const done = asTask(
      await client.send({
        parts: [{ data: { tool_results: [{ call_id: 'call_1', output: 'Oakland' }] } }],
        taskId: asked.id,
        metadata: { 'timestep/tools': tools },
      }),
    );
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(done)).toContain('get_location: Oakland');
  });

  it('ignores malformed timestep/tools entries', async () => {
    requests.length = 0;
    await client.send({ text: 'Hi', metadata: { 'timestep/tools': [{ description: 'no name' }, 42, 'x'] } });
    expect(requests[0]!.tools).toEqual([]);
  });

  it('puts timestep/prior_items before the new task, and only on its first turn', async () => {
    requests.length = 0;
    const prior: JsonValue = [
      { type: 'message', role: 'user', content: 'My name is Sam.' },
      { type: 'message', role: 'assistant', content: 'Hi Sam.' },
      { type: 'bogus' },
    ];
    await client.send({ text: 'What is my name?', metadata: { 'timestep/prior_items': prior } });
    expect(requests[0]!.items).toEqual([
      { type: 'message', role: 'user', content: 'My name is Sam.' },
      { type: 'message', role: 'assistant', content: 'Hi Sam.' },
      { type: 'message', role: 'user', content: 'What is my name?' },
    ]);
  });

  it('records the turn’s token usage in the task metadata', async () => {
    const done = asTask(await client.send('Count my tokens'));
    const usage = done.metadata?.['timestep/usage'] as
      | { input_tokens: number; output_tokens: number; total_tokens: number }
      | undefined;
    expect(usage).toBeDefined();
    expect(usage!.input_tokens).toBeGreaterThan(0);
    expect(usage!.output_tokens).toBeGreaterThan(0);
    expect(usage!.total_tokens).toBe(usage!.input_tokens + usage!.output_tokens);
    const stored = await client.getTask(done.id);
    expect(stored.metadata?.['timestep/usage']).toEqual(usage);
  });
});
