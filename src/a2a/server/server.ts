/**
 * `A2AServer`: an A2A agent over `node:http`. It reads the request, authenticates the caller,
 * negotiates the protocol version and extensions, and hands the request to the JSON-RPC or
 * REST binding, which call the task runtime.
 *
 * ```ts
 * const server = new A2AServer({
 *   card: { name: 'Echo', description: 'Echoes what it gets.' },
 *   worker: (ctx) => ctx.complete(`Echo: ${ctx.userText}`),
 * });
 * const { url } = await server.listen({ port: 8000 });
 * ```
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { BodyTooLargeError, readBody } from '../../http/body.js';
import { listenHttp } from '../../http/listen.js';
import { openStore, type StoreSpec } from '../../stores/open.js';
import { serveUi } from '../../ui/serve.js';
import { A2AError } from '../errors.js';
import { PushSender, type PushSenderOptions } from '../push/sender.js';
import type { EventBus } from '../runtime/event-bus.js';
import { TaskRuntime } from '../runtime/runtime.js';
import type { Principal, Worker } from '../runtime/worker.js';
import type { AgentCard } from '../types.js';
import { cardToV03 } from '../v03.js';
import { type Authenticator, authenticate, securityDeclarations } from './auth.js';
import { type AgentCardOptions, buildAgentCard, slugify } from './card.js';
import { Cors, type CorsOptions } from './cors.js';
import { handleJsonRpc, writeJsonRpcError } from './jsonrpc.js';
import { handleRest, isRestPath, writeRestError } from './rest.js';
import { type ProtocolVersion, type TransportHost, type TransportRequest, writeJson } from './transport.js';

/** Options of an `A2AServer`. */
export interface A2AServerOptions {
  /** What the card says about the agent. */
  card: AgentCardOptions;
  /** The agent's logic, called once per turn. */
  worker: Worker;
  /**
   * Where tasks live: `'memory'`, `'sqlite'` (default: `.timestep/<agent>.db` under the working
   * directory), `'sqlite:<file>'`, or any `TaskStore`.
   */
  store?: StoreSpec;
  /** Event fan-out; default in-memory (one process). */
  bus?: EventBus;
  /** Who may call the agent. Without it, anyone who can reach the port can. */
  auth?: Authenticator | Authenticator[];
  /** Push notification delivery (SSRF-guarded), or `false` to turn push off. */
  push?: PushSenderOptions | false;
  /** The extended card for authenticated callers (needs `auth`). */
  extendedCard?: AgentCardOptions | ((principal: Principal) => AgentCardOptions | Promise<AgentCardOptions>);
  /** Largest request body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /** How long a worker may ignore cancellation before its task is canceled anyway (ms). Default 5 000. */
  cancelGraceMs?: number;
  /** The URL clients reach this server at (for the card). Default: the address it listens on. */
  publicUrl?: string;
  /** Unsent SSE bytes after which a slow client is disconnected. Default 4 MiB. */
  sseMaxBufferedBytes?: number;
  /**
   * Which web pages (browser origins) may call the agent: default loopback origins only (so the web
   * UI of another local agent can); a list of origins, `'*'`, or `false` for no CORS headers at all.
   */
  cors?: CorsOptions | false;
  /** Serve the web UI at `/ui` (default true). */
  ui?: boolean;
}

/** Where to listen. */
export interface ListenOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default `127.0.0.1`: reachable from this machine only. */
  host?: string;
}

const CARD_PATH = '/.well-known/agent-card.json';
const LEGACY_CARD_PATH = '/.well-known/agent.json';
const JSON_TYPES = ['application/json', 'application/a2a+json'];
/** Shared by every answer without extra headers (never mutated). */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_EXTENSIONS: readonly string[] = Object.freeze([]);

function isUiPath(rawUrl: string): boolean {
  return rawUrl === '/ui' || rawUrl.startsWith('/ui/') || rawUrl.startsWith('/ui?');
}

/** Negotiate the protocol version from `A2A-Version` (absent: 0.3 for JSON-RPC, as the spec says). */
function negotiateVersion(
  header: string | string[] | undefined,
  fallback: ProtocolVersion,
): ProtocolVersion | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return fallback;
  // The usual values, without splitting (this runs on every request).
  if (value === '1.0' || value === '0.3') return value;
  const [major, minor = '0'] = value.split('.');
  if (major === '1' && minor === '0') return '1.0';
  if (major === '0' && minor === '3') return '0.3';
  return undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** An A2A agent server. */
export class A2AServer {
  /** The task runtime behind the transports (for embedding and tests). */
  readonly runtime: TaskRuntime;
  readonly #options: A2AServerOptions;
  readonly #authenticators: Authenticator[];
  readonly #maxBodyBytes: number;
  readonly #supportedExtensions: Set<string>;
  readonly #host: TransportHost;
  readonly #cors: Cors | undefined;
  #baseUrl: string | undefined;
  #card: AgentCard | undefined;
  #legacyCardJson: string | undefined;
  #hybridCardJson: string | undefined;
  #cardJson: string | undefined;
  #server: Server | undefined;

  constructor(options: A2AServerOptions) {
    this.#options = options;
    this.#authenticators = options.auth ? (Array.isArray(options.auth) ? options.auth : [options.auth]) : [];
    if (options.extendedCard && this.#authenticators.length === 0) {
      throw new Error('extendedCard needs auth: the extended card is only shown to authenticated callers.');
    }
    this.#maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
    this.#cors = options.cors === false ? undefined : new Cors(options.cors ?? {});
    this.#supportedExtensions = new Set((options.card.extensions ?? []).map((e) => e.uri));
    const store = openStore(
      options.store ?? 'sqlite',
      join(process.cwd(), '.timestep', `${slugify(options.card.name)}.db`),
    );
    this.runtime = new TaskRuntime({
      worker: options.worker,
      store,
      ...(options.bus ? { bus: options.bus } : {}),
      ...(options.push === false ? {} : { push: new PushSender(options.push ?? {}) }),
      ...(options.cancelGraceMs !== undefined ? { cancelGraceMs: options.cancelGraceMs } : {}),
      inputModes: options.card.defaultInputModes ?? ['text/plain', 'application/json'],
      requiredExtensions: (options.card.extensions ?? []).filter((e) => e.required).map((e) => e.uri),
    });
    this.#baseUrl = options.publicUrl?.replace(/\/+$/, '');
    const sseMaxBufferedBytes = options.sseMaxBufferedBytes ?? 4 * 1024 * 1024;
    this.#host = {
      runtime: this.runtime,
      card: () => this.card,
      extendedCard: (principal) => this.#extendedCard(principal),
      sseMaxBufferedBytes,
    };
  }

  /** The public base URL (known once listening, or from `publicUrl`). */
  get url(): string {
    if (!this.#baseUrl) throw new Error('The server has no URL yet: call listen() or pass publicUrl.');
    return this.#baseUrl;
  }

  /** The v1.0 agent card. */
  get card(): AgentCard {
    if (!this.#card) {
      this.#card = buildAgentCard(this.#options.card, {
        baseUrl: this.url,
        pushNotifications: this.runtime.pushEnabled,
        extendedAgentCard: this.#options.extendedCard !== undefined,
        ...securityDeclarations(this.#authenticators),
      });
    }
    return this.#card;
  }

  /**
   * Handle a request if it is an A2A one (card, JSON-RPC at `/`, REST routes); resolves to
   * `false` for other paths so the caller can serve them (UI, MCP, …).
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const method = req.method ?? 'GET';
    // Only browsers send Origin: requests without it (every SDK and CLI call) skip CORS entirely.
    const origin = req.headers.origin;
    if (origin !== undefined && this.#cors?.handle(req, res, origin)) return true;
    if (path === CARD_PATH || path === LEGACY_CARD_PATH) {
      if (method !== 'GET' && method !== 'HEAD') return false;
      // v0.3 clients fetch agent-card.json too, without A2A-Version: like @a2a-js/sdk, answer
      // them with the v0.3 card, which also carries the 1.0 supportedInterfaces.
      const shape =
        path === LEGACY_CARD_PATH
          ? 'v03'
          : negotiateVersion(req.headers['a2a-version'], '0.3') === '0.3'
            ? 'hybrid'
            : 'v1';
      this.#serveCard(res, shape);
      return true;
    }
    const isJsonRpc = path === '/' && method === 'POST';
    if (!isJsonRpc && !isRestPath(path)) return false;

    const fallback: ProtocolVersion = isJsonRpc ? '0.3' : '1.0';
    const version = negotiateVersion(req.headers['a2a-version'], fallback);
    const fail = (error: A2AError, extraHeaders?: Record<string, string>) =>
      this.#fail(res, isJsonRpc, version, error, extraHeaders);
    if (!version) {
      fail(
        new A2AError(
          'VersionNotSupported',
          `A2A-Version '${firstHeader(req.headers['a2a-version'])}' is not supported; this agent speaks 1.0 and 0.3.`,
        ),
      );
      return true;
    }
    if (!isJsonRpc && version === '0.3') {
      fail(
        new A2AError(
          'VersionNotSupported',
          'The REST binding speaks A2A 1.0 only; use JSON-RPC at / for A2A 0.3.',
        ),
      );
      return true;
    }

    let principal: Principal | undefined;
    if (this.#authenticators.length > 0) {
      principal = await authenticate(this.#authenticators, req);
      if (!principal) {
        req.resume();
        const names = this.#authenticators.map((a) => a.name).join(' or ');
        fail(
          new A2AError(
            'Unauthenticated',
            `Authentication required (${names}); see securitySchemes in the agent card.`,
          ),
          {
            'WWW-Authenticate': this.#authenticators.map((a) => a.challenge).join(', '),
          },
        );
        return true;
      }
    }

    const extensions = this.#activatedExtensions(req, version);
    const headers: Record<string, string> =
      extensions.length === 0
        ? NO_HEADERS
        : { [version === '1.0' ? 'A2A-Extensions' : 'X-A2A-Extensions']: extensions.join(', ') };

    const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (method !== 'GET' && method !== 'DELETE' && contentType && !JSON_TYPES.includes(contentType)) {
      req.resume();
      const error = new A2AError(
        'ContentTypeNotSupported',
        `Content-Type '${contentType}' is not supported; send application/json.`,
        { contentType },
      );
      if (isJsonRpc) writeJsonRpcError({ res, headers, version }, null, error, 415);
      else writeRestError({ res, headers }, error);
      return true;
    }

    let body: string;
    try {
      body = method === 'GET' || method === 'DELETE' ? '' : await readBody(req, this.#maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        fail(this.#tooLarge(), { ...headers, Connection: 'close' });
        return true;
      }
      throw err;
    }
    const request: TransportRequest = {
      req,
      res,
      body,
      version,
      call: { principal, extensions, protocolVersion: version },
      headers,
    };
    if (isJsonRpc) await handleJsonRpc(this.#host, request);
    else await handleRest(this.#host, request, new URL(rawUrl, 'http://localhost'));
    return true;
  }

  /** A `node:http` request listener: A2A, the web UI under `/ui`, and 404 for anything else. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res)
      .then((handled) => {
        if (handled || res.headersSent) return;
        if (this.#options.ui !== false && isUiPath(req.url ?? '/')) {
          serveUi(req, res);
          return;
        }
        writeJson(
          res,
          404,
          JSON.stringify({ error: { code: 404, status: 'NOT_FOUND', message: `Nothing at ${req.url}.` } }),
          {},
        );
      })
      .catch((err: unknown) => {
        if (!res.headersSent) {
          const message = err instanceof Error ? err.message : String(err);
          writeJson(res, 500, JSON.stringify({ error: { code: 500, status: 'INTERNAL', message } }), {});
        } else res.destroy();
      });
  };

  /** Listen on `host:port` (default 127.0.0.1, any free port); resolves with the URL. */
  async listen(options: ListenOptions = {}): Promise<{ url: string; port: number }> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer({ keepAliveTimeout: 65_000 }, this.listener);
    this.#server = server;
    const { port, baseUrl } = await listenHttp(server, options.port ?? 0, host);
    if (!this.#options.publicUrl) {
      this.#baseUrl = baseUrl;
      this.#card = undefined;
    }
    return { url: this.url, port };
  }

  /** Stop listening, abort running workers and close the store. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.runtime.close();
  }

  #serveCard(res: ServerResponse, shape: 'v1' | 'v03' | 'hybrid'): void {
    let json: string;
    if (shape === 'v03') json = this.#legacyCardJson ??= JSON.stringify(cardToV03(this.card));
    else if (shape === 'hybrid') {
      json = this.#hybridCardJson ??= JSON.stringify({
        ...cardToV03(this.card),
        supportedInterfaces: this.card.supportedInterfaces,
      });
    } else json = this.#cardJson ??= JSON.stringify(this.card);
    writeJson(res, 200, json, {
      'Cache-Control': 'public, max-age=300',
      // Origin too: with CORS the answer carries the page's origin.
      Vary: shape === 'v03' ? 'Origin' : 'A2A-Version, Origin',
    });
  }

  /** Answer a request refused before it reached a binding, in that binding's error shape. */
  #fail(
    res: ServerResponse,
    isJsonRpc: boolean,
    version: ProtocolVersion | undefined,
    error: A2AError,
    headers: Record<string, string> = NO_HEADERS,
  ): void {
    // A client asking for a version we do not speak gets the newest error shape (with ErrorInfo).
    const request = { res, headers, version: version ?? '1.0' };
    if (!isJsonRpc) writeRestError(request, error);
    else {
      const status = error.kind === 'ParseError' || error.kind === 'InvalidRequest' ? 200 : error.httpStatus;
      writeJsonRpcError(request, null, error, status);
    }
  }

  async #extendedCard(principal: Principal | undefined): Promise<AgentCard> {
    const option = this.#options.extendedCard;
    if (!option) {
      throw new A2AError(
        'UnsupportedOperation',
        'This agent has no extended card (capabilities.extendedAgentCard is false).',
      );
    }
    if (!principal)
      throw new A2AError('Unauthenticated', 'The extended card is only shown to authenticated callers.');
    const options = typeof option === 'function' ? await option(principal) : option;
    return { ...this.card, ...buildAgentCard(options, { ...this.#cardContext() }) };
  }

  #cardContext() {
    return {
      baseUrl: this.url,
      pushNotifications: this.runtime.pushEnabled,
      extendedAgentCard: true,
      ...securityDeclarations(this.#authenticators),
    };
  }

  #activatedExtensions(req: IncomingMessage, version: ProtocolVersion): readonly string[] {
    if (this.#supportedExtensions.size === 0) return NO_EXTENSIONS;
    const raw =
      firstHeader(req.headers['a2a-extensions']) ??
      (version === '0.3' ? firstHeader(req.headers['x-a2a-extensions']) : undefined);
    if (!raw) return NO_EXTENSIONS;
    const activated = new Set<string>();
    for (const uri of raw.split(',')) {
      const trimmed = uri.trim();
      if (this.#supportedExtensions.has(trimmed)) activated.add(trimmed);
    }
    return [...activated];
  }

  #tooLarge(): A2AError {
    return new A2AError(
      'PayloadTooLarge',
      `The request body exceeds ${this.#maxBodyBytes} bytes; send less, or raise the server's maxBodyBytes.`,
    );
  }
}

/**
 * Declare an agent (its card and worker, plus any server option) with full typing, to export
 * from a module that `timestep serve` or `new A2AServer(…)` runs.
 */
export function defineAgent(options: A2AServerOptions): A2AServerOptions {
  return options;
}
