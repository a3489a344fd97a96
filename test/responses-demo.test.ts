/**
 * The OpenAI Responses API of the demo agents, driven by the official `openai` client: plain and
 * streamed responses, follow-ups with previous_response_id, a handoff inside a response, and
 * separate conversations kept apart.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askAgent } from '../examples/responses-client.js';
import type { Agent } from '../src/agent/agent.js';
import { createPersonalAssistant, createWeatherAssistant } from '../src/agent/demo-agents.js';
import { ScriptedModel } from '../src/models/scripted.js';

/**
 * The scripted personal assistant hands every message off, and the weather agent's fallback echoes
 * it: the answer quotes the user's text.
 */
function echoed(text: string): string {
  return `You said: "${text}"`;
}

describe('/v1/responses on the demo agents (official openai client)', () => {
  let weather: Agent;
  let personal: Agent;
  let weatherClient: OpenAI;
  let personalClient: OpenAI;

  beforeAll(async () => {
    weather = createWeatherAssistant({ model: ScriptedModel.demo(), store: 'memory' });
    const { url: weatherUrl } = await weather.listen({ port: 0 });
    personal = createPersonalAssistant({ model: ScriptedModel.demo(), store: 'memory', weatherUrl });
    const { url } = await personal.listen({ port: 0 });
    weatherClient = new OpenAI({ baseURL: `${weatherUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    personalClient = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await personal?.close();
    await weather?.close();
  });

  it('answers a plain string input with a completed response and output_text', async () => {
    const response = await personalClient.responses.create({
      model: 'personal-assistant',
      input: 'Hello there',
    });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_[0-9a-f]+$/);
    expect(response.status).toBe('completed');
    expect(response.model).toBe('personal-assistant');
    expect(response.output_text).toContain(echoed('Hello there'));
    expect(response.output).toHaveLength(1);
    const [message] = response.output;
    expect(message?.type).toBe('message');
    if (message?.type !== 'message') throw new Error('expected a message');
    expect(message.role).toBe('assistant');
    expect(message.status).toBe('completed');
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'output_text', text: response.output_text, annotations: [] }),
    ]);
    // The A2A task underneath answered it.
    const { tasks } = await personal.server.runtime.listTasks({});
    expect(
      tasks.some((t) => t.history?.[0]?.parts.some((p) => 'text' in p && p.text === 'Hello there')),
    ).toBe(true);
  });

  it('takes input items with input_text parts', async () => {
    const response = await personalClient.responses.create({
      model: 'personal-assistant',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Items work too' }] }],
    });
    expect(response.output_text).toContain(echoed('Items work too'));
  });

  it('uses the weather tool and reports usage', async () => {
    const response = await weatherClient.responses.create({
      model: 'weather-assistant',
      input: 'What is the weather in Oakland?',
    });
    expect(response.status).toBe('completed');
    expect(response.output_text).toContain('18°C');
    expect(response.output_text).toContain('fog');
    // The scripted model reports usage; the Loop sums it per turn.
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
  });

  it('streams with client.responses.stream(): the event sequence, deltas and the final response', async () => {
    const stream = personalClient.responses.stream({
      model: 'personal-assistant',
      input: 'Stream this please',
    });
    const events: ResponseStreamEvent[] = [];
    let deltas = '';
    stream.on('response.output_text.delta', (event) => {
      deltas += event.delta;
    });
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('response.created');
    expect(types[1]).toBe('response.in_progress');
    expect(types.at(-1)).toBe('response.completed');
    const order = [
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ];
    const positions = order.map((type) => types.indexOf(type as ResponseStreamEvent['type']));
    expect(positions.every((p) => p > 1)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The scripted model streams word by word: several deltas.
    expect(types.filter((t) => t === 'response.output_text.delta').length).toBeGreaterThan(1);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));

    expect(deltas).toContain(echoed('Stream this please'));
    expect(final.output_text).toBe(deltas);
    expect(final.status).toBe('completed');
    const created = events[0];
    if (created?.type !== 'response.created') throw new Error('expected response.created');
    expect(created.response.id).toBe(final.id);
    expect(created.response.status).toBe('in_progress');
    const done = events.find((e) => e.type === 'response.output_text.done');
    expect(done && 'text' in done ? done.text : undefined).toBe(deltas);
  });

  it('streams with create({ stream: true }) too, and the streamed response can be retrieved', async () => {
    const stream = await weatherClient.responses.create({
      model: 'weather-assistant',
      input: 'What is the weather in Paris?',
      stream: true,
    });
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(completed?.status).toBe('completed');
    expect(text).toContain('Paris');
    expect(completed?.output_text).toBe(text);
    const again = await weatherClient.responses.retrieve(completed!.id);
    expect(again.output_text).toBe(text);
    expect(again.status).toBe('completed');
  });

  it('continues a conversation with previous_response_id (same A2A context, a new task)', async () => {
    const first = await personalClient.responses.create({
      model: 'personal-assistant',
      input: 'My name is Ada',
    });
    const second = await personalClient.responses.create({
      model: 'personal-assistant',
      input: 'What did I just say?',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toContain(echoed('What did I just say?'));
    const { tasks } = await personal.server.runtime.listTasks({});
    const taskOf = (text: string) =>
      tasks.find((t) => t.history?.[0]?.parts.some((p) => 'text' in p && p.text === text));
    const a = taskOf('My name is Ada');
    const b = taskOf('What did I just say?');
    expect(a && b).toBeTruthy();
    expect(b!.contextId).toBe(a!.contextId);
    expect(b!.id).not.toBe(a!.id);

    // A new response without previous_response_id starts a new conversation.
    const other = await personalClient.responses.create({
      model: 'personal-assistant',
      input: 'Fresh start',
    });
    const { tasks: after } = await personal.server.runtime.listTasks({});
    const fresh = after.find((t) =>
      t.history?.[0]?.parts.some((p) => 'text' in p && p.text === 'Fresh start'),
    );
    expect(other.status).toBe('completed');
    expect(fresh?.contextId).not.toBe(a!.contextId);
  });

  it('hands off inside a response: the personal assistant answers with the weather agent’s forecast', async () => {
    const before = (await weather.server.runtime.listTasks({})).tasks.length;
    const response = await personalClient.responses.create({
      model: 'personal-assistant',
      input: 'What is the weather in Oakland?',
    });
    expect(response.status).toBe('completed');
    expect(response.output_text).toContain('Oakland');
    expect(response.output_text).toContain('18°C');
    const { tasks } = await weather.server.runtime.listTasks({});
    expect(tasks.length).toBe(before + 1);

    // Streamed, the handoff's answer arrives as text deltas of the same response.
    const stream = personalClient.responses.stream({
      model: 'personal-assistant',
      input: 'What is the weather in Lisbon?',
      previous_response_id: response.id,
    });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    const final = await stream.finalResponse();
    expect(text).toContain('Lisbon');
    expect(final.output_text).toBe(text);
    // The second handoff of the conversation continued the weather agent's context.
    const { tasks: weatherTasks } = await weather.server.runtime.listTasks({});
    const contextOf = (city: string) =>
      weatherTasks.find((t) => t.history?.[0]?.parts.some((p) => 'text' in p && p.text.includes(city)))
        ?.contextId;
    expect(contextOf('Lisbon')).toBeDefined();
    expect(contextOf('Lisbon')).toBe(contextOf('weather in Oakland'));
  });

  it('keeps two callers apart: each conversation has its own context', async () => {
    const alice = new OpenAI({ baseURL: `${personal.url}/v1`, apiKey: 'alice', maxRetries: 0 });
    const bob = new OpenAI({ baseURL: `${personal.url}/v1`, apiKey: 'bob', maxRetries: 0 });
    const [a1, b1] = await Promise.all([
      alice.responses.create({ model: 'personal-assistant', input: 'Alice here' }),
      bob.responses.create({ model: 'personal-assistant', input: 'Bob here' }),
    ]);
    const [a2, b2] = await Promise.all([
      alice.responses.create({
        model: 'personal-assistant',
        input: 'Alice again',
        previous_response_id: a1.id,
      }),
      bob.responses.create({ model: 'personal-assistant', input: 'Bob again', previous_response_id: b1.id }),
    ]);
    expect(a2.output_text).toContain('Alice again');
    expect(b2.output_text).toContain('Bob again');
    const { tasks } = await personal.server.runtime.listTasks({ pageSize: 100 });
    const contextOf = (text: string) =>
      tasks.find((t) => t.history?.[0]?.parts.some((p) => 'text' in p && p.text === text))?.contextId;
    expect(contextOf('Alice again')).toBe(contextOf('Alice here'));
    expect(contextOf('Bob again')).toBe(contextOf('Bob here'));
    expect(contextOf('Alice here')).not.toBe(contextOf('Bob here'));
  });

  it('runs examples/responses-client.ts against the personal assistant', async () => {
    let out = '';
    await askAgent(personal.url, (text) => {
      out += text;
    });
    const [oakland, paris] = out.trim().split('\n');
    expect(oakland).toContain('18°C');
    expect(paris).toContain('Paris');
  });

  it('lists the input items of a stored response, in pages', async () => {
    const response = await weatherClient.responses.create({
      model: 'weather-assistant',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'Hi, I am in Oakland.' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is the weather in Oakland?' }] },
      ],
    });
    const all = [];
    for await (const item of weatherClient.responses.inputItems.list(response.id, {
      order: 'asc',
      limit: 2,
    })) {
      all.push(item);
    }
    expect(all.map((i) => (i.type === 'message' ? [i.role, i.content[0]] : i.type))).toEqual([
      ['user', { type: 'input_text', text: 'Hi, I am in Oakland.' }],
      ['assistant', expect.objectContaining({ type: 'output_text', text: 'Hello!' })],
      ['user', { type: 'input_text', text: 'What is the weather in Oakland?' }],
    ]);
    expect(new Set(all.map((i) => i.id)).size).toBe(3);
    const newestFirst = await weatherClient.responses.inputItems.list(response.id);
    expect(newestFirst.data[0]?.id).toBe(all[2]?.id);
  });

  it('lists the agent as the model', async () => {
    const models = [];
    for await (const model of personalClient.models.list()) models.push(model);
    expect(models).toEqual([expect.objectContaining({ id: 'personal-assistant', object: 'model' })]);
    const one = await personalClient.models.retrieve('personal-assistant');
    expect(one.id).toBe('personal-assistant');
  });
});
