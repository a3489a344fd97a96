/**
 * The Environment: an MCP server that defines an agent's world (tools, system prompt, handoff).
 *
 * @module
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import {
  hostHeaderValidation,
  type NodeMcpRequestHandler,
  NodeStreamableHTTPServerTransport,
  originValidation,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import {
  type CallToolResult,
  createMcpHandler,
  createRequestStateCodec,
  inputRequired,
  isInitializeRequest,
  isLegacyRequest,
  type McpHttpHandler,
  McpServer,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { listenHttp } from '../http/listen.js';
import { normalizeUrl } from '../http/url.js';
import { type EnvironmentTool, encodeToolResult } from './tool.js';

/** An agent the built-in `handoff` tool may hand off to. */
export interface HandoffTarget {
  /** The agent's A2A URL (what the model passes as `agent_uri`). */
  url: string;
  /** Display name (from its agent card). */
  name?: string;
  /** What the agent does (from its agent card). */
  description?: string;
  /** Skill names or short descriptions (from its agent card). */
  skills?: string[];
}

/** Options for {@link Environment}. */
export interface EnvironmentOptions {
  /** MCP server name. */
  name: string;
  /** MCP server version (default `0.1.0`). */
  version?: string;
  /** The system prompt, or a function of the agent's name; served as the MCP prompt `system_prompt`. */
  systemPrompt: string | ((agentName: string) => string);
  /** The Environment's tools. */
  tools?: EnvironmentTool[];
  /**
   * The built-in `handoff` tool (default `true`). `false` removes it; `true` offers it with no
   * allowlist (any `agent_uri` is accepted); `{ agents }` restricts it to the listed agents, which
   * its description lists for the model.
   */
  handoff?: boolean | { agents: HandoffTarget[] };
  /**
   * How long a handoff may take, in milliseconds (default 30 minutes). On 2025-11-25 sessions this is
   * the timeout of the server→client sampling request; on 2026-07-28 it bounds the validity of the
   * signed `requestState`.
   */
  handoffTimeoutMs?: number;
  /**
   * HMAC key (at least 32 bytes) that signs the 2026-07-28 `requestState`. Defaults to a random
   * per-process key, which only works when one process serves every round of a call: when several
   * processes serve the Environment (behind a load balancer), they MUST share this key.
   */
  stateSecret?: string | Uint8Array;
  /** Extra hostnames (without port) accepted in `Host`/`Origin`, beside `localhost`, `127.0.0.1`, `[::1]`. */
  allowedHosts?: string[];
  /** Largest accepted request body in bytes (default 4 MiB, room for long handoff replies). */
  maxBodyBytes?: number;
  /** A 2025-11-25 session idle this long (milliseconds) is closed (default 30 minutes). */
  sessionIdleMs?: number;
  /** Most concurrent 2025-11-25 sessions (default 1000); beyond it the least recently used idle one is closed. */
  maxSessions?: number;
  /** Called with errors that are not answered to a client (transport and server errors). */
  onError?: (error: Error) => void;
}

/** What {@link Environment.listen} resolves with. */
export interface ListeningEnvironment {
  /** The MCP endpoint URL (`http://host:port/mcp`). */
  url: string;
  /** The bound port. */
  port: number;
}

/** The payload carried (signed) in the 2026-07-28 `requestState` of a pending handoff. */
interface HandoffState {
  agent_uri: string;
  context_id?: string;
  digest: string;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  active: number;
}

const DEFAULT_HANDOFF_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
const DEFAULT_MAX_SESSIONS = 1000;
const HANDOFF_INPUT_KEY = 'handoff';
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

const handoffParameters = z.object({
  agent_uri: z.string().min(1).describe('URL of the agent to hand off to, exactly as listed.'),
  message: z.string().min(1).describe('What to ask the agent, with all the context it needs.'),
  context_id: z
    .string()
    .optional()
    .describe('Context id returned by an earlier handoff to the same agent, to continue that conversation.'),
});

const promptArguments = z.object({
  agent_name: z.string().describe('Name of the agent the system prompt is for.'),
});

function textResult(text: string, isError = false): CallToolResult {
  return isError
    ? { content: [{ type: 'text', text }], isError: true }
    : { content: [{ type: 'text', text }] };
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Extract the text of a sampling answer (`CreateMessageResult`, content block or blocks). */
function samplingText(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const content = (result as { content?: unknown }).content;
  const blocks = Array.isArray(content) ? content : [content];
  const texts: string[] = [];
  for (const block of blocks) {
    if (typeof block === 'object' && block !== null) {
      const { type, text } = block as { type?: unknown; text?: unknown };
      if (type === 'text' && typeof text === 'string') texts.push(text);
    }
  }
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/**
 * An MCP server that defines an agent's world: its tools, its system prompt (the MCP prompt
 * `system_prompt`), and the built-in `handoff` tool.
 *
 * It serves Streamable HTTP for both protocol families: the session-based 2025-11-25 family (each
 * session gets its own MCP server instance; handoff sampling is a server→client
 * `sampling/createMessage` request tied to the tool call) and 2026-07-28 (handoff sampling is carried
 * in an `input_required` tool result with a signed `requestState`).
 *
 * Mount {@link Environment.handler} at `/mcp` in a `node:http` server, or use
 * {@link Environment.listen} to serve it standalone.
 */
export class Environment {
  /** The MCP server name. */
  readonly name: string;
  /** The MCP server version. */
  readonly version: string;
  /** The handoff allowlist (normalized URL → target), or `undefined` when any target is accepted. */
  readonly handoffTargets: ReadonlyMap<string, HandoffTarget> | undefined;
  /** Whether the built-in `handoff` tool is offered. */
  readonly handoffEnabled: boolean;

  /**
   * A `node:http` request handler serving the MCP endpoint (mount it at `/mcp`). A pre-parsed JSON
   * body (e.g. from `express.json()`) may be passed as third argument.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) => Promise<void>;

  readonly #options: EnvironmentOptions;
  readonly #tools: EnvironmentTool[];
  readonly #handoffDescription: string;
  readonly #handoffTimeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #sessionIdleMs: number;
  readonly #maxSessions: number;
  readonly #codec: RequestStateCodec<HandoffState>;
  readonly #hostGuard: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly #originGuard: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly #sessions = new Map<string, Session>();
  readonly #modern: McpHttpHandler;
  readonly #modernNode: NodeMcpRequestHandler;
  #sweeper: NodeJS.Timeout | undefined;
  #httpServer: HttpServer | undefined;
  #closed = false;
  #systemPrompt: string | ((agentName: string) => string);

  /** Create an Environment. Nothing is served until {@link Environment.handler} is mounted or {@link Environment.listen} is called. */
  constructor(options: EnvironmentOptions) {
    this.#options = options;
    this.#systemPrompt = options.systemPrompt;
    this.name = options.name;
    this.version = options.version ?? '0.1.0';
    this.#tools = [...(options.tools ?? [])];
    const handoff = options.handoff ?? true;
    this.handoffEnabled = handoff !== false;
    const names = new Set<string>();
    for (const t of this.#tools) {
      if (names.has(t.name)) throw new TypeError(`Duplicate tool name: ${t.name}`);
      if (t.name === 'handoff' && this.handoffEnabled) {
        throw new TypeError(
          'Tool name "handoff" is reserved for the built-in handoff tool (set handoff: false)',
        );
      }
      names.add(t.name);
    }
    if (typeof handoff === 'object') {
      const targets = new Map<string, HandoffTarget>();
      for (const agent of handoff.agents) targets.set(normalizeUrl(agent.url), agent);
      this.handoffTargets = targets;
    }
    this.#handoffDescription = this.#describeHandoff();
    this.#handoffTimeoutMs = options.handoffTimeoutMs ?? DEFAULT_HANDOFF_TIMEOUT_MS;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#sessionIdleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#codec = createRequestStateCodec<HandoffState>({
      key: options.stateSecret ?? randomBytes(32),
      ttlSeconds: Math.ceil(this.#handoffTimeoutMs / 1000) + 60,
      bind: (ctx) => `${ctx.mcpReq.method}\0handoff`,
    });
    const hosts = [...LOCAL_HOSTS, ...(options.allowedHosts ?? [])];
    this.#hostGuard = hostHeaderValidation(hosts);
    this.#originGuard = originValidation(hosts);
    this.#modern = createMcpHandler(() => this.#createServer(), {
      legacy: 'reject',
      maxRequestBodySize: this.#maxBodyBytes,
      onerror: (error) => this.#reportError(error),
    });
    this.#modernNode = toNodeHandler(this.#modern, {
      maxRequestBodySize: this.#maxBodyBytes,
      onerror: (error) => this.#reportError(error),
    });
    this.handler = (req, res, parsedBody) => this.#handle(req, res, parsedBody);
  }

  /** The tools this Environment serves (without the built-in `handoff`). */
  get tools(): readonly EnvironmentTool[] {
    return this.#tools;
  }

  /** Number of open 2025-11-25 sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** The system prompt for an agent. */
  systemPrompt(agentName: string): string {
    const prompt = this.#systemPrompt;
    return typeof prompt === 'function' ? prompt(agentName) : prompt;
  }

  /**
   * Replace the system prompt and tell connected clients (`notifications/prompts/list_changed` on
   * every open session): a Loop caches the prompt and fetches it again on that notice. Changing what
   * a `systemPrompt` function returns without calling this reaches only new connections.
   */
  setSystemPrompt(prompt: string | ((agentName: string) => string)): void {
    this.#systemPrompt = prompt;
    for (const session of this.#sessions.values()) {
      if (session.server.isConnected()) session.server.sendPromptListChanged();
    }
  }

  /**
   * Serve the Environment standalone on `http://host:port/mcp` (port `0` picks a free port).
   * Only `localhost`/`127.0.0.1`/`[::1]` and the configured `allowedHosts` are accepted as `Host`.
   */
  async listen(options: { port?: number; host?: string } = {}): Promise<ListeningEnvironment> {
    if (this.#httpServer) throw new Error('Environment is already listening');
    const host = options.host ?? '127.0.0.1';
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/mcp' || path === '/mcp/') {
        void this.handler(req, res);
        return;
      }
      sendJsonRpcError(res, 404, -32601, 'Not found: the MCP endpoint is /mcp');
    });
    this.#httpServer = server;
    const { port, baseUrl } = await listenHttp(server, options.port ?? 0, host);
    return { url: `${baseUrl}/mcp`, port };
  }

  /** Close every session and, when listening, the HTTP server. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(sessions.map((s) => this.#closeSession(s)));
    await this.#modern.close();
    const server = this.#httpServer;
    this.#httpServer = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  #reportError(error: Error): void {
    this.#options.onError?.(error);
  }

  #describeHandoff(): string {
    const intro =
      'Hand the conversation off to another agent and return its reply. Pass `agent_uri` exactly as ' +
      'listed and a self-contained `message`. To continue an earlier conversation with the same agent, ' +
      'pass the `context_id` it returned.';
    if (this.handoffTargets === undefined) {
      return `${intro}\n\nNo handoff targets are configured: only hand off to an agent URL the user gave you.`;
    }
    if (this.handoffTargets.size === 0) {
      return `${intro}\n\nNo handoff targets are configured, so every handoff will be refused.`;
    }
    const lines = [...this.handoffTargets.values()].map((agent) => {
      let line = `- ${agent.name ?? agent.url} (agent_uri: ${agent.url})`;
      if (agent.description) line += `: ${agent.description}`;
      if (agent.skills && agent.skills.length > 0) line += ` Skills: ${agent.skills.join(', ')}.`;
      return line;
    });
    return `${intro}\n\nAllowed agents:\n${lines.join('\n')}`;
  }

  /** A fresh MCP server instance with the Environment's tools, prompt and handoff registered. */
  #createServer(): McpServer {
    const server = new McpServer(
      { name: this.name, version: this.version },
      {
        capabilities: { tools: {}, prompts: { listChanged: true } },
        inputRequired: { roundTimeoutMs: this.#handoffTimeoutMs, maxRounds: 2 },
        requestState: { verify: (state, ctx) => this.#codec.verify(state, ctx) },
      },
    );
    server.server.onerror = (error) => this.#reportError(error);
    for (const t of this.#tools) {
      server.registerTool(
        t.name,
        {
          description: t.description,
          inputSchema: t.parameters,
          ...(t.annotations ? { annotations: t.annotations } : {}),
          ...(Object.keys(t.meta).length > 0 ? { _meta: t.meta } : {}),
        },
        async (args, ctx) => {
          try {
            const value = await t.execute(args, {
              signal: ctx.mcpReq.signal,
              ...(ctx.sessionId ? { sessionId: ctx.sessionId } : {}),
              ...(ctx.mcpReq._meta ? { meta: ctx.mcpReq._meta } : {}),
            });
            return textResult(encodeToolResult(value));
          } catch (error) {
            return textResult(error instanceof Error ? error.message : String(error), true);
          }
        },
      );
    }
    server.registerPrompt(
      'system_prompt',
      {
        description: 'The system prompt of an agent living in this Environment.',
        argsSchema: promptArguments,
      },
      ({ agent_name }) => ({
        messages: [{ role: 'user', content: { type: 'text', text: this.systemPrompt(agent_name) } }],
      }),
    );
    if (this.handoffEnabled) {
      server.registerTool(
        'handoff',
        {
          description: this.#handoffDescription,
          inputSchema: handoffParameters,
          annotations: { title: 'Hand off to another agent', readOnlyHint: false, openWorldHint: true },
        },
        (args, ctx) => this.#handoff(args, ctx),
      );
    }
    return server;
  }

  /**
   * The `handoff` tool. It asks the client for sampling with `metadata.agent_uri` (and `context_id`):
   * on 2026-07-28 as an `input_required` result (the client answers and retries with the signed
   * `requestState`); on 2025-11-25 sessions the SDK's legacy shim turns the same result into a
   * `sampling/createMessage` request tied to the call (`relatedRequestId`, the call's signal, and the
   * handoff timeout) and re-enters this handler with the answer.
   */
  async #handoff(
    args: z.infer<typeof handoffParameters>,
    ctx: ServerContext,
  ): Promise<CallToolResult | ReturnType<typeof inputRequired>> {
    if (this.handoffTargets !== undefined && !this.handoffTargets.has(normalizeUrl(args.agent_uri))) {
      const allowed = [...this.handoffTargets.values()].map((a) => a.url);
      return textResult(
        allowed.length > 0
          ? `Handoff refused: ${args.agent_uri} is not an allowed agent. Allowed agents: ${allowed.join(', ')}`
          : `Handoff refused: ${args.agent_uri} is not an allowed agent (no handoff targets are configured).`,
        true,
      );
    }
    const digest = createHash('sha256').update(args.message).digest('base64url');
    const state = ctx.mcpReq.requestState<HandoffState>();
    const answer = ctx.mcpReq.inputResponses?.[HANDOFF_INPUT_KEY];
    if (
      answer !== undefined &&
      typeof state === 'object' &&
      state !== null &&
      state.agent_uri === args.agent_uri &&
      state.context_id === args.context_id &&
      state.digest === digest
    ) {
      const text = samplingText(answer);
      if (text === undefined) return textResult(`Handoff to ${args.agent_uri} returned no text.`, true);
      return textResult(text);
    }
    const metadata: Record<string, string> = { agent_uri: args.agent_uri };
    if (args.context_id !== undefined) metadata.context_id = args.context_id;
    const payload: HandoffState = { agent_uri: args.agent_uri, digest };
    if (args.context_id !== undefined) payload.context_id = args.context_id;
    return inputRequired({
      inputRequests: {
        [HANDOFF_INPUT_KEY]: inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: args.message } }],
          maxTokens: 16_384,
          metadata,
        }),
      },
      requestState: await this.#codec.mint(payload, ctx),
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    if (this.#closed) {
      sendJsonRpcError(res, 503, -32000, 'Environment is closed');
      return;
    }
    if (!this.#hostGuard(req, res) || !this.#originGuard(req, res)) return;
    try {
      let body = parsedBody;
      if (body === undefined && req.method === 'POST') {
        let raw: string;
        try {
          raw = await readBody(req, this.#maxBodyBytes);
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            res.setHeader('connection', 'close');
            sendJsonRpcError(res, 413, -32600, `Request body exceeds the limit of ${error.limit} bytes`);
            return;
          }
          throw error;
        }
        try {
          body = JSON.parse(raw);
        } catch {
          sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON');
          return;
        }
      }
      const request = await toWebRequest(req, body, { maxRequestBodySize: this.#maxBodyBytes });
      if (await isLegacyRequest(request, body, { maxRequestBodySize: this.#maxBodyBytes })) {
        await this.#handleLegacy(req, res, body);
      } else {
        await this.#modernNode(req, res, body);
      }
    } catch (error) {
      this.#reportError(error instanceof Error ? error : new Error(String(error)));
      sendJsonRpcError(res, 500, -32603, 'Internal error');
    }
  }

  async #handleLegacy(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId) {
      const session = this.#sessions.get(sessionId);
      if (!session) {
        sendJsonRpcError(res, 404, -32001, 'Session not found');
        return;
      }
      await this.#serveOnSession(session, req, res, body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: no valid session id (send initialize first)');
      return;
    }
    this.#evictForCapacity();
    const server = this.#createServer();
    const session: Session = {
      server,
      transport: new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        maxRequestBodySize: this.#maxBodyBytes,
        onsessioninitialized: (id) => {
          this.#sessions.set(id, session);
          this.#startSweeper();
        },
        onsessionclosed: (id) => {
          this.#sessions.delete(id);
        },
      }),
      lastSeen: Date.now(),
      active: 0,
    };
    session.transport.onclose = () => {
      const id = session.transport.sessionId;
      if (id && this.#sessions.get(id) === session) this.#sessions.delete(id);
    };
    await server.connect(session.transport);
    await this.#serveOnSession(session, req, res, body);
  }

  async #serveOnSession(
    session: Session,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    // A long-lived GET (standalone SSE stream) does not keep a session alive on its own: only requests
    // (a tool call waiting on a handoff, say) do.
    const counts = req.method !== 'GET';
    if (counts) session.active += 1;
    session.lastSeen = Date.now();
    try {
      await session.transport.handleRequest(req, res, body);
    } finally {
      if (counts) session.active -= 1;
      session.lastSeen = Date.now();
    }
  }

  async #closeSession(session: Session): Promise<void> {
    const id = session.transport.sessionId;
    if (id && this.#sessions.get(id) === session) this.#sessions.delete(id);
    try {
      await session.server.close();
    } catch (error) {
      this.#reportError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #evictForCapacity(): void {
    if (this.#sessions.size < this.#maxSessions) return;
    let oldest: Session | undefined;
    for (const session of this.#sessions.values()) {
      if (session.active === 0 && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
    }
    if (oldest) void this.#closeSession(oldest);
  }

  #startSweeper(): void {
    if (this.#sweeper) return;
    const interval = Math.max(1000, Math.min(this.#sessionIdleMs / 2, 60_000));
    this.#sweeper = setInterval(() => this.#sweep(), interval);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#sessionIdleMs;
    for (const session of [...this.#sessions.values()]) {
      if (session.active === 0 && session.lastSeen < cutoff) void this.#closeSession(session);
    }
    if (this.#sessions.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
