/**
 * What the HTTP server hands a transport binding for one request.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { A2AError } from '../errors.js';
import type { CallContext, TaskRuntime } from '../runtime/runtime.js';
import type { Principal } from '../runtime/worker.js';
import type { AgentCard } from '../types.js';

/** Protocol versions this server speaks. */
export type ProtocolVersion = '1.0' | '0.3';

/** The server as seen by a transport. */
export interface TransportHost {
  readonly runtime: TaskRuntime;
  /** The public v1.0 card. */
  card(): AgentCard;
  /** The extended card for an authenticated caller (throws the protocol error when not available). */
  extendedCard(principal: Principal | undefined): Promise<AgentCard>;
  /** Unsent bytes after which a slow SSE client is dropped. */
  readonly sseMaxBufferedBytes: number;
}

/** One request, after the server read its body, authenticated the caller and negotiated the version. */
export interface TransportRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: string;
  readonly version: ProtocolVersion;
  readonly call: CallContext;
  /** Headers every answer carries (e.g. the `A2A-Extensions` echo). */
  readonly headers: Record<string, string>;
}

/** Write a complete JSON answer. */
export function writeJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
  contentType = 'application/json',
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The `Last-Event-ID` of a reconnecting SSE client, as a task version. */
export function lastEventId(req: IncomingMessage): number | undefined {
  const value = req.headers['last-event-id'];
  if (typeof value !== 'string' || value === '') return undefined;
  const id = Number(value);
  return Number.isInteger(id) && id >= 0 ? id : undefined;
}

/** Error raised inside a stream after the head was sent. */
export type StreamErrorWriter = (error: A2AError) => string;
