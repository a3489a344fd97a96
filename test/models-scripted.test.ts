/**
 * `ScriptedModel`: rules, the answer after tool results, call-id numbering, only offered tools, abort,
 * and the offline demo brain (weather, handoff, echo). Also `modelFromEnv`'s choice.
 */
import { describe, expect, it } from 'vitest';
import {
  cityOf,
  collectTurn,
  type ModelEvent,
  type ModelItem,
  type ModelRequest,
  type ModelTool,
  modelFromEnv,
  OpenAIChatModel,
  OpenAIResponsesModel,
  ScriptedModel,
} from '../src/models/index.js';

const weatherTool: ModelTool = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const handoffTool: ModelTool = {
  name: 'handoff',
  description: 'Hand the conversation to another agent. Known agents: weather (http://127.0.0.1:10000).',
  parameters: {
    type: 'object',
    properties: { agent_uri: { type: 'string' }, message: { type: 'string' } },
    required: ['agent_uri', 'message'],
  },
};

function user(content: string): ModelItem {
  return { type: 'message', role: 'user', content };
}

async function events(model: ScriptedModel, request: ModelRequest): Promise<ModelEvent[]> {
  const out: ModelEvent[] = [];
  for await (const event of model.stream(request)) out.push(event);
  return out;
}

describe('ScriptedModel rules', () => {
  it('matches a RegExp against the last user message and streams text in several deltas', async () => {
    const model = new ScriptedModel({
      rules: [
        { when: /hello/i, reply: { text: 'Hi there, nice to meet you.' } },
        { when: /my name is (\w+)/gi, reply: (_request, match) => ({ text: `Hello, ${match?.[1]}!` }) },
      ],
    });
    expect(model.name).toBe('scripted');
    const list = await events(model, { items: [user('my name is Ada'), user('hello')], tools: [] });
    const deltas = list.filter((e) => e.type === 'text_delta');
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.map((e) => e.delta).join('')).toBe('Hi there, nice to meet you.');
    expect(list.at(-2)).toMatchObject({ type: 'usage' });
    expect(list.at(-1)).toEqual({ type: 'done', stopReason: 'stop' });

    const turn = await collectTurn(model, { items: [user('My name is Ada')], tools: [] });
    expect(turn.text).toBe('Hello, Ada!');
    expect(turn.usage?.inputTokens).toBe(4);
    expect(turn.usage?.outputTokens).toBeGreaterThan(0);
  });

  it('tries rules in order, supports function rules and the fallback', async () => {
    const model = new ScriptedModel({
      rules: [
        { when: (request) => request.system === 'terse', reply: { text: 'ok' } },
        { when: /.*/, reply: { text: 'anything' } },
      ],
      fallback: () => ({ text: 'fallback' }),
    });
    expect((await collectTurn(model, { system: 'terse', items: [user('x')], tools: [] })).text).toBe('ok');
    expect((await collectTurn(model, { items: [user('x')], tools: [] })).text).toBe('anything');
    const bare = new ScriptedModel({ rules: [], fallback: (r) => ({ text: `fb:${r.items.length}` }) });
    expect((await collectTurn(bare, { items: [user('x')], tools: [] })).text).toBe('fb:1');
    const none = new ScriptedModel({ rules: [] });
    expect((await collectTurn(none, { items: [user('zzz')], tools: [] })).text).toContain('zzz');
  });

  it('calls only offered tools; an absent tool becomes text saying it is not available', async () => {
    const model = new ScriptedModel({
      rules: [
        {
          when: /both/,
          reply: {
            toolCalls: [
              { name: 'get_weather', arguments: { city: 'Oslo' } },
              { name: 'launch_rocket', arguments: {} },
            ],
          },
        },
      ],
    });
    const turn = await collectTurn(model, { items: [user('both please')], tools: [weatherTool] });
    expect(turn.toolCalls).toEqual([{ callId: 'call_1', name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(turn.text).toBe('The tool "launch_rocket" is not available.');
    expect(turn.stopReason).toBe('tool_calls');

    const without = await collectTurn(model, { items: [user('both please')], tools: [] });
    expect(without.toolCalls).toEqual([]);
    expect(without.text).toContain('"get_weather" is not available');
    expect(without.text).toContain('"launch_rocket" is not available');
    expect(without.stopReason).toBe('stop');
  });

  it('numbers call ids after the tool calls already in the conversation, text before tool calls', async () => {
    const model = new ScriptedModel({
      rules: [
        {
          when: /two/,
          reply: {
            text: 'Checking two cities.',
            toolCalls: [
              { name: 'get_weather', arguments: { city: 'Paris' } },
              { name: 'get_weather', arguments: { city: 'Rome' } },
            ],
          },
        },
      ],
    });
    const items: ModelItem[] = [
      user('one'),
      { type: 'tool_call', callId: 'call_1', name: 'get_weather', arguments: { city: 'Oslo' } },
      { type: 'tool_result', callId: 'call_1', name: 'get_weather', output: '3°C' },
      { type: 'message', role: 'assistant', content: 'get_weather: 3°C' },
      user('now two'),
    ];
    const list = await events(model, { items, tools: [weatherTool] });
    const types = list.map((e) => e.type);
    expect(types.indexOf('tool_call')).toBeGreaterThan(types.lastIndexOf('text_delta'));
    const calls = list.filter((e) => e.type === 'tool_call');
    expect(calls.map((c) => c.callId)).toEqual(['call_2', 'call_3']);
    expect(list.at(-1)).toEqual({ type: 'done', stopReason: 'tool_calls' });
  });

  it('answers from tool results by default; RegExp rules do not fire again after tools ran', async () => {
    const model = new ScriptedModel({
      rules: [
        { when: /weather/, reply: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oakland' } }] } },
      ],
    });
    const items: ModelItem[] = [
      user('weather please'),
      { type: 'tool_call', callId: 'call_1', name: 'get_weather', arguments: { city: 'Oakland' } },
      { type: 'tool_result', callId: 'call_1', name: 'get_weather', output: '18°C, fog in Oakland' },
    ];
    const turn = await collectTurn(model, { items, tools: [weatherTool] });
    expect(turn).toMatchObject({
      text: 'get_weather: 18°C, fog in Oakland',
      toolCalls: [],
      stopReason: 'stop',
    });

    const json = await collectTurn(model, {
      items: [
        ...items.slice(0, 2),
        { type: 'tool_result', callId: 'call_1', name: 'get_weather', output: JSON.stringify('sunny') },
      ],
      tools: [weatherTool],
    });
    expect(json.text).toBe('get_weather: sunny');
  });

  it('lets a function rule override the answer after tool results', async () => {
    const model = new ScriptedModel({
      rules: [
        {
          when: (request) => request.items.at(-1)?.type === 'tool_result',
          reply: { text: 'Done with tools.' },
        },
      ],
    });
    const turn = await collectTurn(model, {
      items: [
        user('go'),
        { type: 'tool_call', callId: 'call_1', name: 'x', arguments: {} },
        { type: 'tool_result', callId: 'call_1', name: 'x', output: 'y' },
      ],
      tools: [],
    });
    expect(turn.text).toBe('Done with tools.');
  });

  it('honours the abort signal, before and during the stream', async () => {
    const model = new ScriptedModel({ rules: [{ when: /./, reply: { text: 'one two three four five' } }] });
    const before = new AbortController();
    before.abort();
    await expect(
      collectTurn(model, { items: [user('x')], tools: [], signal: before.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });

    const during = new AbortController();
    const seen: ModelEvent[] = [];
    await expect(
      (async () => {
        for await (const event of model.stream({ items: [user('x')], tools: [], signal: during.signal })) {
          seen.push(event);
          during.abort();
        }
      })(),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
  });
});

describe('ScriptedModel.demo()', () => {
  const demo = ScriptedModel.demo();

  it('calls get_weather with the city when that tool is offered', async () => {
    const turn = await collectTurn(demo, {
      items: [user("What's the weather in San Francisco today?")],
      tools: [weatherTool, handoffTool],
    });
    expect(turn.toolCalls).toEqual([
      { callId: 'call_1', name: 'get_weather', arguments: { city: 'San Francisco' } },
    ]);
    expect(turn.stopReason).toBe('tool_calls');
    expect(cityOf('weather for Oslo, please')).toBe('Oslo');
    expect(cityOf('how are you?')).toBeUndefined();
  });

  it('hands off to the first URL in the handoff description when get_weather is not offered', async () => {
    const turn = await collectTurn(demo, { items: [user('weather in Oakland?')], tools: [handoffTool] });
    expect(turn.toolCalls).toEqual([
      {
        callId: 'call_1',
        name: 'handoff',
        arguments: { agent_uri: 'http://127.0.0.1:10000', message: 'weather in Oakland?' },
      },
    ]);
  });

  it('answers with the tool results, then echoes politely when there is nothing to call', async () => {
    const after = await collectTurn(demo, {
      items: [
        user('weather in Oakland'),
        { type: 'tool_call', callId: 'call_1', name: 'get_weather', arguments: { city: 'Oakland' } },
        { type: 'tool_result', callId: 'call_1', name: 'get_weather', output: '18°C, fog in Oakland' },
      ],
      tools: [weatherTool],
    });
    expect(after).toMatchObject({
      text: 'get_weather: 18°C, fog in Oakland',
      stopReason: 'stop',
      toolCalls: [],
    });

    const echo = await collectTurn(demo, { items: [user('Good morning')], tools: [weatherTool] });
    expect(echo.text).toBe('Thank you for your message. You said: "Good morning"');
    expect(echo.toolCalls).toEqual([]);
    // Deterministic: the same request gives the same answer.
    expect(await collectTurn(demo, { items: [user('Good morning')], tools: [weatherTool] })).toEqual(echo);
  });
});

describe('modelFromEnv', () => {
  it('uses the scripted model without OPENAI_API_KEY and says how to use OpenAI', () => {
    const { model, description } = modelFromEnv({ OPENAI_API_KEY: '' });
    expect(model).toBeInstanceOf(ScriptedModel);
    expect(description).toContain('scripted');
    expect(description).toContain('OPENAI_API_KEY');
  });

  it('uses OpenAI Responses (or Chat) with the model and base URL from the environment', async () => {
    const responses = modelFromEnv({ OPENAI_API_KEY: 'sk-test', OPENAI_MODEL: 'gpt-x' });
    expect(responses.model).toBeInstanceOf(OpenAIResponsesModel);
    expect(responses.model.name).toBe('gpt-x');
    const chat = modelFromEnv({
      OPENAI_API_KEY: 'sk-test',
      TIMESTEP_MODEL: 'llama3',
      OPENAI_MODEL: 'ignored',
      TIMESTEP_MODEL_API: 'chat',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
    });
    expect(chat.model).toBeInstanceOf(OpenAIChatModel);
    expect(chat.model.name).toBe('llama3');
    expect((await (chat.model as OpenAIChatModel).client()).baseURL).toBe('http://127.0.0.1:11434/v1');
    expect(chat.description).toContain('Chat Completions');
    expect(modelFromEnv({ OPENAI_API_KEY: 'sk-test' }).model.name).toBe('gpt-4.1-mini');
  });
});
