/**
 * `ScriptedModel`: a deterministic, offline {@link Model} that answers from rules.
 *
 * Used by tests and by the offline demo (`ScriptedModel.demo()`). It behaves enough like a real model
 * to drive a tool-using Loop: it streams text in word-sized deltas, calls only tools it was offered,
 * numbers its call ids across the conversation, answers from tool results once tools have run, and
 * honours the request's abort signal.
 *
 * @module
 */
import type { JsonObject } from '../a2a/types.js';
import type { Model, ModelEvent, ModelItem, ModelRequest } from './model.js';

/** What a scripted rule answers: some text, some tool calls, or both. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: Array<{ name: string; arguments: JsonObject }>;
}

/** One rule: when it matches, its reply is used. Rules are tried in order; the first match wins. */
export interface ScriptedRule {
  /**
   * A RegExp is tested against the last user message, and only when the conversation ends with a user
   * message (not after tool results). A function sees the whole request and may match at any point,
   * including after tool results.
   */
  when: RegExp | ((request: ModelRequest) => boolean);
  /** The reply, or a function building it (`match` is the RegExp match, or `null` for function rules). */
  reply: ScriptedReply | ((request: ModelRequest, match: RegExpMatchArray | null) => ScriptedReply);
}

/** Options of {@link ScriptedModel}. */
export interface ScriptedModelOptions {
  rules: ScriptedRule[];
  /** Used when no rule matches and the conversation does not end with tool results. */
  fallback?: (request: ModelRequest) => ScriptedReply;
  /** Use `fallback` after tool results too (default: {@link answerFromToolResults}). */
  fallbackAfterTools?: boolean;
}

/** The text of the last user message of the conversation (`''` if there is none). */
export function lastUserText(request: ModelRequest): string {
  for (let i = request.items.length - 1; i >= 0; i--) {
    const item = request.items[i]!;
    if (item.type === 'message' && item.role === 'user') return item.content;
  }
  return '';
}

/** The tool results that follow the last user message (what the tools said during this turn). */
export function toolResultsThisTurn(
  request: ModelRequest,
): Array<Extract<ModelItem, { type: 'tool_result' }>> {
  const results: Array<Extract<ModelItem, { type: 'tool_result' }>> = [];
  for (let i = request.items.length - 1; i >= 0; i--) {
    const item = request.items[i]!;
    if (item.type === 'message' && item.role === 'user') break;
    if (item.type === 'tool_result') results.unshift(item);
  }
  return results;
}

/** A tool's output as text: a JSON-encoded string is unwrapped, anything else is used as is. */
function outputText(output: string): string {
  try {
    const parsed: unknown = JSON.parse(output);
    if (typeof parsed === 'string') return parsed;
  } catch {
    // not JSON: plain text
  }
  return output;
}

/** The default answer after tool results: one line per result, e.g. `get_weather: 18°C, fog in Oakland`. */
export function answerFromToolResults(request: ModelRequest): ScriptedReply {
  const results = toolResultsThisTurn(request);
  return { text: results.map((r) => `${r.name}: ${outputText(r.output)}`).join('\n') };
}

/**
 * The demo's answer after tool results, in words: weather data as a sentence naming the city, a
 * handed-off agent's answer as it is, an error as what went wrong.
 */
function demoAnswer(request: ModelRequest): ScriptedReply {
  const lines = toolResultsThisTurn(request).map((r) => {
    const output = outputText(r.output).trim();
    if (output.startsWith('Error:')) return `Sorry, I could not get that. ${output}`;
    if (r.name === 'handoff') return output;
    if (r.name === 'get_weather') {
      try {
        const data = JSON.parse(output) as { city?: unknown; temperature?: unknown; conditions?: unknown };
        if (typeof data.city === 'string' && typeof data.temperature === 'string') {
          const conditions = typeof data.conditions === 'string' ? ` with ${data.conditions}` : '';
          return `The weather in ${data.city} is ${data.temperature}${conditions}.`;
        }
      } catch {
        // not weather JSON: say it as it is
      }
    }
    return `${r.name}: ${output}`;
  });
  return { text: lines.join('\n') };
}

/** Rough token count: words and punctuation runs. */
function countTokens(text: string): number {
  return text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]+/gu)?.length ?? 0;
}

function itemText(item: ModelItem): string {
  if (item.type === 'message') return item.content;
  if (item.type === 'tool_call') return `${item.name} ${JSON.stringify(item.arguments)}`;
  return item.output;
}

/** Split text into word-ish chunks (each word with the whitespace that follows it). */
function chunks(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** A deterministic, offline model driven by rules. Its `name` is `scripted`. */
export class ScriptedModel implements Model {
  readonly name = 'scripted';
  readonly #rules: ScriptedRule[];
  readonly #fallback: (request: ModelRequest) => ScriptedReply;
  /** The fallback also answers after tool results (instead of {@link answerFromToolResults}). */
  readonly #answersToolResults: boolean;

  constructor(options: ScriptedModelOptions) {
    this.#rules = [...options.rules];
    this.#answersToolResults = options.fallbackAfterTools === true;
    this.#fallback =
      options.fallback ?? ((request) => ({ text: `No scripted reply for: ${lastUserText(request)}` }));
  }

  /**
   * The scripted brain of the offline demo. Its rules, in order:
   * - "weather in <City>" → calls `get_weather` with `{ city }`, if that tool is offered;
   * - otherwise, if a `handoff` tool is offered → calls it with `{ agent_uri, message }`, where
   *   `agent_uri` is the first URL in the handoff tool's description and `message` is the user's text;
   * - after tool results → answers with their text (e.g. `get_weather: 18°C, fog in Oakland`);
   * - otherwise → echoes the user's message politely.
   */
  static demo(): ScriptedModel {
    const hasTool = (request: ModelRequest, name: string) => request.tools.some((t) => t.name === name);
    const endsWithUser = (request: ModelRequest) => {
      const last = request.items.at(-1);
      return last?.type === 'message' && last.role === 'user';
    };
    const handoffUri = (request: ModelRequest): string | undefined => {
      const description = request.tools.find((t) => t.name === 'handoff')?.description ?? '';
      return description.match(/https?:\/\/[^\s"'<>()[\]{},]+/)?.[0]?.replace(/[.;:!?]+$/, '');
    };
    return new ScriptedModel({
      rules: [
        {
          when: (request) =>
            endsWithUser(request) &&
            hasTool(request, 'get_weather') &&
            cityOf(lastUserText(request)) !== undefined,
          reply: (request) => ({
            toolCalls: [{ name: 'get_weather', arguments: { city: cityOf(lastUserText(request))! } }],
          }),
        },
        {
          when: (request) =>
            endsWithUser(request) && hasTool(request, 'handoff') && handoffUri(request) !== undefined,
          reply: (request) => ({
            toolCalls: [
              {
                name: 'handoff',
                arguments: { agent_uri: handoffUri(request)!, message: lastUserText(request) },
              },
            ],
          }),
        },
      ],
      fallbackAfterTools: true,
      fallback: (request) => {
        if (request.items.at(-1)?.type === 'tool_result') return demoAnswer(request);
        const text = lastUserText(request).trim();
        return { text: text ? `Thank you for your message. You said: "${text}"` : 'Hello! How can I help?' };
      },
    });
  }

  /** Choose the reply for a request (rules, then the tool-result answer, then the fallback). */
  reply(request: ModelRequest): ScriptedReply {
    const last = request.items.at(-1);
    const afterTools = last?.type === 'tool_result';
    const userText = lastUserText(request);
    for (const rule of this.#rules) {
      let match: RegExpMatchArray | null = null;
      if (rule.when instanceof RegExp) {
        if (afterTools) continue;
        rule.when.lastIndex = 0;
        match = rule.when.exec(userText);
        if (!match) continue;
      } else if (!rule.when(request)) {
        continue;
      }
      return typeof rule.reply === 'function' ? rule.reply(request, match) : rule.reply;
    }
    return afterTools && !this.#answersToolResults ? answerFromToolResults(request) : this.#fallback(request);
  }

  /** Stream the chosen reply: text deltas, tool calls (offered tools only), usage, done. */
  async *stream(request: ModelRequest): AsyncIterable<ModelEvent> {
    const signal = request.signal;
    signal?.throwIfAborted();
    const reply = this.reply(request);
    const available = new Set(request.tools.map((t) => t.name));
    const calls = (reply.toolCalls ?? []).filter((c) => available.has(c.name));
    const missing = (reply.toolCalls ?? []).filter((c) => !available.has(c.name)).map((c) => c.name);
    let text = reply.text ?? '';
    if (missing.length > 0) {
      const note = [...new Set(missing)].map((name) => `The tool "${name}" is not available.`).join(' ');
      text = text ? `${text}\n${note}` : note;
    }

    for (const delta of chunks(text)) {
      await Promise.resolve();
      signal?.throwIfAborted();
      yield { type: 'text_delta', delta };
    }

    const used = new Set<string>();
    let count = 0;
    for (const item of request.items) {
      if (item.type === 'tool_call') {
        used.add(item.callId);
        count++;
      }
    }
    let outputTokens = countTokens(text);
    for (const call of calls) {
      let callId: string;
      do callId = `call_${++count}`;
      while (used.has(callId));
      used.add(callId);
      outputTokens += countTokens(`${call.name} ${JSON.stringify(call.arguments)}`);
      await Promise.resolve();
      signal?.throwIfAborted();
      yield { type: 'tool_call', callId, name: call.name, arguments: call.arguments };
    }

    const inputText = [request.system ?? '', ...request.items.map(itemText)].join('\n');
    signal?.throwIfAborted();
    yield { type: 'usage', inputTokens: countTokens(inputText), outputTokens };
    yield { type: 'done', stopReason: calls.length > 0 ? 'tool_calls' : 'stop' };
  }
}

const TRAILING_WORDS = /\s+(?:today|tonight|tomorrow|now|right now|please|this week|this weekend)$/i;

/** The city in "weather in <City>" (also "for"/"at"), without trailing punctuation or time words. */
export function cityOf(text: string): string | undefined {
  const match = text.match(/\bweather\s+(?:like\s+)?(?:in|for|at)\s+([^?!.,;\n]+)/i);
  if (!match) return undefined;
  let city = match[1]!.trim();
  while (TRAILING_WORDS.test(city)) city = city.replace(TRAILING_WORDS, '').trim();
  return city || undefined;
}
