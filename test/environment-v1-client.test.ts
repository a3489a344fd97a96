import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Environment, type EnvironmentOptions, tool } from '../src/environment/index.js';

const WEATHER_AGENT = 'http://127.0.0.1:10000';

function weatherEnvironment(options: Partial<EnvironmentOptions> = {}): Environment {
  return new Environment({
    name: 'personal-assistant',
    systemPrompt: 'You are a helpful personal assistant.',
    handoff: { agents: [{ url: WEATHER_AGENT, name: 'Weather Assistant', skills: ['forecast'] }] },
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => ({ city, temperature: '18°C', conditions: 'fog' }),
      }),
      tool({
        name: 'delete_files',
        description: 'Delete files',
        parameters: z.object({ path: z.string() }),
        execute: () => 'deleted',
        needsApproval: true,
        annotations: { destructiveHint: true },
      }),
      tool({
        name: 'fail',
        description: 'Always fails',
        parameters: z.object({}),
        execute: () => {
          throw new Error('boom');
        },
      }),
    ],
    ...options,
  });
}

interface SamplingSeen {
  metadata: unknown;
  text: unknown;
}

async function connect(url: string, seen: SamplingSeen[], delayMs = 0): Promise<Client> {
  const client = new Client({ name: 'test-v1', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const first = request.params.messages[0];
    const content = first && !Array.isArray(first.content) ? first.content : undefined;
    seen.push({
      metadata: request.params.metadata,
      text: content?.type === 'text' ? content.text : undefined,
    });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { role: 'assistant', model: 'scripted', content: { type: 'text', text: 'It is 18°C in Oakland' } };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

function textOf(result: unknown): string {
  const content = ((result as { content?: unknown }).content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? '').join('');
}

function rawPost(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        data += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('Environment with the v1 MCP client (@modelcontextprotocol/sdk)', () => {
  const env = weatherEnvironment();
  const seen: SamplingSeen[] = [];
  let url = '';
  let client: Client;

  beforeAll(async () => {
    ({ url } = await env.listen({ port: 0 }));
    client = await connect(url, seen);
  });
  afterAll(async () => {
    await client.close();
    await env.close();
  });

  it('lists tools with schemas, policy flags and the handoff allowlist', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('get_weather')?.inputSchema).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    });
    expect(byName.get('delete_files')?._meta).toEqual({ 'timestep/needsApproval': true });
    expect(byName.get('delete_files')?.annotations?.destructiveHint).toBe(true);
    expect(byName.get('get_weather')?._meta).toBeUndefined();
    const handoff = byName.get('handoff');
    expect(handoff?.description).toContain(`Weather Assistant (agent_uri: ${WEATHER_AGENT})`);
    expect(handoff?.inputSchema.required).toEqual(['agent_uri', 'message']);
  });

  it('serves the system prompt', async () => {
    const prompt = await client.getPrompt({ name: 'system_prompt', arguments: { agent_name: 'Ada' } });
    expect(prompt.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'You are a helpful personal assistant.' } },
    ]);
  });

  it('calls a tool', async () => {
    const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Oakland' } });
    expect(textOf(result)).toContain('Oakland');
    expect(JSON.parse(textOf(result))).toEqual({ city: 'Oakland', temperature: '18°C', conditions: 'fog' });
  });

  it('turns a throwing tool into an error result', async () => {
    const result = await client.callTool({ name: 'fail', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('boom');
  });

  it('rejects invalid tool arguments', async () => {
    const result = await client.callTool({ name: 'get_weather', arguments: { city: 42 } });
    expect(result.isError).toBe(true);
  });

  it('hands off through a sampling request tied to the tool call', async () => {
    seen.length = 0;
    const result = await client.callTool({
      name: 'handoff',
      arguments: { agent_uri: WEATHER_AGENT, message: 'Weather in Oakland?', context_id: 'ctx-7' },
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('It is 18°C in Oakland');
    expect(seen).toEqual([
      { metadata: { agent_uri: WEATHER_AGENT, context_id: 'ctx-7' }, text: 'Weather in Oakland?' },
    ]);
  });

  it('refuses a handoff outside the allowlist without sampling', async () => {
    seen.length = 0;
    const result = await client.callTool({
      name: 'handoff',
      arguments: { agent_uri: 'http://127.0.0.1:9999', message: 'hi' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Allowed agents: ${WEATHER_AGENT}`);
    expect(seen).toHaveLength(0);
  });

  it('rejects a foreign Host header', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const res = await rawPost(url, body, { ...jsonHeaders, host: 'evil.example' });
    expect(res.status).toBe(403);
  });

  it('rejects an oversized body with a clear error', async () => {
    const small = weatherEnvironment({ maxBodyBytes: 1024 });
    const listening = await small.listen({ port: 0 });
    try {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
        params: { pad: 'x'.repeat(2000) },
      });
      const res = await rawPost(listening.url, body, jsonHeaders);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error.message).toBe('Request body exceeds the limit of 1024 bytes');
    } finally {
      await small.close();
    }
  });

  it('rejects a body that is not JSON', async () => {
    const res = await rawPost(url, '{nope', jsonHeaders);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe(-32700);
  });
});

describe('Environment handoff lifetime (v1 client)', () => {
  it('keeps a session with a handoff in flight open past the idle limit', async () => {
    const env = weatherEnvironment({ sessionIdleMs: 200 });
    const { url } = await env.listen({ port: 0 });
    const seen: SamplingSeen[] = [];
    const client = await connect(url, seen, 2500);
    try {
      const result = await client.callTool({
        name: 'handoff',
        arguments: { agent_uri: WEATHER_AGENT, message: 'slow' },
      });
      expect(textOf(result)).toBe('It is 18°C in Oakland');
      expect(seen).toHaveLength(1);
    } finally {
      await client.close();
      await env.close();
    }
  });

  it('abandons the sampling request when the handoff call is cancelled', async () => {
    // The sampling request is tied to the call (relatedRequestId + the call's signal): cancelling the
    // call makes the server drop its pending sampling request, so a late answer is discarded.
    const errors: string[] = [];
    const env = weatherEnvironment({ onError: (error) => errors.push(error.message) });
    const { url } = await env.listen({ port: 0 });
    const client = new Client({ name: 'test-v1', version: '1.0.0' }, { capabilities: { sampling: {} } });
    let samplingStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      samplingStarted = resolve;
    });
    let answer!: () => void;
    client.setRequestHandler(CreateMessageRequestSchema, () => {
      samplingStarted();
      return new Promise((resolve) => {
        answer = () =>
          resolve({ role: 'assistant', model: 'scripted', content: { type: 'text', text: 'too late' } });
      });
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const controller = new AbortController();
      const call = client.callTool(
        { name: 'handoff', arguments: { agent_uri: WEATHER_AGENT, message: 'wait' } },
        undefined,
        { signal: controller.signal },
      );
      await started;
      controller.abort();
      await expect(call).rejects.toThrow(/abort/i);
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer();
      await expect.poll(() => errors.join('\n')).toMatch(/unknown message ID/);
    } finally {
      await client.close();
      await env.close();
    }
  });

  it('has no handoff tool when handoff is false', async () => {
    const env = weatherEnvironment({ handoff: false });
    const { url } = await env.listen({ port: 0 });
    const client = await connect(url, []);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['delete_files', 'fail', 'get_weather']);
    } finally {
      await client.close();
      await env.close();
    }
  });
});
