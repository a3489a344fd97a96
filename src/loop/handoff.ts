/**
 * Handoffs: how a {@link Loop} carries out the Environment's `handoff` tool (DESIGN §3).
 *
 * The `handoff` tool asks the Loop's MCP client for sampling with `metadata.agent_uri`; the Loop
 * answers by sending the message to that agent over A2A and following the target's task to the end
 * of its turn. This module keeps what that needs between calls:
 *
 * - which target context continues which conversation (a second handoff to the same agent
 *   continues the same context);
 * - the tool calls under way, so a sampling request finds the caller's task (for its signal, a stable
 *   message id, progress reports and the chain of agents);
 * - the chain of agents above this one, for the cycle and depth limits;
 * - what to do when the target needs input: the caller's task asks its own client (with the chain
 *   of agents that asks), and the answer is routed back down to the target's task.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { A2AClient, applyStreamEvent, type SendInput, taskText } from '../a2a/client/client.js';
import { type TaskContext, textOf } from '../a2a/runtime/worker.js';
import {
  isInterrupted,
  isTerminal,
  type JsonObject,
  type JsonValue,
  type Message,
  type Part,
  type Task,
  type TaskState,
} from '../a2a/types.js';
import { normalizeUrl } from '../http/url.js';
import {
  type ClientToolCall,
  type HandoffLink,
  isObject,
  type ToolAnswers,
  toolCallsOf,
} from './tool-policy.js';

/** A2A message metadata key: the URLs of the agents that handed off down to the receiver, root first. */
export const HANDOFF_CHAIN_KEY = 'timestep/handoff_chain';
/** Status message metadata key: progress of a handoff (see {@link HandoffProgress}). */
export const HANDOFF_PROGRESS_KEY = 'timestep/handoff';
/** Status message metadata key: the handoffs an `input-required` turn waits on. */
export const PENDING_HANDOFFS_KEY = 'timestep/pending_handoffs';

/** Progress of a handoff, as status message metadata of the caller's task. */
export interface HandoffProgress {
  /** The caller's `handoff` tool call. */
  call_id: string;
  agent_name: string;
  agent_uri: string;
  task_id?: string;
  context_id?: string;
  /** The state of the target's task (`TASK_STATE_SUBMITTED` until it has one). */
  state: TaskState;
  /** The target's answer (or why it failed) once its turn ended. */
  text?: string;
  /** Agent names from the direct target down to the agent this report is about. */
  path: string[];
}

/** A handoff an `input-required` turn waits on: where to route the client's answer. */
export interface PendingHandoffRecord {
  /** The caller's `handoff` tool call (still without a result). */
  call_id: string;
  agent_name: string;
  agent_uri: string;
  task_id: string;
  context_id: string;
  /** The tool calls the target asked about (their answers go down to it). */
  call_ids: string[];
  /** The target asked a question: the client's text goes down to it. */
  question: boolean;
}

/** A question a handed-off agent asks (the `question` data part). */
export interface HandoffQuestion {
  text: string;
  chain: HandoffLink[];
}

/** The target's turn ended waiting for input: the caller's task must ask its client. */
export interface HandoffInterrupt {
  record: PendingHandoffRecord;
  /** The target's tool calls, each with the chain of agents that raised it. */
  calls: ClientToolCall[];
  question?: HandoffQuestion;
}

/** How a handoff ended: the target's answer for the model, or an interrupt. */
export type HandoffOutcome = string | HandoffInterrupt;

/** Options of {@link Handoffs}. */
export interface HandoffsOptions {
  /** This agent's A2A URL, to refuse handoffs back to itself. */
  agentUrl?: string;
  /** Most agents below the first one in a chain of handoffs (default 5). */
  maxDepth?: number;
  /**
   * The agent URLs this Loop may send handoffs to (normalized, no trailing slash); `undefined`: any
   * the Environment asks for. A second fence behind the Environment's own allowlist, for a remote
   * Environment the agent does not control.
   */
  allowed?: ReadonlySet<string>;
}

/** A handoff tool call under way, waiting for its sampling request. */
interface Running {
  ctx: TaskContext;
  callId: string;
  /** Fixed by the caller's task, turn and tool call: a retried tool call sends the same message. */
  messageId: string;
  chain: string[];
  outcome?: HandoffInterrupt;
}

const DEFAULT_MAX_DEPTH = 5;
/** Most remembered (conversation, target) → target context pairs. */
const MAX_CONTEXTS = 10_000;

/** A stable message id for a handoff (a name-based UUID of the caller's task, turn and tool call). */
function handoffMessageId(taskId: string, callId: string, turnMessageId: string): string {
  const hex = createHash('sha256').update(`${taskId}\0${turnMessageId}\0${callId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The chain of agent URLs above this task's agent (from the message, else the task's first message). */
export function chainOf(ctx: TaskContext): string[] {
  const fromMessage = (message: Message | undefined): string[] | undefined => {
    const raw = message?.metadata?.[HANDOFF_CHAIN_KEY];
    return Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string') : undefined;
  };
  return fromMessage(ctx.message) ?? fromMessage(ctx.history.find((m) => m.role === 'ROLE_USER')) ?? [];
}

/** The `question` data part of a message, if any. */
export function questionOf(message: Message): HandoffQuestion | undefined {
  for (const part of message.parts) {
    if (!('data' in part) || !isObject(part.data) || !isObject(part.data.question)) continue;
    const q = part.data.question;
    return {
      text: typeof q.text === 'string' ? q.text : '',
      chain: Array.isArray(q.chain) ? (q.chain.filter(isObject) as unknown as HandoffLink[]) : [],
    };
  }
  return undefined;
}

/** The pending handoffs an `input-required` status message recorded. */
export function pendingHandoffsOf(message: Message | undefined): PendingHandoffRecord[] {
  const raw = message?.metadata?.[PENDING_HANDOFFS_KEY];
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (r): r is PendingHandoffRecord & JsonObject =>
      isObject(r) &&
      typeof r.call_id === 'string' &&
      typeof r.agent_uri === 'string' &&
      typeof r.task_id === 'string' &&
      typeof r.context_id === 'string',
  );
}

/** True for status messages the Loop wrote about handoffs (not part of the model's conversation). */
export function isHandoffStatus(message: Message): boolean {
  return message.metadata?.[HANDOFF_PROGRESS_KEY] !== undefined;
}

function stateWord(state: TaskState): string {
  return state.replace('TASK_STATE_', '').toLowerCase().replace('_', '-');
}

/**
 * The target context an earlier handoff of this conversation used, from the progress reports stored
 * with its tasks (so context continuity survives a restart when the store is durable).
 */
function recordedContext(
  target: string,
  history: readonly Message[],
  earlier: readonly Task[],
): string | undefined {
  const histories = [history, ...[...earlier].reverse().map((t) => t.history ?? [])];
  for (const messages of histories) {
    for (let i = messages.length - 1; i >= 0; i--) {
      const report = messages[i]!.metadata?.[HANDOFF_PROGRESS_KEY];
      if (!isObject(report) || !Array.isArray(report.path) || report.path.length !== 1) continue;
      if (typeof report.agent_uri !== 'string' || normalizeUrl(report.agent_uri) !== target) continue;
      if (typeof report.context_id === 'string' && report.context_id !== '') return report.context_id;
    }
  }
  return undefined;
}

/** The handoffs of one Loop. */
export class Handoffs {
  readonly #maxDepth: number;
  readonly #selfUrl: string | undefined;
  readonly #allowed: ReadonlySet<string> | undefined;
  /** (caller contextId, target URL) → the target's contextId. */
  readonly #contexts = new Map<string, string>();
  /** (target URL, message) → handoff tool calls waiting for their sampling request. */
  readonly #running = new Map<string, Running[]>();
  readonly #clients = new Map<string, Promise<A2AClient>>();

  constructor(options: HandoffsOptions) {
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#selfUrl = options.agentUrl ? normalizeUrl(options.agentUrl) : undefined;
    this.#allowed = options.allowed;
  }

  /**
   * Prepare a `handoff` tool call: fill in the target context this conversation already has, check
   * the cycle and depth limits, and register the call for its sampling request. Returns the
   * arguments to call the tool with and a `done` to call when the tool call is over, or the refusal
   * the model sees.
   */
  begin(
    ctx: TaskContext,
    callId: string,
    args: JsonObject,
    earlier: readonly Task[] = [],
  ): { args: JsonObject; done: () => HandoffInterrupt | undefined } | { refused: string } {
    if (typeof args.agent_uri !== 'string') return { args, done: () => undefined };
    const target = normalizeUrl(args.agent_uri);
    const chain = chainOf(ctx);
    const here = this.#chainThrough(ctx);
    if (here.includes(target)) {
      return {
        refused: `Error: handoff refused: ${target} is already in this chain of handoffs (${[...here, target].join(' → ')}); handing off to it would loop. Answer with what you know instead.`,
      };
    }
    if (chain.length + 1 > this.#maxDepth) {
      return {
        refused: `Error: handoff refused: this agent is already ${chain.length} handoff(s) down a chain (maxHandoffDepth is ${this.#maxDepth}). Answer with what you know instead.`,
      };
    }
    const out: JsonObject = { ...args };
    const known =
      this.#contexts.get(`${ctx.contextId}\0${target}`) ?? recordedContext(target, ctx.history, earlier);
    if (out.context_id === undefined && known !== undefined) out.context_id = known;
    const key = `${target}\0${typeof args.message === 'string' ? args.message : ''}`;
    const entry: Running = {
      ctx,
      callId,
      messageId: handoffMessageId(ctx.taskId, callId, ctx.message.messageId),
      chain: here,
    };
    const queue = this.#running.get(key) ?? [];
    queue.push(entry);
    this.#running.set(key, queue);
    return {
      args: out,
      done: () => {
        const list = this.#running.get(key);
        const at = list?.indexOf(entry) ?? -1;
        if (list && at !== -1) list.splice(at, 1);
        if (list?.length === 0) this.#running.delete(key);
        return entry.outcome;
      },
    };
  }

  /**
   * Answer a handoff sampling request: send `message` to `metadata.agent_uri` over A2A, follow the
   * target's task, and return its answer. When the target needs input, the tool call that asked is
   * marked interrupted (see {@link Handoffs.begin}'s `done`) and the text says so.
   */
  async sample(metadata: Record<string, unknown>, message: string, signal: AbortSignal): Promise<string> {
    const agentUri = metadata.agent_uri;
    if (typeof agentUri !== 'string' || agentUri === '') {
      throw new Error('This client only answers handoff sampling requests (metadata.agent_uri is missing).');
    }
    const target = normalizeUrl(agentUri);
    if (this.#allowed && !this.#allowed.has(target)) {
      throw new Error(
        `handoff refused: ${target} is not among the agents this agent may hand off to (${[...this.#allowed].join(', ') || 'none'}).`,
      );
    }
    const running = this.#running.get(`${target}\0${message}`)?.find((r) => r.outcome === undefined);
    const mapKey = running ? `${running.ctx.contextId}\0${target}` : undefined;
    const contextId =
      typeof metadata.context_id === 'string' && metadata.context_id !== ''
        ? metadata.context_id
        : mapKey
          ? this.#contexts.get(mapKey)
          : undefined;
    const a2a = await this.#client(target);
    const name = a2a.card.name || target;
    const input: SendInput = {
      text: message,
      ...(contextId ? { contextId } : {}),
      ...(running ? { messageId: running.messageId, metadata: { [HANDOFF_CHAIN_KEY]: running.chain } } : {}),
    };
    const report = running ? this.#reporter(running.ctx, running.callId) : undefined;
    const signals = running ? AbortSignal.any([signal, running.ctx.signal]) : signal;
    const result = await this.#follow(a2a, target, input, signals, report);
    if (mapKey && result.contextId) this.#remember(mapKey, result.contextId);
    return this.#outcome(result, name, target, running);
  }

  /**
   * Route the client's answer down to a target that needed input, and follow its task again.
   * Returns the target's answer, or an interrupt when it needs input again.
   */
  async resume(
    ctx: TaskContext,
    record: PendingHandoffRecord,
    answers: ToolAnswers,
    text: string,
  ): Promise<HandoffOutcome> {
    const parts: Part[] = [];
    const results = record.call_ids.flatMap((id) => {
      const r = answers.results.get(id);
      return r ? [{ ...r } as JsonObject] : [];
    });
    const approvals = record.call_ids.flatMap((id) => {
      const a = answers.approvals.get(id);
      return a ? [{ ...a } as unknown as JsonObject] : [];
    });
    if (results.length > 0) parts.push({ data: { tool_results: results } });
    if (approvals.length > 0) parts.push({ data: { tool_approvals: approvals } });
    if (record.question || parts.length === 0) parts.push({ text: text || 'The user gave no answer.' });
    const target = normalizeUrl(record.agent_uri);
    let a2a: A2AClient;
    try {
      a2a = await this.#client(target);
    } catch (error) {
      return `Error: could not reach ${record.agent_name} to pass on the answer: ${(error as Error).message}`;
    }
    const running: Running = {
      ctx,
      callId: record.call_id,
      messageId: handoffMessageId(ctx.taskId, record.call_id, ctx.message.messageId),
      chain: this.#chainThrough(ctx),
    };
    const report = this.#reporter(ctx, record.call_id);
    try {
      const result = await this.#follow(
        a2a,
        target,
        {
          parts,
          taskId: record.task_id,
          contextId: record.context_id,
          messageId: running.messageId,
          metadata: { [HANDOFF_CHAIN_KEY]: running.chain },
        },
        ctx.signal,
        report,
      );
      const answer = this.#outcome(result, record.agent_name, target, running);
      return running.outcome ?? answer;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return `Error: ${record.agent_name} failed: ${(error as Error).message}`;
    }
  }

  /** The chain a handoff from this task sends on: the agents above, then this one. */
  #chainThrough(ctx: TaskContext): string[] {
    const chain = chainOf(ctx);
    return this.#selfUrl ? [...chain, this.#selfUrl] : chain;
  }

  /** Cancel the targets' tasks a canceled task was waiting on. */
  async cancel(records: readonly PendingHandoffRecord[]): Promise<void> {
    await Promise.all(
      records.map(async (record) => {
        const a2a = await this.#client(normalizeUrl(record.agent_uri));
        await a2a.cancel(record.task_id);
      }),
    );
  }

  /** Turn the target's task into the model's answer, or mark the running call interrupted. */
  #outcome(result: Task | Message, name: string, target: string, running: Running | undefined): string {
    if (!('status' in result)) return textOf(result.parts);
    const text = taskText(result);
    const state = result.status.state;
    if (state === 'TASK_STATE_COMPLETED') return text;
    if (state === 'TASK_STATE_INPUT_REQUIRED' || state === 'TASK_STATE_AUTH_REQUIRED') {
      const asking = result.status.message;
      const link: HandoffLink = {
        agent_name: name,
        agent_uri: target,
        task_id: result.id,
        context_id: result.contextId,
      };
      const calls = asking
        ? toolCallsOf(asking).map((c) => ({ ...c, chain: [link, ...(c.chain ?? [])] }))
        : [];
      const nested = asking ? questionOf(asking) : undefined;
      const questionText = asking ? textOf(asking.parts) : '';
      const question =
        calls.length === 0
          ? {
              text: nested?.text || questionText || `${name} needs more input.`,
              chain: [link, ...(nested?.chain ?? [])],
            }
          : undefined;
      if (running) {
        running.outcome = {
          record: {
            call_id: running.callId,
            agent_name: name,
            agent_uri: target,
            task_id: result.id,
            context_id: result.contextId,
            call_ids: calls.map((c) => c.call_id),
            question: question !== undefined,
          },
          calls,
          ...(question ? { question } : {}),
        };
      }
      return `${name} needs more input before it can answer${questionText ? `: ${questionText}` : '.'}`;
    }
    throw new Error(`${name} ended its task ${stateWord(state)}${text ? `: ${text}` : ''}`);
  }

  /** Report the target's progress as status updates of the caller's task. */
  #reporter(ctx: TaskContext, callId: string): (progress: Omit<HandoffProgress, 'call_id'>) => void {
    return (progress) => {
      const full: HandoffProgress = { call_id: callId, ...progress };
      const who = full.path.join(' → ');
      const text =
        full.state === 'TASK_STATE_SUBMITTED'
          ? `Handing off to ${who}`
          : full.state === 'TASK_STATE_COMPLETED'
            ? `${who} answered`
            : `${who}: ${stateWord(full.state)}`;
      try {
        void ctx
          .sendStatus({ content: text, metadata: { [HANDOFF_PROGRESS_KEY]: full as unknown as JsonValue } })
          .catch(() => {});
      } catch {
        // The caller's turn already ended (canceled): nobody to tell.
      }
    };
  }

  /**
   * Send to an agent and follow its task until the turn ends (finished, or waiting for input),
   * reporting progress. Aborting `signal` cancels the target's task.
   */
  async #follow(
    a2a: A2AClient,
    uri: string,
    input: SendInput,
    signal: AbortSignal,
    report: ((progress: Omit<HandoffProgress, 'call_id'>) => void) | undefined,
  ): Promise<Task | Message> {
    const name = a2a.card.name || uri;
    let taskId: string | undefined = input.taskId;
    let contextId: string | undefined = input.contextId;
    let state: TaskState | undefined;
    let last: Message | undefined;
    // The target's task as the stream tells it (no GetTask round trip after the turn).
    let task: Task | undefined;
    const stateChanged = (next: TaskState) => {
      if (next === state) return;
      state = next;
      report?.({
        agent_name: name,
        agent_uri: uri,
        ...(taskId ? { task_id: taskId } : {}),
        ...(contextId ? { context_id: contextId } : {}),
        state: next,
        path: [name],
      });
    };
    const cancel = () => {
      if (taskId !== undefined) void a2a.cancel(taskId).catch(() => undefined);
    };
    if (!input.taskId) stateChanged('TASK_STATE_SUBMITTED');
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for await (const event of a2a.stream(input, { signal })) {
        task = applyStreamEvent(task, event);
        if ('task' in event) {
          taskId ??= event.task.id;
          contextId ??= event.task.contextId;
          if (!turnEnded(event.task.status.state)) stateChanged(event.task.status.state);
        } else if ('statusUpdate' in event) {
          taskId ??= event.statusUpdate.taskId;
          contextId ??= event.statusUpdate.contextId;
          const nested = event.statusUpdate.status.message?.metadata?.[HANDOFF_PROGRESS_KEY];
          if (isObject(nested) && Array.isArray(nested.path) && report) {
            // A report from further down the chain: pass it up with this target in front.
            report({ ...(nested as unknown as HandoffProgress), path: [name, ...(nested.path as string[])] });
          } else if (!turnEnded(event.statusUpdate.status.state))
            stateChanged(event.statusUpdate.status.state);
        } else if ('artifactUpdate' in event) taskId ??= event.artifactUpdate.taskId;
        else if ('message' in event) last = event.message;
      }
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    signal.throwIfAborted();
    const streamed = task && task.id === taskId && turnEnded(task.status.state) ? task : undefined;
    const result: Task | Message | undefined =
      streamed ?? (taskId !== undefined ? await a2a.getTask(taskId, { signal }) : last);
    if (!result) throw new Error(`${name} answered with neither a task nor a message.`);
    if ('status' in result && report) {
      const text = taskText(result);
      report({
        agent_name: name,
        agent_uri: uri,
        task_id: result.id,
        context_id: result.contextId,
        state: result.status.state,
        ...(text ? { text } : {}),
        path: [name],
      });
    }
    return result;
  }

  #client(target: string): Promise<A2AClient> {
    let connecting = this.#clients.get(target);
    if (!connecting) {
      connecting = A2AClient.connect(target);
      this.#clients.set(target, connecting);
      connecting.catch(() => this.#clients.delete(target));
    }
    return connecting;
  }

  #remember(key: string, contextId: string): void {
    this.#contexts.delete(key);
    this.#contexts.set(key, contextId);
    if (this.#contexts.size > MAX_CONTEXTS) {
      const oldest = this.#contexts.keys().next().value;
      if (oldest !== undefined) this.#contexts.delete(oldest);
    }
  }
}

/** States that end a turn: reported once, with the answer, after the stream. */
function turnEnded(state: TaskState): boolean {
  return isTerminal(state) || isInterrupted(state);
}
