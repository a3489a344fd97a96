/**
 * `ResponsesHandler`: the OpenAI Responses API (`/v1/responses`, `/v1/models`) of one agent.
 *
 * Every response is one turn of an A2A task, run on the agent's own task runtime in-process (no
 * HTTP to itself): a new conversation is a new context, `previous_response_id` continues its
 * context, and a response that ended with function calls, approval requests or a question is
 * answered by resuming the same task, as A2A `input-required` is answered.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { A2AError } from '../a2a/errors.js';
import { newId } from '../a2a/runtime/hot.js';
import type { CallContext, TaskRuntime } from '../a2a/runtime/runtime.js';
import type { Principal } from '../a2a/runtime/worker.js';
import { type Authenticator, authenticate } from '../a2a/server/auth.js';
import { slugify } from '../a2a/server/card.js';
import { Cors, type CorsOptions } from '../a2a/server/cors.js';
import { isTerminal, type Message, type Task } from '../a2a/types.js';
import { ResponsesError, toResponsesError } from './errors.js';
import { ResponseEventStream, readJsonObject, writeError, writeJson } from './http.js';
import { parseResponseId } from './ids.js';
import { type PendingCall, RESPONSE_KEY, toA2AInput } from './input.js';
import { inputItemViews, pageOfInputItems } from './input-items.js';
import { pendingCalls, ResponseBuilder, type ResponseSeed, turnMessage, turnsOf } from './output.js';
import { type CreateParams, parseCreateParams } from './params.js';
import { DEFAULT_MAX_STORED_RESPONSES, ResponseStore } from './store.js';
import { runResponseTurn } from './turn.js';
import type { ModelObject } from './types.js';

/** What the handler needs from its agent. */
export interface ResponsesHandlerOptions {
  /** The agent's task runtime: every response is an A2A task underneath. */
  runtime: TaskRuntime;
  /** The agent's name (its slug is the model id `GET /v1/models` lists). */
  agentName: string;
  /**
   * The agent's authentication (the same as its A2A server's). Callers send their credentials as
   * the `openai` client does (`Authorization: Bearer <apiKey>`) or in the header an `apiKeyAuth`
   * names; each caller sees only its own responses and conversations.
   */
  auth?: Authenticator | Authenticator[] | undefined;
  /** Which browser origins may call `/v1` (the A2A server's `cors` option; default loopback origins only). */
  cors?: CorsOptions | false | undefined;
  /** Largest request body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Most responses kept for `GET /v1/responses/{id}` (the least recently written go first). Default 1 000. */
  maxStoredResponses?: number;
}

/** Unix seconds the agent's model entry says it was created (the handler's start). */
const STARTED = Math.floor(Date.now() / 1000);

/** Serves the OpenAI Responses API for one agent. */
export class ResponsesHandler {
  readonly #runtime: TaskRuntime;
  readonly #agentName: string;
  readonly #modelId: string;
  readonly #authenticators: Authenticator[];
  readonly #maxBodyBytes: number;
  readonly #store: ResponseStore;
  readonly #cors: Cors | undefined;

  constructor(options: ResponsesHandlerOptions) {
    this.#runtime = options.runtime;
    this.#agentName = options.agentName;
    this.#modelId = slugify(options.agentName);
    const auth = options.auth;
    this.#authenticators = auth ? (Array.isArray(auth) ? auth : [auth]) : [];
    this.#maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
    this.#store = new ResponseStore(options.maxStoredResponses ?? DEFAULT_MAX_STORED_RESPONSES);
    this.#cors = options.cors === false ? undefined : new Cors(options.cors ?? {});
  }

  /** The model id callers name (and `GET /v1/models` lists): the slug of the agent's name. */
  get modelId(): string {
    return this.#modelId;
  }

  /** Handle a request whose path is `/v1` or starts with `/v1/`. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    // A browser's preflight is answered here; other requests from a page get the allow headers.
    if (origin !== undefined && this.#cors?.handle(req, res, origin)) return;
    this.#route(req, res).catch((error: unknown) => {
      if (!res.headersSent) writeError(res, toResponsesError(error));
      else res.destroy();
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = (queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt)).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    let segments: string[];
    try {
      segments = path.split('/').slice(2).map(decodeURIComponent);
    } catch {
      req.resume();
      throw new ResponsesError(400, `The path ${path} is not valid URL encoding.`, null, 'invalid_path');
    }
    // [allowed methods, handler] for the path, or undefined when nothing lives there.
    let route: [string[], () => Promise<void>] | undefined;
    if (segments.length === 1 && segments[0] === 'responses') {
      route = [['POST'], () => this.#create(req, res)];
    } else if (segments.length === 2 && segments[0] === 'responses') {
      const id = segments[1]!;
      route = [
        ['GET', 'DELETE'],
        () => (method === 'GET' ? this.#retrieve(req, res, id) : this.#delete(req, res, id)),
      ];
    } else if (segments.length === 3 && segments[0] === 'responses' && segments[2] === 'input_items') {
      const id = segments[1]!;
      route = [['GET'], () => this.#inputItems(req, res, id)];
    } else if (segments.length === 1 && segments[0] === 'models') {
      route = [['GET'], async () => writeJson(res, 200, { object: 'list', data: [this.#model()] })];
    } else if (segments.length === 2 && segments[0] === 'models') {
      const id = segments[1]!;
      route = [['GET'], async () => this.#retrieveModel(res, id)];
    }
    if (!route) {
      req.resume();
      throw new ResponsesError(
        404,
        `Nothing at ${path}: this agent serves POST /v1/responses, GET|DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items and GET /v1/models.`,
        null,
        'not_found',
      );
    }
    const [allowed, run] = route;
    if (!allowed.includes(method)) {
      req.resume();
      writeError(
        res,
        new ResponsesError(
          405,
          `${method} is not allowed on ${path}; use ${allowed.join(' or ')}.`,
          null,
          'method_not_allowed',
        ),
        { Allow: allowed.join(', ') },
      );
      return;
    }
    await run();
  }

  /** The caller, or a 401 when the agent requires authentication and the request has none. */
  async #principal(req: IncomingMessage): Promise<Principal | undefined> {
    if (this.#authenticators.length === 0) return undefined;
    const principal = await authenticate(this.#authenticators, req);
    if (principal) return principal;
    req.resume();
    throw new ResponsesError(
      401,
      `Authentication required (${this.#authenticators.map((a) => a.name).join(' or ')}): pass your key as the openai client's apiKey.`,
      null,
      'invalid_api_key',
    );
  }

  #model(): ModelObject {
    return { id: this.#modelId, object: 'model', created: STARTED, owned_by: this.#agentName };
  }

  async #retrieveModel(res: ServerResponse, id: string): Promise<void> {
    if (id !== this.#modelId && id !== this.#agentName) {
      throw new ResponsesError(
        404,
        `The model '${id}' does not exist; this agent is '${this.#modelId}'.`,
        null,
        'model_not_found',
      );
    }
    writeJson(res, 200, this.#model());
  }

  async #retrieve(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const principal = await this.#principal(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('stream') === 'true') {
      throw ResponsesError.invalid(
        'stream',
        'Streaming a stored response again is not supported; GET it without stream.',
        'unsupported_parameter',
      );
    }
    const entry = this.#store.get(id, principal?.id);
    if (!entry) throw notFound(id);
    writeJson(res, 200, entry.response);
  }

  async #inputItems(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const principal = await this.#principal(req);
    const entry = this.#store.get(id, principal?.id);
    if (!entry) throw notFound(id);
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    writeJson(res, 200, pageOfInputItems(inputItemViews(id, entry.input), query));
  }

  async #delete(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const principal = await this.#principal(req);
    if (!this.#store.delete(id, principal?.id)) throw notFound(id);
    writeJson(res, 200, { id, object: 'response', deleted: true });
  }

  async #create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const principal = await this.#principal(req);
    const params = parseCreateParams(await readJsonObject(req, this.#maxBodyBytes));
    const call: CallContext = { principal };

    // Which conversation, and whether this input answers a turn the task is waiting on.
    let contextId: string | undefined;
    let resumed: Task | undefined;
    let pending: PendingCall[] | undefined;
    if (params.previousResponseId !== null) {
      const previous = await this.#previous(params.previousResponseId, principal);
      const { task, turn } = previous;
      contextId = task.contextId;
      const latest = turn === turnsOf(task);
      const state = task.status.state;
      if (latest && (state === 'TASK_STATE_INPUT_REQUIRED' || state === 'TASK_STATE_AUTH_REQUIRED')) {
        resumed = task;
        pending = pendingCalls(task);
      } else if (latest && !isTerminal(state)) {
        throw ResponsesError.invalid(
          'previous_response_id',
          `Previous response '${params.previousResponseId}' is still in progress; wait for it to finish before continuing it.`,
          'previous_response_in_progress',
        );
      }
    }
    const input = toA2AInput(params, pending);
    const message: Message = {
      messageId: newId(),
      role: 'ROLE_USER',
      parts: input.parts,
      metadata: input.metadata,
      ...(resumed ? { taskId: resumed.id } : {}),
      ...(contextId ? { contextId } : {}),
    };

    const stream = params.stream ? new ResponseEventStream(res) : undefined;
    const owner = principal?.id;
    const response = await runResponseTurn({
      runtime: this.#runtime,
      call,
      message,
      turn: resumed ? turnsOf(resumed) + 1 : 1,
      builder: new ResponseBuilder(this.#seed(params), stream ? (e) => stream.write(e) : () => {}, resumed),
      stream,
      followWhenGone: params.store,
      onResponse: (response, { taskId, contextId }) => {
        if (params.store) this.#store.put({ response, owner, taskId, contextId, input: params.items });
      },
    });
    if (stream) stream.end();
    else if (response) writeJson(res, 200, response);
  }

  #seed(params: CreateParams): ResponseSeed {
    return {
      model: params.model ?? this.#modelId,
      instructions: params.instructions,
      tools: params.tools,
      previousResponseId: params.previousResponseId,
      store: params.store,
      metadata: params.metadata,
      temperature: params.temperature,
      topP: params.topP,
      maxOutputTokens: params.maxOutputTokens,
      parallelToolCalls: params.parallelToolCalls,
      serverLabel: this.#modelId,
    };
  }

  /**
   * The task and turn of a `previous_response_id`, if the caller may continue it: a stored response
   * of this caller (kept in memory, or, after a restart or eviction, found through its task).
   */
  async #previous(id: string, principal: Principal | undefined): Promise<{ task: Task; turn: number }> {
    const missing = () =>
      ResponsesError.invalid(
        'previous_response_id',
        `Previous response with id '${id}' not found. Only stored responses (store: true) of the same caller can be continued.`,
        'previous_response_not_found',
      );
    const ref = parseResponseId(id);
    if (!ref) throw missing();
    const kept = this.#store.get(id, principal?.id);
    let task: Task;
    try {
      task = await this.#runtime.getTask(ref.taskId, undefined, { principal });
    } catch (error) {
      if (error instanceof A2AError && error.kind === 'TaskNotFound') throw missing();
      throw error;
    }
    if (!kept) {
      // Not in memory: the turn's own message says whether it was a stored response of ours.
      const meta = turnMessage(task, ref.turn)?.metadata?.[RESPONSE_KEY];
      if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || meta.store === false)
        throw missing();
    }
    return { task, turn: ref.turn };
  }
}

function notFound(id: string): ResponsesError {
  return new ResponsesError(404, `Response with id '${id}' not found.`, null, 'not_found');
}
