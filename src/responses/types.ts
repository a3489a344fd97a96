/**
 * The OpenAI Responses API objects Timestep reads and writes (the subset an agent speaks).
 *
 * Field names are the wire's (snake_case). Only what `/v1/responses` accepts or emits is typed here;
 * the official `openai` client's own types are the full reference.
 *
 * @module
 */
import type { JsonObject } from '../a2a/types.js';

// ---- input ------------------------------------------------------------------------------------

/** A text part of an input message. */
export interface InputText {
  type: 'input_text';
  text: string;
}

/** A text part of an assistant message sent back as input (a stateless caller replaying history). */
export interface OutputTextPart {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs?: never[];
}

/** A message in `input`: the user's, the assistant's (history), or instructions (`system`, `developer`). */
export interface InputMessage {
  type?: 'message';
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | Array<InputText | OutputTextPart>;
  id?: string;
  status?: string;
}

/** A function call the model made earlier (a stateless caller replaying history). */
export interface InputFunctionCall {
  type: 'function_call';
  call_id: string;
  name: string;
  /** JSON-encoded arguments. */
  arguments: string;
  id?: string;
  status?: string;
}

/** The caller's result of a function call. */
export interface InputFunctionCallOutput {
  type: 'function_call_output';
  call_id: string;
  /** The result (a string; structured results JSON-encoded). */
  output: string;
  id?: string;
}

/** The caller's decision on an {@link McpApprovalRequestItem}. */
export interface InputMcpApprovalResponse {
  type: 'mcp_approval_response';
  approval_request_id: string;
  approve: boolean;
  reason?: string;
  id?: string;
}

/** One item of `input`. */
export type ResponseInputItem =
  | InputMessage
  | InputFunctionCall
  | InputFunctionCallOutput
  | InputMcpApprovalResponse;

/** A client-side function tool offered to the model for one response. */
export interface FunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  /** JSON Schema of the arguments object. */
  parameters: JsonObject;
  strict?: boolean | null;
}

/** The body of `POST /v1/responses` (fields Timestep uses; others are accepted and ignored). */
export interface ResponseCreateRequest {
  /** Accepted for compatibility; the agent answers whatever model is named. */
  model?: string;
  input?: string | ResponseInputItem[];
  instructions?: string | null;
  tools?: FunctionTool[];
  previous_response_id?: string | null;
  store?: boolean | null;
  stream?: boolean | null;
  metadata?: Record<string, string> | null;
  temperature?: number | null;
  top_p?: number | null;
  max_output_tokens?: number | null;
  parallel_tool_calls?: boolean | null;
}

// ---- output -----------------------------------------------------------------------------------

/** Text in an assistant message. */
export interface ResponseOutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

/** An assistant message. */
export interface ResponseOutputMessage {
  type: 'message';
  id: string;
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: ResponseOutputText[];
}

/** A call of one of the caller's function tools: answer it with `function_call_output`. */
export interface ResponseFunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  /** JSON-encoded arguments. */
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

/** A tool call that needs the caller's approval: answer it with `mcp_approval_response`. */
export interface McpApprovalRequestItem {
  type: 'mcp_approval_request';
  /** `mcpr_<call id>`: the `approval_request_id` of the answer. */
  id: string;
  name: string;
  /** JSON-encoded arguments. */
  arguments: string;
  /** Slug of the agent whose tool it is. */
  server_label: string;
}

/** One item of a response's `output`. */
export type ResponseOutputItem = ResponseOutputMessage | ResponseFunctionCallItem | McpApprovalRequestItem;

/** Token counts of a response (when the model reports them). */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Why a response failed. */
export interface ResponseErrorInfo {
  code: 'server_error';
  message: string;
}

/** Status of a response. */
export type ResponseStatus = 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

/** A response object (`object: "response"`). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  background: false;
  error: ResponseErrorInfo | null;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponseOutputItem[];
  /** Concatenated text of the output messages (what the `openai` client's `output_text` gives). */
  output_text: string;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  store: boolean;
  temperature: number | null;
  text: { format: { type: 'text' } };
  tool_choice: 'auto';
  tools: FunctionTool[];
  top_p: number | null;
  truncation: 'disabled';
  usage: ResponseUsage | null;
  metadata: Record<string, string>;
}

// ---- streaming ----------------------------------------------------------------------------------

/** A streamed event before it is numbered (see {@link ResponseStreamEvent}). */
export type UnsequencedEvent =
  | { type: 'response.created' | 'response.in_progress' | 'response.completed'; response: ResponseObject }
  | { type: 'response.failed'; response: ResponseObject }
  | {
      type: 'response.output_item.added' | 'response.output_item.done';
      output_index: number;
      item: ResponseOutputItem;
    }
  | {
      type: 'response.content_part.added' | 'response.content_part.done';
      item_id: string;
      output_index: number;
      content_index: number;
      part: ResponseOutputText;
    }
  | {
      type: 'response.output_text.delta';
      item_id: string;
      output_index: number;
      content_index: number;
      delta: string;
      logprobs: never[];
    }
  | {
      type: 'response.output_text.done';
      item_id: string;
      output_index: number;
      content_index: number;
      text: string;
      logprobs: never[];
    }
  | { type: 'response.function_call_arguments.delta'; item_id: string; output_index: number; delta: string }
  | {
      type: 'response.function_call_arguments.done';
      item_id: string;
      output_index: number;
      name: string;
      arguments: string;
    }
  | { type: 'error'; code: string | null; message: string; param: string | null };

/** One event of a streamed response; `sequence_number` counts from 0 within the stream. */
export type ResponseStreamEvent = UnsequencedEvent & { sequence_number: number };

// ---- errors and models ------------------------------------------------------------------------

/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: 'invalid_request_error' | 'not_found_error' | 'server_error' | 'authentication_error';
    param: string | null;
    code: string | null;
  };
}

/** One entry of `GET /v1/models`. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

// ---- stored input -------------------------------------------------------------------------------

/** An input item as `GET /v1/responses/{id}/input_items` lists it (with an id and a status). */
export type ResponseInputItemView =
  | {
      type: 'message';
      id: string;
      role: 'user' | 'assistant' | 'system' | 'developer';
      status: 'completed';
      content: Array<InputText | ResponseOutputText>;
    }
  | (InputFunctionCall & { id: string; status: 'completed' })
  | (InputFunctionCallOutput & { id: string; status: 'completed' })
  | {
      type: 'mcp_approval_response';
      id: string;
      approval_request_id: string;
      approve: boolean;
      reason: string | null;
    };

/** A page of input items. */
export interface InputItemList {
  object: 'list';
  data: ResponseInputItemView[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
