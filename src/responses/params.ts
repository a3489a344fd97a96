/**
 * Validation of a `POST /v1/responses` body: the fields Timestep reads, with errors that name the
 * field at fault.
 *
 * @module
 */
import type { JsonObject } from '../a2a/types.js';
import { ResponsesError } from './errors.js';
import type { FunctionTool, ResponseInputItem } from './types.js';

/** A validated `POST /v1/responses` body. */
export interface CreateParams {
  model: string | undefined;
  /** `input`, with a plain string turned into one user message. */
  items: ResponseInputItem[];
  instructions: string | null;
  tools: FunctionTool[];
  previousResponseId: string | null;
  store: boolean;
  stream: boolean;
  metadata: Record<string, string>;
  temperature: number | null;
  topP: number | null;
  maxOutputTokens: number | null;
  parallelToolCalls: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optional<T>(
  body: Record<string, unknown>,
  key: string,
  check: (value: unknown) => value is T,
  what: string,
): T | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (!check(value)) throw ResponsesError.invalid(key, `'${key}' must be ${what}.`, 'invalid_type');
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Fields that change what OpenAI does in ways an agent cannot honour: refused rather than ignored. */
const UNSUPPORTED: Record<string, string> = {
  background: 'background responses are not supported; stream the response instead (stream: true).',
  conversation:
    "the Conversations API is not supported; continue a conversation with 'previous_response_id'.",
  prompt: 'prompt templates are not supported; send instructions and input instead.',
};

/**
 * Validate a request body. Fields an agent has no use for (`temperature`, `user`, `reasoning`…) are
 * accepted and ignored, so existing clients work; fields whose meaning it cannot honour are refused.
 */
export function parseCreateParams(body: Record<string, unknown>): CreateParams {
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    const value = body[key];
    if (value !== undefined && value !== null && value !== false) {
      throw ResponsesError.invalid(key, `'${key}': ${why}`, 'unsupported_parameter');
    }
  }
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format.type : undefined;
  if (format !== undefined && format !== 'text') {
    throw ResponsesError.invalid(
      'text.format',
      `text.format '${String(format)}' is not supported: the agent answers in plain text (describe the shape you need in instructions).`,
      'unsupported_parameter',
    );
  }
  const toolChoice = body.tool_choice;
  if (toolChoice !== undefined && toolChoice !== null && toolChoice !== 'auto') {
    throw ResponsesError.invalid(
      'tool_choice',
      "tool_choice must be 'auto' (or left out): the agent decides which tools to call.",
      'unsupported_parameter',
    );
  }
  const model = optional(body, 'model', isString, 'a string (the agent answers whatever model is named)');
  const input = body.input;
  let items: ResponseInputItem[];
  if (typeof input === 'string') {
    items = [{ type: 'message', role: 'user', content: input }];
  } else if (Array.isArray(input)) {
    items = input.map((item, i) => parseItem(item, `input[${i}]`));
  } else if (input === undefined || input === null) {
    throw ResponsesError.invalid(
      'input',
      "'input' is required: a string, or an array of input items.",
      'missing_required_parameter',
    );
  } else {
    throw ResponsesError.invalid(
      'input',
      "'input' must be a string or an array of input items.",
      'invalid_type',
    );
  }
  if (items.length === 0) {
    throw ResponsesError.invalid(
      'input',
      "'input' is empty; send at least one message or function_call_output.",
      'empty_array',
    );
  }
  const metadata = optional(body, 'metadata', isObject, 'an object of string values') ?? {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw ResponsesError.invalid(
        `metadata.${key}`,
        `metadata values must be strings; '${key}' is not.`,
        'invalid_type',
      );
    }
  }
  return {
    model: model ?? undefined,
    items,
    instructions: optional(body, 'instructions', isString, 'a string'),
    tools: parseTools(body.tools),
    previousResponseId: optional(body, 'previous_response_id', isString, 'a response id string'),
    store: optional(body, 'store', isBoolean, 'true or false') ?? true,
    stream: optional(body, 'stream', isBoolean, 'true or false') ?? false,
    metadata: metadata as Record<string, string>,
    temperature: optional(body, 'temperature', isNumber, 'a number'),
    topP: optional(body, 'top_p', isNumber, 'a number'),
    maxOutputTokens: optional(body, 'max_output_tokens', isNumber, 'a number'),
    parallelToolCalls: optional(body, 'parallel_tool_calls', isBoolean, 'true or false') ?? true,
  };
}

function parseTools(value: unknown): FunctionTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw ResponsesError.invalid('tools', "'tools' must be an array of function tools.", 'invalid_type');
  return value.map((tool, i): FunctionTool => {
    const where = `tools[${i}]`;
    if (!isObject(tool)) throw ResponsesError.invalid(where, `${where} must be an object.`, 'invalid_type');
    if (tool.type !== 'function') {
      throw ResponsesError.invalid(
        `${where}.type`,
        `${where}.type '${String(tool.type)}' is not supported; an agent takes client-side tools of type 'function' only (its own tools come from its Environment).`,
        'unsupported_value',
      );
    }
    if (typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) {
      throw ResponsesError.invalid(
        `${where}.name`,
        `${where}.name must be 1-64 letters, digits, '_' or '-'.`,
      );
    }
    if (tool.parameters !== undefined && tool.parameters !== null && !isObject(tool.parameters)) {
      throw ResponsesError.invalid(
        `${where}.parameters`,
        `${where}.parameters must be a JSON Schema object.`,
        'invalid_type',
      );
    }
    if (tool.description !== undefined && tool.description !== null && typeof tool.description !== 'string') {
      throw ResponsesError.invalid(
        `${where}.description`,
        `${where}.description must be a string.`,
        'invalid_type',
      );
    }
    return {
      type: 'function',
      name: tool.name,
      description: typeof tool.description === 'string' ? tool.description : null,
      parameters: isObject(tool.parameters)
        ? (tool.parameters as JsonObject)
        : { type: 'object', properties: {} },
      strict: typeof tool.strict === 'boolean' ? tool.strict : null,
    };
  });
}

function requireString(item: Record<string, unknown>, key: string, where: string): string {
  const value = item[key];
  if (typeof value !== 'string') {
    throw ResponsesError.invalid(
      `${where}.${key}`,
      `${where}.${key} is required and must be a string.`,
      'missing_required_parameter',
    );
  }
  return value;
}

function parseItem(item: unknown, where: string): ResponseInputItem {
  if (!isObject(item)) throw ResponsesError.invalid(where, `${where} must be an object.`, 'invalid_type');
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message': {
      const role = item.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
        throw ResponsesError.invalid(
          `${where}.role`,
          `${where}.role must be user, assistant, system or developer.`,
        );
      }
      return { type: 'message', role, content: messageText(item.content, `${where}.content`) };
    }
    case 'function_call': {
      const args = requireString(item, 'arguments', where);
      return {
        type: 'function_call',
        call_id: requireString(item, 'call_id', where),
        name: requireString(item, 'name', where),
        arguments: args,
      };
    }
    case 'function_call_output':
      return {
        type: 'function_call_output',
        call_id: requireString(item, 'call_id', where),
        output: outputText(item.output),
      };
    case 'mcp_approval_response': {
      if (typeof item.approve !== 'boolean') {
        throw ResponsesError.invalid(
          `${where}.approve`,
          `${where}.approve must be true or false.`,
          'missing_required_parameter',
        );
      }
      return {
        type: 'mcp_approval_response',
        approval_request_id: requireString(item, 'approval_request_id', where),
        approve: item.approve,
        ...(typeof item.reason === 'string' && item.reason !== '' ? { reason: item.reason } : {}),
      };
    }
    case 'mcp_approval_request':
    case 'reasoning':
      // Echoed back by callers that resend a whole output; they carry nothing the agent needs.
      return { type: 'message', role: 'assistant', content: '' };
    default:
      throw ResponsesError.invalid(
        `${where}.type`,
        `${where}.type '${String(type)}' is not supported; send messages, function_call_output or mcp_approval_response items.`,
        'unsupported_value',
      );
  }
}

/**
 * A function call's output as the A2A contract carries it, a string: text parts (`input_text`) are
 * joined, anything else structured is JSON-encoded.
 */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (
    Array.isArray(output) &&
    output.every((p) => isObject(p) && p.type === 'input_text' && typeof p.text === 'string')
  ) {
    return output.map((p) => (p as { text: string }).text).join('\n');
  }
  return JSON.stringify(output ?? null);
}

/** The text of a message's content (a string, or text parts). */
function messageText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    throw ResponsesError.invalid(
      where,
      `${where} must be a string or an array of input_text parts.`,
      'invalid_type',
    );
  }
  const texts: string[] = [];
  for (const [j, part] of content.entries()) {
    if (
      isObject(part) &&
      (part.type === 'input_text' || part.type === 'output_text' || part.type === 'text') &&
      typeof part.text === 'string'
    ) {
      texts.push(part.text);
    } else {
      const type = isObject(part) ? String(part.type) : typeof part;
      throw ResponsesError.invalid(
        `${where}[${j}]`,
        `${where}[${j}] of type '${type}' is not supported; this agent takes text (input_text parts).`,
        'unsupported_value',
      );
    }
  }
  return texts.join('\n');
}
