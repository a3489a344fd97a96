/**
 * The JSON-RPC 2.0 binding, for A2A v1.0 (`SendMessage`, …) and v0.3 (`message/send`, …).
 *
 * Both versions share one method table shape: parse params into the v1.0 model, call the
 * runtime, and render the result in the version's shapes.
 *
 * @module
 */
import { A2AError, toA2AError, toJsonRpcError } from '../errors.js';
import type { TaskEvent } from '../runtime/event-bus.js';
import {
  isObject,
  optNonNegativeInt,
  parseListTasksRequest,
  parsePushConfig,
  parseSendMessageRequest,
  parseTaskId,
} from '../runtime/validate.js';
import type { StreamResponse } from '../types.js';
import {
  cardToV03,
  messageToV03,
  pushConfigFromV03,
  pushConfigToV03,
  sendParamsFromV03,
  streamResponseToV03,
  taskToV03,
} from '../v03.js';
import { SseWriter } from './sse.js';
import {
  lastEventId,
  type ProtocolVersion,
  type TransportHost,
  type TransportRequest,
  writeJson,
} from './transport.js';

type JsonRpcId = string | number | null;

/** A unary method: params in, result out. */
type UnaryMethod = (host: TransportHost, params: unknown, request: TransportRequest) => Promise<unknown>;

/** A streaming method: the request to run, and how to render its events. */
interface StreamMethod {
  stream: true;
  start(host: TransportHost, params: unknown, request: TransportRequest, sink: SseWriter): Promise<void>;
}

type Method = UnaryMethod | StreamMethod;

function historyLengthOf(params: unknown): number | undefined {
  return isObject(params) ? optNonNegativeInt(params.historyLength, 'params.historyLength') : undefined;
}

function requireParams(params: unknown): Record<string, unknown> {
  if (!isObject(params)) throw A2AError.invalidParams('params must be an object.');
  return params;
}

function requireString(params: Record<string, unknown>, key: string): string {
  const value = params[key];
  if (typeof value !== 'string' || value.trim() === '')
    throw A2AError.invalidParams(`params.${key} is required.`);
  return value;
}

/** v1.0 methods. */
const V1_METHODS: Record<string, Method> = {
  SendMessage: (host, params, { call }) => host.runtime.sendMessage(parseSendMessageRequest(params), call),
  SendStreamingMessage: {
    stream: true,
    start: (host, params, { call }, sink) =>
      host.runtime.streamMessage(parseSendMessageRequest(params), sink, call),
  },
  GetTask: (host, params, { call }) =>
    host.runtime.getTask(parseTaskId(params), historyLengthOf(params), call),
  ListTasks: (host, params, { call }) => host.runtime.listTasks(parseListTasksRequest(params), call),
  CancelTask: (host, params, { call }) => host.runtime.cancelTask(parseTaskId(params), call),
  SubscribeToTask: {
    stream: true,
    start: (host, params, { call, req }, sink) =>
      host.runtime.subscribe(parseTaskId(params), sink, call, lastEventId(req)),
  },
  CreateTaskPushNotificationConfig: (host, params, { call }) => {
    const config = parsePushConfig(params, 'params');
    const taskId = requireString(requireParams(params), 'taskId');
    return host.runtime.createPushConfig(taskId, config, call);
  },
  GetTaskPushNotificationConfig: (host, params, { call }) => {
    const p = requireParams(params);
    return host.runtime.getPushConfig(requireString(p, 'taskId'), requireString(p, 'id'), call);
  },
  ListTaskPushNotificationConfigs: async (host, params, { call }) => {
    const configs = await host.runtime.listPushConfigs(requireString(requireParams(params), 'taskId'), call);
    return { configs, nextPageToken: '' };
  },
  DeleteTaskPushNotificationConfig: async (host, params, { call }) => {
    const p = requireParams(params);
    await host.runtime.deletePushConfig(requireString(p, 'taskId'), requireString(p, 'id'), call);
    return {};
  },
  GetExtendedAgentCard: (host, _params, { call }) => host.extendedCard(call.principal),
};
// Names used by drafts of the v1.0 specification.
V1_METHODS.SetTaskPushNotificationConfig = V1_METHODS.CreateTaskPushNotificationConfig!;
V1_METHODS.ListTaskPushNotificationConfig = V1_METHODS.ListTaskPushNotificationConfigs!;

/** v0.3 methods. */
const V03_METHODS: Record<string, Method> = {
  'message/send': async (host, params, { call }) => {
    const response = await host.runtime.sendMessage(sendParamsFromV03(params), call);
    return 'task' in response ? taskToV03(response.task) : messageToV03(response.message);
  },
  'message/stream': {
    stream: true,
    start: (host, params, { call }, sink) =>
      host.runtime.streamMessage(sendParamsFromV03(params), sink, call),
  },
  'tasks/get': async (host, params, { call }) =>
    taskToV03(await host.runtime.getTask(parseTaskId(params), historyLengthOf(params), call)),
  'tasks/cancel': async (host, params, { call }) =>
    taskToV03(await host.runtime.cancelTask(parseTaskId(params), call)),
  'tasks/resubscribe': {
    stream: true,
    start: (host, params, { call, req }, sink) =>
      host.runtime.subscribe(parseTaskId(params), sink, call, lastEventId(req)),
  },
  'tasks/pushNotificationConfig/set': async (host, params, { call }) => {
    const p = requireParams(params);
    const taskId = requireString(p, 'taskId');
    const config = pushConfigFromV03(p.pushNotificationConfig, taskId, 'params.pushNotificationConfig');
    return pushConfigToV03(await host.runtime.createPushConfig(taskId, config, call));
  },
  'tasks/pushNotificationConfig/get': async (host, params, { call }) => {
    const p = requireParams(params);
    const taskId = requireString(p, 'id');
    const configId = typeof p.pushNotificationConfigId === 'string' ? p.pushNotificationConfigId : undefined;
    if (configId) return pushConfigToV03(await host.runtime.getPushConfig(taskId, configId, call));
    // v0.3 allowed asking for "the" config of a task.
    const [first] = await host.runtime.listPushConfigs(taskId, call);
    if (!first) throw new A2AError('TaskNotFound', `Task '${taskId}' has no push notification config.`);
    return pushConfigToV03(first);
  },
  'tasks/pushNotificationConfig/list': async (host, params, { call }) =>
    (await host.runtime.listPushConfigs(requireString(requireParams(params), 'id'), call)).map(
      pushConfigToV03,
    ),
  'tasks/pushNotificationConfig/delete': async (host, params, { call }) => {
    const p = requireParams(params);
    await host.runtime.deletePushConfig(
      requireString(p, 'id'),
      requireString(p, 'pushNotificationConfigId'),
      call,
    );
    return null;
  },
  'agent/getAuthenticatedExtendedCard': async (host, _params, { call }) =>
    cardToV03(await host.extendedCard(call.principal)),
};

const TABLES: Record<ProtocolVersion, Record<string, Method>> = { '1.0': V1_METHODS, '0.3': V03_METHODS };

function envelope(id: JsonRpcId, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result)}}`;
}

function errorBody(id: JsonRpcId, error: A2AError, version: ProtocolVersion): string {
  // v1.0 carries google.rpc.ErrorInfo details; v0.3 clients expect plain data.
  const rpcError =
    version === '1.0'
      ? toJsonRpcError(error)
      : { code: error.code, message: error.message, ...(error.details ? { data: error.details } : {}) };
  return JSON.stringify({ jsonrpc: '2.0', id, error: rpcError });
}

/** Write a JSON-RPC error answer (HTTP 200, as JSON-RPC over HTTP expects, except HTTP-level failures). */
export function writeJsonRpcError(
  request: Pick<TransportRequest, 'res' | 'headers' | 'version'>,
  id: JsonRpcId,
  error: A2AError,
  httpStatus = 200,
): void {
  writeJson(request.res, httpStatus, errorBody(id, error, request.version), request.headers);
}

function renderEvent(version: ProtocolVersion, id: JsonRpcId): (event: TaskEvent) => string {
  return version === '1.0'
    ? (event) => envelope(id, event.payload)
    : (event) => envelope(id, streamResponseToV03(event.payload as StreamResponse));
}

/** Handle one JSON-RPC request. */
export async function handleJsonRpc(host: TransportHost, request: TransportRequest): Promise<void> {
  let message: unknown;
  try {
    message = JSON.parse(request.body);
  } catch {
    writeJsonRpcError(request, null, new A2AError('ParseError', 'The request body is not valid JSON.'));
    return;
  }
  if (!isObject(message)) {
    const what = Array.isArray(message)
      ? 'Batch requests are not supported; send one request per call.'
      : 'The request must be a JSON-RPC 2.0 object.';
    writeJsonRpcError(request, null, new A2AError('InvalidRequest', what));
    return;
  }
  const rawId = message.id;
  const id: JsonRpcId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
  if (
    message.jsonrpc !== '2.0' ||
    typeof message.method !== 'string' ||
    (rawId !== undefined && rawId !== null && id === null)
  ) {
    writeJsonRpcError(
      request,
      id,
      new A2AError(
        'InvalidRequest',
        'A JSON-RPC request needs "jsonrpc": "2.0", a string "method" and a string or number "id".',
      ),
    );
    return;
  }
  const methodName = message.method;
  const method = TABLES[request.version][methodName];
  if (!method) {
    const other: ProtocolVersion = request.version === '1.0' ? '0.3' : '1.0';
    const hint = TABLES[other][methodName]
      ? ` '${methodName}' is an A2A ${other} method: send the header A2A-Version: ${other}${other === '0.3' ? ' (or omit it)' : ''}.`
      : '';
    writeJsonRpcError(
      request,
      id,
      new A2AError(
        'MethodNotFound',
        `Method '${methodName}' does not exist in A2A ${request.version}.${hint}`,
      ),
    );
    return;
  }
  const params = message.params;
  if (typeof method === 'function') {
    try {
      const result = await method(host, params, request);
      writeJson(request.res, 200, envelope(id, result), request.headers);
    } catch (err) {
      const error = toA2AError(err);
      writeJsonRpcError(request, id, error, error.kind === 'InternalError' ? 500 : 200);
    }
    return;
  }
  const sink = new SseWriter(
    request.res,
    renderEvent(request.version, id),
    (error) => errorBody(id, error, request.version),
    { headers: request.headers, maxBufferedBytes: host.sseMaxBufferedBytes },
  );
  try {
    await method.start(host, params, request, sink);
  } catch (err) {
    const error = toA2AError(err);
    // v0.3 clients (@a2a-js/sdk 0.3) read errors of message/stream and tasks/resubscribe only
    // from the event stream, as v0.3 servers sent them: open it for the error.
    if (sink.started || request.version === '0.3') sink.end(error);
    else writeJsonRpcError(request, id, error, error.kind === 'InternalError' ? 500 : 200);
  }
}
