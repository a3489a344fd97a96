/**
 * From a validated `POST /v1/responses` body to the A2A user message underneath: `input` items onto
 * message parts, and the Loop's per-turn metadata (`timestep/instructions`, `timestep/tools`,
 * `timestep/prior_items`).
 *
 * @module
 */
import type { JsonObject, JsonValue, Part } from '../a2a/types.js';
import { ResponsesError } from './errors.js';
import { callIdOfApproval } from './ids.js';
import type { CreateParams } from './params.js';
import type {
  InputFunctionCall,
  InputFunctionCallOutput,
  InputMcpApprovalResponse,
  InputMessage,
  ResponseInputItem,
} from './types.js';

/** Message metadata keys the Loop reads (see the session contracts). */
export const INSTRUCTIONS_KEY = 'timestep/instructions';
/** Extra client-side function tools for one turn. */
export const TOOLS_KEY = 'timestep/tools';
/** Conversation items a stateless caller sent along (first turn of a new task only). */
export const PRIOR_ITEMS_KEY = 'timestep/prior_items';
/** Ours: how the response of this turn was asked for (`{ store }`), so a restart still knows. */
export const RESPONSE_KEY = 'timestep/response';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A call the task underneath is waiting on (from its `input-required` status message). */
export interface PendingCall {
  call_id: string;
  name: string;
  kind: 'client' | 'approval';
}

/** The A2A user message content of a response's input. */
export interface A2AInput {
  parts: Part[];
  metadata: JsonObject;
}

/**
 * Map validated input onto the A2A user message.
 *
 * `pending` is set when the input answers a turn the task is waiting on (`previous_response_id` of a
 * response that ended with function calls, approval requests or a question): function call outputs
 * become `tool_results`, approval responses `tool_approvals`, user text stays text. Otherwise the
 * input starts a new task: trailing user messages are its text, and any earlier items (a stateless
 * caller's conversation) go along as `timestep/prior_items`.
 */
export function toA2AInput(params: CreateParams, pending: readonly PendingCall[] | undefined): A2AInput {
  const instructions: string[] = params.instructions ? [params.instructions] : [];
  const items: ResponseInputItem[] = [];
  for (const item of params.items) {
    if (item.type === 'message' || item.type === undefined) {
      // parseCreateParams leaves every message's content as one string.
      const text = item.content as string;
      if (item.role === 'system' || item.role === 'developer') {
        if (text !== '') instructions.push(text);
        continue;
      }
      if (item.role === 'assistant' && text === '') continue;
    }
    items.push(item);
  }
  const metadata: JsonObject = { [RESPONSE_KEY]: { store: params.store } };
  if (instructions.length > 0) metadata[INSTRUCTIONS_KEY] = instructions.join('\n\n');
  if (params.tools.length > 0) {
    metadata[TOOLS_KEY] = params.tools.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.parameters,
    }));
  }
  const parts = pending ? answerParts(items, pending, params) : newTaskParts(items, metadata, params);
  return { parts, metadata };
}

function where(params: CreateParams, item: ResponseInputItem): string {
  return `input[${params.items.indexOf(item)}]`;
}

function answerParts(
  items: ReadonlyArray<ResponseInputItem>,
  pending: readonly PendingCall[],
  params: CreateParams,
): Part[] {
  const byId = new Map(pending.map((c) => [c.call_id, c]));
  const results: JsonObject[] = [];
  const approvals: JsonObject[] = [];
  const texts: string[] = [];
  for (const item of items) {
    if (item.type === 'function_call_output') {
      const call = byId.get(item.call_id);
      if (call?.kind !== 'client') {
        throw ResponsesError.invalid(
          `${where(params, item)}.call_id`,
          `No function call with call_id '${item.call_id}' is waiting for output in the previous response${pending.length > 0 ? ` (waiting: ${pending.map((c) => c.call_id).join(', ')})` : ''}.`,
        );
      }
      results.push({ call_id: item.call_id, name: call.name, output: item.output });
    } else if (item.type === 'mcp_approval_response') {
      const callId = callIdOfApproval(item.approval_request_id);
      const call = callId === undefined ? undefined : byId.get(callId);
      if (call?.kind !== 'approval') {
        throw ResponsesError.invalid(
          `${where(params, item)}.approval_request_id`,
          `No approval request '${item.approval_request_id}' is waiting in the previous response.`,
        );
      }
      approvals.push({
        call_id: call.call_id,
        approved: item.approve,
        ...(item.reason ? { reason: item.reason } : {}),
      });
    } else if (item.type === 'message' && item.role === 'user') {
      if (item.content !== '') texts.push(item.content as string);
    } else {
      throw ResponsesError.invalid(
        where(params, item),
        `${where(params, item)}: with previous_response_id, send only new input (user messages, function_call_output, mcp_approval_response); the earlier conversation is already known.`,
      );
    }
  }
  // As with OpenAI, every function call must get its output (an unanswered approval is a refusal).
  const answered = new Set(results.map((r) => r.call_id));
  const missing = pending.filter((c) => c.kind === 'client' && !answered.has(c.call_id));
  if (missing.length > 0) {
    throw ResponsesError.invalid(
      'input',
      `No tool output found for function call ${missing.map((c) => `${c.call_id} (${c.name})`).join(', ')}: send a function_call_output item for each.`,
      'missing_function_call_output',
    );
  }
  const parts: Part[] = [];
  if (texts.length > 0) parts.push({ text: texts.join('\n\n') });
  const data: JsonObject = {};
  if (results.length > 0) data.tool_results = results;
  if (approvals.length > 0) data.tool_approvals = approvals;
  if (Object.keys(data).length > 0) parts.push({ data });
  if (parts.length === 0) parts.push({ text: '' });
  return parts;
}

function newTaskParts(
  items: ReadonlyArray<ResponseInputItem>,
  metadata: JsonObject,
  params: CreateParams,
): Part[] {
  // The new turn's own text: the user messages after the last item of earlier conversation.
  let split = items.length;
  while (split > 0) {
    const item = items[split - 1]!;
    if (item.type !== 'message' || item.role !== 'user') break;
    split--;
  }
  const prior: JsonValue[] = [];
  const calls = new Map<string, InputFunctionCall>();
  for (const item of items.slice(0, split)) {
    if (item.type === 'message' || item.type === undefined) {
      prior.push({ type: 'message', role: item.role, content: item.content as string });
    } else if (item.type === 'function_call') {
      calls.set(item.call_id, item);
      prior.push({
        type: 'tool_call',
        callId: item.call_id,
        name: item.name,
        arguments: parseArguments(item, params),
      });
    } else if (item.type === 'function_call_output') {
      const call = calls.get(item.call_id);
      if (!call) throw noCallFor(item, params);
      prior.push({ type: 'tool_result', callId: item.call_id, name: call.name, output: item.output });
    } else if (item.type === 'mcp_approval_response') {
      throw noApprovalFor(item, params);
    }
  }
  if (prior.length > 0) metadata[PRIOR_ITEMS_KEY] = prior;
  const text = items
    .slice(split)
    .map((item) => (item as InputMessage).content as string)
    .filter((t) => t !== '')
    .join('\n\n');
  return [{ text }];
}

function parseArguments(item: InputFunctionCall, params: CreateParams): JsonObject {
  try {
    const parsed: unknown = JSON.parse(item.arguments || '{}');
    if (isObject(parsed)) return parsed as JsonObject;
  } catch {
    // reported below
  }
  throw ResponsesError.invalid(
    `${where(params, item)}.arguments`,
    `${where(params, item)}.arguments must be a JSON-encoded object.`,
  );
}

function noCallFor(item: InputFunctionCallOutput, params: CreateParams): ResponsesError {
  return ResponsesError.invalid(
    `${where(params, item)}.call_id`,
    `No function call with call_id '${item.call_id}' is waiting for output: answer a response that ended with that function_call by sending its id as previous_response_id (or include the function_call item before its output).`,
  );
}

function noApprovalFor(item: InputMcpApprovalResponse, params: CreateParams): ResponsesError {
  return ResponsesError.invalid(
    `${where(params, item)}.approval_request_id`,
    `No approval request '${item.approval_request_id}' is waiting: send the response that asked for it as previous_response_id.`,
  );
}
