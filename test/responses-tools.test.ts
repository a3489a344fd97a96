/**
 * Turns that need the caller, through /v1/responses and the official `openai` client: client
 * function tools (function_call → function_call_output), approvals (mcp_approval_request →
 * mcp_approval_response), a handed-off agent's question and approval, plus instructions, a
 * stateless caller's conversation and callers kept apart by authentication.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { WorkerFunction } from '../src/a2a/runtime/worker.js';
import { bearerAuth } from '../src/a2a/server/auth.js';
import { A2AServer } from '../src/a2a/server/server.js';
import { Agent } from '../src/agent/agent.js';
import { Environment, tool } from '../src/environment/index.js';
import type { Model, ModelRequest } from '../src/models/model.js';
import { lastUserText, ScriptedModel } from '../src/models/scripted.js';
import { Gate, waitFor } from './helpers/wait.js';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

const LOCATION_TOOL = {
  type: 'function' as const,
  name: 'get_location',
  description: "The user's current city (only the caller knows it).",
  parameters: { type: 'object', properties: {}, additionalProperties: false },
  strict: false,
};

/** A scripted model for the tool agent; its requests are recorded. */
function toolModel(requests: ModelRequest[]): Model {
  const scripted = new ScriptedModel({
    rules: [
      {
        when: (r) => /where am i/i.test(lastUserText(r)) && r.items.at(-1)?.type === 'message',
        reply: (r) =>
          r.tools.some((t) => t.name === 'get_location')
            ? { toolCalls: [{ name: 'get_location', arguments: {} }] }
            : { text: 'I cannot tell where you are.' },
      },
      {
        when: /delete (\S+)/,
        reply: (_r, m) => ({
          text: 'Let me do that.',
          toolCalls: [{ name: 'delete_file', arguments: { path: m![1]! } }],
        }),
      },
      { when: /your instructions/, reply: (r) => ({ text: r.system ?? '' }) },
      {
        when: /what is my name/i,
        reply: (r) => {
          const said = r.items.map((i) => (i.type === 'message' ? i.content : '')).join('\n');
          return { text: `Your name is ${said.match(/my name is (\w+)/i)?.[1] ?? 'unknown'}.` };
        },
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

async function toolAgent(ran: string[], requests: ModelRequest[]): Promise<Agent> {
  const agent = new Agent({
    name: 'Tool Agent',
    description: 'Uses client tools and asks before deleting',
    environment: new Environment({
      name: 'tools',
      systemPrompt: 'You are the tool agent.',
      handoff: false,
      tools: [
        tool({
          name: 'delete_file',
          description: 'Delete a file',
          parameters: z.object({ path: z.string() }),
          needsApproval: true,
          execute: ({ path }) => {
            ran.push(path);
            return `deleted ${path}`;
          },
        }),
      ],
    }),
    model: toolModel(requests),
    store: 'memory',
    auth: bearerAuth({
      verify: (token) => (token === 'alice' || token === 'bob' ? { id: token } : undefined),
    }),
  });
  await agent.listen({ port: 0 });
  closers.push(() => agent.close());
  return agent;
}

describe('client function tools and approvals', () => {
  const ran: string[] = [];
  const requests: ModelRequest[] = [];
  let agent: Agent;
  let alice: OpenAI;
  let bob: OpenAI;

  beforeAll(async () => {
    agent = await toolAgent(ran, requests);
    alice = new OpenAI({ baseURL: `${agent.url}/v1`, apiKey: 'alice', maxRetries: 0 });
    bob = new OpenAI({ baseURL: `${agent.url}/v1`, apiKey: 'bob', maxRetries: 0 });
  });

  it('ends with a function_call; function_call_output with previous_response_id continues the same task', async () => {
    const first = await alice.responses.create({
      model: 'tool-agent',
      input: 'Where am I?',
      tools: [LOCATION_TOOL],
    });
    expect(first.status).toBe('completed');
    expect(first.output_text).toBe('');
    expect(first.output).toHaveLength(1);
    const call = first.output[0];
    if (call?.type !== 'function_call') throw new Error(`expected a function_call, got ${call?.type}`);
    expect(call.name).toBe('get_location');
    expect(JSON.parse(call.arguments)).toEqual({});
    expect(call.call_id).toMatch(/^call_/);
    // The model was offered the caller's tool beside the Environment's.
    expect(
      requests
        .at(-1)
        ?.tools.map((t) => t.name)
        .sort(),
    ).toEqual(['delete_file', 'get_location']);

    const second = await alice.responses.create({
      model: 'tool-agent',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Oakland' }],
      tools: [LOCATION_TOOL],
    });
    expect(second.status).toBe('completed');
    expect(second.output_text).toBe('get_location: Oakland');
    // The same A2A task answered both: the function call was its input-required turn.
    const { tasks } = await agent.server.runtime.listTasks({}, { principal: { id: 'alice' } });
    const task = tasks.find((t) =>
      t.history?.some((m) => m.parts.some((p) => 'text' in p && p.text === 'Where am I?')),
    );
    expect(task?.status.state).toBe('TASK_STATE_COMPLETED');
    expect(task?.history?.filter((m) => m.role === 'ROLE_USER')).toHaveLength(2);
    expect(second.id.slice(0, 37)).toBe(first.id.slice(0, 37));
    expect(second.id).not.toBe(first.id);
  });

  it('streams the function call, and the round trip works streamed too', async () => {
    const stream = alice.responses.stream({
      model: 'tool-agent',
      input: 'Where am I now?',
      tools: [LOCATION_TOOL],
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const first = await stream.finalResponse();
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const call = first.output[0];
    if (call?.type !== 'function_call') throw new Error('expected a function_call');
    expect(call.name).toBe('get_location');

    const next = alice.responses.stream({
      model: 'tool-agent',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Lisbon' }],
    });
    let text = '';
    for await (const event of next) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toBe('get_location: Lisbon');
    expect((await next.finalResponse()).output_text).toBe(text);
  });

  it('refuses a function_call_output for a call that is not waiting', async () => {
    const first = await alice.responses.create({
      model: 'tool-agent',
      input: 'Where am I today?',
      tools: [LOCATION_TOOL],
    });
    const error = await alice.responses
      .create({
        model: 'tool-agent',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: 'call_99', output: 'Oakland' }],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input[0].call_id');
  });

  it('asks approval with mcp_approval_request; mcp_approval_response runs (or refuses) the tool', async () => {
    const asked = await alice.responses.create({ model: 'tool-agent', input: 'Please delete /tmp/a.txt' });
    expect(asked.status).toBe('completed');
    expect(asked.output_text).toBe('Let me do that.');
    const request = asked.output.find((i) => i.type === 'mcp_approval_request');
    if (request?.type !== 'mcp_approval_request') throw new Error('expected an mcp_approval_request');
    expect(request.name).toBe('delete_file');
    expect(JSON.parse(request.arguments)).toEqual({ path: '/tmp/a.txt' });
    expect(request.server_label).toBe('tool-agent');
    expect(ran).toEqual([]);

    const approved = await alice.responses.create({
      model: 'tool-agent',
      previous_response_id: asked.id,
      input: [{ type: 'mcp_approval_response', approval_request_id: request.id, approve: true }],
    });
    expect(approved.output_text).toBe('delete_file: deleted /tmp/a.txt');
    expect(ran).toEqual(['/tmp/a.txt']);

    const again = await alice.responses.create({ model: 'tool-agent', input: 'Please delete /etc/passwd' });
    const second = again.output.find((i) => i.type === 'mcp_approval_request');
    if (second?.type !== 'mcp_approval_request') throw new Error('expected an mcp_approval_request');
    const refused = await alice.responses.create({
      model: 'tool-agent',
      previous_response_id: again.id,
      input: [
        {
          type: 'mcp_approval_response',
          approval_request_id: second.id,
          approve: false,
          reason: 'not that one',
        },
      ],
    });
    expect(refused.output_text).toContain('The user refused this call: not that one');
    expect(ran).toEqual(['/tmp/a.txt']);
  });

  it('adds instructions to the prompt for that response only', async () => {
    const first = await alice.responses.create({
      model: 'tool-agent',
      instructions: 'Answer like a pirate.',
      input: 'What are your instructions?',
    });
    expect(first.instructions).toBe('Answer like a pirate.');
    expect(first.output_text).toBe('You are the tool agent.\n\nAnswer like a pirate.');
    const second = await alice.responses.create({
      model: 'tool-agent',
      input: 'And now, what are your instructions?',
      previous_response_id: first.id,
    });
    expect(second.output_text).toBe('You are the tool agent.');
  });

  it('takes a whole conversation from a stateless caller', async () => {
    const response = await alice.responses.create({
      model: 'tool-agent',
      store: false,
      input: [
        { role: 'user', content: 'Hi, my name is Grace.' },
        { role: 'assistant', content: 'Hello Grace!' },
        { role: 'user', content: 'What is my name?' },
      ],
    });
    expect(response.output_text).toBe('Your name is Grace.');
  });

  it('keeps callers apart: another caller can neither read nor continue a response', async () => {
    const mine = await alice.responses.create({ model: 'tool-agent', input: 'Hi, my name is Alice.' });
    const theirs = await bob.responses.retrieve(mine.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(theirs).toBeInstanceOf(OpenAI.NotFoundError);
    const follow = await bob.responses
      .create({ model: 'tool-agent', input: 'What is my name?', previous_response_id: mine.id })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(follow).toBeInstanceOf(OpenAI.BadRequestError);
    expect((follow as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('previous_response_not_found');
    // Alice herself continues it, and her conversation is hers.
    const own = await alice.responses.create({
      model: 'tool-agent',
      input: 'What is my name?',
      previous_response_id: mine.id,
    });
    expect(own.output_text).toBe('Your name is Alice.');
    const bobs = await bob.responses.create({ model: 'tool-agent', input: 'What is my name?' });
    expect(bobs.output_text).toBe('Your name is unknown.');

    const anonymous = new OpenAI({ baseURL: `${agent.url}/v1`, apiKey: 'mallory', maxRetries: 0 });
    const denied = await anonymous.responses.create({ model: 'tool-agent', input: 'hi' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('a handed-off agent that needs the caller', () => {
  let client: OpenAI;
  let weatherClient: OpenAI;
  const ran: string[] = [];

  async function relay(name: string, target: { url: string; name: string }): Promise<string> {
    const agent = new Agent({
      name,
      description: `${name} passes questions on`,
      environment: new Environment({ name, systemPrompt: 'Hand off.', handoff: { agents: [target] } }),
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    closers.push(() => agent.close());
    return url;
  }

  beforeAll(async () => {
    const worker: WorkerFunction = async (ctx) => {
      if (ctx.isNewTask) await ctx.requestInput('Which city do you mean?');
      else await ctx.complete(`Sunny in ${ctx.userText}`);
    };
    const target = new A2AServer({
      card: { name: 'Target', description: 'Asks back' },
      worker,
      store: 'memory',
    });
    const { url: targetUrl } = await target.listen({ port: 0 });
    closers.push(() => target.close());
    client = new OpenAI({
      baseURL: `${await relay('Caller', { url: targetUrl, name: 'Target' })}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });

    const weather = new Agent({
      name: 'Weather',
      description: 'Weather, with approval',
      environment: new Environment({
        name: 'weather',
        systemPrompt: 'Report the weather.',
        handoff: false,
        tools: [
          tool({
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: z.object({ city: z.string() }),
            needsApproval: true,
            execute: ({ city }) => {
              ran.push(city);
              return `18°C, fog in ${city}`;
            },
          }),
        ],
      }),
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    const { url: weatherUrl } = await weather.listen({ port: 0 });
    closers.push(() => weather.close());
    weatherClient = new OpenAI({
      baseURL: `${await relay('Front Desk', { url: weatherUrl, name: 'Weather' })}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
  });

  it("shows the handed-off agent's question as an assistant message; the next input answers it", async () => {
    const asked = await client.responses.create({ model: 'caller', input: 'What about the weather?' });
    expect(asked.status).toBe('completed');
    expect(asked.output_text).toContain('Which city do you mean?');
    expect(asked.output.map((i) => i.type)).toEqual(['message']);

    const answered = await client.responses.create({
      model: 'caller',
      input: 'Oakland',
      previous_response_id: asked.id,
    });
    expect(answered.status).toBe('completed');
    expect(answered.output_text).toContain('Sunny in Oakland');
  });

  it("surfaces a handed-off agent's client-side tool as a function_call; the output goes back down", async () => {
    const locator = new Agent({
      name: 'Locator',
      description: 'Finds where the user is',
      environment: new Environment({
        name: 'locator',
        systemPrompt: 'Find the user.',
        handoff: false,
        tools: [
          tool({
            name: 'get_location',
            description: "The user's city (the client knows it)",
            parameters: z.object({}),
            clientSide: true,
            execute: () => 'unreachable: the client runs this tool',
          }),
        ],
      }),
      model: new ScriptedModel({
        rules: [{ when: /where am i/i, reply: { toolCalls: [{ name: 'get_location', arguments: {} }] } }],
      }),
      store: 'memory',
    });
    const { url: locatorUrl } = await locator.listen({ port: 0 });
    closers.push(() => locator.close());
    const front = new OpenAI({
      baseURL: `${await relay('Concierge', { url: locatorUrl, name: 'Locator' })}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });

    const asked = await front.responses.create({ model: 'concierge', input: 'Where am I?' });
    const call = asked.output.find((i) => i.type === 'function_call');
    if (call?.type !== 'function_call')
      throw new Error(`expected a function_call, got ${JSON.stringify(asked.output)}`);
    expect(call.name).toBe('get_location');

    const answered = await front.responses.create({
      model: 'concierge',
      previous_response_id: asked.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Reykjavik' }],
    });
    expect(answered.status).toBe('completed');
    expect(answered.output_text).toContain('Reykjavik');
  });

  it("asks for approval of a handed-off agent's tool, labelled with that agent", async () => {
    const stream = weatherClient.responses.stream({
      model: 'front-desk',
      input: 'What is the weather in Oakland?',
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const asked = await stream.finalResponse();
    expect(types).toContain('response.output_item.added');
    const request = asked.output.find((i) => i.type === 'mcp_approval_request');
    if (request?.type !== 'mcp_approval_request') throw new Error('expected an mcp_approval_request');
    expect(request.name).toBe('get_weather');
    expect(request.server_label).toBe('weather');
    expect(ran).toEqual([]);

    const approved = await weatherClient.responses.create({
      model: 'front-desk',
      previous_response_id: asked.id,
      input: [{ type: 'mcp_approval_response', approval_request_id: request.id, approve: true }],
    });
    expect(approved.status).toBe('completed');
    expect(approved.output_text).toContain('18°C');
    expect(ran).toEqual(['Oakland']);
  });
});

describe('a streaming caller that goes away', () => {
  it('still completes the stored response, which GET then returns', async () => {
    const gate = new Gate();
    const slow: Model = {
      name: 'slow',
      async *stream() {
        yield { type: 'text_delta', delta: 'Half ' };
        await gate.opened;
        yield { type: 'text_delta', delta: 'and the rest.' };
        yield { type: 'done', stopReason: 'stop' };
      },
    };
    const agent = new Agent({
      name: 'Slow',
      description: 'Takes its time',
      environment: new Environment({ name: 'slow', systemPrompt: 'Take your time.', handoff: false }),
      model: slow,
      store: 'memory',
    });
    await agent.listen({ port: 0 });
    closers.push(() => agent.close());
    const client = new OpenAI({ baseURL: `${agent.url}/v1`, apiKey: 'unused', maxRetries: 0 });

    const stream = await client.responses.create({ model: 'slow', input: 'Tell me', stream: true });
    let id = '';
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta') break; // leaves the stream: the client aborts
    }
    expect((await client.responses.retrieve(id)).status).toBe('in_progress');
    gate.open();
    const done = await waitFor(async () => {
      const response = await client.responses.retrieve(id);
      return response.status === 'completed' ? response : undefined;
    }, 'the stored response to complete');
    expect(done.output_text).toBe('Half and the rest.');
  });
});
