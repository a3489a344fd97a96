/**
 * The Loop's tool policy: which tool calls run on the Environment, which the A2A client runs, and
 * which need the user's approval first (DESIGN §3, "Tool calls the client must act on").
 *
 * @module
 */
import type { JsonObject, JsonValue, Message } from '../a2a/types.js';
import type { ModelItem } from '../models/model.js';

/** Where tool calls run: `server` (on the Environment, by policy) or `client` (every call, Python Timestep's mode). */
export type ToolExecution = 'server' | 'client';

/** A tool as the Loop's policy sees it (from the Environment's `tools/list`). */
export interface LoopTool {
  /** The tool's name. */
  readonly name: string;
  /** What the tool does. */
  readonly description?: string;
  /** The tool's MCP `_meta` (`timestep/needsApproval`, `timestep/clientSide`…). */
  readonly meta: Readonly<Record<string, unknown>>;
  /** The tool's MCP annotations (hints). */
  readonly annotations: Readonly<{
    title?: string;
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
  }>;
}

/** Why the client is asked about a tool call: it runs the tool (`client`) or approves it (`approval`). */
export type ClientCallKind = 'client' | 'approval';

/** One agent of a chain of handoffs (see {@link ClientToolCall.chain}). */
export interface HandoffLink {
  agent_name: string;
  agent_uri: string;
  task_id: string;
  context_id: string;
}

/** One entry of the `tool_calls` data part of an `input-required` status message. */
export interface ClientToolCall {
  call_id: string;
  name: string;
  arguments: JsonObject;
  kind: ClientCallKind;
  /**
   * For a call raised inside a handed-off agent: the agents it passed through, outermost first; the
   * last one asks. The answer goes to this task as usual; the Loop routes it down.
   */
  chain?: HandoffLink[];
}

/** A client's result for a tool call (`tool_results` entry). */
export interface ClientToolResult {
  call_id: string;
  name?: string;
  output: string;
}

/** A client's decision on a tool call (`tool_approvals` entry). */
export interface ClientToolApproval {
  call_id: string;
  approved: boolean;
  reason?: string;
  arguments?: JsonObject;
}

/** `_meta` key: the tool call needs the user's approval. */
const NEEDS_APPROVAL = 'timestep/needsApproval';
/** `_meta` key: the client runs the tool. */
const CLIENT_SIDE = 'timestep/clientSide';
/** Status message metadata key: the model items of the turn that ended waiting for the client. */
export const TURN_ITEMS_METADATA_KEY = 'timestep/items';
/** The tool that is never sent to the client. */
export const HANDOFF_TOOL = 'handoff';

/** True when a call of `tool` needs approval by default (`needsApproval` meta or `destructiveHint`). */
export function defaultNeedsApproval(tool: LoopTool): boolean {
  return tool.meta[NEEDS_APPROVAL] === true || tool.annotations.destructiveHint === true;
}

/** True when the client runs `tool` (`clientSide` meta). */
export function isClientSide(tool: LoopTool): boolean {
  return tool.meta[CLIENT_SIDE] === true;
}

/** True for a JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The data parts of a message. */
function dataParts(message: Message): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const part of message.parts) {
    if ('data' in part && isObject(part.data)) out.push(part.data);
  }
  return out;
}

/** The `tool_calls` of a message's data parts (entries without a `call_id` or `name` are skipped). */
export function toolCallsOf(message: Message): ClientToolCall[] {
  const calls: ClientToolCall[] = [];
  for (const data of dataParts(message)) {
    if (!Array.isArray(data.tool_calls)) continue;
    for (const entry of data.tool_calls) {
      if (!isObject(entry) || typeof entry.call_id !== 'string' || typeof entry.name !== 'string') continue;
      calls.push({
        call_id: entry.call_id,
        name: entry.name,
        arguments: isObject(entry.arguments) ? (entry.arguments as JsonObject) : {},
        kind: entry.kind === 'approval' ? 'approval' : 'client',
        ...(Array.isArray(entry.chain) && entry.chain.length > 0
          ? { chain: entry.chain.filter(isObject) as unknown as HandoffLink[] }
          : {}),
      });
    }
  }
  return calls;
}

/** The client's answers in data parts: `tool_results` and `tool_approvals`, by call id. */
export interface ToolAnswers {
  results: Map<string, ClientToolResult>;
  approvals: Map<string, ClientToolApproval>;
}

/** Read `tool_results` / `tool_approvals` from data parts (a message's `userData`). */
export function toolAnswersOf(data: readonly unknown[]): ToolAnswers {
  const answers: ToolAnswers = { results: new Map(), approvals: new Map() };
  for (const part of data) {
    if (!isObject(part)) continue;
    if (Array.isArray(part.tool_results)) {
      for (const r of part.tool_results) {
        if (!isObject(r) || typeof r.call_id !== 'string') continue;
        const output = typeof r.output === 'string' ? r.output : JSON.stringify(r.output ?? null);
        answers.results.set(r.call_id, {
          call_id: r.call_id,
          ...(typeof r.name === 'string' ? { name: r.name } : {}),
          output,
        });
      }
    }
    if (Array.isArray(part.tool_approvals)) {
      for (const a of part.tool_approvals) {
        if (!isObject(a) || typeof a.call_id !== 'string') continue;
        answers.approvals.set(a.call_id, {
          call_id: a.call_id,
          approved: a.approved === true,
          ...(typeof a.reason === 'string' && a.reason !== '' ? { reason: a.reason } : {}),
          ...(isObject(a.arguments) ? { arguments: a.arguments as JsonObject } : {}),
        });
      }
    }
  }
  return answers;
}

/** True when data parts carry tool answers. */
export function hasToolAnswers(message: Message): boolean {
  return dataParts(message).some((d) => Array.isArray(d.tool_results) || Array.isArray(d.tool_approvals));
}

/** The model items a status message recorded for its turn (`metadata['timestep/items']`), if any. */
export function turnItemsOf(message: Message): ModelItem[] | undefined {
  const raw = message.metadata?.[TURN_ITEMS_METADATA_KEY];
  return Array.isArray(raw) ? parseItems(raw) : undefined;
}

/** Model items from JSON (entries that are not items are skipped). */
export function parseItems(raw: readonly unknown[]): ModelItem[] {
  const items: ModelItem[] = [];
  for (const item of raw) {
    if (!isObject(item)) continue;
    if (item.type === 'message' && (item.role === 'user' || item.role === 'assistant')) {
      items.push({ type: 'message', role: item.role, content: String(item.content ?? '') });
    } else if (
      item.type === 'tool_call' &&
      typeof item.callId === 'string' &&
      typeof item.name === 'string'
    ) {
      items.push({
        type: 'tool_call',
        callId: item.callId,
        name: item.name,
        arguments: isObject(item.arguments) ? (item.arguments as JsonObject) : {},
      });
    } else if (item.type === 'tool_result' && typeof item.callId === 'string') {
      items.push({
        type: 'tool_result',
        callId: item.callId,
        name: String(item.name ?? ''),
        output: String(item.output ?? ''),
      });
    }
  }
  return items;
}

/** Model items as JSON for status message metadata. */
export function itemsToJson(items: readonly ModelItem[]): JsonValue {
  return items.map((item) => ({ ...item })) as JsonValue;
}

/** The tool calls among `items` that have no tool result yet, in order. */
export function unansweredCalls(
  items: readonly ModelItem[],
): Array<Extract<ModelItem, { type: 'tool_call' }>> {
  const answered = new Set<string>();
  for (const item of items) if (item.type === 'tool_result') answered.add(item.callId);
  const seen = new Set<string>();
  const calls: Array<Extract<ModelItem, { type: 'tool_call' }>> = [];
  for (const item of items) {
    if (item.type !== 'tool_call' || answered.has(item.callId) || seen.has(item.callId)) continue;
    seen.add(item.callId);
    calls.push(item);
  }
  return calls;
}

/** The short sentence that goes with the `tool_calls` data part. */
export function promptText(calls: readonly ClientToolCall[]): string {
  const names = (kind: ClientCallKind) => [
    ...new Set(
      calls
        .filter((c) => c.kind === kind)
        .map((c) => (c.chain?.length ? `${c.name} (asked by ${c.chain.at(-1)!.agent_name})` : c.name)),
    ),
  ];
  const sentences: string[] = [];
  const approvals = names('approval');
  const client = names('client');
  if (approvals.length > 0) sentences.push(`Approval needed before running ${approvals.join(', ')}.`);
  if (client.length > 0) sentences.push(`Please run ${client.join(', ')} and send back the results.`);
  return sentences.join(' ');
}
