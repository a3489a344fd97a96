import { request as httpRequest } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Environment, tool } from '../src/environment/index.js';

const WEATHER_AGENT = 'http://127.0.0.1:10000';

function weatherEnvironment(
  handoff:
    | boolean
    | { agents: Array<{ url: string; name?: string; description?: string; skills?: string[] }> },
) {
  return new Environment({
    name: 'personal-assistant',
    systemPrompt: (agentName) => `You are ${agentName}, a helpful personal assistant.`,
    handoff,
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => ({ city, temperature: '18°C', conditions: 'fog' }),
        annotations: { readOnlyHint: true },
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
        name: 'pick_color',
        description: 'Ask the user to pick a color',
        parameters: z.object({}),
        execute: () => 'unused',
        clientSide: true,
      }),
    ],
  });
}

interface SamplingSeen {
  metadata: unknown;
  text: unknown;
}

async function connect(url: string, modern: boolean, seen: SamplingSeen[]): Promise<Client> {
  const client = new Client(
    { name: 'test-v2', version: '1.0.0' },
    {
      capabilities: { sampling: {} },
      ...(modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  client.setRequestHandler('sampling/createMessage', async (request) => {
    const first = request.params.messages[0];
    const content = first && !Array.isArray(first.content) ? first.content : undefined;
    seen.push({
      metadata: request.params.metadata,
      text: content?.type === 'text' ? content.text : undefined,
    });
    return { role: 'assistant', model: 'scripted', content: { type: 'text', text: 'It is 18°C in Oakland' } };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
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

const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('Environment with the v2 MCP client', () => {
  const env = weatherEnvironment({
    agents: [
      {
        url: WEATHER_AGENT,
        name: 'Weather Assistant',
        description: 'Knows the weather',
        skills: ['forecast'],
      },
    ],
  });
  let url = '';

  beforeAll(async () => {
    ({ url } = await env.listen({ port: 0 }));
  });
  afterAll(async () => {
    await env.close();
  });

  for (const modern of [false, true]) {
    describe(modern ? 'protocol 2026-07-28' : 'protocol 2025-11-25 (session)', () => {
      const seen: SamplingSeen[] = [];
      let client: Client;

      beforeAll(async () => {
        client = await connect(url, modern, seen);
      });
      afterAll(async () => {
        await client.close();
      });

      it('negotiates the expected protocol era', () => {
        expect(client.getNegotiatedProtocolVersion()).toBe(modern ? '2026-07-28' : '2025-11-25');
      });

      it('lists tools with schemas, policy flags and the handoff allowlist', async () => {
        const { tools } = await client.listTools();
        const byName = new Map(tools.map((t) => [t.name, t]));
        const weather = byName.get('get_weather');
        expect(weather?.inputSchema).toMatchObject({
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        });
        expect(weather?.annotations?.readOnlyHint).toBe(true);
        expect(byName.get('delete_files')?._meta).toMatchObject({ 'timestep/needsApproval': true });
        expect(byName.get('delete_files')?.annotations?.destructiveHint).toBe(true);
        expect(byName.get('pick_color')?._meta).toMatchObject({ 'timestep/clientSide': true });
        const handoff = byName.get('handoff');
        expect(handoff?.description).toContain(WEATHER_AGENT);
        expect(handoff?.description).toContain('Weather Assistant');
        expect(handoff?.description).toContain('forecast');
        expect(handoff?.inputSchema).toMatchObject({
          properties: { agent_uri: { type: 'string' }, message: { type: 'string' } },
        });
      });

      it('serves the system prompt for an agent name', async () => {
        const prompt = await client.getPrompt({ name: 'system_prompt', arguments: { agent_name: 'Ada' } });
        const message = prompt.messages[0];
        expect(message?.role).toBe('user');
        expect(message?.content).toEqual({
          type: 'text',
          text: 'You are Ada, a helpful personal assistant.',
        });
      });

      it('calls a tool and JSON-encodes its result', async () => {
        const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Oakland' } });
        expect(result.isError).toBeFalsy();
        expect(JSON.parse(textOf(result))).toEqual({
          city: 'Oakland',
          temperature: '18°C',
          conditions: 'fog',
        });
      });

      it('hands off through sampling with agent_uri and context_id metadata', async () => {
        seen.length = 0;
        const result = await client.callTool({
          name: 'handoff',
          arguments: { agent_uri: WEATHER_AGENT, message: 'Weather in Oakland?', context_id: 'ctx-1' },
        });
        expect(result.isError).toBeFalsy();
        expect(textOf(result)).toBe('It is 18°C in Oakland');
        expect(seen).toEqual([
          { metadata: { agent_uri: WEATHER_AGENT, context_id: 'ctx-1' }, text: 'Weather in Oakland?' },
        ]);
      });

      it('omits context_id from the sampling metadata when not given', async () => {
        seen.length = 0;
        const result = await client.callTool({
          name: 'handoff',
          arguments: { agent_uri: `${WEATHER_AGENT}/`, message: 'Hi' },
        });
        expect(textOf(result)).toBe('It is 18°C in Oakland');
        expect(seen[0]?.metadata).toEqual({ agent_uri: `${WEATHER_AGENT}/` });
      });

      it('refuses a handoff to an agent outside the allowlist without sampling', async () => {
        seen.length = 0;
        const result = await client.callTool({
          name: 'handoff',
          arguments: { agent_uri: 'http://evil.example', message: 'hi' },
        });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain(WEATHER_AGENT);
        expect(seen).toHaveLength(0);
      });
    });
  }

  it('rejects a foreign Host header', async () => {
    const res = await rawPost(url, initializeBody, { ...jsonHeaders, host: 'evil.example' });
    expect(res.status).toBe(403);
  });

  it('rejects a foreign Origin header', async () => {
    const res = await rawPost(url, initializeBody, { ...jsonHeaders, origin: 'http://evil.example' });
    expect(res.status).toBe(403);
  });

  it('rejects an oversized body with a clear error', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'get_weather', arguments: { city: 'x'.repeat(5 * 1024 * 1024) } },
    });
    const res = await rawPost(url, big, jsonHeaders).catch((error: NodeJS.ErrnoException) => ({
      status: -1,
      body: String(error.code),
    }));
    // The server answers 413 before reading everything; depending on timing the client may see a reset.
    if (res.status !== -1) {
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error.message).toMatch(/exceeds the limit of 4194304 bytes/);
    } else {
      expect(res.body).toMatch(/ECONNRESET|EPIPE/);
    }
  });

  it('rejects a request on an unknown session', async () => {
    const res = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), {
      ...jsonHeaders,
      'mcp-session-id': 'nope',
      'mcp-protocol-version': '2025-11-25',
    });
    expect(res.status).toBe(404);
  });
});

describe('Environment 2026-07-28 requestState', () => {
  it('signs requestState and rejects a forged one', async () => {
    const env = weatherEnvironment({ agents: [{ url: WEATHER_AGENT }] });
    const { url } = await env.listen({ port: 0 });
    const retries: Array<{ headers: Headers; body: Record<string, unknown> }> = [];
    const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (typeof init?.body === 'string' && init.body.includes('requestState')) {
        retries.push({ headers: new Headers(init.headers), body: JSON.parse(init.body) });
      }
      return fetch(input, init);
    };
    const client = new Client(
      { name: 'test-v2', version: '1.0.0' },
      { capabilities: { sampling: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    client.setRequestHandler('sampling/createMessage', async () => ({
      role: 'assistant',
      model: 'scripted',
      content: { type: 'text', text: 'It is 18°C in Oakland' },
    }));
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: recordingFetch }));
    try {
      const result = await client.callTool({
        name: 'handoff',
        arguments: { agent_uri: WEATHER_AGENT, message: 'Hi' },
      });
      expect(textOf(result)).toBe('It is 18°C in Oakland');
      expect(retries).toHaveLength(1);
      const retry = retries[0]!;
      const params = retry.body.params as { requestState: string };
      expect(params.requestState).toMatch(/^v1\./);
      const [version, payload, mac] = params.requestState.split('.');
      const forgedPayload = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
          p: { agent_uri: 'x' },
        }),
      ).toString('base64url');
      const forged = {
        ...retry.body,
        id: 99,
        params: { ...params, requestState: `${version}.${forgedPayload}.${mac}` },
      };
      const res = await fetch(url, { method: 'POST', headers: retry.headers, body: JSON.stringify(forged) });
      const text = await res.text();
      expect(text).toContain('Invalid or expired requestState');
    } finally {
      await client.close();
      await env.close();
    }
  });
});

describe('Environment options', () => {
  it('omits the handoff tool when handoff is false', async () => {
    const env = weatherEnvironment(false);
    const { url } = await env.listen({ port: 0 });
    const client = await connect(url, false, []);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('handoff');
      expect(tools.map((t) => t.name)).toContain('get_weather');
    } finally {
      await client.close();
      await env.close();
    }
  });

  it('offers handoff with no targets configured by default', async () => {
    const env = new Environment({ name: 'plain', systemPrompt: 'hi' });
    const { url } = await env.listen({ port: 0 });
    const client = await connect(url, true, []);
    try {
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'handoff')?.description).toContain(
        'No handoff targets are configured',
      );
    } finally {
      await client.close();
      await env.close();
    }
  });

  it('closes idle sessions', async () => {
    const env = new Environment({ name: 'idle', systemPrompt: 'hi', sessionIdleMs: 200 });
    const { url } = await env.listen({ port: 0 });
    const client = await connect(url, false, []);
    try {
      expect(env.sessionCount).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(env.sessionCount).toBe(0);
    } finally {
      await client.close().catch(() => undefined);
      await env.close();
    }
  });

  it('rejects a reserved or duplicate tool name', () => {
    const t = tool({ name: 'handoff', description: 'x', parameters: z.object({}), execute: () => 'x' });
    expect(() => new Environment({ name: 'x', systemPrompt: 'x', tools: [t] })).toThrow(/reserved/);
    expect(() => new Environment({ name: 'x', systemPrompt: 'x', tools: [t], handoff: false })).not.toThrow();
  });
});
