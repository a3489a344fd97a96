/**
 * The Loop caches the Environment's `system_prompt` and fetches it again after the Environment
 * sends `notifications/prompts/list_changed`.
 *
 * First against a minimal real MCP server (the SDK's `McpServer` over Streamable HTTP sessions) that
 * the Agent uses by URL, as it would a remote Environment, counting the MCP calls; then against
 * Timestep's own Environment, whose `setSystemPrompt()` announces the change.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { A2AClient } from '../src/a2a/client/client.js';
import type { Message, Task } from '../src/a2a/types.js';
import { Agent } from '../src/agent/agent.js';
import { Environment } from '../src/environment/index.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { waitFor } from './helpers/wait.js';

/** A session-based MCP server with a `system_prompt` whose text the test changes. */
class PromptServer {
  prompt = 'You are prompt version 1.';
  /** JSON-RPC methods received, in order (a response that was fully sent adds `<method>:sent`). */
  readonly methods: string[] = [];
  readonly #sessions = new Map<string, { transport: NodeStreamableHTTPServerTransport; server: McpServer }>();
  readonly #http: Server = createServer((req, res) => {
    void this.#handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}/mcp`;
  }

  /** Announce `notifications/prompts/list_changed` on every open session. */
  async announce(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.server.sendPromptListChanged()));
  }

  count(method: string): number {
    return this.methods.filter((m) => m === method).length;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.server.close()));
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }

  #createServer(): McpServer {
    const server = new McpServer({ name: 'prompt-server', version: '1.0.0' });
    server.registerPrompt(
      'system_prompt',
      { description: 'The system prompt', argsSchema: z.object({ agent_name: z.string() }) },
      () => ({ messages: [{ role: 'user', content: { type: 'text', text: this.prompt } }] }),
    );
    server.registerTool('noop', { description: 'Does nothing', inputSchema: z.object({}) }, () => ({
      content: [{ type: 'text', text: 'ok' }],
    }));
    return server;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const method = (body as { method?: unknown }).method;
      if (typeof method === 'string') {
        this.methods.push(method);
        res.on('finish', () => this.methods.push(`${method}:sent`));
      }
    }
    const header = req.headers['mcp-session-id'];
    const id = Array.isArray(header) ? header[0] : header;
    let session = id ? this.#sessions.get(id) : undefined;
    if (!session) {
      if (!isInitializeRequest(body)) {
        res.writeHead(400).end('Send initialize first');
        return;
      }
      const server = this.#createServer();
      const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          this.#sessions.set(sessionId, { transport, server });
        },
      });
      await server.connect(transport);
      session = { transport, server };
    }
    await session.transport.handleRequest(req, res, body);
  }
}

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

describe('Loop system prompt cache', () => {
  const env = new PromptServer();
  /** The `system` of every model request, in order. */
  const systems: Array<string | undefined> = [];
  let agent: Agent;
  let client: A2AClient;

  /** One turn (a new task); resolves with the system prompt the model got. */
  async function turn(): Promise<string | undefined> {
    const before = systems.length;
    const task = asTask(await client.send('hello'));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(systems.length).toBe(before + 1);
    return systems.at(-1);
  }

  beforeAll(async () => {
    await env.listen();
    agent = new Agent({
      name: 'Cached',
      description: 'Reads its prompt once',
      environment: env.url,
      store: 'memory',
      model: new ScriptedModel({
        rules: [
          {
            when: (request) => {
              systems.push(request.system);
              return true;
            },
            reply: { text: 'ok' },
          },
        ],
      }),
    });
    const { url } = await agent.listen({ port: 0 });
    client = await A2AClient.connect(url);
  });
  afterAll(async () => {
    await agent.close();
    await env.close();
  });

  it('fetches the system prompt once, not on every turn', async () => {
    expect(await turn()).toBe('You are prompt version 1.');
    expect(await turn()).toBe('You are prompt version 1.');
    expect(env.count('prompts/get')).toBe(1);
  });

  it('does not see a change the Environment did not announce', async () => {
    env.prompt = 'You are prompt version 2.';
    expect(await turn()).toBe('You are prompt version 1.');
    expect(env.count('prompts/get')).toBe(1);
  });

  it('fetches the prompt again after prompts/list_changed, then caches the new one', async () => {
    const listsBefore = env.count('prompts/list:sent');
    await env.announce();
    // The client refreshes the prompt list on the notification (debounced); the Loop drops its cache then.
    await waitFor(() => env.count('prompts/list:sent') > listsBefore, 'the client to list prompts again');
    // The refresh's answer is on its way to the Loop: a turn that races it may still get the cached
    // prompt, so turns are retried until one gets the new prompt; it is fetched exactly once more.
    await waitFor(async () => (await turn()) === 'You are prompt version 2.', 'a turn with the new prompt');
    expect(env.count('prompts/get')).toBe(2);
    expect(await turn()).toBe('You are prompt version 2.');
    expect(env.count('prompts/get')).toBe(2);
  });
});

describe('Environment.setSystemPrompt', () => {
  it("reaches a running agent's next turns through prompts/list_changed", async () => {
    const systems: Array<string | undefined> = [];
    const agent = new Agent({
      name: 'Ada',
      description: 'Reads its prompt from its Environment',
      environment: new Environment({
        name: 'ada',
        systemPrompt: (name) => `You are ${name}, v1.`,
        handoff: false,
      }),
      store: 'memory',
      model: new ScriptedModel({
        rules: [
          {
            when: (request) => {
              systems.push(request.system);
              return true;
            },
            reply: { text: 'ok' },
          },
        ],
      }),
    });
    const { url } = await agent.listen({ port: 0 });
    try {
      const client = await A2AClient.connect(url);
      await client.send('hello');
      expect(systems.at(-1)).toBe('You are Ada, v1.');
      agent.environment!.setSystemPrompt((name) => `You are ${name}, v2.`);
      expect(agent.environment!.systemPrompt('Ada')).toBe('You are Ada, v2.');
      await waitFor(async () => {
        await client.send('hello again');
        return systems.at(-1) === 'You are Ada, v2.';
      }, 'a turn with the new prompt');
    } finally {
      await agent.close();
    }
  });
});
