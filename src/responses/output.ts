/**
 * From one A2A turn to one response: the task's events become Responses stream events, and the
 * turn's end becomes the response's output and status.
 *
 * - Answer text (artifact chunks, the Loop's `response` artifact) → an assistant `message` with
 *   `output_text`, streamed as `output_text.delta`s.
 * - `input-required` with `tool_calls` → `function_call` items (kind `client`) and
 *   `mcp_approval_request` items (kind `approval`); with a question (a handed-off agent's, or any
 *   other prompt) → an assistant message with the question.
 * - `completed` → `completed`; `failed` / `rejected` → `failed` with the reason; `canceled` →
 *   `cancelled`. The task's `timestep/usage` → `usage`.
 *
 * @module
 */
import { slugify } from '../a2a/server/card.js';
import type { JsonObject, Message, Part, Task, TaskState } from '../a2a/types.js';
import { approvalRequestId, functionCallItemId } from './ids.js';
import type { PendingCall } from './input.js';
import type {
  FunctionTool,
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseUsage,
  UnsequencedEvent,
} from './types.js';

/** Task metadata key of the turn's token counts (written by the Loop). */
export const USAGE_KEY = 'timestep/usage';

/** What a response echoes from its request. */
export interface ResponseSeed {
  model: string;
  instructions: string | null;
  tools: FunctionTool[];
  previousResponseId: string | null;
  store: boolean;
  metadata: Record<string, string>;
  temperature: number | null;
  topP: number | null;
  maxOutputTokens: number | null;
  parallelToolCalls: boolean;
  /** `server_label` of approval requests for the agent's own tools (its model id). */
  serverLabel: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOfParts(parts: readonly Part[]): string {
  return parts
    .map((p) => ('text' in p ? p.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** A call the client must act on, as the `tool_calls` data part carries it. */
interface AskedCall extends PendingCall {
  arguments: JsonObject;
  /** The handed-off agents the call was raised in (outermost first). */
  chain: Array<{ agent_name: string }>;
}

/** The calls an `input-required` status message asks the client to act on. */
function askedCalls(message: Message | undefined): AskedCall[] {
  const calls: AskedCall[] = [];
  for (const part of message?.parts ?? []) {
    if (!('data' in part) || !isObject(part.data) || !Array.isArray(part.data.tool_calls)) continue;
    for (const entry of part.data.tool_calls) {
      if (!isObject(entry) || typeof entry.call_id !== 'string' || typeof entry.name !== 'string') continue;
      const chain = Array.isArray(entry.chain)
        ? entry.chain
            .filter(isObject)
            .map((c) => ({ agent_name: String((c as { agent_name?: unknown }).agent_name ?? '') }))
        : [];
      calls.push({
        call_id: entry.call_id,
        name: entry.name,
        arguments: isObject(entry.arguments) ? (entry.arguments as JsonObject) : {},
        kind: entry.kind === 'approval' ? 'approval' : 'client',
        chain,
      });
    }
  }
  return calls;
}

/** The calls a task waiting for input waits on (none when it asked a question). */
export function pendingCalls(task: Task): PendingCall[] {
  return askedCalls(task.status.message).map(({ call_id, name, kind }) => ({ call_id, name, kind }));
}

/** The number of turns a task has had (its user messages). */
export function turnsOf(task: Task): number {
  let turns = 0;
  for (const message of task.history ?? []) if (message.role === 'ROLE_USER') turns++;
  return turns;
}

/** The user message that opened turn `turn` (1-based) of a task. */
export function turnMessage(task: Task, turn: number): Message | undefined {
  let seen = 0;
  for (const message of task.history ?? []) {
    if (message.role === 'ROLE_USER' && ++seen === turn) return message;
  }
  return undefined;
}

function usageOf(task: Task): ResponseUsage | null {
  const raw = task.metadata?.[USAGE_KEY];
  if (!isObject(raw) || typeof raw.input_tokens !== 'number' || typeof raw.output_tokens !== 'number')
    return null;
  return {
    input_tokens: raw.input_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: raw.output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens:
      typeof raw.total_tokens === 'number' ? raw.total_tokens : raw.input_tokens + raw.output_tokens,
  };
}

/** The text of each artifact of a task, by artifact id. */
function artifactTexts(task: Task | undefined): Map<string, string> {
  const texts = new Map<string, string>();
  for (const artifact of task?.artifacts ?? []) texts.set(artifact.artifactId, textOfParts(artifact.parts));
  return texts;
}

/** Open message item of the artifact being streamed. */
interface OpenMessage {
  artifactId: string;
  index: number;
  item: ResponseOutputMessage;
}

/**
 * Builds one response from the A2A events of one turn, emitting the Responses stream events as it
 * goes (pass a no-op `emit` for a non-streamed response).
 */
export class ResponseBuilder {
  /** The response so far (final after {@link ResponseBuilder.finish} or {@link ResponseBuilder.fail}). */
  readonly response: ResponseObject;
  readonly #emit: (event: UnsequencedEvent) => void;
  /** `server_label` of approval requests for this agent's own tools. */
  readonly #serverLabel: string;
  /** Artifact text from earlier turns of a resumed task: not part of this response. */
  readonly #baseline: Map<string, string>;
  /** This turn's raw text per artifact (as the chunks arrived). */
  readonly #raw = new Map<string, string>();
  /** This turn's text per artifact already put into the response. */
  readonly #shown = new Map<string, string>();
  #open: OpenMessage | undefined;
  #started = false;
  #ended = false;
  #messages = 0;

  /**
   * @param resumed the task as it was before this turn, when the turn answers a task waiting for
   * input (its artifacts so far belong to earlier responses).
   */
  constructor(seed: ResponseSeed, emit: (event: UnsequencedEvent) => void, resumed?: Task) {
    this.#emit = emit;
    this.#baseline = artifactTexts(resumed);
    this.response = {
      id: '',
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      completed_at: null,
      status: 'in_progress',
      background: false,
      error: null,
      incomplete_details: null,
      instructions: seed.instructions,
      max_output_tokens: seed.maxOutputTokens,
      model: seed.model,
      output: [],
      output_text: '',
      parallel_tool_calls: seed.parallelToolCalls,
      previous_response_id: seed.previousResponseId,
      store: seed.store,
      temperature: seed.temperature,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: seed.tools,
      top_p: seed.topP,
      truncation: 'disabled',
      usage: null,
      metadata: seed.metadata,
    };
    this.#serverLabel = seed.serverLabel;
  }

  /** Whether {@link ResponseBuilder.start} ran. */
  get started(): boolean {
    return this.#started;
  }

  /** The response exists (its id is known once the task is): `response.created`, `response.in_progress`. */
  start(id: string): void {
    if (this.#started) return;
    this.#started = true;
    this.response.id = id;
    this.#emit({ type: 'response.created', response: this.response });
    this.#emit({ type: 'response.in_progress', response: this.response });
  }

  /** A chunk of an artifact (an A2A artifact update). */
  artifact(artifactId: string, parts: readonly Part[], append: boolean): void {
    const text = parts.map((p) => ('text' in p ? p.text : '')).join('');
    const before = this.#raw.get(artifactId) ?? '';
    this.#raw.set(artifactId, append ? before + text : text);
    this.#show(artifactId);
  }

  /** Bring the response up to a task snapshot (text an event did not carry). */
  catchUp(task: Task): void {
    for (const [artifactId, full] of artifactTexts(task)) {
      const baseline = this.#baseline.get(artifactId) ?? '';
      if (!full.startsWith(baseline)) continue;
      const raw = full.slice(baseline.length);
      if (raw.length > (this.#raw.get(artifactId) ?? '').length) {
        this.#raw.set(artifactId, raw);
        this.#show(artifactId);
      }
    }
  }

  /** End the response with the task's state at the end of the turn. */
  finish(task: Task): ResponseObject {
    this.catchUp(task);
    const state: TaskState = task.status.state;
    const statusText = textOfParts(task.status.message?.parts ?? []);
    const failed = state === 'TASK_STATE_FAILED' || state === 'TASK_STATE_REJECTED';
    const canceled = state === 'TASK_STATE_CANCELED';
    this.#closeMessage(failed || canceled ? 'incomplete' : 'completed');
    if (state === 'TASK_STATE_INPUT_REQUIRED' || state === 'TASK_STATE_AUTH_REQUIRED') {
      const calls = askedCalls(task.status.message);
      if (calls.length > 0) for (const call of calls) this.#addCall(call);
      else if (statusText !== '') this.#addWholeMessage(statusText);
    }
    this.response.usage = usageOf(task);
    if (failed || canceled) {
      this.response.status = canceled ? 'cancelled' : 'failed';
      this.response.error = {
        code: 'server_error',
        message: statusText || (canceled ? 'The task was canceled.' : 'The agent could not answer.'),
      };
      this.#end('response.failed');
    } else {
      this.response.status = 'completed';
      this.#end('response.completed');
    }
    return this.response;
  }

  /** End the response as failed without a final task (the turn broke off). */
  fail(message: string): ResponseObject {
    this.#closeMessage('incomplete');
    this.response.status = 'failed';
    this.response.error = { code: 'server_error', message };
    if (this.#started) this.#emit({ type: 'error', code: 'server_error', message, param: null });
    this.#end('response.failed');
    return this.response;
  }

  #end(type: 'response.completed' | 'response.failed'): void {
    if (this.#ended) return;
    this.#ended = true;
    this.response.completed_at = Math.floor(Date.now() / 1000);
    this.response.output_text = this.#outputText();
    if (this.#started) this.#emit({ type, response: this.response });
  }

  #outputText(): string {
    let text = '';
    for (const item of this.response.output) {
      if (item.type === 'message') for (const part of item.content) text += part.text;
    }
    return text;
  }

  /** This turn's text of an artifact as shown (a resumed artifact's chunk separator dropped). */
  #turnText(artifactId: string): string {
    const raw = this.#raw.get(artifactId) ?? '';
    // The Loop separates a later turn's text from the earlier text of the same artifact with a blank line.
    return this.#baseline.get(artifactId) ? raw.replace(/^\n\n/, '') : raw;
  }

  #show(artifactId: string): void {
    if (this.#ended) return;
    const text = this.#turnText(artifactId);
    const shown = this.#shown.get(artifactId) ?? '';
    if (text.length <= shown.length || !text.startsWith(shown)) return;
    const delta = text.slice(shown.length);
    this.#shown.set(artifactId, text);
    if (this.#open?.artifactId !== artifactId) {
      this.#closeMessage('completed');
      this.#openMessage(artifactId);
    }
    const open = this.#open!;
    open.item.content[0]!.text += delta;
    this.response.output_text += delta;
    this.#emit({
      type: 'response.output_text.delta',
      item_id: open.item.id,
      output_index: open.index,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  #messageId(): string {
    const base = this.response.id.replace(/^resp_/, '');
    return `msg_${base}_${this.#messages++}`;
  }

  #openMessage(artifactId: string): void {
    const item: ResponseOutputMessage = {
      type: 'message',
      id: this.#messageId(),
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    const index = this.response.output.length;
    this.response.output.push(item);
    this.#open = { artifactId, index, item };
    this.#emit({ type: 'response.output_item.added', output_index: index, item: { ...item, content: [] } });
    item.content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] });
    this.#emit({
      type: 'response.content_part.added',
      item_id: item.id,
      output_index: index,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
  }

  #closeMessage(status: 'completed' | 'incomplete'): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    const { item, index } = open;
    const part = item.content[0]!;
    item.status = status;
    this.#emit({
      type: 'response.output_text.done',
      item_id: item.id,
      output_index: index,
      content_index: 0,
      text: part.text,
      logprobs: [],
    });
    this.#emit({
      type: 'response.content_part.done',
      item_id: item.id,
      output_index: index,
      content_index: 0,
      part,
    });
    this.#emit({ type: 'response.output_item.done', output_index: index, item });
  }

  /** A complete assistant message (a question the agent asks). */
  #addWholeMessage(text: string): void {
    this.#openMessage('');
    const open = this.#open!;
    open.item.content[0]!.text = text;
    this.response.output_text += text;
    this.#emit({
      type: 'response.output_text.delta',
      item_id: open.item.id,
      output_index: open.index,
      content_index: 0,
      delta: text,
      logprobs: [],
    });
    this.#closeMessage('completed');
  }

  #addCall(call: AskedCall): void {
    const index = this.response.output.length;
    const args = JSON.stringify(call.arguments);
    let item: ResponseOutputItem;
    if (call.kind === 'approval') {
      // The agent that owns the tool: the last handed-off agent of the chain, or this one.
      const owner = call.chain.at(-1)?.agent_name;
      item = {
        type: 'mcp_approval_request',
        id: approvalRequestId(call.call_id),
        name: call.name,
        arguments: args,
        server_label: owner ? slugify(owner) : this.#serverLabel,
      };
      this.response.output.push(item);
      this.#emit({ type: 'response.output_item.added', output_index: index, item });
      this.#emit({ type: 'response.output_item.done', output_index: index, item });
      return;
    }
    const id = functionCallItemId(call.call_id);
    const done: ResponseOutputItem = {
      type: 'function_call',
      id,
      call_id: call.call_id,
      name: call.name,
      arguments: args,
      status: 'completed',
    };
    this.response.output.push(done);
    this.#emit({
      type: 'response.output_item.added',
      output_index: index,
      item: { ...done, arguments: '', status: 'in_progress' },
    });
    this.#emit({
      type: 'response.function_call_arguments.delta',
      item_id: id,
      output_index: index,
      delta: args,
    });
    this.#emit({
      type: 'response.function_call_arguments.done',
      item_id: id,
      output_index: index,
      name: call.name,
      arguments: args,
    });
    this.#emit({ type: 'response.output_item.done', output_index: index, item: done });
  }
}
