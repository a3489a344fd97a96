/**
 * The HTTP+JSON (REST) binding of A2A v1.0. Every route also answers under a `/{tenant}` prefix.
 *
 * @module
 */
import { A2AError, toA2AError, toRestError } from '../errors.js';
import {
  isObject,
  optNonNegativeInt,
  parseListTasksRequest,
  parsePushConfig,
  parseSendMessageRequest,
} from '../runtime/validate.js';
import { SseWriter } from './sse.js';
import { lastEventId, type TransportHost, type TransportRequest, writeJson } from './transport.js';

/** A matched route: its handler and path parameters. */
interface Route {
  method: string;
  pattern: RegExp;
  run(
    host: TransportHost,
    request: TransportRequest,
    params: string[],
    query: URLSearchParams,
  ): Promise<void>;
}

const TENANT = '(?:/[^/:]+)?';

function contentTypeFor(request: TransportRequest): string {
  // Answer in the media type the client used (or asked for); plain JSON otherwise.
  const asked = `${request.req.headers.accept ?? ''} ${request.req.headers['content-type'] ?? ''}`;
  return asked.includes('application/a2a+json') ? 'application/a2a+json' : 'application/json';
}

function ok(request: TransportRequest, status: number, value: unknown): void {
  if (status === 204) {
    request.res.writeHead(204, request.headers);
    request.res.end();
    return;
  }
  writeJson(request.res, status, JSON.stringify(value), request.headers, contentTypeFor(request));
}

/** Write a REST error (`google.rpc.Status` body with the error's HTTP status). */
export function writeRestError(request: Pick<TransportRequest, 'res' | 'headers'>, error: A2AError): void {
  writeJson(request.res, error.httpStatus, JSON.stringify(toRestError(error)), request.headers);
}

function jsonBody(request: TransportRequest, required: boolean): Record<string, unknown> {
  if (request.body.trim() === '') {
    if (required) throw A2AError.invalidParams('The request body is empty; send a JSON object.');
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(request.body);
  } catch {
    throw new A2AError('ParseError', 'The request body is not valid JSON.');
  }
  if (!isObject(value)) throw A2AError.invalidParams('The request body must be a JSON object.');
  return value;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw A2AError.invalidParams(`'${segment}' is not a valid URL path segment.`);
  }
}

function stream(host: TransportHost, request: TransportRequest): SseWriter {
  return new SseWriter(
    request.res,
    (event) => JSON.stringify(event.payload),
    (error) => JSON.stringify(toRestError(error)),
    { headers: request.headers, maxBufferedBytes: host.sseMaxBufferedBytes },
  );
}

async function runStream(
  request: TransportRequest,
  sink: SseWriter,
  start: () => Promise<void>,
): Promise<void> {
  try {
    await start();
  } catch (err) {
    const error = toA2AError(err);
    if (sink.started) sink.end(error);
    else writeRestError(request, error);
  }
}

const ROUTES: Route[] = [
  {
    method: 'POST',
    pattern: new RegExp(`^${TENANT}/message:send$`),
    async run(host, request) {
      const send = parseSendMessageRequest(jsonBody(request, true));
      ok(request, 200, await host.runtime.sendMessage(send, request.call));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${TENANT}/message:stream$`),
    async run(host, request) {
      const send = parseSendMessageRequest(jsonBody(request, true));
      const sink = stream(host, request);
      await runStream(request, sink, () => host.runtime.streamMessage(send, sink, request.call));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${TENANT}/tasks$`),
    async run(host, request, _params, query) {
      const list = parseListTasksRequest(Object.fromEntries(query));
      ok(request, 200, await host.runtime.listTasks(list, request.call));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+)$`),
    async run(host, request, [id], query) {
      const historyLength = optNonNegativeInt(query.get('historyLength') ?? undefined, 'historyLength');
      ok(request, 200, await host.runtime.getTask(decode(id!), historyLength, request.call));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+):cancel$`),
    async run(host, request, [id]) {
      jsonBody(request, false);
      ok(request, 200, await host.runtime.cancelTask(decode(id!), request.call));
    },
  },
  {
    method: 'GET|POST',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+):subscribe$`),
    async run(host, request, [id]) {
      const sink = stream(host, request);
      await runStream(request, sink, () =>
        host.runtime.subscribe(decode(id!), sink, request.call, lastEventId(request.req)),
      );
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+)/pushNotificationConfigs$`),
    async run(host, request, [id]) {
      const taskId = decode(id!);
      const config = parsePushConfig(jsonBody(request, true), 'body');
      ok(request, 201, await host.runtime.createPushConfig(taskId, { ...config, taskId }, request.call));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+)/pushNotificationConfigs$`),
    async run(host, request, [id]) {
      const configs = await host.runtime.listPushConfigs(decode(id!), request.call);
      ok(request, 200, { configs, nextPageToken: '' });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+)/pushNotificationConfigs/([^/:]+)$`),
    async run(host, request, [id, configId]) {
      ok(request, 200, await host.runtime.getPushConfig(decode(id!), decode(configId!), request.call));
    },
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^${TENANT}/tasks/([^/:]+)/pushNotificationConfigs/([^/:]+)$`),
    async run(host, request, [id, configId]) {
      await host.runtime.deletePushConfig(decode(id!), decode(configId!), request.call);
      ok(request, 204, undefined);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${TENANT}/extendedAgentCard$`),
    async run(host, request) {
      ok(request, 200, await host.extendedCard(request.call.principal));
    },
  },
];

/** Whether a path belongs to the REST binding (so the server can route and authenticate it). */
export function isRestPath(path: string): boolean {
  return /\/(message:(send|stream)|tasks(\/.*)?|extendedAgentCard)$/.test(path);
}

/** Handle one REST request; answers 404/405 for paths and methods it does not know. */
export async function handleRest(host: TransportHost, request: TransportRequest, url: URL): Promise<void> {
  const path = url.pathname;
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const methods = route.method.split('|');
    if (!methods.includes(request.req.method ?? '')) {
      allowed.push(...methods);
      continue;
    }
    try {
      await route.run(host, request, match.slice(1), url.searchParams);
    } catch (err) {
      writeRestError(request, toA2AError(err));
    }
    return;
  }
  if (allowed.length > 0) {
    // The resource exists, just not with this method: 405 with the methods it has (RFC 9110).
    const allow = [...new Set(allowed)].join(', ');
    const error = new A2AError(
      'MethodNotAllowed',
      `${request.req.method} is not allowed on ${path}; use ${allow}.`,
    );
    writeRestError({ res: request.res, headers: { ...request.headers, Allow: allow } }, error);
    return;
  }
  writeRestError(
    request,
    new A2AError(
      'MethodNotFound',
      `No A2A endpoint at ${path}. See /.well-known/agent-card.json for this agent's interfaces.`,
    ),
  );
}
