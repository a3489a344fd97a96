/**
 * The HTTP edges of `/v1`: reading a bounded JSON body, writing JSON answers and a Server-Sent
 * Events stream of Responses events.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { ResponsesError } from './errors.js';
import type { ResponseStreamEvent, UnsequencedEvent } from './types.js';

/** Write a JSON answer. */
export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Write an error in the OpenAI shape. */
export function writeError(
  res: ServerResponse,
  error: ResponsesError,
  headers: Record<string, string> = {},
): void {
  writeJson(res, error.status, error.toBody(), headers);
}

/**
 * Read a JSON object body of at most `limit` bytes. Refuses a non-JSON content type (415), an
 * oversized body (413, without buffering it) and text that is not a JSON object (400).
 */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType && contentType !== 'application/json') {
    req.resume();
    throw new ResponsesError(
      415,
      `Content-Type '${contentType}' is not supported; send the request as application/json.`,
      null,
      'unsupported_media_type',
    );
  }
  const tooLarge = () =>
    new ResponsesError(
      413,
      `The request body exceeds ${limit} bytes; send less input (for example continue with previous_response_id instead of resending the conversation).`,
      null,
      'request_too_large',
    );
  let text: string;
  try {
    text = await readBody(req, limit);
  } catch (err) {
    throw err instanceof BodyTooLargeError ? tooLarge() : err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ResponsesError(
      400,
      `The request body is not valid JSON (${(err as Error).message}). Send a JSON object such as {"input": "hi"}.`,
      null,
      'invalid_json',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ResponsesError(
      400,
      'The request body must be a JSON object such as {"input": "hi"}.',
      null,
      'invalid_json',
    );
  }
  return parsed as Record<string, unknown>;
}

/** Unsent bytes after which a client that stopped reading is dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Interval of keep-alive comments on a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * A Responses event stream over one HTTP answer. Events are numbered (`sequence_number`) in the
 * order written; the head goes out with the first event, so an error before it can still be a
 * plain JSON answer.
 */
export class ResponseEventStream {
  readonly #res: ServerResponse;
  #next = 0;
  #closed = false;
  #started = false;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Called once if the client goes away before the stream ended. */
  onClose: (() => void) | undefined;

  constructor(res: ServerResponse) {
    this.#res = res;
    res.on('close', () => {
      clearInterval(this.#heartbeat);
      if (this.#closed) return;
      this.#closed = true;
      this.onClose?.();
    });
  }

  /** Whether the client is gone or the stream ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Write one event. */
  write(event: UnsequencedEvent): void {
    if (this.#closed) return;
    if (!this.#started) {
      this.#started = true;
      this.#res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      // A handoff or a slow model can leave the stream quiet for minutes: a comment line now and then
      // keeps proxies from closing it (SSE clients, the openai one included, skip comments).
      this.#heartbeat = setInterval(() => {
        if (!this.#closed) this.#res.write(': keep-alive\n\n');
      }, HEARTBEAT_MS);
      this.#heartbeat.unref();
    }
    const numbered = { ...event, sequence_number: this.#next++ } as ResponseStreamEvent;
    this.#res.write(`event: ${event.type}\ndata: ${JSON.stringify(numbered)}\n\n`);
    if (this.#res.writableLength > MAX_BUFFERED_BYTES) {
      // The client is not reading: drop it rather than buffer without bound.
      this.#closed = true;
      this.onClose?.();
      this.#res.destroy();
    }
  }

  /** End the stream. */
  end(): void {
    clearInterval(this.#heartbeat);
    if (this.#closed) return;
    this.#closed = true;
    this.#res.end();
  }
}
