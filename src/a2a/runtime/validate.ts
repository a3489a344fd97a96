/**
 * Validation of request parameters (A2A v1.0 proto-JSON). Hand-written rather than schema-driven
 * because it runs on every request; each failure names the field and what it must be.
 *
 * @module
 */
import { A2AError } from '../errors.js';
import {
  type JsonObject,
  type ListTasksRequest,
  type Message,
  type Part,
  type SendMessageConfiguration,
  type SendMessageRequest,
  TASK_STATES,
  type TaskPushNotificationConfig,
  type TaskState,
} from '../types.js';

type Obj = Record<string, unknown>;

function bad(message: string): A2AError {
  return A2AError.invalidParams(message);
}

/** True for a plain JSON object. */
export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optString(obj: Obj, key: string, where: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(`${where}.${key} must be a string.`);
  return value;
}

function requiredId(obj: Obj, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.trim() === '')
    throw bad(`${where}.${key} is required (a non-empty string).`);
  return value;
}

function optObject(obj: Obj, key: string, where: string): JsonObject | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw bad(`${where}.${key} must be a JSON object.`);
  return value as JsonObject;
}

function optStringArray(obj: Obj, key: string, where: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw bad(`${where}.${key} must be an array of strings.`);
  }
  return value as string[];
}

/** A non-negative integer, or undefined. Accepts numeric strings (query parameters). */
export function optNonNegativeInt(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw bad(`${where} must be a non-negative integer.`);
  return n;
}

function optBoolean(value: unknown, where: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (typeof value !== 'boolean') throw bad(`${where} must be true or false.`);
  return value;
}

const PART_KINDS = ['text', 'raw', 'url', 'data'] as const;

function parsePart(value: unknown, where: string): Part {
  if (!isObject(value)) throw bad(`${where} must be an object such as {"text": "hi"}.`);
  let kind: (typeof PART_KINDS)[number] | undefined;
  for (const k of PART_KINDS) {
    if (value[k] !== undefined) {
      if (kind)
        throw bad(
          `${where} has both '${kind}' and '${k}'; a part carries exactly one of text, raw, url, data.`,
        );
      kind = k;
    }
  }
  if (!kind) {
    const hint =
      'kind' in value ? ' (that looks like an A2A 0.3 part: send the header A2A-Version: 0.3)' : '';
    throw bad(`${where} must have one of text, raw, url or data${hint}.`);
  }
  if (kind !== 'data' && typeof value[kind] !== 'string') throw bad(`${where}.${kind} must be a string.`);
  if (value.metadata !== undefined && !isObject(value.metadata))
    throw bad(`${where}.metadata must be a JSON object.`);
  optString(value, 'mediaType', where);
  optString(value, 'filename', where);
  return value as unknown as Part;
}

/** Validate a client message. */
export function parseMessage(value: unknown, where = 'message'): Message {
  if (!isObject(value)) throw bad(`${where} is required (an object with messageId, role and parts).`);
  requiredId(value, 'messageId', where);
  if (value.role !== 'ROLE_USER' && value.role !== 'ROLE_AGENT') {
    throw bad(`${where}.role must be "ROLE_USER" or "ROLE_AGENT".`);
  }
  const parts = value.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw bad(`${where}.parts must be a non-empty array.`);
  for (let i = 0; i < parts.length; i++) parsePart(parts[i], `${where}.parts[${i}]`);
  optString(value, 'contextId', where);
  optString(value, 'taskId', where);
  optObject(value, 'metadata', where);
  optStringArray(value, 'extensions', where);
  optStringArray(value, 'referenceTaskIds', where);
  return value as unknown as Message;
}

/** Validate a push config as sent by a client (the id is optional, the URL required). */
export function parsePushConfig(value: unknown, where: string): TaskPushNotificationConfig {
  if (!isObject(value)) throw bad(`${where} must be an object with a url.`);
  const url = optString(value, 'url', where);
  if (!url) throw bad(`${where}.url is required.`);
  try {
    new URL(url);
  } catch {
    throw bad(`${where}.url '${url}' is not an absolute URL.`);
  }
  optString(value, 'id', where);
  optString(value, 'token', where);
  optString(value, 'taskId', where);
  if (value.authentication !== undefined) {
    if (!isObject(value.authentication) || typeof value.authentication.scheme !== 'string') {
      throw bad(`${where}.authentication must be {"scheme": "Bearer", "credentials": "…"}.`);
    }
  }
  return value as unknown as TaskPushNotificationConfig;
}

/** Validate `SendMessage` / `SendStreamingMessage` parameters. */
export function parseSendMessageRequest(params: unknown): SendMessageRequest {
  if (!isObject(params)) throw bad('params must be an object with a message.');
  parseMessage(params.message, 'params.message');
  optObject(params, 'metadata', 'params');
  const configuration = params.configuration;
  if (configuration !== undefined && configuration !== null) {
    if (!isObject(configuration)) throw bad('params.configuration must be an object.');
    const config = configuration as SendMessageConfiguration & Obj;
    optNonNegativeInt(config.historyLength, 'params.configuration.historyLength');
    optBoolean(config.returnImmediately, 'params.configuration.returnImmediately');
    optStringArray(config, 'acceptedOutputModes', 'params.configuration');
    if (config.taskPushNotificationConfig !== undefined && config.taskPushNotificationConfig !== null) {
      parsePushConfig(config.taskPushNotificationConfig, 'params.configuration.taskPushNotificationConfig');
    }
  }
  return params as unknown as SendMessageRequest;
}

/** Validate a task id parameter. */
export function parseTaskId(params: unknown, key = 'id'): string {
  if (!isObject(params)) throw bad(`params must be an object with '${key}'.`);
  return requiredId(params, key, 'params');
}

/** Validate and normalize `ListTasks` parameters (from JSON-RPC params or REST query strings). */
export function parseListTasksRequest(params: unknown): ListTasksRequest {
  if (params === undefined || params === null) return {};
  if (!isObject(params)) throw bad('params must be an object.');
  const request: ListTasksRequest = {};
  const contextId = optString(params, 'contextId', 'params');
  if (contextId) request.contextId = contextId;
  const status = params.status;
  if (status !== undefined && status !== null && status !== '' && status !== 'TASK_STATE_UNSPECIFIED') {
    if (typeof status !== 'string' || !TASK_STATES.includes(status as TaskState)) {
      throw bad(`params.status must be one of ${TASK_STATES.join(', ')}.`);
    }
    request.status = status as TaskState;
  }
  const pageSize = optNonNegativeInt(params.pageSize, 'params.pageSize');
  if (pageSize !== undefined) {
    if (pageSize < 1 || pageSize > 100) throw bad('params.pageSize must be between 1 and 100.');
    request.pageSize = pageSize;
  }
  const pageToken = optString(params, 'pageToken', 'params');
  if (pageToken) request.pageToken = pageToken;
  const historyLength = optNonNegativeInt(params.historyLength, 'params.historyLength');
  if (historyLength !== undefined) request.historyLength = historyLength;
  const after = optString(params, 'statusTimestampAfter', 'params');
  if (after) {
    if (Number.isNaN(Date.parse(after))) {
      throw bad('params.statusTimestampAfter must be an ISO 8601 time such as 2026-01-31T12:00:00Z.');
    }
    request.statusTimestampAfter = after;
  }
  const includeArtifacts = optBoolean(params.includeArtifacts, 'params.includeArtifacts');
  if (includeArtifacts !== undefined) request.includeArtifacts = includeArtifacts;
  return request;
}
