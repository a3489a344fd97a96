/**
 * The Loop: the agent runtime behind a Timestep {@link Agent}.
 *
 * Per turn it reads the system prompt (`system_prompt`) and the tools from the agent's Environment
 * over MCP, calls the model, streams its text to the A2A client as artifact chunks, runs the
 * model's tool calls on the Environment, and loops until the model answers without tool calls.
 * Handoffs arrive as MCP sampling requests from the Environment's `handoff` tool; the Loop sends the
 * message to the target agent over A2A and answers with the target's final text (DESIGN §3).
 * Calls of client-side tools, and calls that need approval, end the turn with `input-required` and a
 * `tool_calls` data part; the client's `tool_results` / `tool_approvals` resume it (see `tool-policy.ts`).
 *
 * ```ts
 * const loop = new Loop({ environmentUrl: 'http://127.0.0.1:8000/mcp', model, agentName: 'Ada' });
 * const server = new A2AServer({ card: { name: 'Ada', description: '…' }, worker: loop });
 * ```
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Client, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { A2AClient, type SendInput, taskText } from '../a2a/client/client.js';
import { type TaskContext, textOf, type WorkerFunction } from '../a2a/runtime/worker.js';
import type { JsonObject, Message, Task } from '../a2a/types.js';
import { type Model, ModelError, type ModelItem, type ModelTool } from '../models/model.js';
import {
  type ClientToolCall,
  defaultNeedsApproval,
  HANDOFF_TOOL,
  hasToolAnswers,
  isClientSide,
  itemsToJson,
  type LoopTool,
  promptText,
  type ToolExecution,
  TURN_ITEMS_METADATA_KEY,
  toolAnswersOf,
  toolCallsOf,
  turnItemsOf,
  unansweredCalls,
} from './tool-policy.js';

/** Options of a {@link Loop}. */
export interface LoopOptions {
  /** The Environment's MCP endpoint, e.g. `http://127.0.0.1:8000/mcp`. */
  environmentUrl: string;
  /** The model that drives the agent. */
  model: Model;
  /** The agent's name (passed to the `system_prompt` prompt as `agent_name`). */
  agentName: string;
  /** Most model calls in one turn (default 10); beyond it the task fails. */
  maxModelCalls?: number;
  /** Timeout of one tool call, handoffs included, in milliseconds (default 30 minutes). */
  toolTimeoutMs?: number;
  /**
   * The earlier tasks of the turn's conversation (same `contextId`, oldest first, with artifacts), so
   * the model sees what was said before this task. `Agent` wires this to its task store.
   */
  conversation?: (ctx: TaskContext) => Promise<readonly Task[]>;
  /**
   * Where tool calls run (default `server`): `server` runs them on the Environment, except tools that
   * are client-side (`_meta['timestep/clientSide']`) and calls that need approval; `client` sends every
   * call (but `handoff`) to the A2A client, as the Python Timestep does. Calls for the client end the
   * turn with `input-required` and a `tool_calls` data part (DESIGN §3).
   */
  toolExecution?: ToolExecution;
  /**
   * Whether a call of `tool` needs the user's approval. Default: its `_meta['timestep/needsApproval']`
   * or its MCP `annotations.destructiveHint` is true.
   */
  approval?: (tool: LoopTool) => boolean;
}

/** A tool call the model made, as the Loop runs it. */
/** A stable message id for a handoff (a name-based UUID of the caller's task, turn and tool call). */
function handoffMessageId(taskId: string, callId: string, turnMessageId: string): string {
  const hex = createHash('sha256').update(`${taskId}\0${turnMessageId}\0${callId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface ToolCall {
  callId: string;
  name: string;
  arguments: JsonObject;
}

/** A handoff the Loop is running, waiting for its sampling request. */
interface PendingHandoff {
  contextId: string;
  signal: AbortSignal;
  /**
   * The message id of the A2A send, fixed by the caller's task and tool call: if the tool call is
   * retried (a lost MCP session), the target sees the same message and runs the work once.
   */
  messageId: string;
}

const DEFAULT_MAX_MODEL_CALLS = 10;
const DEFAULT_TOOL_TIMEOUT_MS = 30 * 60_000;
/** Most remembered (conversation, handoff target) → target context pairs. */
const MAX_HANDOFF_CONTEXTS = 10_000;

function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when an MCP call failed because the session (or the connection) is gone: safe to redo. */
function isSessionLost(error: unknown): boolean {
  if (error instanceof SdkHttpError) return error.status === 404 || error.status === 400;
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return true;
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

/** The text of MCP content blocks (text blocks joined with newlines; others JSON-encoded). */
function contentText(content: unknown): string {
  const blocks = Array.isArray(content) ? content : content === undefined ? [] : [content];
  const texts: string[] = [];
  for (const block of blocks) {
    if (typeof block === 'object' && block !== null && (block as { type?: unknown }).type === 'text') {
      texts.push(String((block as { text?: unknown }).text ?? ''));
    } else {
      texts.push(JSON.stringify(block));
    }
  }
  return texts.join('\n');
}

/** The conversation the model sees, from the task's history. */
function historyItems(history: readonly Message[]): ModelItem[] {
  const items: ModelItem[] = [];
  for (const message of history) {
    if (message.role === 'ROLE_AGENT' && toolCallsOf(message).length > 0) continue;
    const content = textOf(message.parts);
    if (content === '') continue;
    items.push({ type: 'message', role: message.role === 'ROLE_AGENT' ? 'assistant' : 'user', content });
  }
  return items;
}

/** What an earlier task of the conversation contributes: its messages, then its answer (artifacts). */
function taskItems(task: Task): ModelItem[] {
  const items = historyItems(task.history ?? []);
  const answer = (task.artifacts ?? [])
    .map((a) => a.parts.map((p) => ('text' in p ? p.text : '')).join(''))
    .filter((t) => t !== '')
    .join('\n');
  if (answer !== '') items.push({ type: 'message', role: 'assistant', content: answer });
  return items;
}

function isMessage(result: Task | Message): result is Message {
  return !('status' in result);
}

/**
 * The agent runtime: a Worker (`loop.worker`, or the Loop itself, which has `handle(ctx)`) that
 * connects to an Environment over MCP and drives a model.
 *
 * One long-lived MCP client per Loop, connected on first use (and reconnected once when the MCP
 * session was lost). It answers the Environment's handoff sampling requests over A2A.
 */
export class Loop {
  /** The Loop as a worker function, for `A2AServer({ worker: loop.worker })`. */
  readonly worker: WorkerFunction = (ctx) => this.handle(ctx);

  readonly #options: LoopOptions;
  readonly #maxModelCalls: number;
  readonly #toolTimeoutMs: number;
  #client: Promise<Client> | undefined;
  #tools: ModelTool[] | undefined;
  /** The cached `system_prompt` text (see `#systemPromptFor`). */
  #systemPrompt: string | undefined;
  /** The Environment's tools by name, for the tool policy (listed with `#tools`). */
  #toolInfo: Map<string, LoopTool> | undefined;
  #closed = false;
  /** (this task's contextId, target agent URL) → the target's contextId. */
  readonly #handoffContexts = new Map<string, string>();
  /** (target agent URL, message) → handoffs waiting for their sampling request. */
  readonly #pending = new Map<string, PendingHandoff[]>();
  readonly #a2aClients = new Map<string, Promise<A2AClient>>();

  /** Create a Loop. Nothing connects until the first turn. */
  constructor(options: LoopOptions) {
    this.#options = options;
    this.#maxModelCalls = options.maxModelCalls ?? DEFAULT_MAX_MODEL_CALLS;
    this.#toolTimeoutMs = options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  }

  /** The model this Loop drives. */
  get model(): Model {
    return this.#options.model;
  }

  /** Run one turn of a task. */
  async handle(ctx: TaskContext): Promise<void> {
    try {
      await this.#turn(ctx);
    } catch (error) {
      if (ctx.signal.aborted) return;
      await ctx.fail(errorMessage(error));
    }
  }

  /** Close the MCP client. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (client) await (await client.catch(() => undefined))?.close().catch(() => undefined);
  }

  async #turn(ctx: TaskContext): Promise<void> {
    const { agentName, model, environmentUrl } = this.#options;
    let system: string;
    let tools: ModelTool[];
    try {
      [system, tools] = await Promise.all([
        this.#systemPromptFor(agentName, ctx.signal),
        this.#listTools(ctx.signal),
      ]);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      await ctx.fail(`environment error: ${environmentUrl}: ${errorMessage(error)}`);
      return;
    }
    const earlier = this.#options.conversation
      ? await this.#options.conversation(ctx).catch(() => [] as readonly Task[])
      : [];
    const items = earlier.flatMap(taskItems);
    const taskStart = items.length;
    await this.#taskHistory(ctx, items);
    let chunks = ctx.artifacts.some((a) => a.artifactId === 'response') ? 1 : 0;
    let calls = 0;
    for (;;) {
      if (calls >= this.#maxModelCalls) {
        await ctx.fail(
          `The model made ${calls} calls in this turn without a final answer (maxModelCalls is ${this.#maxModelCalls}).`,
        );
        return;
      }
      calls++;
      let toolCalls: ToolCall[] = [];
      let text = '';
      for (let attempt = 0; ; attempt++) {
        let emitted = false;
        toolCalls = [];
        text = '';
        try {
          for await (const event of model.stream({ system, items: [...items], tools, signal: ctx.signal })) {
            if (event.type === 'text_delta') {
              if (event.delta === '') continue;
              emitted = true;
              // Text of an earlier model call of this turn (before its tool calls) stays: separate them.
              const content = text === '' && chunks > 0 ? `\n\n${event.delta}` : event.delta;
              text += event.delta;
              await ctx.emitArtifact({ artifactId: 'response', content, append: chunks > 0 });
              chunks++;
            } else if (event.type === 'tool_call') {
              emitted = true;
              toolCalls.push({ callId: event.callId, name: event.name, arguments: event.arguments });
            }
          }
          break;
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          if (error instanceof ModelError && error.retryable && attempt === 0 && !emitted) continue;
          await ctx.fail(`model error: ${errorMessage(error)}`);
          return;
        }
      }
      if (toolCalls.length === 0) break;
      if (text !== '') items.push({ type: 'message', role: 'assistant', content: text });
      const asked: ClientToolCall[] = [];
      const serverCalls: ToolCall[] = [];
      for (const call of toolCalls) {
        const kind = this.#kindOf(call.name);
        if (kind) asked.push({ call_id: call.callId, name: call.name, arguments: call.arguments, kind });
        else serverCalls.push(call);
      }
      const outputs = await Promise.all(serverCalls.map((call) => this.#runTool(ctx, call)));
      const byId = new Map(serverCalls.map((call, i) => [call.callId, outputs[i]!]));
      for (const call of toolCalls) {
        items.push({ type: 'tool_call', ...call });
        const output = byId.get(call.callId);
        if (output !== undefined)
          items.push({ type: 'tool_result', callId: call.callId, name: call.name, output });
      }
      if (asked.length > 0) {
        // The client must act: end the turn; the answers arrive as the next user message (DESIGN §3).
        const toolCallsData = asked.map((c) => ({
          call_id: c.call_id,
          name: c.name,
          arguments: c.arguments,
          kind: c.kind,
        }));
        await ctx.requestInput({
          content: [{ text: promptText(asked) }, { data: { tool_calls: toolCallsData } }],
          metadata: { [TURN_ITEMS_METADATA_KEY]: itemsToJson(items.slice(taskStart)) },
        });
        return;
      }
    }
    await ctx.complete();
  }

  /** Who must act on a call of the tool `name` first: the client (`client`), the user (`approval`), or nobody. */
  #kindOf(name: string): ClientToolCall['kind'] | undefined {
    if (name === HANDOFF_TOOL) return undefined;
    if (this.#options.toolExecution === 'client') return 'client';
    const tool = this.#toolInfo?.get(name);
    if (!tool) return undefined;
    if (isClientSide(tool)) return 'client';
    return (this.#options.approval ?? defaultNeedsApproval)(tool) ? 'approval' : undefined;
  }

  /**
   * Push the model items of this task's history onto `items`. The last `input-required` status message
   * of the Loop records the task's items so far (its metadata); messages after it are added as text.
   * On a resumed turn, every tool call still without a result gets one from the client's answer
   * (`tool_results`, or `tool_approvals`: approved calls run on the Environment, refused ones tell the
   * model why), then the user's text follows.
   */
  async #taskHistory(ctx: TaskContext, items: ModelItem[]): Promise<void> {
    const history = ctx.history;
    const current = history.at(-1)?.messageId === ctx.message.messageId ? history.at(-1) : undefined;
    const past = current ? history.slice(0, -1) : history;
    let from = 0;
    for (let i = past.length - 1; i >= 0; i--) {
      const message = past[i]!;
      if (message.role !== 'ROLE_AGENT') continue;
      const recorded = turnItemsOf(message);
      if (!recorded) continue;
      items.push(...recorded);
      from = i + 1;
      break;
    }
    let asked = new Map<string, ClientToolCall['kind']>();
    for (const message of past.slice(from)) {
      if (message.role === 'ROLE_AGENT') {
        const calls = toolCallsOf(message);
        if (calls.length > 0) {
          for (const c of calls)
            items.push({ type: 'tool_call', callId: c.call_id, name: c.name, arguments: c.arguments });
          continue;
        }
        const content = textOf(message.parts);
        if (content !== '') items.push({ type: 'message', role: 'assistant', content });
      } else if (!hasToolAnswers(message)) {
        const content = textOf(message.parts);
        if (content !== '') items.push({ type: 'message', role: 'user', content });
      }
    }
    for (let i = past.length - 1; i >= 0; i--) {
      if (past[i]!.role !== 'ROLE_AGENT') continue;
      asked = new Map(toolCallsOf(past[i]!).map((c) => [c.call_id, c.kind]));
      break;
    }
    const pending = unansweredCalls(items);
    if (pending.length > 0) {
      const answers = toolAnswersOf(ctx.isNewTask ? [] : ctx.userData);
      const outputs = await Promise.all(
        pending.map(async (call): Promise<string> => {
          const result = answers.results.get(call.callId);
          if (result) return result.output;
          const approval = answers.approvals.get(call.callId);
          if (approval && asked.get(call.callId) !== 'client') {
            if (!approval.approved)
              return `The user refused this call: ${approval.reason ?? 'no reason given'}`;
            // The model sees the call as it ran (with the user's edits).
            if (approval.arguments) call.arguments = approval.arguments;
            return this.#runTool(ctx, { callId: call.callId, name: call.name, arguments: call.arguments });
          }
          return asked.get(call.callId) === 'approval'
            ? 'The user did not approve this call.'
            : 'Error: the client sent no result for this call.';
        }),
      );
      for (const [i, call] of pending.entries()) {
        items.push({ type: 'tool_result', callId: call.callId, name: call.name, output: outputs[i]! });
      }
    }
    if (current) {
      const content = textOf(current.parts);
      if (content !== '') items.push({ type: 'message', role: 'user', content });
    }
  }

  /** Run one tool call on the Environment; failures become an error text the model sees. */
  async #runTool(ctx: TaskContext, call: ToolCall): Promise<string> {
    const args: JsonObject = { ...call.arguments };
    let pending: { key: string; entry: PendingHandoff } | undefined;
    if (call.name === 'handoff' && typeof args.agent_uri === 'string') {
      const target = normalizeUrl(args.agent_uri);
      const known = this.#handoffContexts.get(`${ctx.contextId}\0${target}`);
      if (args.context_id === undefined && known !== undefined) args.context_id = known;
      const key = `${target}\0${typeof args.message === 'string' ? args.message : ''}`;
      const entry: PendingHandoff = {
        contextId: ctx.contextId,
        signal: ctx.signal,
        messageId: handoffMessageId(ctx.taskId, call.callId, ctx.message.messageId),
      };
      const queue = this.#pending.get(key) ?? [];
      queue.push(entry);
      this.#pending.set(key, queue);
      pending = { key, entry };
    }
    try {
      const result = await this.#withClient((client) =>
        client.callTool(
          { name: call.name, arguments: args },
          { signal: ctx.signal, timeout: this.#toolTimeoutMs, maxTotalTimeout: this.#toolTimeoutMs },
        ),
      );
      const text = contentText(result.content);
      return result.isError ? `Error: ${text}` : text;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return `Error: the tool ${call.name} failed: ${errorMessage(error)}`;
    } finally {
      if (pending) this.#dropPending(pending.key, pending.entry);
    }
  }

  /** Remember a handoff target's context (the oldest entries go beyond {@link MAX_HANDOFF_CONTEXTS}). */
  #rememberContext(key: string, contextId: string): void {
    this.#handoffContexts.delete(key);
    this.#handoffContexts.set(key, contextId);
    if (this.#handoffContexts.size > MAX_HANDOFF_CONTEXTS) {
      const oldest = this.#handoffContexts.keys().next().value;
      if (oldest !== undefined) this.#handoffContexts.delete(oldest);
    }
  }

  #dropPending(key: string, entry: PendingHandoff): void {
    const queue = this.#pending.get(key);
    if (!queue) return;
    const at = queue.indexOf(entry);
    if (at !== -1) queue.splice(at, 1);
    if (queue.length === 0) this.#pending.delete(key);
  }

  async #listTools(signal: AbortSignal): Promise<ModelTool[]> {
    if (this.#tools) return this.#tools;
    const tools = await this.#withClient(async (client) => {
      const { tools } = await client.listTools(undefined, { signal });
      this.#toolInfo = new Map(
        tools.map((t): [string, LoopTool] => [
          t.name,
          {
            name: t.name,
            ...(t.description ? { description: t.description } : {}),
            meta: { ...(t._meta ?? {}) },
            annotations: { ...(t.annotations ?? {}) },
          },
        ]),
      );
      return tools.map(
        (t): ModelTool => ({
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          parameters: t.inputSchema as JsonObject,
        }),
      );
    });
    this.#tools = tools;
    return tools;
  }

  /** Run an MCP call; when the session was lost, reconnect once and run it again. */
  /**
   * The Environment's `system_prompt` for this agent. Cached like the tool list: it is fetched
   * again after the Environment announces `prompts/list_changed` or the session is lost (an MCP
   * round trip per turn would be most of a turn's overhead).
   */
  async #systemPromptFor(agentName: string, signal: AbortSignal): Promise<string> {
    if (this.#systemPrompt !== undefined) return this.#systemPrompt;
    const system = await this.#withClient(async (client) => {
      const prompt = await client.getPrompt(
        { name: 'system_prompt', arguments: { agent_name: agentName } },
        { signal },
      );
      return prompt.messages.map((m) => contentText(m.content)).join('\n');
    });
    this.#systemPrompt = system;
    return system;
  }

  async #withClient<T>(call: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      return await call(client);
    } catch (error) {
      if (!isSessionLost(error) || this.#closed) throw error;
      if (this.#client !== undefined && (await this.#client.catch(() => undefined)) === client) {
        this.#client = undefined;
        this.#tools = undefined;
        this.#systemPrompt = undefined;
        void client.close().catch(() => undefined);
      }
      return call(await this.#connect());
    }
  }

  #connect(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('The Loop is closed'));
    if (!this.#client) {
      const connecting = this.#openClient();
      this.#client = connecting;
      connecting.catch(() => {
        if (this.#client === connecting) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #openClient(): Promise<Client> {
    const client = new Client(
      { name: `timestep-loop:${this.#options.agentName}`, version: '0.1.0' },
      {
        capabilities: { sampling: {} },
        listChanged: {
          tools: {
            onChanged: () => {
              this.#tools = undefined;
            },
          },
          prompts: {
            onChanged: () => {
              this.#systemPrompt = undefined;
            },
          },
        },
      },
    );
    client.setRequestHandler('sampling/createMessage', async (request, ctx) => {
      const metadata = (request.params.metadata ?? {}) as Record<string, unknown>;
      const text = request.params.messages
        .map((m) => (Array.isArray(m.content) ? contentText(m.content) : contentText([m.content])))
        .join('\n');
      const answer = await this.#handoff(metadata, text, ctx.mcpReq.signal);
      return { role: 'assistant', model: this.#options.agentName, content: { type: 'text', text: answer } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(this.#options.environmentUrl)));
    return client;
  }

  /** Answer a handoff sampling request: send the message to the target agent over A2A. */
  async #handoff(metadata: Record<string, unknown>, message: string, signal: AbortSignal): Promise<string> {
    const agentUri = metadata.agent_uri;
    if (typeof agentUri !== 'string' || agentUri === '') {
      throw new Error('This client only answers handoff sampling requests (metadata.agent_uri is missing).');
    }
    const target = normalizeUrl(agentUri);
    const pending = this.#pending.get(`${target}\0${message}`)?.[0];
    const mapKey = pending ? `${pending.contextId}\0${target}` : undefined;
    const contextId =
      typeof metadata.context_id === 'string' && metadata.context_id !== ''
        ? metadata.context_id
        : mapKey
          ? this.#handoffContexts.get(mapKey)
          : undefined;
    let connecting = this.#a2aClients.get(target);
    if (!connecting) {
      connecting = A2AClient.connect(target);
      this.#a2aClients.set(target, connecting);
      connecting.catch(() => this.#a2aClients.delete(target));
    }
    const a2a = await connecting;
    const result = await this.#sendAndFollow(
      a2a,
      {
        text: message,
        ...(contextId ? { contextId } : {}),
        ...(pending ? { messageId: pending.messageId } : {}),
      },
      pending ? AbortSignal.any([signal, pending.signal]) : signal,
    );
    const name = a2a.card.name || target;
    if (isMessage(result)) {
      if (mapKey && result.contextId) this.#rememberContext(mapKey, result.contextId);
      return textOf(result.parts);
    }
    if (mapKey) this.#rememberContext(mapKey, result.contextId);
    const text = taskText(result);
    switch (result.status.state) {
      case 'TASK_STATE_COMPLETED':
        return text;
      case 'TASK_STATE_INPUT_REQUIRED':
      case 'TASK_STATE_AUTH_REQUIRED':
        return `${name} needs more input before it can answer${text ? `: ${text}` : '.'}`;
      default:
        throw new Error(
          `${name} ended its task ${result.status.state.replace('TASK_STATE_', '').toLowerCase()}${text ? `: ${text}` : ''}`,
        );
    }
  }

  /**
   * Send a message to an agent and follow its task until the turn ends (finished, or waiting for
   * input). Aborting `signal` cancels the target's task.
   */
  async #sendAndFollow(a2a: A2AClient, input: SendInput, signal: AbortSignal): Promise<Task | Message> {
    let taskId: string | undefined;
    let last: Message | undefined;
    const cancel = () => {
      if (taskId !== undefined) void a2a.cancel(taskId).catch(() => undefined);
    };
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for await (const event of a2a.stream(input, { signal })) {
        if ('task' in event) taskId ??= event.task.id;
        else if ('statusUpdate' in event) taskId ??= event.statusUpdate.taskId;
        else if ('artifactUpdate' in event) taskId ??= event.artifactUpdate.taskId;
        else if ('message' in event) last = event.message;
      }
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    signal.throwIfAborted();
    if (taskId !== undefined) return a2a.getTask(taskId, { signal });
    if (last) return last;
    throw new Error(`${a2a.card.name} answered with neither a task nor a message.`);
  }
}
