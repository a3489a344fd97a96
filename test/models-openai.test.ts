/**
 * The OpenAI adapters against a local server that speaks the OpenAI wire protocol (`POST /v1/responses`
 * and `POST /v1/chat/completions`, streamed as SSE), driven by the real `openai` client through
 * `baseURL`. The SDK is never mocked: the server stands in for the paid API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../src/a2a/types.js';
import {
  collectTurn,
  ModelError,
  type ModelEvent,
  type ModelRequest,
  type ModelTool,
  OpenAIChatModel,
  OpenAIResponsesModel,
} from '../src/models/index.js';

/** What the emulator answers to the next request. */
interface Plan {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON error body (for non-2xx). */
  error?: JsonObject;
  /** SSE frames, written in order. */
  frames?: string[];
  /** Keep the stream open after the frames (for abort tests). */
  hang?: boolean;
}

interface Recorded {
  path: string;
  body: JsonObject;
  headers: IncomingMessage['headers'];
}

let server: Server;
let baseURL: string;
const sockets = new Set<Socket>();
let plans: Plan[] = [];
let recorded: Recorded[] = [];
let closedEarly = 0;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '';
  const body = JSON.parse(await readBody(req)) as JsonObject;
  recorded.push({ path, body, headers: req.headers });
  const plan = plans.shift();
  if (!plan || req.method !== 'POST' || (path !== '/v1/responses' && path !== '/v1/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no plan for ${req.method} ${path}`, type: 'not_found' } }));
    return;
  }
  if (plan.status && plan.status >= 300) {
    res.writeHead(plan.status, { 'content-type': 'application/json', ...plan.headers });
    res.end(JSON.stringify({ error: plan.error ?? { message: 'error' } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...plan.headers });
  res.flushHeaders();
  res.on('close', () => {
    if (!res.writableEnded) closedEarly++;
  });
  for (const frame of plan.frames ?? []) res.write(frame);
  if (!plan.hang) res.end();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  plans = [];
  recorded = [];
  closedEarly = 0;
});

// ---------------------------------------------------------------------------------------------------
// Responses API frames (shapes from openai/resources/responses/responses.d.ts)

/** Build the SSE frames of one Responses stream, with consecutive sequence numbers. */
function responsesFrames(
  events: JsonObject[],
  options: { completed?: boolean; status?: 'completed' | 'incomplete' } = {},
): string[] {
  const base = {
    id: 'resp_1',
    object: 'response',
    created_at: 1_700_000_000,
    model: 'gpt-test',
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
  } satisfies JsonObject;
  const all: JsonObject[] = [
    { type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [], usage: null } },
    ...events,
  ];
  if (options.completed !== false) {
    const status = options.status ?? 'completed';
    all.push({
      type: status === 'completed' ? 'response.completed' : 'response.incomplete',
      response: {
        ...base,
        status,
        incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
        output: [],
        usage: {
          input_tokens: 42,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 7,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 49,
        },
      },
    });
  }
  return all.map((event, i) => {
    const data = { ...event, sequence_number: i };
    return `event: ${String(event.type)}\ndata: ${JSON.stringify(data)}\n\n`;
  });
}

function textEvents(pieces: string[]): JsonObject[] {
  const item = { id: 'msg_1', type: 'message', role: 'assistant', status: 'in_progress', content: [] };
  const text = pieces.join('');
  return [
    { type: 'response.output_item.added', output_index: 0, item },
    {
      type: 'response.content_part.added',
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    },
    ...pieces.map(
      (delta): JsonObject => ({
        type: 'response.output_text.delta',
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      }),
    ),
    {
      type: 'response.output_text.done',
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      text,
      logprobs: [],
    },
    {
      type: 'response.output_item.done',
      output_index: 0,
      item: {
        ...item,
        status: 'completed',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    },
  ];
}

function functionCallEvents(index: number, callId: string, name: string, pieces: string[]): JsonObject[] {
  const id = `fc_${index}`;
  const args = pieces.join('');
  return [
    {
      type: 'response.output_item.added',
      output_index: index,
      item: { id, type: 'function_call', status: 'in_progress', call_id: callId, name, arguments: '' },
    },
    ...pieces.map(
      (delta): JsonObject => ({
        type: 'response.function_call_arguments.delta',
        item_id: id,
        output_index: index,
        delta,
      }),
    ),
    {
      type: 'response.function_call_arguments.done',
      item_id: id,
      output_index: index,
      name,
      arguments: args,
    },
    {
      type: 'response.output_item.done',
      output_index: index,
      item: { id, type: 'function_call', status: 'completed', call_id: callId, name, arguments: args },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Chat Completions frames

function chatChunk(delta: JsonObject, finish: string | null = null): JsonObject {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-test',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    usage: null,
  };
}

function chatFrames(chunks: JsonObject[], usage = true): string[] {
  const all = [...chunks];
  if (usage) {
    all.push({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-test',
      choices: [],
      usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 },
    });
  }
  return [...all.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), 'data: [DONE]\n\n'];
}

// ---------------------------------------------------------------------------------------------------

const weatherTool: ModelTool = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const conversation: ModelRequest = {
  system: 'You are a weather assistant.',
  items: [
    { type: 'message', role: 'user', content: 'Weather in Oakland and Paris?' },
    { type: 'message', role: 'assistant', content: 'Let me check.' },
    { type: 'tool_call', callId: 'call_a', name: 'get_weather', arguments: { city: 'Oakland' } },
    { type: 'tool_call', callId: 'call_b', name: 'get_weather', arguments: { city: 'Paris' } },
    { type: 'tool_result', callId: 'call_a', name: 'get_weather', output: '18°C, fog' },
    { type: 'tool_result', callId: 'call_b', name: 'get_weather', output: '{"temp":21}' },
  ],
  tools: [weatherTool],
};

async function events(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const out: ModelEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('OpenAIResponsesModel', () => {
  const model = () =>
    new OpenAIResponsesModel({ model: 'gpt-test', apiKey: 'sk-test', baseURL, maxRetries: 0 });

  it('maps the request to instructions, input items and function tools', async () => {
    plans.push({ frames: responsesFrames(textEvents(['Oakland: 18°C. ', 'Paris: 21°C.'])) });
    const turn = await collectTurn(model(), conversation);
    expect(turn).toEqual({
      text: 'Oakland: 18°C. Paris: 21°C.',
      toolCalls: [],
      stopReason: 'stop',
      usage: { inputTokens: 42, outputTokens: 7 },
    });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.path).toBe('/v1/responses');
    expect(recorded[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(recorded[0]!.body).toEqual({
      model: 'gpt-test',
      instructions: 'You are a weather assistant.',
      input: [
        { type: 'message', role: 'user', content: 'Weather in Oakland and Paris?' },
        { type: 'message', role: 'assistant', content: 'Let me check.' },
        { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Oakland"}' },
        { type: 'function_call', call_id: 'call_b', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_a', output: '18°C, fog' },
        { type: 'function_call_output', call_id: 'call_b', output: '{"temp":21}' },
      ],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Current weather for a city.',
          parameters: weatherTool.parameters,
          strict: false,
        },
      ],
      store: false,
      stream: true,
    });
  });

  it('omits instructions and tools when there are none', async () => {
    plans.push({ frames: responsesFrames(textEvents(['hi'])) });
    await collectTurn(model(), { items: [{ type: 'message', role: 'user', content: 'hello' }], tools: [] });
    const body = recorded[0]!.body;
    expect(body).not.toHaveProperty('instructions');
    expect(body).not.toHaveProperty('tools');
  });

  it('streams text deltas, then tool calls assembled from argument pieces, usage and done', async () => {
    plans.push({
      frames: responsesFrames([
        ...textEvents(['Checking ', 'both.']),
        ...functionCallEvents(1, 'call_x', 'get_weather', ['{"ci', 'ty": "Oak', 'land"}']),
        ...functionCallEvents(2, 'call_y', 'get_weather', ['{"city":', '"Paris"}']),
        ...functionCallEvents(3, 'call_z', 'list_cities', []),
      ]),
    });
    const list = await events(model().stream(conversation));
    expect(list).toEqual([
      { type: 'text_delta', delta: 'Checking ' },
      { type: 'text_delta', delta: 'both.' },
      { type: 'tool_call', callId: 'call_x', name: 'get_weather', arguments: { city: 'Oakland' } },
      { type: 'tool_call', callId: 'call_y', name: 'get_weather', arguments: { city: 'Paris' } },
      { type: 'tool_call', callId: 'call_z', name: 'list_cities', arguments: {} },
      { type: 'usage', inputTokens: 42, outputTokens: 7 },
      { type: 'done', stopReason: 'tool_calls' },
    ]);
  });

  it('falls back to the argument deltas when the done item carries no arguments', async () => {
    const events = functionCallEvents(0, 'call_q', 'get_weather', ['{"city":', '"Lima"}']);
    const done = events.at(-1)!;
    events[events.length - 1] = { ...done, item: { ...(done.item as JsonObject), arguments: '' } };
    plans.push({ frames: responsesFrames(events) });
    const turn = await collectTurn(model(), conversation);
    expect(turn.toolCalls).toEqual([{ callId: 'call_q', name: 'get_weather', arguments: { city: 'Lima' } }]);
    expect(turn.stopReason).toBe('tool_calls');
  });

  it('reports length when the response is incomplete for max_output_tokens', async () => {
    plans.push({ frames: responsesFrames(textEvents(['trunc']), { status: 'incomplete' }) });
    const turn = await collectTurn(model(), conversation);
    expect(turn.stopReason).toBe('length');
    expect(turn.text).toBe('trunc');
  });

  it('rejects invalid tool-call JSON with a clear non-retryable ModelError', async () => {
    plans.push({ frames: responsesFrames(functionCallEvents(0, 'call_1', 'get_weather', ['{"city": Oak'])) });
    const error = await rejection(collectTurn(model(), conversation));
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as ModelError).message).toContain('get_weather');
    expect((error as ModelError).message).toContain('not valid JSON');
  });

  it('maps response.failed and error events to ModelError', async () => {
    plans.push({
      frames: responsesFrames(
        [
          {
            type: 'response.failed',
            response: {
              id: 'resp_1',
              object: 'response',
              status: 'failed',
              output: [],
              error: { code: 'server_error', message: 'The server had an error' },
            },
          },
        ],
        { completed: false },
      ),
    });
    const failed = await rejection(collectTurn(model(), conversation));
    expect(failed).toBeInstanceOf(ModelError);
    expect(failed).toMatchObject({ retryable: true });
    expect((failed as Error).message).toContain('The server had an error');

    plans.push({
      frames: responsesFrames(
        [{ type: 'error', code: 'invalid_prompt', message: 'Bad prompt', param: null }],
        {
          completed: false,
        },
      ),
    });
    const streamError = await rejection(collectTurn(model(), conversation));
    expect(streamError).toBeInstanceOf(ModelError);
    expect(streamError).toMatchObject({ retryable: false });
    expect((streamError as Error).message).toContain('Bad prompt');
  });

  it('treats a stream that ends without a terminal event as a retryable failure', async () => {
    plans.push({ frames: responsesFrames(textEvents(['half']), { completed: false }) });
    const error = await rejection(collectTurn(model(), conversation));
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('maps 429 to a retryable ModelError with status, 400 to a non-retryable one', async () => {
    plans.push({
      status: 429,
      error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded', param: null },
    });
    const limited = await rejection(collectTurn(model(), conversation));
    expect(limited).toBeInstanceOf(ModelError);
    expect(limited).toMatchObject({ retryable: true, status: 429 });
    expect((limited as Error).message).toContain('Rate limit reached');
    expect(recorded).toHaveLength(1);

    plans.push({
      status: 400,
      error: { message: "Invalid value: 'nope'", type: 'invalid_request_error', code: null, param: 'input' },
    });
    const bad = await rejection(collectTurn(model(), conversation));
    expect(bad).toBeInstanceOf(ModelError);
    expect(bad).toMatchObject({ retryable: false, status: 400 });
  });

  it('lets the SDK retry (maxRetries) a 500 before succeeding, on a provided client too', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0 });
    const retrying = new OpenAIResponsesModel({ model: 'gpt-test', client, maxRetries: 1 });
    plans.push({
      status: 500,
      headers: { 'retry-after-ms': '10' },
      error: { message: 'boom', type: 'server_error' },
    });
    plans.push({ frames: responsesFrames(textEvents(['ok'])) });
    const turn = await collectTurn(retrying, conversation);
    expect(turn.text).toBe('ok');
    expect(recorded).toHaveLength(2);

    const noRetry = new OpenAIResponsesModel({ model: 'gpt-test', client });
    plans.push({ status: 503, error: { message: 'overloaded', type: 'server_error' } });
    const error = await rejection(collectTurn(noRetry, conversation));
    expect(error).toMatchObject({ retryable: true, status: 503 });
  });

  it('maps a connection failure to a retryable ModelError', async () => {
    const dead = new OpenAIResponsesModel({
      model: 'gpt-test',
      apiKey: 'sk-test',
      baseURL: 'http://127.0.0.1:1/v1',
      maxRetries: 0,
    });
    const error = await rejection(collectTurn(dead, conversation));
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as ModelError).status).toBeUndefined();
  });

  it('aborts through the signal, before the call and mid-stream', async () => {
    const controller = new AbortController();
    plans.push({
      frames: responsesFrames(textEvents(['first ']), { completed: false }).slice(0, 5),
      hang: true,
    });
    const seen: ModelEvent[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of model().stream({ ...conversation, signal: controller.signal })) {
          seen.push(event);
          controller.abort();
        }
      })(),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(error).not.toBeInstanceOf(ModelError);
    expect(seen).toEqual([{ type: 'text_delta', delta: 'first ' }]);
    await expect.poll(() => closedEarly).toBe(1);

    const early = new AbortController();
    early.abort();
    const before = await rejection(collectTurn(model(), { ...conversation, signal: early.signal }));
    expect(before).toMatchObject({ name: 'AbortError' });
    expect(recorded).toHaveLength(1);
  });
});

describe('OpenAIChatModel', () => {
  const model = () => new OpenAIChatModel({ model: 'gpt-test', apiKey: 'sk-test', baseURL, maxRetries: 0 });

  it('maps the request to system/user/assistant/tool messages and function tools', async () => {
    plans.push({
      frames: chatFrames([chatChunk({ role: 'assistant', content: 'Fine.' }), chatChunk({}, 'stop')]),
    });
    const turn = await collectTurn(model(), conversation);
    expect(turn).toEqual({
      text: 'Fine.',
      toolCalls: [],
      stopReason: 'stop',
      usage: { inputTokens: 30, outputTokens: 5 },
    });
    expect(recorded[0]!.path).toBe('/v1/chat/completions');
    expect(recorded[0]!.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: 'Weather in Oakland and Paris?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oakland"}' },
            },
            {
              id: 'call_b',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '18°C, fog' },
        { role: 'tool', tool_call_id: 'call_b', content: '{"temp":21}' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city.',
            parameters: weatherTool.parameters,
          },
        },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('starts a new assistant message for tool calls that follow a tool result', async () => {
    plans.push({ frames: chatFrames([chatChunk({ content: 'ok' }), chatChunk({}, 'stop')]) });
    await collectTurn(model(), {
      items: [
        { type: 'message', role: 'user', content: 'go' },
        { type: 'tool_call', callId: 'c1', name: 't', arguments: {} },
        { type: 'tool_result', callId: 'c1', name: 't', output: 'r1' },
        { type: 'tool_call', callId: 'c2', name: 't', arguments: { n: 2 } },
        { type: 'tool_result', callId: 'c2', name: 't', output: 'r2' },
      ],
      tools: [],
    });
    const body = recorded[0]!.body;
    expect(body).not.toHaveProperty('tools');
    const messages = body.messages as JsonValue[];
    expect(messages).toEqual([
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 't', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'r1' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c2', type: 'function', function: { name: 't', arguments: '{"n":2}' } }],
      },
      { role: 'tool', tool_call_id: 'c2', content: 'r2' },
    ]);
  });

  it('streams text, then tool calls assembled from argument pieces, usage and done', async () => {
    const call = (index: number, piece: JsonObject): JsonObject => ({ tool_calls: [{ index, ...piece }] });
    plans.push({
      frames: chatFrames([
        chatChunk({ role: 'assistant', content: '' }),
        chatChunk({ content: 'Checking ' }),
        chatChunk({ content: 'both.' }),
        chatChunk(
          call(0, { id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: '' } }),
        ),
        chatChunk(call(0, { function: { arguments: '{"ci' } })),
        chatChunk(call(0, { function: { arguments: 'ty": "Oakland"}' } })),
        chatChunk(
          call(1, {
            id: 'call_y',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city"' },
          }),
        ),
        chatChunk(call(1, { function: { arguments: ':"Paris"}' } })),
        chatChunk(
          call(2, { id: 'call_z', type: 'function', function: { name: 'list_cities', arguments: '' } }),
        ),
        chatChunk({}, 'tool_calls'),
      ]),
    });
    const list = await events(model().stream(conversation));
    expect(list).toEqual([
      { type: 'text_delta', delta: 'Checking ' },
      { type: 'text_delta', delta: 'both.' },
      { type: 'tool_call', callId: 'call_x', name: 'get_weather', arguments: { city: 'Oakland' } },
      { type: 'tool_call', callId: 'call_y', name: 'get_weather', arguments: { city: 'Paris' } },
      { type: 'tool_call', callId: 'call_z', name: 'list_cities', arguments: {} },
      { type: 'usage', inputTokens: 30, outputTokens: 5 },
      { type: 'done', stopReason: 'tool_calls' },
    ]);
  });

  it('maps finish_reason length, and works without a usage chunk', async () => {
    plans.push({ frames: chatFrames([chatChunk({ content: 'trunc' }), chatChunk({}, 'length')], false) });
    const turn = await collectTurn(model(), conversation);
    expect(turn).toEqual({ text: 'trunc', toolCalls: [], stopReason: 'length' });
  });

  it('rejects invalid tool-call JSON with a clear non-retryable ModelError', async () => {
    plans.push({
      frames: chatFrames([
        chatChunk({
          tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'x', arguments: '{' } }],
        }),
        chatChunk({}, 'tool_calls'),
      ]),
    });
    const error = await rejection(collectTurn(model(), conversation));
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toContain('not valid JSON');
  });

  it('maps 429 to a retryable ModelError with status, 400 to a non-retryable one', async () => {
    plans.push({
      status: 429,
      error: { message: 'Slow down', type: 'requests', code: 'rate_limit_exceeded' },
    });
    const limited = await rejection(collectTurn(model(), conversation));
    expect(limited).toBeInstanceOf(ModelError);
    expect(limited).toMatchObject({ retryable: true, status: 429 });

    plans.push({ status: 400, error: { message: 'Bad messages', type: 'invalid_request_error' } });
    const bad = await rejection(collectTurn(model(), conversation));
    expect(bad).toMatchObject({ retryable: false, status: 400 });
    expect(recorded).toHaveLength(2);
  });

  it('maps an error chunk inside the stream to a ModelError', async () => {
    plans.push({ frames: [`data: ${JSON.stringify({ error: { message: 'mid-stream failure' } })}\n\n`] });
    const error = await rejection(collectTurn(model(), conversation));
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toContain('mid-stream failure');
  });

  it('aborts through the signal mid-stream', async () => {
    const controller = new AbortController();
    plans.push({ frames: [`data: ${JSON.stringify(chatChunk({ content: 'first ' }))}\n\n`], hang: true });
    const seen: ModelEvent[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of model().stream({ ...conversation, signal: controller.signal })) {
          seen.push(event);
          controller.abort();
        }
      })(),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([{ type: 'text_delta', delta: 'first ' }]);
    await expect.poll(() => closedEarly).toBe(1);
  });
});
