/**
 * Errors of /v1/responses in the OpenAI shape, with their HTTP statuses, as the official `openai`
 * client sees them (and raw HTTP where the client cannot send the mistake).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../src/agent/agent.js';
import { createWeatherAssistant } from '../src/agent/demo-agents.js';
import { Environment, tool } from '../src/environment/index.js';
import { type Model, ModelError } from '../src/models/model.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { MemoryTaskStore } from '../src/stores/memory.js';

/** What the client throws for a request, or fails the test when it succeeds. */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function raw(
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: ErrorBody; headers: Headers }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as ErrorBody, headers: response.headers };
}

describe('/v1/responses errors (official openai client)', () => {
  let agent: Agent;
  let client: OpenAI;
  let base: string;

  beforeAll(async () => {
    agent = createWeatherAssistant({ model: ScriptedModel.demo(), store: 'memory' });
    const { url } = await agent.listen({ port: 0 });
    base = `${url}/v1`;
    client = new OpenAI({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('400 for a body that is not JSON, with the OpenAI error shape', async () => {
    const { status, body } = await raw(`${base}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": "hi"',
    });
    expect(status).toBe(400);
    expect(body.error).toEqual({
      message: expect.stringContaining('not valid JSON'),
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_json',
    });
  });

  it('400 for missing or malformed fields, naming the field', async () => {
    const missing = await apiError(client.responses.create({ model: 'weather-assistant' }));
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect(missing.param).toBe('input');
    expect(missing.type).toBe('invalid_request_error');

    const badTool = await apiError(
      client.responses.create({
        model: 'weather-assistant',
        input: 'hi',
        tools: [{ type: 'web_search' }],
      }),
    );
    expect(badTool.status).toBe(400);
    expect(badTool.param).toBe('tools[0].type');
    expect(badTool.message).toContain('function');

    const badItem = await apiError(
      client.responses.create({
        model: 'weather-assistant',
        input: [
          {
            role: 'user',
            content: [{ type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' }],
          },
        ],
      }),
    );
    expect(badItem.status).toBe(400);
    expect(badItem.param).toBe('input[0].content[0]');

    const orphan = await apiError(
      client.responses.create({
        model: 'weather-assistant',
        input: [{ type: 'function_call_output', call_id: 'call_9', output: '42' }],
      }),
    );
    expect(orphan.status).toBe(400);
    expect(orphan.param).toBe('input[0].call_id');

    const choice = await apiError(
      client.responses.create({ model: 'weather-assistant', input: 'hi', tool_choice: 'required' }),
    );
    expect(choice.status).toBe(400);
    expect(choice.param).toBe('tool_choice');

    const format = await apiError(
      client.responses.create({
        model: 'weather-assistant',
        input: 'hi',
        text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' } } },
      }),
    );
    expect(format.status).toBe(400);
    expect(format.param).toBe('text.format');

    const background = await apiError(
      client.responses.create({ model: 'weather-assistant', input: 'hi', background: true }),
    );
    expect(background.status).toBe(400);
    expect(background.param).toBe('background');
  });

  it('400 previous_response_not_found for an unknown previous_response_id', async () => {
    for (const id of ['resp_nope', `resp_${'0'.repeat(32)}1`]) {
      const error = await apiError(
        client.responses.create({ model: 'weather-assistant', input: 'hi', previous_response_id: id }),
      );
      expect(error.status).toBe(400);
      expect(error.code).toBe('previous_response_not_found');
      expect(error.param).toBe('previous_response_id');
    }
  });

  it('404 for an unknown response id and an unknown path', async () => {
    const unknown = await apiError(client.responses.retrieve(`resp_${'a'.repeat(32)}1`));
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown.message).toContain('not found');

    // Chat Completions is not served: a clear 404, not a hang or an HTML page.
    const chat = await apiError(
      client.chat.completions.create({
        model: 'weather-assistant',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(chat).toBeInstanceOf(OpenAI.NotFoundError);
    expect(chat.message).toContain('/v1/responses');

    const model = await apiError(client.models.retrieve('gpt-4o'));
    expect(model.status).toBe(404);
  });

  it('405 for a wrong method, with Allow', async () => {
    const { status, body, headers } = await raw(`${base}/responses`, { method: 'GET' });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe('POST');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.code).toBe('method_not_allowed');
  });

  it('413 for a body over 4 MiB', async () => {
    const error = await apiError(
      client.responses.create({ model: 'weather-assistant', input: 'x'.repeat(4 * 1024 * 1024 + 1) }),
    );
    expect(error.status).toBe(413);
    expect(error.code).toBe('request_too_large');
  });

  it('415 for a body that is not application/json', async () => {
    const { status, body } = await raw(`${base}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(status).toBe(415);
    expect(body.error.message).toContain('application/json');
  });

  it('answers browser preflights for loopback pages, as the A2A endpoints do', async () => {
    const preflight = await fetch(`${base}/responses`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const response = await fetch(`${base}/models`, { headers: { origin: 'http://localhost:5173' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const foreign = await fetch(`${base}/responses`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
  });

  it('store: false responses can be neither retrieved nor continued', async () => {
    const response = await client.responses.create({
      model: 'weather-assistant',
      input: 'hello',
      store: false,
    });
    expect(response.status).toBe('completed');
    expect((response as unknown as { store: boolean }).store).toBe(false);
    const retrieve = await apiError(client.responses.retrieve(response.id));
    expect(retrieve.status).toBe(404);
    const follow = await apiError(
      client.responses.create({
        model: 'weather-assistant',
        input: 'again',
        previous_response_id: response.id,
      }),
    );
    expect(follow.status).toBe(400);
    expect(follow.code).toBe('previous_response_not_found');

    // A stored one can be retrieved, and deleted.
    const kept = await client.responses.create({ model: 'weather-assistant', input: 'keep me' });
    expect((await client.responses.retrieve(kept.id)).output_text).toBe(kept.output_text);
    await client.responses.delete(kept.id);
    expect((await apiError(client.responses.retrieve(kept.id))).status).toBe(404);
  });
});

describe('/v1/responses when the agent fails', () => {
  const environment = () =>
    new Environment({
      name: 'plain',
      systemPrompt: 'You answer.',
      handoff: false,
      tools: [tool({ name: 'noop', description: 'Nothing', parameters: z.object({}), execute: () => 'ok' })],
    });
  const failing: Model = {
    name: 'failing',
    // biome-ignore lint/correctness/useYield: a model that fails before saying anything
    async *stream() {
      throw new ModelError('the provider is down (503)', false, 503);
    },
  };
  let agent: Agent;
  let broken: Agent;
  let client: OpenAI;
  let brokenClient: OpenAI;

  beforeAll(async () => {
    agent = new Agent({
      name: 'Failing',
      description: 'Fails',
      environment: environment(),
      model: failing,
      store: 'memory',
    });
    const { url } = await agent.listen({ port: 0 });
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // A task store that cannot be read: the request itself fails (500).
    const store = new MemoryTaskStore();
    store.findTaskByMessageKey = async () => {
      throw new Error('disk I/O error');
    };
    broken = new Agent({
      name: 'Broken',
      description: 'Broken store',
      environment: environment(),
      model: failing,
      store,
    });
    const listening = await broken.listen({ port: 0 });
    brokenClient = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await agent?.close();
    await broken?.close();
  });

  it('a failed turn is a failed response with the reason', async () => {
    const response = await client.responses.create({ model: 'failing', input: 'hi' });
    expect(response.status).toBe('failed');
    expect(response.error?.code).toBe('server_error');
    expect(response.error?.message).toContain('the provider is down');
  });

  it('streamed, a failed turn ends with response.failed', async () => {
    const stream = await client.responses.create({ model: 'failing', input: 'hi', stream: true });
    const types: string[] = [];
    let failed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.failed') failed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.failed');
    expect(failed?.error?.message).toContain('the provider is down');
  });

  it('a turn that breaks off mid-stream ends with error and response.failed (500 when not streamed)', async () => {
    const store = new MemoryTaskStore();
    const update = store.update.bind(store);
    let breakWrites = false;
    store.update = (task, version, options) => {
      if (breakWrites) return Promise.reject(new Error('disk full'));
      return update(task, version, options);
    };
    const flaky = new Agent({
      name: 'Flaky',
      description: 'Its store fails mid-turn',
      environment: environment(),
      model: ScriptedModel.demo(),
      store,
    });
    const { url } = await flaky.listen({ port: 0 });
    try {
      const flakyClient = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
      breakWrites = true;
      const stream = await flakyClient.responses.create({ model: 'flaky', input: 'hi', stream: true });
      const types: string[] = [];
      let failed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.failed') failed = event.response;
      }
      expect(types[0]).toBe('response.created');
      expect(types.slice(-2)).toEqual(['error', 'response.failed']);
      expect(failed?.status).toBe('failed');

      const error = await apiError(flakyClient.responses.create({ model: 'flaky', input: 'hi again' }));
      expect(error.status).toBe(500);
      expect(error.type).toBe('server_error');
    } finally {
      await flaky.close();
    }
  });

  it('500 in the OpenAI shape when the agent cannot serve the request', async () => {
    const error = await apiError(brokenClient.responses.create({ model: 'broken', input: 'hi' }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(500);
    expect(error.type).toBe('server_error');
    expect(error.message).toContain('disk I/O error');
  });
});
