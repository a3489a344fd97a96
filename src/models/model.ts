/**
 * The model seam: what the Loop asks a language model, and what it gets back.
 *
 * Deliberately small: a system prompt, the conversation as items, the tools the model may call,
 * and a stream of events (text deltas, tool calls, usage, the end). Adapters translate this to a
 * provider's API (`OpenAIResponsesModel`, `OpenAIChatModel`); `ScriptedModel` answers from rules,
 * deterministically, for tests and the offline demo.
 *
 * @module
 */
import type { JsonObject } from '../a2a/types.js';

/** One item of the conversation the model sees. */
export type ModelItem =
  | { type: 'message'; role: 'user' | 'assistant'; content: string }
  /** A tool call the model made earlier in the conversation. */
  | { type: 'tool_call'; callId: string; name: string; arguments: JsonObject }
  /** The result of that call (`output` is a string; structured results are JSON-encoded). */
  | { type: 'tool_result'; callId: string; name: string; output: string };

/** A tool the model may call. */
export interface ModelTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonObject;
}

/** One request to a model. */
export interface ModelRequest {
  /** Instructions (the Environment's `system_prompt`). */
  system?: string;
  items: ModelItem[];
  tools: ModelTool[];
  /** Aborts the call (task canceled). */
  signal?: AbortSignal;
}

/** What a model streams back. */
export type ModelEvent =
  | { type: 'text_delta'; delta: string }
  /** A complete tool call; `arguments` is always an object, never a string. */
  | { type: 'tool_call'; callId: string; name: string; arguments: JsonObject }
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  | { type: 'done'; stopReason: 'stop' | 'tool_calls' | 'length' | 'other' };

/** A language model. */
export interface Model {
  /** For logs and cards, e.g. `gpt-4.1-mini` or `scripted`. */
  readonly name: string;
  /** Stream the model's answer. Throws `ModelError` for provider failures. */
  stream(request: ModelRequest): AsyncIterable<ModelEvent>;
}

/** A provider failure, with whether trying again may help (429, 5xx, network). */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/** Everything a model said in one call, collected (for callers that don't stream). */
export interface ModelTurn {
  text: string;
  toolCalls: Array<{ callId: string; name: string; arguments: JsonObject }>;
  stopReason: 'stop' | 'tool_calls' | 'length' | 'other';
  usage?: { inputTokens: number; outputTokens: number };
}

/** Run a model call to the end and collect what it said. */
export async function collectTurn(model: Model, request: ModelRequest): Promise<ModelTurn> {
  const turn: ModelTurn = { text: '', toolCalls: [], stopReason: 'other' };
  for await (const event of model.stream(request)) {
    if (event.type === 'text_delta') turn.text += event.delta;
    else if (event.type === 'tool_call')
      turn.toolCalls.push({ callId: event.callId, name: event.name, arguments: event.arguments });
    else if (event.type === 'usage')
      turn.usage = { inputTokens: event.inputTokens, outputTokens: event.outputTokens };
    else turn.stopReason = event.stopReason;
  }
  return turn;
}
