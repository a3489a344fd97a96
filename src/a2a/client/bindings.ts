/**
 * Client-side protocol bindings: one interface, three implementations (JSON-RPC 1.0, REST 1.0,
 * JSON-RPC 0.3). Every binding speaks the v1.0 model to the client above it.
 *
 * @module
 */
import { type A2AErrorKind, ERROR_SPECS } from '../errors.js';
import { isObject } from '../runtime/validate.js';
import type { Message, StreamResponse } from '../types.js';
import { A2AClientError } from './errors.js';
import { readSse } from './sse.js';
import {
  messageToV03,
  pushConfigFromV03Result,
  pushConfigToV03,
  streamResponseFromV03,
  taskFromV03,
} from './v03-parse.js';

/** The v1.0 operation names a binding implements. */
export type Operation =
  | 'SendMessage'
  | 'SendStreamingMessage'
  | 'GetTask'
  | 'ListTasks'
  | 'CancelTask'
  | 'SubscribeToTask'
  | 'CreateTaskPushNotificationConfig'
  | 'GetTaskPushNotificationConfig'
  | 'ListTaskPushNotificationConfigs'
  | 'DeleteTaskPushNotificationConfig'
  | 'GetExtendedAgentCard';

const KIND_BY_CODE = new Map<number, A2AErrorKind>(
  Object.entries(ERROR_SPECS).map(([kind, spec]) => [spec.code, kind as A2AErrorKind]),
);
const KIND_BY_REASON = new Map<string, A2AErrorKind>(
  Object.entries(ERROR_SPECS).map(([kind, spec]) => [spec.reason, kind as A2AErrorKind]),
);

/** Per-call settings a binding needs. */
export interface CallSettings {
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
  fetch: typeof fetch;
  /** For streams: resume after this event id. */
  lastEventId?: string | undefined;
  /** Set by the binding when the agent asked to wait (`Retry-After` on 429/503) before a retry. */
  retryAfterMs?: number | undefined;
}

/** One event of a stream, in the v1.0 model. */
export interface StreamItem {
  /** SSE event id (a task version on Timestep servers), for resuming. */
  id: string | undefined;
  payload: StreamResponse;
}

/** A way to reach an agent. */
export interface Binding {
  /** `JSONRPC` or `HTTP+JSON`. */
  readonly protocolBinding: string;
  readonly protocolVersion: '1.0' | '0.3';
  readonly url: string;
  call(operation: Operation, params: Record<string, unknown>, settings: CallSettings): Promise<unknown>;
  stream(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
  ): AsyncGenerator<StreamItem>;
}

/**
 * Whether an HTTP status is worth a retry: 429 and every 5xx but 501 (Not Implemented will not
 * change). Sends are safe to repeat: the message keeps its id, so the agent runs it once.
 */
function retryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

async function httpError(response: Response): Promise<A2AClientError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isObject(body) && isObject(body.error)) {
    const error = body.error;
    // JSON-RPC error envelope
    if (typeof error.code === 'number' && body.jsonrpc === '2.0') return rpcError(error, response.status);
    // google.rpc.Status (REST)
    const details = Array.isArray(error.details) ? error.details : [];
    const reason = details.find(
      (d): d is Record<string, unknown> => isObject(d) && typeof d.reason === 'string',
    )?.reason;
    const kind = typeof reason === 'string' ? KIND_BY_REASON.get(reason) : undefined;
    return new A2AClientError(typeof error.message === 'string' ? error.message : `HTTP ${response.status}`, {
      ...(kind ? { kind, code: ERROR_SPECS[kind].code } : {}),
      httpStatus: response.status,
      data: error,
      retryable: retryableStatus(response.status),
    });
  }
  return new A2AClientError(
    `HTTP ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`,
    {
      httpStatus: response.status,
      retryable: retryableStatus(response.status),
    },
  );
}

function rpcError(error: Record<string, unknown>, httpStatus?: number): A2AClientError {
  const code = typeof error.code === 'number' ? error.code : undefined;
  const kind = code !== undefined ? KIND_BY_CODE.get(code) : undefined;
  return new A2AClientError(typeof error.message === 'string' ? error.message : 'Unknown JSON-RPC error', {
    ...(kind ? { kind } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    data: error.data,
    // An error envelope on a 429 or 5xx is still an overloaded or failing agent: worth another try.
    retryable: httpStatus !== undefined && retryableStatus(httpStatus),
  });
}

async function doFetch(settings: CallSettings, url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await settings.fetch(url, { ...init, signal: settings.signal ?? null });
  } catch (err) {
    if (settings.signal?.aborted) throw settings.signal.reason ?? err;
    const reason =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new A2AClientError(`Could not reach ${url}: ${reason}`, { retryable: true, cause: err });
  }
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter && retryableStatus(response.status)) settings.retryAfterMs = parseRetryAfter(retryAfter);
  return response;
}

/** `Retry-After` in seconds or as an HTTP date, in ms (undefined when unreadable). */
function parseRetryAfter(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new A2AClientError(`The agent's answer to ${what} is not JSON: ${text.slice(0, 200)}`);
  }
}

// ---- JSON-RPC -------------------------------------------------------------------------------

const V03_METHODS: Partial<Record<Operation, string>> = {
  SendMessage: 'message/send',
  SendStreamingMessage: 'message/stream',
  GetTask: 'tasks/get',
  CancelTask: 'tasks/cancel',
  SubscribeToTask: 'tasks/resubscribe',
  CreateTaskPushNotificationConfig: 'tasks/pushNotificationConfig/set',
  GetTaskPushNotificationConfig: 'tasks/pushNotificationConfig/get',
  ListTaskPushNotificationConfigs: 'tasks/pushNotificationConfig/list',
  DeleteTaskPushNotificationConfig: 'tasks/pushNotificationConfig/delete',
  GetExtendedAgentCard: 'agent/getAuthenticatedExtendedCard',
};

/** v1.0 params as v0.3 params. */
function paramsToV03(operation: Operation, params: Record<string, unknown>): unknown {
  switch (operation) {
    case 'SendMessage':
    case 'SendStreamingMessage': {
      const out: Record<string, unknown> = { message: messageToV03(params.message as Message) };
      if (params.metadata) out.metadata = params.metadata;
      const config = params.configuration as Record<string, unknown> | undefined;
      if (config) {
        const c: Record<string, unknown> = {};
        if (config.returnImmediately !== undefined) c.blocking = !config.returnImmediately;
        if (config.historyLength !== undefined) c.historyLength = config.historyLength;
        if (config.acceptedOutputModes) c.acceptedOutputModes = config.acceptedOutputModes;
        if (config.taskPushNotificationConfig) {
          c.pushNotificationConfig = pushConfigToV03(
            config.taskPushNotificationConfig as never,
          ).pushNotificationConfig;
        }
        out.configuration = c;
      }
      return out;
    }
    case 'CreateTaskPushNotificationConfig':
      return pushConfigToV03(params as never);
    case 'GetTaskPushNotificationConfig':
    case 'DeleteTaskPushNotificationConfig':
      return { id: params.taskId, pushNotificationConfigId: params.id };
    case 'ListTaskPushNotificationConfigs':
      return { id: params.taskId };
    default:
      return params;
  }
}

/** A v0.3 result as the v1.0 result of the operation. */
function resultFromV03(operation: Operation, result: unknown): unknown {
  switch (operation) {
    case 'SendMessage': {
      const r = streamResponseFromV03(result);
      return 'task' in r ? r : 'message' in r ? r : { task: undefined };
    }
    case 'GetTask':
    case 'CancelTask':
      return taskFromV03(result);
    case 'CreateTaskPushNotificationConfig':
    case 'GetTaskPushNotificationConfig':
      return pushConfigFromV03Result(result);
    case 'ListTaskPushNotificationConfigs':
      return { configs: Array.isArray(result) ? result.map(pushConfigFromV03Result) : [], nextPageToken: '' };
    default:
      return result;
  }
}

let rpcId = 0;

/** JSON-RPC 2.0 binding, for A2A 1.0 or 0.3. */
export class JsonRpcBinding implements Binding {
  readonly protocolBinding = 'JSONRPC';

  constructor(
    readonly url: string,
    readonly protocolVersion: '1.0' | '0.3',
  ) {}

  #method(operation: Operation): string {
    if (this.protocolVersion === '1.0') return operation;
    const method = V03_METHODS[operation];
    if (!method)
      throw new A2AClientError(`${operation} is not available in A2A 0.3.`, { kind: 'UnsupportedOperation' });
    return method;
  }

  #request(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
    accept: string,
  ): Promise<Response> {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: ++rpcId,
      method: this.#method(operation),
      params: this.protocolVersion === '1.0' ? params : paramsToV03(operation, params),
    });
    const headers: Record<string, string> = {
      ...settings.headers,
      'Content-Type': 'application/json',
      Accept: accept,
      'A2A-Version': this.protocolVersion,
    };
    if (settings.lastEventId !== undefined) headers['Last-Event-ID'] = settings.lastEventId;
    return doFetch(settings, this.url, { method: 'POST', headers, body });
  }

  async call(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
  ): Promise<unknown> {
    const response = await this.#request(operation, params, settings, 'application/json');
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      if (!response.ok) throw await httpError(new Response(text, { status: response.status }));
      throw new A2AClientError(`The agent's answer to ${operation} is not JSON: ${text.slice(0, 200)}`);
    }
    if (isObject(body) && isObject(body.error)) throw rpcError(body.error, response.status);
    if (!response.ok) {
      throw new A2AClientError(`HTTP ${response.status} from ${this.url}`, {
        httpStatus: response.status,
        retryable: retryableStatus(response.status),
      });
    }
    if (!isObject(body) || !('result' in body))
      throw new A2AClientError(`The answer to ${operation} has no result.`);
    return this.protocolVersion === '1.0' ? body.result : resultFromV03(operation, body.result);
  }

  async *stream(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
  ): AsyncGenerator<StreamItem> {
    const response = await this.#request(operation, params, settings, 'text/event-stream');
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (isObject(body) && isObject(body.error)) throw rpcError(body.error, response.status);
      // A gateway's error page (502/503 …) is an HTTP failure, retryable as such.
      if (!response.ok) throw await httpError(new Response(text, { status: response.status }));
      throw new A2AClientError(`Expected an event stream for ${operation}, got HTTP ${response.status}.`, {
        httpStatus: response.status,
      });
    }
    for await (const frame of readSse(response.body!)) {
      const envelope = parseJson(frame.data, operation);
      if (!isObject(envelope)) continue;
      if (isObject(envelope.error)) throw rpcError(envelope.error);
      const payload =
        this.protocolVersion === '1.0'
          ? (envelope.result as StreamResponse)
          : streamResponseFromV03(envelope.result);
      yield { id: frame.id, payload };
    }
  }
}

// ---- REST -----------------------------------------------------------------------------------

function enc(value: unknown): string {
  return encodeURIComponent(String(value));
}

/** HTTP+JSON binding (A2A 1.0). */
export class RestBinding implements Binding {
  readonly protocolBinding = 'HTTP+JSON';
  readonly protocolVersion = '1.0' as const;
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  #route(
    operation: Operation,
    params: Record<string, unknown>,
  ): { method: string; path: string; body?: unknown } {
    switch (operation) {
      case 'SendMessage':
        return { method: 'POST', path: '/message:send', body: params };
      case 'SendStreamingMessage':
        return { method: 'POST', path: '/message:stream', body: params };
      case 'GetTask': {
        const q = params.historyLength !== undefined ? `?historyLength=${enc(params.historyLength)}` : '';
        return { method: 'GET', path: `/tasks/${enc(params.id)}${q}` };
      }
      case 'ListTasks': {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(params))
          if (v !== undefined && v !== null) query.set(k, String(v));
        const q = query.toString();
        return { method: 'GET', path: `/tasks${q ? `?${q}` : ''}` };
      }
      case 'CancelTask':
        return { method: 'POST', path: `/tasks/${enc(params.id)}:cancel`, body: {} };
      case 'SubscribeToTask':
        return { method: 'POST', path: `/tasks/${enc(params.id)}:subscribe` };
      case 'CreateTaskPushNotificationConfig':
        return { method: 'POST', path: `/tasks/${enc(params.taskId)}/pushNotificationConfigs`, body: params };
      case 'GetTaskPushNotificationConfig':
        return {
          method: 'GET',
          path: `/tasks/${enc(params.taskId)}/pushNotificationConfigs/${enc(params.id)}`,
        };
      case 'ListTaskPushNotificationConfigs':
        return { method: 'GET', path: `/tasks/${enc(params.taskId)}/pushNotificationConfigs` };
      case 'DeleteTaskPushNotificationConfig':
        return {
          method: 'DELETE',
          path: `/tasks/${enc(params.taskId)}/pushNotificationConfigs/${enc(params.id)}`,
        };
      case 'GetExtendedAgentCard':
        return { method: 'GET', path: '/extendedAgentCard' };
    }
  }

  #request(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
    accept: string,
  ): Promise<Response> {
    const route = this.#route(operation, params);
    const headers: Record<string, string> = { ...settings.headers, Accept: accept, 'A2A-Version': '1.0' };
    if (route.body !== undefined) headers['Content-Type'] = 'application/json';
    if (settings.lastEventId !== undefined) headers['Last-Event-ID'] = settings.lastEventId;
    const init: RequestInit = { method: route.method, headers };
    if (route.body !== undefined) init.body = JSON.stringify(route.body);
    return doFetch(settings, this.url + route.path, init);
  }

  async call(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
  ): Promise<unknown> {
    const response = await this.#request(operation, params, settings, 'application/json');
    if (!response.ok) throw await httpError(response);
    if (response.status === 204) return {};
    return parseJson(await response.text(), operation);
  }

  async *stream(
    operation: Operation,
    params: Record<string, unknown>,
    settings: CallSettings,
  ): AsyncGenerator<StreamItem> {
    const response = await this.#request(operation, params, settings, 'text/event-stream');
    if (!response.ok) throw await httpError(response);
    for await (const frame of readSse(response.body!)) {
      const body = parseJson(frame.data, operation);
      if (frame.event === 'error' && isObject(body) && isObject(body.error)) {
        throw await httpError(new Response(frame.data, { status: Number(body.error.code) || 500 }));
      }
      yield { id: frame.id, payload: body as StreamResponse };
    }
  }
}
