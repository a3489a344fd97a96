/**
 * OpenAI adapters: `OpenAIResponsesModel` (Responses API) and `OpenAIChatModel` (Chat Completions).
 *
 * Both work with any OpenAI-compatible base URL (OpenAI, Ollama, vLLM, LiteLLM…), stream, assemble
 * tool calls from argument deltas, and map SDK failures to {@link ModelError}. Retries are the SDK's
 * own (`maxRetries`, default 2).
 *
 * @module
 */
import type OpenAI from 'openai';
import type { JsonObject } from '../a2a/types.js';
import { type Model, ModelError, type ModelEvent, type ModelRequest } from './model.js';

/** Options of the OpenAI adapters. */
export interface OpenAIModelOptions {
  /** Model name, e.g. `gpt-4.1-mini`. */
  model: string;
  /** A ready client; when given, `apiKey` and `baseURL` are ignored. */
  client?: OpenAI;
  /** Defaults to `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Defaults to `OPENAI_BASE_URL`, then the OpenAI API. */
  baseURL?: string;
  /**
   * How many times the SDK retries a failed request (408, 409, 429, 5xx, connection errors). Default 2;
   * with a provided `client`, overrides that client's setting when given.
   */
  maxRetries?: number;
}

type StopReason = Extract<ModelEvent, { type: 'done' }>['stopReason'];

type OpenAISdk = typeof import('openai');
let sdk: Promise<OpenAISdk> | undefined;

/**
 * The `openai` package, loaded on first use: importing Timestep (or running the scripted demo) does
 * not pay for it.
 */
function loadSdk(): Promise<OpenAISdk> {
  sdk ??= import('openai');
  return sdk;
}

/** The client of an adapter: the one given, or one made from the options on first use. */
function clientFactory(options: OpenAIModelOptions): () => Promise<OpenAI> {
  let client: Promise<OpenAI> | undefined = options.client ? Promise.resolve(options.client) : undefined;
  return () => {
    client ??= loadSdk().then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient({
          ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
          ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
          maxRetries: options.maxRetries ?? 2,
        }),
    );
    return client;
  };
}

function requestOptions(request: ModelRequest, maxRetries: number | undefined) {
  return {
    ...(request.signal ? { signal: request.signal } : {}),
    ...(maxRetries !== undefined ? { maxRetries } : {}),
  };
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The model call was aborted', 'AbortError');
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function isRetryableCode(code: string | null | undefined): boolean {
  return code === 'rate_limit_exceeded' || code === 'server_error' || code === 'overloaded';
}

/** Map anything thrown by the SDK (or the stream) to a `ModelError`, or to an abort error. */
function toModelError(error: unknown, signal: AbortSignal | undefined, loaded: OpenAISdk | undefined): Error {
  if (error instanceof ModelError) return error;
  if (signal?.aborted) return abortError(signal);
  if (!loaded) {
    const message = error instanceof Error ? error.message : String(error);
    return new ModelError(`OpenAI call failed: ${message}`, false, undefined, { cause: error });
  }
  const { APIConnectionError, APIError, APIUserAbortError } = loaded;
  if (signal?.aborted || error instanceof APIUserAbortError) return abortError(signal);
  if (error instanceof APIConnectionError) {
    return new ModelError(`OpenAI connection failed: ${error.message}`, true, undefined, { cause: error });
  }
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const retryable = status !== undefined ? isRetryableStatus(status) : isRetryableCode(error.code);
    return new ModelError(
      `OpenAI API error${status ? ` ${status}` : ''}: ${error.message}`,
      retryable,
      status,
      {
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModelError(`OpenAI call failed: ${message}`, false, undefined, { cause: error });
}

/** Parse a tool call's JSON arguments: empty → `{}`; invalid or not an object → non-retryable `ModelError`. */
export function parseToolArguments(name: string, raw: string): JsonObject {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ModelError(
      `The model called tool "${name}" with arguments that are not valid JSON: ${raw.slice(0, 200)}`,
      false,
      undefined,
      { cause: error },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ModelError(`The model called tool "${name}" with arguments that are not a JSON object`, false);
  }
  return parsed as JsonObject;
}

/** Run a stream, mapping failures; an abort that ends the SDK's stream quietly is rethrown. */
async function* guarded(
  request: ModelRequest,
  run: () => AsyncGenerator<ModelEvent, void, undefined>,
): AsyncGenerator<ModelEvent, void, undefined> {
  request.signal?.throwIfAborted();
  try {
    for await (const event of run()) {
      if (request.signal?.aborted) throw abortError(request.signal);
      yield event;
    }
  } catch (error) {
    throw toModelError(error, request.signal, await sdk?.catch(() => undefined));
  }
  if (request.signal?.aborted) throw abortError(request.signal);
}

/** A model behind the OpenAI Responses API (`POST /responses`, streaming). */
export class OpenAIResponsesModel implements Model {
  readonly name: string;
  /** The OpenAI client (the `openai` package is loaded on the first call). */
  readonly client: () => Promise<OpenAI>;
  readonly #maxRetries: number | undefined;

  constructor(options: OpenAIModelOptions) {
    this.name = options.model;
    this.client = clientFactory(options);
    this.#maxRetries = options.client ? options.maxRetries : undefined;
  }

  /** The request body sent to `POST /responses` (exposed for tests and logs). */
  body(request: ModelRequest): OpenAI.Responses.ResponseCreateParamsStreaming {
    const input: OpenAI.Responses.ResponseInputItem[] = request.items.map((item) => {
      if (item.type === 'message') return { type: 'message', role: item.role, content: item.content };
      if (item.type === 'tool_call') {
        return {
          type: 'function_call',
          call_id: item.callId,
          name: item.name,
          arguments: JSON.stringify(item.arguments),
        };
      }
      return { type: 'function_call_output', call_id: item.callId, output: item.output };
    });
    const tools: OpenAI.Responses.FunctionTool[] = request.tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      parameters: tool.parameters,
      strict: false,
    }));
    return {
      model: this.name,
      ...(request.system !== undefined ? { instructions: request.system } : {}),
      input,
      ...(tools.length > 0 ? { tools } : {}),
      // The Loop sends the whole conversation every turn (it lives in the task store), so the
      // provider has no reason to keep a copy.
      store: false,
      stream: true,
    };
  }

  /** Stream the model's answer; throws `ModelError` for provider failures, an `AbortError` when aborted. */
  stream(request: ModelRequest): AsyncIterable<ModelEvent> {
    return guarded(request, () => this.#run(request));
  }

  async *#run(request: ModelRequest): AsyncGenerator<ModelEvent, void, undefined> {
    const stream = await (await this.client()).responses.create(
      this.body(request),
      requestOptions(request, this.#maxRetries),
    );
    const pending = new Map<string, { callId: string; name: string; arguments: string }>();
    let toolCalls = 0;
    for await (const event of stream) {
      switch (event.type) {
        case 'response.output_text.delta':
          if (event.delta) yield { type: 'text_delta', delta: event.delta };
          break;
        case 'response.output_item.added':
          if (event.item.type === 'function_call') {
            const key = event.item.id ?? `#${event.output_index}`;
            pending.set(key, {
              callId: event.item.call_id,
              name: event.item.name,
              arguments: event.item.arguments,
            });
          }
          break;
        case 'response.function_call_arguments.delta': {
          const call = pending.get(event.item_id);
          if (call) call.arguments += event.delta;
          break;
        }
        case 'response.output_item.done':
          if (event.item.type === 'function_call') {
            const key = event.item.id ?? `#${event.output_index}`;
            const call = pending.get(key);
            pending.delete(key);
            const name = event.item.name || call?.name || '';
            const raw = event.item.arguments || call?.arguments || '';
            toolCalls++;
            yield {
              type: 'tool_call',
              callId: event.item.call_id || call?.callId || '',
              name,
              arguments: parseToolArguments(name, raw),
            };
          }
          break;
        case 'response.completed':
        case 'response.incomplete': {
          const usage = event.response.usage;
          if (usage)
            yield { type: 'usage', inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
          let stopReason: StopReason = toolCalls > 0 ? 'tool_calls' : 'stop';
          if (event.type === 'response.incomplete') {
            stopReason =
              event.response.incomplete_details?.reason === 'max_output_tokens' ? 'length' : 'other';
          }
          yield { type: 'done', stopReason };
          return;
        }
        case 'response.failed': {
          const error = event.response.error;
          throw new ModelError(
            `OpenAI response failed: ${error?.message ?? 'unknown error'}`,
            isRetryableCode(error?.code),
          );
        }
        case 'error':
          throw new ModelError(`OpenAI stream error: ${event.message}`, isRetryableCode(event.code));
        default:
          break;
      }
    }
    if (request.signal?.aborted) return;
    throw new ModelError('OpenAI stream ended before the response was complete', true);
  }
}

/** A model behind the Chat Completions API (`POST /chat/completions`, streaming). */
export class OpenAIChatModel implements Model {
  readonly name: string;
  /** The OpenAI client (the `openai` package is loaded on the first call). */
  readonly client: () => Promise<OpenAI>;
  readonly #maxRetries: number | undefined;

  constructor(options: OpenAIModelOptions) {
    this.name = options.model;
    this.client = clientFactory(options);
    this.#maxRetries = options.client ? options.maxRetries : undefined;
  }

  /** The request body sent to `POST /chat/completions` (exposed for tests and logs). */
  body(request: ModelRequest): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
    for (const item of request.items) {
      if (item.type === 'message') {
        messages.push({ role: item.role, content: item.content });
      } else if (item.type === 'tool_call') {
        const call: OpenAI.Chat.ChatCompletionMessageFunctionToolCall = {
          id: item.callId,
          type: 'function',
          function: { name: item.name, arguments: JSON.stringify(item.arguments) },
        };
        const last = messages.at(-1);
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      } else {
        messages.push({ role: 'tool', tool_call_id: item.callId, content: item.output });
      }
    }
    const tools: OpenAI.Chat.ChatCompletionFunctionTool[] = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.parameters,
      },
    }));
    return {
      model: this.name,
      messages,
      ...(tools.length > 0 ? { tools } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
  }

  /** Stream the model's answer; throws `ModelError` for provider failures, an `AbortError` when aborted. */
  stream(request: ModelRequest): AsyncIterable<ModelEvent> {
    return guarded(request, () => this.#run(request));
  }

  async *#run(request: ModelRequest): AsyncGenerator<ModelEvent, void, undefined> {
    const stream = await (await this.client()).chat.completions.create(
      this.body(request),
      requestOptions(request, this.#maxRetries),
    );
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const delta = choice.delta;
      if (delta?.content) yield { type: 'text_delta', delta: delta.content };
      for (const piece of delta?.tool_calls ?? []) {
        let call = calls.get(piece.index);
        if (!call) {
          call = { id: '', name: '', arguments: '' };
          calls.set(piece.index, call);
        }
        if (piece.id) call.id = piece.id;
        if (piece.function?.name) call.name += piece.function.name;
        if (piece.function?.arguments) call.arguments += piece.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (request.signal?.aborted) return;
    if (finish === null && calls.size === 0 && usage === undefined) {
      throw new ModelError('OpenAI stream ended before the completion was finished', true);
    }
    for (const [index, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
      yield {
        type: 'tool_call',
        callId: call.id || `call_${index + 1}`,
        name: call.name,
        arguments: parseToolArguments(call.name, call.arguments),
      };
    }
    if (usage)
      yield { type: 'usage', inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
    let stopReason: StopReason;
    if (calls.size > 0) stopReason = 'tool_calls';
    else if (finish === 'stop') stopReason = 'stop';
    else if (finish === 'length') stopReason = 'length';
    else stopReason = 'other';
    yield { type: 'done', stopReason };
  }
}
