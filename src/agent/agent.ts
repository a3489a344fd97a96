/**
 * `Agent`: an A2A server whose worker is a {@link Loop}, optionally serving its own Environment on
 * the same port at `/mcp`.
 *
 * ```ts
 * const agent = new Agent({
 *   name: 'Weather Assistant',
 *   description: 'Current weather for any city',
 *   environment: new Environment({ name: 'weather', systemPrompt: 'You report the weather.', tools }),
 * });
 * const { url } = await agent.listen({ port: 10000 });
 * ```
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AgentCardOptions } from '../a2a/server/card.js';
import { A2AServer, type A2AServerOptions, type ListenOptions } from '../a2a/server/server.js';
import { Environment } from '../environment/environment.js';
import { listenHttp } from '../http/listen.js';
import { Loop } from '../loop/loop.js';
import type { LoopTool, ToolExecution } from '../loop/tool-policy.js';
import { modelFromEnv } from '../models/from-env.js';
import type { Model } from '../models/model.js';
import { ResponsesHandler } from '../responses/handler.js';

/** Options of an {@link Agent}: its card, its Environment and model, and any `A2AServer` option. */
export interface AgentOptions extends Omit<A2AServerOptions, 'card' | 'worker'> {
  /** The agent's name (card name, and `agent_name` of the Environment's system prompt). */
  name: string;
  /** What the agent does (card description). */
  description: string;
  /** The card's skills. */
  skills?: AgentCardOptions['skills'];
  /** Anything else for the card. */
  card?: Omit<AgentCardOptions, 'name' | 'description' | 'skills'>;
  /**
   * The agent's world: an Environment served in-process on the agent's port at `/mcp`, or the URL of
   * a remote Environment's MCP endpoint.
   */
  environment: Environment | string;
  /** The model (default: `modelFromEnv().model`: OpenAI with `OPENAI_API_KEY`, else the scripted model). */
  model?: Model;
  /** Most model calls per turn (default 10). */
  maxModelCalls?: number;
  /** Timeout of one tool call, handoffs included (ms, default 30 minutes). */
  toolTimeoutMs?: number;
  /**
   * Where tool calls run (default `server`; `client` sends every call but `handoff` to the A2A client).
   * See `LoopOptions.toolExecution`.
   */
  toolExecution?: ToolExecution;
  /** Whether a call of `tool` needs the user's approval (default: `needsApproval` meta or `destructiveHint`). */
  approval?: (tool: LoopTool) => boolean;
  /** Most agents below the first one in a chain of handoffs (default 5); deeper handoffs are refused. */
  maxHandoffDepth?: number;
  /**
   * The only agent URLs the Loop may hand off to. Default: an in-process Environment's handoff
   * allowlist (when it has one); for a remote Environment (a URL), any target it asks for — set this
   * to fence an Environment you do not control.
   */
  allowedHandoffs?: readonly string[];
}

/** A running agent. */
export interface ListeningAgent {
  /** The agent's A2A base URL, e.g. `http://127.0.0.1:10000`. */
  url: string;
  /** The bound port. */
  port: number;
}

/** How many earlier tasks of a conversation the model sees. */
const MAX_EARLIER_TASKS = 20;

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** A Timestep agent: an A2A server whose worker is a Loop over an Environment. */
export class Agent {
  /** The agent's name. */
  readonly name: string;
  /** The model driving the agent. */
  readonly model: Model;
  readonly #options: AgentOptions;
  #http: Server | undefined;
  #server: A2AServer | undefined;
  #loop: Loop | undefined;
  #responses: ResponsesHandler | undefined;
  #url: string | undefined;

  /** Create an agent; nothing is served until {@link Agent.listen}. */
  constructor(options: AgentOptions) {
    this.#options = options;
    this.name = options.name;
    this.model = options.model ?? modelFromEnv().model;
  }

  /** The A2A server (available once listening). */
  get server(): A2AServer {
    if (!this.#server) throw new Error(`${this.name} is not listening yet: call listen() first.`);
    return this.#server;
  }

  /** The agent's base URL (available once listening). */
  get url(): string {
    if (!this.#url) throw new Error(`${this.name} is not listening yet: call listen() first.`);
    return this.#url;
  }

  /** The Environment served in-process, if any. */
  get environment(): Environment | undefined {
    return this.#options.environment instanceof Environment ? this.#options.environment : undefined;
  }

  /**
   * Listen on `host:port` (default 127.0.0.1, any free port). With an in-process Environment, its MCP
   * endpoint is served at `/mcp` on the same port.
   */
  async listen(options: ListenOptions = {}): Promise<ListeningAgent> {
    if (this.#http) throw new Error(`${this.name} is already listening`);
    const host = options.host ?? '127.0.0.1';
    const http = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.#route(req, res));
    this.#http = http;
    const { port, baseUrl: url } = await listenHttp(http, options.port ?? 0, host);
    const {
      name,
      description,
      skills,
      card,
      environment,
      model: _model,
      maxModelCalls,
      toolTimeoutMs,
      toolExecution,
      approval,
      maxHandoffDepth,
      allowedHandoffs,
      ...serverOptions
    } = this.#options;
    const loop = new Loop({
      environmentUrl: typeof environment === 'string' ? environment : `${url}/mcp`,
      model: this.model,
      agentName: name,
      ...(maxModelCalls !== undefined ? { maxModelCalls } : {}),
      ...(toolTimeoutMs !== undefined ? { toolTimeoutMs } : {}),
      ...(toolExecution !== undefined ? { toolExecution } : {}),
      ...(approval !== undefined ? { approval } : {}),
      ...(maxHandoffDepth !== undefined ? { maxHandoffDepth } : {}),
      ...(allowedHandoffs
        ? { allowedHandoffs }
        : environment instanceof Environment && environment.handoffTargets
          ? { allowedHandoffs: [...environment.handoffTargets.keys()] }
          : {}),
      agentUrl: serverOptions.publicUrl ?? url,
      conversation: async (ctx) => {
        const { tasks } = await this.server.runtime.listTasks(
          { contextId: ctx.contextId, pageSize: MAX_EARLIER_TASKS + 1, includeArtifacts: true },
          { principal: ctx.principal },
        );
        return tasks
          .filter((t) => t.id !== ctx.taskId)
          .slice(0, MAX_EARLIER_TASKS)
          .reverse();
      },
    });
    this.#loop = loop;
    this.#server = new A2AServer({
      ...serverOptions,
      card: { ...card, name, description, ...(skills ? { skills } : {}) },
      worker: loop,
      publicUrl: serverOptions.publicUrl ?? url,
    });
    this.#responses = new ResponsesHandler({
      runtime: this.#server.runtime,
      agentName: name,
      auth: serverOptions.auth,
      maxBodyBytes: serverOptions.maxBodyBytes,
      cors: serverOptions.cors,
    });
    this.#url = this.#server.url;
    return { url: this.#url, port };
  }

  /** Stop listening: running turns are aborted, the Loop's MCP client, the store and the Environment closed. */
  async close(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    await this.#server?.close();
    await this.#loop?.close();
    await this.environment?.close();
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const environment = this.environment;
    if (environment && isUnder(path, '/mcp')) {
      void environment.handler(req, res);
      return;
    }
    if (this.#responses && isUnder(path, '/v1')) {
      this.#responses.handle(req, res);
      return;
    }
    const server = this.#server;
    if (!server) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'Starting up.' } }));
      return;
    }
    server.listener(req, res);
  }
}
