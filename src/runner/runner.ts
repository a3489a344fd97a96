/**
 * `runTask`: the client side of a Timestep agent's tool calls (the Python Timestep client's flow).
 *
 * When an agent's task stops `input-required` with a `tool_calls` data part, the runner runs the
 * client's calls (with a local handler, or on an Environment over MCP), answers the approval
 * requests, and sends the results back on the same task, round after round, until the task ends.
 *
 * ```ts
 * const client = await A2AClient.connect('http://127.0.0.1:10000');
 * const task = await runTask(client, 'What is the weather in Oakland?', {
 *   tools: { get_weather: ({ city }) => `18°C and fog in ${city}` },
 *   approve: (call) => call.name !== 'delete_file',
 * });
 * console.log(taskText(task));
 * ```
 *
 * @module
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type A2AClient, applyStreamEvent, type SendInput } from '../a2a/client/client.js';
import type { JsonObject, JsonValue, Message, Part, StreamResponse, Task } from '../a2a/types.js';
import { isTerminal } from '../a2a/types.js';
import { encodeToolResult } from '../environment/tool.js';
import {
  type ClientToolApproval,
  type ClientToolCall,
  type ClientToolResult,
  type HandoffLink,
  toolCallsOf,
} from '../loop/tool-policy.js';

/** What a local tool handler gets besides the call's arguments. */
export interface ToolCallContext {
  /** The call as the agent sent it (`call_id`, `name`, `arguments`, `chain` when a handed-off agent asks). */
  call: ClientToolCall;
  /** The task the call belongs to, as it stood when the agent asked. */
  task: Task;
  /** Aborted when the run is canceled: pass it on to any I/O the handler does. */
  signal: AbortSignal;
}

/**
 * Runs one client-side tool call. A string is sent as is; any other JSON value is JSON-encoded.
 * A thrown error is sent as `Error: <message>` (the model sees it; the run goes on).
 */
export type ToolHandler = (args: JsonObject, context: ToolCallContext) => JsonValue | Promise<JsonValue>;

/**
 * A local tool the agent is told about: it is offered to the model in the message metadata
 * `timestep/tools` of every message the runner sends, so the agent's model can call it.
 */
export interface DeclaredTool {
  /** What the tool does; the model reads this. */
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonObject;
  /** Runs the tool. */
  execute: ToolHandler;
}

/** A decision on a call that needs approval. `arguments` replaces the call's arguments (an edit). */
export interface ApprovalDecision {
  approved: boolean;
  /** Why it was refused; the model sees it. */
  reason?: string;
  /** Edited arguments to run the call with (approvals only). */
  arguments?: JsonObject;
}

/** A question an agent asked (a handed-off agent's `question` data part, or a plain input request). */
export interface AgentQuestion {
  /** The question. */
  text: string;
  /** The agents it passed through, outermost first (the last one asks); empty when this agent asks. */
  chain: HandoffLink[];
}

/** Something the runner saw or did, for progress displays and logs. */
export type RunEvent =
  /** An A2A stream event of the task (status and artifact updates, the task snapshot). */
  | { type: 'stream'; event: StreamResponse }
  /** The runner is about to run a client-side call (`on`: where it runs). */
  | { type: 'tool_call'; call: ClientToolCall; on: 'local' | 'environment' | 'nowhere' }
  /** A client-side call's output, as it will be sent. */
  | { type: 'tool_result'; call: ClientToolCall; output: string }
  /** The decision on a call that needed approval, as it will be sent. */
  | { type: 'approval'; call: ClientToolCall; decision: ClientToolApproval }
  /** The answer to a question, as it will be sent. */
  | { type: 'answer'; question: AgentQuestion; text: string };

/** Options of {@link runTask}. */
export interface RunTaskOptions {
  /**
   * Local tools by name: a handler, or a {@link DeclaredTool} (also offered to the model through
   * `timestep/tools`). A call with no local tool runs on `environment`.
   */
  tools?: Record<string, ToolHandler | DeclaredTool>;
  /**
   * Where calls with no local tool run: an Environment's MCP endpoint URL (connected on first use and
   * closed at the end), or a connected MCP client (left open). Without one, such a call is answered
   * with an error result that says so.
   */
  environment?: string | URL | Client;
  /**
   * Decides calls that need approval (`kind: "approval"`): `true`/`false` or an {@link ApprovalDecision}.
   * Default: every such call is refused, with a reason saying no approver was configured.
   */
  approve?: (
    call: ClientToolCall,
    task: Task,
  ) => boolean | ApprovalDecision | Promise<boolean | ApprovalDecision>;
  /**
   * Answers questions (a handed-off agent's `question`, or an input request without tool calls).
   * Without it, a task that asks a question is returned as it is (`input-required`).
   */
  answer?: (question: AgentQuestion, task: Task) => string | Promise<string>;
  /** Called for every stream event and every call, approval and answer the runner handles. */
  onEvent?: (event: RunEvent) => void;
  /** Aborting cancels the task (best effort) and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Most answers the runner sends before giving up (default 20); then {@link RunTaskError} is thrown. */
  maxRounds?: number;
}

/** Thrown when {@link runTask} gives up (too many rounds); carries the task as it stands. */
export class RunTaskError extends Error {
  constructor(
    message: string,
    /** The task, still waiting for input. */
    readonly task: Task,
  ) {
    super(message);
    this.name = 'RunTaskError';
  }
}

const DEFAULT_MAX_ROUNDS = 20;
const NO_APPROVER_REASON =
  'No approver was configured on the client (runTask option `approve`), so the call was refused.';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function textOfParts(parts: readonly Part[]): string {
  return parts
    .map((p) => ('text' in p ? p.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** The question a status message asks, if it asks one (and no tool calls). */
function questionOf(message: Message | undefined): AgentQuestion | undefined {
  if (!message) return undefined;
  for (const part of message.parts) {
    if (!('data' in part) || !isObject(part.data) || !isObject(part.data.question)) continue;
    const q = part.data.question;
    return {
      text: typeof q.text === 'string' && q.text !== '' ? q.text : textOfParts(message.parts),
      chain: Array.isArray(q.chain) ? (q.chain.filter(isObject) as unknown as HandoffLink[]) : [],
    };
  }
  return { text: textOfParts(message.parts), chain: [] };
}

/** The text of an MCP tool result's content blocks. */
function contentText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      if (!isObject(block)) return '';
      if (block.type === 'text' && typeof block.text === 'string') return block.text;
      return JSON.stringify(block);
    })
    .join('\n');
}

/** The MCP client for calls that run on an Environment, connected on first use. */
class EnvironmentTools {
  readonly #target: string | URL | Client | undefined;
  #client: Promise<Client> | undefined;
  #owned = false;

  constructor(target: string | URL | Client | undefined) {
    this.#target = target;
  }

  get available(): boolean {
    return this.#target !== undefined;
  }

  async call(call: ClientToolCall, signal: AbortSignal): Promise<string> {
    const client = await this.#connect();
    const result = await client.callTool({ name: call.name, arguments: call.arguments }, { signal });
    const text = contentText(result.content);
    return result.isError ? `Error: ${text}` : text;
  }

  async close(): Promise<void> {
    if (!this.#owned || !this.#client) return;
    const client = await this.#client.catch(() => undefined);
    await client?.close().catch(() => undefined);
  }

  #connect(): Promise<Client> {
    const target = this.#target;
    if (target === undefined) throw new Error('No Environment was given.');
    if (!this.#client) {
      if (target instanceof Client) {
        this.#client = Promise.resolve(target);
      } else {
        this.#owned = true;
        const client = new Client({ name: 'timestep-runner', version: '0.1.0' });
        const url = typeof target === 'string' ? new URL(target) : target;
        this.#client = client.connect(new StreamableHTTPClientTransport(url)).then(() => client);
        // A failed connection is not cached: the next call tries again.
        this.#client.catch(() => {
          this.#client = undefined;
        });
      }
    }
    return this.#client;
  }
}

/**
 * Send `input` to an agent and see its task through: whenever the task stops `input-required` with
 * `tool_calls`, run the client's calls (`kind: "client"`) with the local handler of `options.tools`
 * or, when there is none, on `options.environment`; decide the approvals (`kind: "approval"`) with
 * `options.approve`; answer questions with `options.answer`; and send all the answers of a round in
 * one message on the same task (`{tool_results: […]}`, `{tool_approvals: […]}`, text). Returns the
 * task once it no longer needs input (or needs input the runner cannot give: a question without
 * `answer`, or `auth-required`), or the agent's Message when it answers without a task.
 *
 * It works with any agent the {@link A2AClient} can talk to, A2A 1.0 or 0.3.
 */
export async function runTask(
  client: A2AClient,
  input: string | SendInput,
  options: RunTaskOptions = {},
): Promise<Task | Message> {
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const environment = new EnvironmentTools(options.environment);
  const declared = declaredTools(options.tools);
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const signal = controller.signal;

  let task: Task | undefined;
  try {
    let next: SendInput = withTools(typeof input === 'string' ? { text: input } : { ...input }, declared);
    for (let round = 0; ; round++) {
      let reply: Message | undefined;
      for await (const event of client.stream(next, { signal })) {
        options.onEvent?.({ type: 'stream', event });
        if ('message' in event) reply = event.message;
        task = applyStreamEvent(task, event);
      }
      if (!task) {
        if (reply) return reply;
        throw new Error(`${client.card.name} ended the stream without a task or a message.`);
      }
      if (task.status.state !== 'TASK_STATE_INPUT_REQUIRED') return await finalTask(client, task, signal);
      if (round >= maxRounds) {
        throw new RunTaskError(
          `Gave up on task ${task.id} after ${maxRounds} rounds of answers: it still needs input ` +
            '(raise maxRounds if the agent really needs more).',
          task,
        );
      }
      // A handler, approver or answerer that ignores the signal must not keep a canceled run waiting.
      const parts = await abortable(answerRound(task, options, environment, signal), signal);
      if (parts === undefined) return await finalTask(client, task, signal);
      next = withTools({ taskId: task.id, contextId: task.contextId, parts }, declared);
    }
  } catch (error) {
    if (signal.aborted && task && !isTerminal(task.status.state)) {
      // Cancel on the agent too, so it stops working for nobody; the run still rejects with the reason.
      await client.cancel(task.id).catch(() => undefined);
    }
    throw signal.aborted ? (signal.reason ?? error) : error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await environment.close();
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The task as the agent stores it (history included), or what the stream showed if that fails. */
async function finalTask(client: A2AClient, task: Task, signal: AbortSignal): Promise<Task> {
  try {
    return await client.getTask(task.id, { signal });
  } catch {
    return task;
  }
}

function declaredTools(tools: RunTaskOptions['tools']): JsonValue[] {
  const out: JsonValue[] = [];
  for (const [name, entry] of Object.entries(tools ?? {})) {
    if (typeof entry === 'function') continue;
    out.push({
      name,
      ...(entry.description !== undefined ? { description: entry.description } : {}),
      parameters: entry.parameters,
    });
  }
  return out;
}

function withTools(input: SendInput, declared: JsonValue[]): SendInput {
  if (declared.length === 0) return input;
  return { ...input, metadata: { ...input.metadata, 'timestep/tools': declared } };
}

/**
 * The answer parts for one input-required round, or `undefined` when the runner cannot answer
 * (a question without `answer`, or an input request it does not understand).
 */
async function answerRound(
  task: Task,
  options: RunTaskOptions,
  environment: EnvironmentTools,
  signal: AbortSignal,
): Promise<Part[] | undefined> {
  const status = task.status.message;
  const calls = status ? toolCallsOf(status) : [];
  if (calls.length === 0) {
    const question = questionOf(status);
    if (!question || !options.answer) return undefined;
    const text = await options.answer(question, task);
    signal.throwIfAborted();
    options.onEvent?.({ type: 'answer', question, text });
    return [{ text }];
  }
  const results: ClientToolResult[] = [];
  const approvals: ClientToolApproval[] = [];
  // Calls of one round are independent (the model made them together): run them concurrently.
  await Promise.all(
    calls.map(async (call) => {
      if (call.kind === 'approval') {
        const decision = await decide(call, task, options);
        options.onEvent?.({ type: 'approval', call, decision });
        approvals.push(decision);
      } else {
        const output = await runCall(call, task, options, environment, signal);
        options.onEvent?.({ type: 'tool_result', call, output });
        results.push({ call_id: call.call_id, name: call.name, output });
      }
    }),
  );
  signal.throwIfAborted();
  // Answers in the order the agent asked, whatever order the calls finished in.
  const order = new Map(calls.map((c, i) => [c.call_id, i]));
  const byOrder = (a: { call_id: string }, b: { call_id: string }) =>
    (order.get(a.call_id) ?? 0) - (order.get(b.call_id) ?? 0);
  const parts: Part[] = [];
  if (results.length > 0)
    parts.push({ data: { tool_results: results.sort(byOrder) as unknown as JsonValue } });
  if (approvals.length > 0)
    parts.push({ data: { tool_approvals: approvals.sort(byOrder) as unknown as JsonValue } });
  return parts;
}

async function decide(
  call: ClientToolCall,
  task: Task,
  options: RunTaskOptions,
): Promise<ClientToolApproval> {
  if (!options.approve) return { call_id: call.call_id, approved: false, reason: NO_APPROVER_REASON };
  let decision: boolean | ApprovalDecision;
  try {
    decision = await options.approve(call, task);
  } catch (error) {
    return {
      call_id: call.call_id,
      approved: false,
      reason: `The client's approver failed, so the call was refused: ${errorMessage(error)}`,
    };
  }
  if (typeof decision === 'boolean') return { call_id: call.call_id, approved: decision };
  return {
    call_id: call.call_id,
    approved: decision.approved,
    ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
    ...(decision.approved && decision.arguments !== undefined ? { arguments: decision.arguments } : {}),
  };
}

async function runCall(
  call: ClientToolCall,
  task: Task,
  options: RunTaskOptions,
  environment: EnvironmentTools,
  signal: AbortSignal,
): Promise<string> {
  const local = options.tools?.[call.name];
  const handler = typeof local === 'function' ? local : local?.execute;
  const on = handler ? 'local' : environment.available ? 'environment' : 'nowhere';
  options.onEvent?.({ type: 'tool_call', call, on });
  try {
    if (handler) return encodeToolResult(await handler(call.arguments, { call, task, signal }));
    if (environment.available) return await environment.call(call, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    return `Error: ${errorMessage(error)}`;
  }
  return `Error: the client has no tool named "${call.name}" (no local handler and no Environment to run it on).`;
}
