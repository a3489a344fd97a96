/**
 * After a restart on the same SQLite file, `previous_response_id` still continues a conversation
 * (found through its A2A task), even a function call left waiting; `GET` no longer has the response
 * (the response objects are kept in memory only), and `store: false` responses stay unusable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent/agent.js';
import { Environment } from '../src/environment/index.js';
import { lastUserText, ScriptedModel } from '../src/models/scripted.js';

const dir = mkdtempSync(join(tmpdir(), 'timestep-responses-restart-'));
const file = join(dir, 'agent.db');
const open: Agent[] = [];

afterAll(async () => {
  await Promise.all(open.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ agent: Agent; client: OpenAI }> {
  const agent = new Agent({
    name: 'Durable',
    description: 'Remembers across restarts',
    environment: new Environment({ name: 'durable', systemPrompt: 'You remember.', handoff: false }),
    model: new ScriptedModel({
      rules: [
        {
          when: (r) => /where am i/i.test(lastUserText(r)) && r.items.at(-1)?.type === 'message',
          reply: { toolCalls: [{ name: 'get_location', arguments: {} }] },
        },
        {
          when: /what did i say first/i,
          reply: (r) => {
            const first = r.items.find((i) => i.type === 'message');
            return { text: `First you said: ${first?.type === 'message' ? first.content : '?'}` };
          },
        },
      ],
    }),
    store: `sqlite:${file}`,
  });
  open.push(agent);
  const { url } = await agent.listen({ port: 0 });
  return { agent, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
}

const LOCATION_TOOL = {
  type: 'function' as const,
  name: 'get_location',
  parameters: { type: 'object', properties: {} },
  strict: false,
};

describe('/v1/responses across a restart (SQLite)', () => {
  it('continues conversations and waiting function calls by previous_response_id', async () => {
    const first = await start();
    const hello = await first.client.responses.create({ model: 'durable', input: 'Remember the word teal.' });
    const waiting = await first.client.responses.create({
      model: 'durable',
      input: 'Where am I?',
      tools: [LOCATION_TOOL],
    });
    const call = waiting.output[0];
    if (call?.type !== 'function_call') throw new Error('expected a function_call');
    const hidden = await first.client.responses.create({ model: 'durable', input: 'Secret.', store: false });
    await first.agent.close();
    open.pop();

    const second = await start();
    // The response objects were in the old process's memory.
    await expect(second.client.responses.retrieve(hello.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const next = await second.client.responses.create({
      model: 'durable',
      input: 'What did I say first?',
      previous_response_id: hello.id,
    });
    expect(next.output_text).toBe('First you said: Remember the word teal.');

    const answered = await second.client.responses.create({
      model: 'durable',
      previous_response_id: waiting.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Oakland' }],
    });
    expect(answered.output_text).toBe('get_location: Oakland');

    const refused = await second.client.responses
      .create({ model: 'durable', input: 'again', previous_response_id: hidden.id })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('previous_response_not_found');
  });
});
