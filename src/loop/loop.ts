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
import { Client, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type TaskContext, textOf, type WorkerFunction } from '../a2a/runtime/worker.js';
import type { JsonObject, JsonValue, Message, Part, Task } from '../a2a/types.js';
import { normalizeUrl } from '../http/url.js';
import { type Model, ModelError, type ModelItem, type ModelTool } from '../models/model.js';
import {
  type HandoffInterrupt,
  type HandoffOutcome,
  Handoffs,
  isHandoffStatus,
  PENDING_HANDOFFS_KEY,
  pendingHandoffsOf,
} from './handoff.js';
import {
  type ClientToolCall,
  defaultNeedsApproval,
  HANDOFF_TOOL,
  hasToolAnswers,
  isClientSide,
  isObject,
  itemsToJson,
  type LoopTool,
  parseItems,
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
  /** This agent's A2A URL: handoffs back to it are refused (cycles). `Agent` sets it. */
  agentUrl?: string;
  /** Most agents below the first one in a chain of handoffs (default 5); deeper handoffs are refused. */
  maxHandoffDepth?: number;
  /**
   * The only agent URLs handoffs may reach (default: any the Environment asks for; the Environment
   * has its own allowlist). Sampling requests for other targets are refused.
   */
  allowedHandoffs?: readonly string[];
}

/** A2A message metadata key: text appended to the system prompt for this turn. */
export const INSTRUCTIONS_KEY = 'timestep/instructions';
/** A2A message metadata key: extra client-side function tools for this turn. */
export const REQUEST_TOOLS_KEY = 'timestep/tools';
/** A2A message metadata key: model items that precede a new task (a caller's own conversation). */
export const PRIOR_ITEMS_KEY = 'timestep/prior_items';
/** Task metadata key: token usage of the last turn. */
export const USAGE_KEY = 'timestep/usage';

/** A tool call the model made, as the Loop runs it. */
interface ToolCall {
  callId: string;
  name: string;
  arguments: JsonObject;
}

/** What the turn's user message asks of the Loop beyond its text (see the `*_KEY` constants). */
interface TurnInput {
  instructions: string | undefined;
  tools: ModelTool[];
  priorItems: ModelItem[];
}

const DEFAULT_MAX_MODEL_CALLS = 10;
const DEFAULT_TOOL_TIMEOUT_MS = 30 * 60_000;

function turnInputOf(ctx: TaskContext): TurnInput {
  const metadata = ctx.message.metadata ?? {};
  const instructions = metadata[INSTRUCTIONS_KEY];
  const rawTools = metadata[REQUEST_TOOLS_KEY];
  const tools: ModelTool[] = [];
  if (Array.isArray(rawTools)) {
    for (const t of rawTools) {
      if (!isObject(t) || typeof t.name !== 'string' || t.name === '') continue;
      tools.push({
        name: t.name,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        parameters: isObject(t.parameters)
          ? (t.parameters as JsonObject)
          : { type: 'object', properties: {} },
      });
    }
  }
  const prior = metadata[PRIOR_ITEMS_KEY];
  return {
    instructions: typeof instructions === 'string' && instructions.trim() !== '' ? instructions : undefined,
    tools,
    priorItems: ctx.isNewTask && Array.isArray(prior) ? parseItems(prior) : [],
  };
}

function isInterrupt(outcome: HandoffOutcome): outcome is HandoffInterrupt {
  return typeof outcome !== 'string';
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
    if (message.role === 'ROLE_AGENT' && (toolCallsOf(message).length > 0 || isHandoffStatus(message)))
      continue;
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
  readonly #handoffs: Handoffs;
  #client: Promise<Client> | undefined;
  #tools: ModelTool[] | undefined;
  /** The cached `system_prompt` text (see `#systemPromptFor`). */
  #systemPrompt: string | undefined;
  /** The Environment's tools by name, for the tool policy (listed with `#tools`). */
  #toolInfo: Map<string, LoopTool> | undefined;
  #closed = false;

  /** Create a Loop. Nothing connects until the first turn. */
  constructor(options: LoopOptions) {
    this.#options = options;
    this.#maxModelCalls = options.maxModelCalls ?? DEFAULT_MAX_MODEL_CALLS;
    this.#toolTimeoutMs = options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    this.#handoffs = new Handoffs({
      ...(options.agentUrl ? { agentUrl: options.agentUrl } : {}),
      ...(options.maxHandoffDepth !== undefined ? { maxDepth: options.maxHandoffDepth } : {}),
      ...(options.allowedHandoffs ? { allowed: new Set(options.allowedHandoffs.map(normalizeUrl)) } : {}),
    });
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

  /**
   * A task canceled while it waited for input: cancel the handed-off agents' tasks it was waiting
   * on (the runtime calls this; see `WorkerObject.canceled`).
   */
  async canceled(task: Task): Promise<void> {
    const asking = lastAskingMessage(task.history ?? []);
    const records = pendingHandoffsOf(asking);
    if (records.length > 0) await this.#handoffs.cancel(records).catch(() => undefined);
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
    const input = turnInputOf(ctx);
    if (input.instructions) system = system ? `${system}\n\n${input.instructions}` : input.instructions;
    // The caller's function tools: offered beside the Environment's, always run by the caller.
    const requestTools = input.tools.filter((t) => !this.#toolInfo?.has(t.name));
    const clientTools = new Set(requestTools.map((t) => t.name));
    if (requestTools.length > 0) tools = [...tools, ...requestTools];
    const earlier = this.#options.conversation
      ? await this.#options.conversation(ctx).catch(() => [] as readonly Task[])
      : [];
    const items = earlier.flatMap(taskItems);
    const taskStart = items.length;
    items.push(...input.priorItems);
    const usage = { input: 0, output: 0, reported: false };
    const resumed = await this.#taskHistory(ctx, items, earlier);
    if (resumed.length > 0) {
      await this.#askClient(ctx, items.slice(taskStart), [], resumed, usage);
      return;
    }
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
            } else if (event.type === 'usage') {
              usage.input += event.inputTokens;
              usage.output += event.outputTokens;
              usage.reported = true;
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
        const kind = clientTools.has(call.name) ? 'client' : this.#kindOf(call.name);
        if (kind) asked.push({ call_id: call.callId, name: call.name, arguments: call.arguments, kind });
        else serverCalls.push(call);
      }
      const outcomes = await Promise.all(serverCalls.map((call) => this.#runTool(ctx, call, earlier)));
      const byId = new Map(serverCalls.map((call, i) => [call.callId, outcomes[i]!]));
      const interrupts: HandoffInterrupt[] = [];
      for (const call of toolCalls) {
        items.push({ type: 'tool_call', ...call });
        const outcome = byId.get(call.callId);
        if (outcome === undefined) continue;
        // A handed-off agent that needs input: its call stays open until the answer comes back up.
        if (isInterrupt(outcome)) interrupts.push(outcome);
        else items.push({ type: 'tool_result', callId: call.callId, name: call.name, output: outcome });
      }
      if (asked.length > 0 || interrupts.length > 0) {
        await this.#askClient(ctx, items.slice(taskStart), asked, interrupts, usage);
        return;
      }
    }
    this.#recordUsage(ctx, usage);
    await ctx.complete();
  }

  /**
   * End the turn `input-required`: the client runs or approves `asked`, and answers for the
   * handed-off agents in `interrupts` (their tool calls carry the chain of agents, their questions a
   * `question` data part). The next user message resumes the turn (DESIGN §3).
   */
  async #askClient(
    ctx: TaskContext,
    taskItemsSoFar: ModelItem[],
    asked: ClientToolCall[],
    interrupts: HandoffInterrupt[],
    usage: { input: number; output: number; reported: boolean },
  ): Promise<void> {
    const calls = [...asked, ...interrupts.flatMap((i) => i.calls)];
    const parts: Part[] = [];
    const sentences: string[] = [];
    if (calls.length > 0) sentences.push(promptText(calls));
    for (const i of interrupts) {
      if (i.question)
        sentences.push(
          `${i.question.chain.at(-1)?.agent_name ?? i.record.agent_name} asks: ${i.question.text}`,
        );
    }
    parts.push({ text: sentences.join(' ') });
    if (calls.length > 0) {
      parts.push({ data: { tool_calls: calls.map((c) => ({ ...c }) as unknown as JsonValue) } });
    }
    for (const i of interrupts) {
      if (i.question) parts.push({ data: { question: { ...i.question } as unknown as JsonValue } });
    }
    const metadata: JsonObject = { [TURN_ITEMS_METADATA_KEY]: itemsToJson(taskItemsSoFar) };
    if (interrupts.length > 0) {
      metadata[PENDING_HANDOFFS_KEY] = interrupts.map((i) => ({ ...i.record }) as unknown as JsonValue);
    }
    this.#recordUsage(ctx, usage);
    await ctx.requestInput({ content: parts, metadata });
  }

  #recordUsage(ctx: TaskContext, usage: { input: number; output: number; reported: boolean }): void {
    if (!usage.reported) return;
    ctx.setTaskMetadata({
      [USAGE_KEY]: {
        input_tokens: usage.input,
        output_tokens: usage.output,
        total_tokens: usage.input + usage.output,
      },
    });
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
   * model why; a handed-off agent that was waiting gets its answers passed down), then the user's
   * text follows. Returns the handoffs that need input again (the turn then asks the client again).
   */
  async #taskHistory(
    ctx: TaskContext,
    items: ModelItem[],
    earlier: readonly Task[],
  ): Promise<HandoffInterrupt[]> {
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
    for (const message of past.slice(from)) {
      if (message.role === 'ROLE_AGENT') {
        if (isHandoffStatus(message)) continue;
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
    const asking = lastAskingMessage(past);
    const asked = new Map((asking ? toolCallsOf(asking) : []).map((c) => [c.call_id, c.kind]));
    const handoffs = new Map(pendingHandoffsOf(asking).map((r) => [r.call_id, r]));
    const userText = current ? textOf(current.parts) : '';
    const interrupts: HandoffInterrupt[] = [];
    let textTaken = false;
    const pending = unansweredCalls(items);
    if (pending.length > 0) {
      const answers = toolAnswersOf(ctx.isNewTask ? [] : ctx.userData);
      const outputs = await Promise.all(
        pending.map(async (call): Promise<string | undefined> => {
          const handoff = handoffs.get(call.callId);
          if (handoff) {
            if (handoff.question) textTaken = true;
            const outcome = await this.#handoffs.resume(ctx, handoff, answers, userText);
            if (!isInterrupt(outcome)) return outcome;
            interrupts.push(outcome);
            return undefined;
          }
          const result = answers.results.get(call.callId);
          if (result) return result.output;
          const approval = answers.approvals.get(call.callId);
          if (approval && asked.get(call.callId) !== 'client') {
            if (!approval.approved)
              return `The user refused this call: ${approval.reason ?? 'no reason given'}`;
            // The model sees the call as it ran (with the user's edits).
            if (approval.arguments) call.arguments = approval.arguments;
            const outcome = await this.#runTool(
              ctx,
              { callId: call.callId, name: call.name, arguments: call.arguments },
              earlier,
            );
            if (!isInterrupt(outcome)) return outcome;
            interrupts.push(outcome);
            return undefined;
          }
          return asked.get(call.callId) === 'approval'
            ? 'The user did not approve this call.'
            : 'Error: the client sent no result for this call.';
        }),
      );
      for (const [i, call] of pending.entries()) {
        const output = outputs[i];
        if (output !== undefined)
          items.push({ type: 'tool_result', callId: call.callId, name: call.name, output });
      }
    }
    // Text that answered a handed-off agent's question went down to it, not to this model.
    if (userText !== '' && !textTaken) items.push({ type: 'message', role: 'user', content: userText });
    return interrupts;
  }

  /**
   * Run one tool call on the Environment; failures become an error text the model sees. A `handoff`
   * whose target needs input comes back as an interrupt.
   */
  async #runTool(ctx: TaskContext, call: ToolCall, earlier: readonly Task[]): Promise<HandoffOutcome> {
    let args: JsonObject = call.arguments;
    let done: (() => HandoffInterrupt | undefined) | undefined;
    if (call.name === HANDOFF_TOOL) {
      const begun = this.#handoffs.begin(ctx, call.callId, call.arguments, earlier);
      if ('refused' in begun) return begun.refused;
      args = begun.args;
      done = begun.done;
    }
    try {
      const result = await this.#withClient((client) =>
        client.callTool(
          { name: call.name, arguments: args },
          { signal: ctx.signal, timeout: this.#toolTimeoutMs, maxTotalTimeout: this.#toolTimeoutMs },
        ),
      );
      const interrupt = done?.();
      done = undefined;
      if (interrupt) return interrupt;
      const text = contentText(result.content);
      return result.isError ? `Error: ${text}` : text;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return `Error: the tool ${call.name} failed: ${errorMessage(error)}`;
    } finally {
      done?.();
    }
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

  /** Run an MCP call; when the session was lost, reconnect once and run it again. */
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
      const answer = await this.#handoffs.sample(metadata, text, ctx.mcpReq.signal);
      return { role: 'assistant', model: this.#options.agentName, content: { type: 'text', text: answer } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(this.#options.environmentUrl)));
    return client;
  }
}

/** The last status message of the Loop that asked the client (it records the turn's items). */
function lastAskingMessage(history: readonly Message[]): Message | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i]!;
    if (message.role === 'ROLE_AGENT' && turnItemsOf(message)) return message;
  }
  return undefined;
}
