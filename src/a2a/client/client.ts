/**
 * `A2AClient`: talk to any A2A agent — Timestep's or anyone's.
 *
 * ```ts
 * const client = await A2AClient.connect('http://127.0.0.1:8000');
 * const task = await client.send('hello');
 * for await (const event of client.stream('tell me a story')) console.log(event);
 * ```
 *
 * It reads the agent card, picks JSON-RPC or REST and A2A 1.0 (falling back to 0.3 for older
 * agents), retries network failures, 429 and 5xx with backoff, applies a per-call timeout,
 * and resumes dropped streams with `Last-Event-ID`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type {
  AgentCard,
  ListTasksRequest,
  ListTasksResponse,
  Message,
  Part,
  SendMessageConfiguration,
  StreamResponse,
  Task,
  TaskPushNotificationConfig,
  TaskState,
} from '../types.js';
import { isInterrupted, isTerminal } from '../types.js';
import {
  type Binding,
  type CallSettings,
  JsonRpcBinding,
  type Operation,
  RestBinding,
  type StreamItem,
} from './bindings.js';
import { A2AClientError } from './errors.js';
import { cardFromV03 } from './v03-parse.js';

/** Which binding to use. `auto` follows the card's order, preferring A2A 1.0. */
export type TransportPreference = 'auto' | 'jsonrpc' | 'rest' | 'jsonrpc-0.3';

/** Options of a client. */
export interface A2AClientOptions {
  /** Default `auto`. */
  transport?: TransportPreference;
  /** Headers for every request (auth, tracing…); a function is called per request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Timeout per call in ms (for streams: until the stream opens). Default 60 000. */
  timeoutMs?: number;
  /** Retries on network failures, 429 and 5xx (not 501). Default 3 attempts, 200 ms base, 5 s cap. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** A `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** What to send: text, parts, or a full message; plus where it belongs. */
export interface SendInput {
  text?: string;
  parts?: Part[];
  /** Continue this task (after `input-required`). */
  taskId?: string;
  /** Stay in this conversation. */
  contextId?: string;
  referenceTaskIds?: string[];
  metadata?: Message['metadata'];
  /** Reuse an id when retrying by hand; default a new UUID. */
  messageId?: string;
  configuration?: SendMessageConfiguration;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function joinText(parts: readonly Part[]): string {
  let text = '';
  for (const part of parts) if ('text' in part) text += part.text;
  return text;
}

/**
 * The text of a task's artifacts, one line per artifact (chunks of a streamed artifact are
 * joined as sent), or, when it has none, the text of its status message.
 */
export function taskText(task: Task): string {
  const texts = (task.artifacts ?? []).map((a) => joinText(a.parts)).filter((t) => t !== '');
  if (texts.length === 0 && task.status.message) return joinText(task.status.message.parts);
  return texts.join('\n');
}

/**
 * Fold one stream event into the task it is about, as the server holds it: a `task` event replaces
 * it, a status update sets the status (its message joins the history), an artifact update adds,
 * appends to or replaces the artifact. Events of another task, and messages, leave it unchanged.
 * Returns a new task; `task` is not modified.
 */
export function applyStreamEvent(task: Task | undefined, event: StreamResponse): Task | undefined {
  if ('task' in event) return event.task;
  if (!task) return task;
  if ('statusUpdate' in event) {
    const { status, taskId } = event.statusUpdate;
    if (taskId !== task.id) return task;
    const history = status.message ? [...(task.history ?? []), status.message] : task.history;
    return { ...task, status, ...(history ? { history } : {}) };
  }
  if ('artifactUpdate' in event) {
    const { artifact, append, taskId } = event.artifactUpdate;
    if (taskId !== task.id) return task;
    const artifacts = [...(task.artifacts ?? [])];
    const at = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
    if (at === -1) artifacts.push(artifact);
    else if (append)
      artifacts[at] = { ...artifacts[at]!, parts: [...artifacts[at]!.parts, ...artifact.parts] };
    else artifacts[at] = artifact;
    return { ...task, artifacts };
  }
  return task;
}

/** An A2A client bound to one agent. */
export class A2AClient {
  /** The agent's card. */
  readonly card: AgentCard;
  /** The binding in use. */
  readonly binding: Binding;
  readonly #options: A2AClientOptions;

  constructor(card: AgentCard, options: A2AClientOptions = {}) {
    this.card = card;
    this.#options = options;
    this.binding = A2AClient.#pickBinding(card, options.transport ?? 'auto');
  }

  /** Fetch the agent card at `url` (a base URL or the card's own URL) and connect. */
  static async connect(url: string, options: A2AClientOptions = {}): Promise<A2AClient> {
    return new A2AClient(await A2AClient.fetchCard(url, options), options);
  }

  /** Fetch an agent's card (v1.0 at `/.well-known/agent-card.json`, else v0.3 at `/.well-known/agent.json`). */
  static async fetchCard(url: string, options: A2AClientOptions = {}): Promise<AgentCard> {
    const doFetch = options.fetch ?? fetch;
    const headers = typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
    const base = url.replace(/\/\.well-known\/agent(-card)?\.json$/, '').replace(/\/+$/, '');
    const candidates = url.endsWith('.json')
      ? [url]
      : [`${base}/.well-known/agent-card.json`, `${base}/.well-known/agent.json`];
    let lastError: unknown;
    for (const candidate of candidates) {
      let response: Response;
      try {
        response = await doFetch(candidate, {
          headers: { ...headers, Accept: 'application/json', 'A2A-Version': '1.0' },
          signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
        });
      } catch (err) {
        const reason =
          err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
        throw new A2AClientError(`Could not reach ${candidate}: ${reason}. Is the agent running?`, {
          retryable: true,
          cause: err,
        });
      }
      if (response.status === 404) {
        lastError = new A2AClientError(`No agent card at ${candidate} (HTTP 404).`, { httpStatus: 404 });
        continue;
      }
      if (!response.ok)
        throw new A2AClientError(`Fetching ${candidate} failed: HTTP ${response.status}.`, {
          httpStatus: response.status,
        });
      let raw: unknown;
      try {
        raw = await response.json();
      } catch {
        throw new A2AClientError(`${candidate} is not a JSON agent card.`);
      }
      const card = raw as Partial<AgentCard> & Record<string, unknown>;
      if (Array.isArray(card.supportedInterfaces) && card.supportedInterfaces.length > 0)
        return card as AgentCard;
      return cardFromV03(raw);
    }
    throw lastError;
  }

  static #pickBinding(card: AgentCard, preference: TransportPreference): Binding {
    const interfaces = card.supportedInterfaces;
    const wanted: Array<[string, string]> =
      preference === 'jsonrpc'
        ? [['JSONRPC', '1.0']]
        : preference === 'rest'
          ? [['HTTP+JSON', '1.0']]
          : preference === 'jsonrpc-0.3'
            ? [['JSONRPC', '0.3']]
            : [];
    const matches = (binding: string, version: string) =>
      interfaces.find(
        (i) => i.protocolBinding === binding && (i.protocolVersion || '0.3').startsWith(version),
      );
    let chosen: AgentCard['supportedInterfaces'][number] | undefined;
    if (wanted.length > 0) chosen = matches(wanted[0]![0], wanted[0]![1]);
    else {
      // The card's order is the agent's preference; take the first 1.0 interface we speak, else a 0.3 one.
      chosen =
        interfaces.find(
          (i) =>
            (i.protocolBinding === 'JSONRPC' || i.protocolBinding === 'HTTP+JSON') &&
            i.protocolVersion?.startsWith('1.'),
        ) ?? interfaces.find((i) => i.protocolBinding === 'JSONRPC');
    }
    if (!chosen) {
      const offered = interfaces.map((i) => `${i.protocolBinding} ${i.protocolVersion}`).join(', ') || 'none';
      throw new A2AClientError(
        `${card.name} offers no interface this client can use for '${preference}' (it offers: ${offered}).`,
      );
    }
    if (chosen.protocolBinding === 'HTTP+JSON') return new RestBinding(chosen.url);
    return new JsonRpcBinding(chosen.url, chosen.protocolVersion?.startsWith('1.') ? '1.0' : '0.3');
  }

  // ---- messages --------------------------------------------------------------------------

  /** Build a user message from text or `SendInput`. */
  static message(input: string | SendInput): Message {
    const spec: SendInput = typeof input === 'string' ? { text: input } : input;
    const parts = spec.parts ?? (spec.text !== undefined ? [{ text: spec.text }] : []);
    if (parts.length === 0) throw new A2AClientError('A message needs text or parts.');
    const message: Message = { messageId: spec.messageId ?? randomUUID(), role: 'ROLE_USER', parts };
    if (spec.taskId) message.taskId = spec.taskId;
    if (spec.contextId) message.contextId = spec.contextId;
    if (spec.referenceTaskIds) message.referenceTaskIds = spec.referenceTaskIds;
    if (spec.metadata) message.metadata = spec.metadata;
    return message;
  }

  /** Send a message and wait for the task to finish or need input (or get a direct Message). */
  async send(input: string | SendInput, options: CallOptions = {}): Promise<Task | Message> {
    const params = this.#sendParams(input);
    const result = (await this.#call('SendMessage', params, options)) as { task?: Task; message?: Message };
    if (result.task) return result.task;
    if (result.message) return result.message;
    throw new A2AClientError('The agent answered SendMessage with neither a task nor a message.', {
      kind: 'InvalidAgentResponse',
    });
  }

  /**
   * Send a message and stream its events. Opening the stream is retried like any call (the
   * message keeps its id, so the agent runs the work once). If the connection drops, or the
   * stream ends before the turn does, it resumes through `SubscribeToTask` with the last event id.
   */
  async *stream(input: string | SendInput, options: CallOptions = {}): AsyncGenerator<StreamResponse> {
    const params = this.#sendParams(input);
    const attempts = this.#options.retry?.attempts ?? 3;
    let taskId: string | undefined;
    let lastId: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const item of this.#openStream('SendStreamingMessage', params, options, undefined)) {
          lastId = item.id ?? lastId;
          taskId ??= A2AClient.#taskIdOf(item.payload);
          yield item.payload;
          if (A2AClient.#endsTurn(item.payload)) return;
        }
        // The stream ended before the turn did (a proxy or the agent closed it): follow the task.
        if (taskId === undefined) return;
        break;
      } catch (err) {
        if (!(err instanceof A2AClientError && err.retryable)) throw err;
        // The stream broke mid-turn: follow the task from where we were.
        if (taskId !== undefined) break;
        if (attempt + 1 >= attempts) throw err;
      }
      await sleep(this.#delay(attempt), options.signal);
    }
    yield* this.#follow(taskId, lastId, options, true);
  }

  /** `SubscribeToTask`: a snapshot, then live events until the task ends; resumes after drops. */
  subscribe(
    taskId: string,
    options: CallOptions & { lastEventId?: string } = {},
  ): AsyncGenerator<StreamResponse> {
    return this.#follow(taskId, options.lastEventId, options, false);
  }

  async *#follow(
    taskId: string,
    lastEventId: string | undefined,
    options: CallOptions,
    untilTurnEnds: boolean,
  ): AsyncGenerator<StreamResponse> {
    const attempts = this.#options.retry?.attempts ?? 3;
    let lastId = lastEventId;
    for (let attempt = 0; ; attempt++) {
      const resumedFrom = lastId;
      let state: TaskState | undefined;
      let failure: unknown;
      try {
        for await (const item of this.#openStream('SubscribeToTask', { id: taskId }, options, lastId)) {
          lastId = item.id ?? lastId;
          yield item.payload;
          state = A2AClient.#stateOf(item.payload) ?? state;
          if (state && (isTerminal(state) || (untilTurnEnds && isInterrupted(state)))) return;
        }
        // A clean end after the task stopped for input is the agent's choice (the SDK does so).
        if (state && isInterrupted(state)) return;
      } catch (err) {
        if (!(err instanceof A2AClientError && err.retryable)) throw err;
        failure = err;
      }
      // New events mean the connection made progress: reconnect at once, with the budget reset.
      if (lastId !== undefined && lastId !== resumedFrom) {
        attempt = -1;
        continue;
      }
      if (attempt + 1 >= attempts) {
        throw (
          failure ??
          new A2AClientError(`The stream of task '${taskId}' keeps ending before the task does.`, {
            retryable: true,
          })
        );
      }
      await sleep(this.#delay(attempt), options.signal);
    }
  }

  // ---- tasks -----------------------------------------------------------------------------

  /** `GetTask`. */
  async getTask(taskId: string, options: CallOptions & { historyLength?: number } = {}): Promise<Task> {
    const params: Record<string, unknown> = { id: taskId };
    if (options.historyLength !== undefined) params.historyLength = options.historyLength;
    return (await this.#call('GetTask', params, options)) as Task;
  }

  /** `ListTasks` (A2A 1.0 agents). */
  async listTasks(request: ListTasksRequest = {}, options: CallOptions = {}): Promise<ListTasksResponse> {
    return (await this.#call('ListTasks', { ...request }, options)) as ListTasksResponse;
  }

  /** `CancelTask`. */
  async cancel(taskId: string, options: CallOptions = {}): Promise<Task> {
    return (await this.#call('CancelTask', { id: taskId }, options)) as Task;
  }

  /** Register a webhook for a task's updates. */
  async createPushConfig(
    taskId: string,
    config: Omit<TaskPushNotificationConfig, 'taskId'>,
    options: CallOptions = {},
  ): Promise<TaskPushNotificationConfig> {
    return (await this.#call(
      'CreateTaskPushNotificationConfig',
      { ...config, taskId },
      options,
    )) as TaskPushNotificationConfig;
  }

  /** One webhook config of a task. */
  async getPushConfig(
    taskId: string,
    configId: string,
    options: CallOptions = {},
  ): Promise<TaskPushNotificationConfig> {
    return (await this.#call(
      'GetTaskPushNotificationConfig',
      { taskId, id: configId },
      options,
    )) as TaskPushNotificationConfig;
  }

  /** All webhook configs of a task. */
  async listPushConfigs(taskId: string, options: CallOptions = {}): Promise<TaskPushNotificationConfig[]> {
    const result = (await this.#call('ListTaskPushNotificationConfigs', { taskId }, options)) as {
      configs?: TaskPushNotificationConfig[];
    };
    return result.configs ?? [];
  }

  /** Remove a webhook config. */
  async deletePushConfig(taskId: string, configId: string, options: CallOptions = {}): Promise<void> {
    await this.#call('DeleteTaskPushNotificationConfig', { taskId, id: configId }, options);
  }

  /** The extended card (for authenticated callers of agents that have one). */
  async getExtendedCard(options: CallOptions = {}): Promise<AgentCard> {
    return (await this.#call('GetExtendedAgentCard', {}, options)) as AgentCard;
  }

  // ---- plumbing --------------------------------------------------------------------------

  #sendParams(input: string | SendInput): Record<string, unknown> {
    const params: Record<string, unknown> = { message: A2AClient.message(input) };
    if (typeof input !== 'string' && input.configuration) params.configuration = input.configuration;
    return params;
  }

  async #settings(
    options: CallOptions,
  ): Promise<{ settings: CallSettings; opened: () => void; done: () => void }> {
    const base =
      typeof this.#options.headers === 'function'
        ? await this.#options.headers()
        : (this.#options.headers ?? {});
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 60_000;
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new A2AClientError(`No answer from ${this.card.name} within ${timeoutMs} ms.`, {
            retryable: false,
          }),
        ),
      timeoutMs,
    );
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const settings: CallSettings = {
      headers: { ...base, ...options.headers },
      signal: controller.signal,
      fetch: this.#options.fetch ?? fetch,
    };
    // A stream's timeout covers opening it only; after that the caller's signal rules.
    return { settings, opened: () => clearTimeout(timer), done };
  }

  #delay(attempt: number): number {
    const base = this.#options.retry?.baseDelayMs ?? 200;
    const cap = this.#options.retry?.maxDelayMs ?? 5_000;
    return Math.random() * Math.min(cap, base * 2 ** attempt);
  }

  async #call(operation: Operation, params: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    const attempts = this.#options.retry?.attempts ?? 3;
    for (let attempt = 0; ; attempt++) {
      const { settings, done } = await this.#settings(options);
      try {
        return await this.binding.call(operation, params, settings);
      } catch (err) {
        const aborted = settings.signal?.aborted;
        if (aborted) throw settings.signal?.reason ?? err;
        if (!(err instanceof A2AClientError && err.retryable) || attempt + 1 >= attempts) throw err;
      } finally {
        done();
      }
      // The agent's own Retry-After wins over our backoff, within the same cap.
      const cap = this.#options.retry?.maxDelayMs ?? 5_000;
      const wait =
        settings.retryAfterMs !== undefined ? Math.min(cap, settings.retryAfterMs) : this.#delay(attempt);
      await sleep(wait, options.signal);
    }
  }

  async *#openStream(
    operation: Operation,
    params: Record<string, unknown>,
    options: CallOptions,
    lastEventId: string | undefined,
  ): AsyncGenerator<StreamItem> {
    const { settings, opened, done } = await this.#settings(options);
    settings.lastEventId = lastEventId;
    const stream = this.binding.stream(operation, params, settings);
    try {
      for await (const item of stream) {
        opened();
        yield item;
      }
    } catch (err) {
      if (settings.signal?.aborted) throw settings.signal.reason ?? err;
      if (err instanceof A2AClientError) throw err;
      // A connection cut mid-stream surfaces as a plain error from the body reader.
      throw new A2AClientError(
        `The stream from ${this.card.name} broke: ${err instanceof Error ? err.message : String(err)}`,
        {
          retryable: true,
          cause: err,
        },
      );
    } finally {
      done();
    }
  }

  static #taskIdOf(payload: StreamResponse): string | undefined {
    if ('task' in payload) return payload.task.id;
    if ('statusUpdate' in payload) return payload.statusUpdate.taskId;
    if ('artifactUpdate' in payload) return payload.artifactUpdate.taskId;
    return undefined;
  }

  static #stateOf(payload: StreamResponse) {
    if ('task' in payload) return payload.task.status.state;
    if ('statusUpdate' in payload) return payload.statusUpdate.status.state;
    return undefined;
  }

  static #endsTurn(payload: StreamResponse): boolean {
    if ('message' in payload) return true;
    const state = A2AClient.#stateOf(payload);
    return state !== undefined && (isTerminal(state) || isInterrupted(state));
  }
}
