/**
 * Server-Sent Events writer: one task stream over one HTTP response.
 *
 * It never blocks the worker: events are written without waiting, and a client that stops
 * reading is disconnected once its unsent backlog passes a limit (it can resume with
 * `Last-Event-ID`). Event ids are task versions (see the event bus).
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { A2AError } from '../errors.js';
import type { TaskEvent } from '../runtime/event-bus.js';
import type { EventSink } from '../runtime/runtime.js';

/** Options of an SSE stream. */
export interface SseOptions {
  /** Unsent bytes after which a slow client is disconnected. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Interval of keep-alive comments, in ms. Default 15 000. */
  heartbeatMs?: number;
  /** Extra response headers (e.g. `A2A-Extensions`). */
  headers?: Record<string, string>;
}

/** Writes task events as SSE. The response head goes out with the first event, so errors before it stay plain JSON. */
export class SseWriter implements EventSink {
  onClose: (() => void) | undefined;
  readonly #res: ServerResponse;
  readonly #serialize: (event: TaskEvent) => string;
  readonly #serializeError: (error: A2AError) => string;
  readonly #maxBuffered: number;
  readonly #heartbeatMs: number;
  readonly #headers: Record<string, string>;
  #heartbeat: NodeJS.Timeout | undefined;
  #open = false;
  #closed = false;

  constructor(
    res: ServerResponse,
    serialize: (event: TaskEvent) => string,
    serializeError: (error: A2AError) => string,
    options: SseOptions = {},
  ) {
    this.#res = res;
    this.#serialize = serialize;
    this.#serializeError = serializeError;
    this.#maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#headers = options.headers ?? {};
    res.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#stopHeartbeat();
      this.onClose?.();
    });
  }

  /** True once the head was sent (errors must then go in-stream). */
  get started(): boolean {
    return this.#open;
  }

  event(event: TaskEvent): void {
    if (this.#closed) return;
    this.#start();
    const id = event.id > 0 ? `id: ${event.id}\n` : '';
    this.#res.write(`${id}data: ${this.#serialize(event)}\n\n`);
    if (this.#res.writableLength > this.#maxBuffered) {
      // The client is not reading: drop it rather than buffer without bound.
      this.#closed = true;
      this.#stopHeartbeat();
      this.onClose?.();
      this.#res.destroy();
    }
  }

  end(error?: A2AError): void {
    if (this.#closed) return;
    this.#start();
    if (error) this.#res.write(`event: error\ndata: ${this.#serializeError(error)}\n\n`);
    this.#closed = true;
    this.#stopHeartbeat();
    this.#res.end();
  }

  #start(): void {
    if (this.#open) return;
    this.#open = true;
    this.#res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...this.#headers,
    });
    this.#res.flushHeaders();
    this.#heartbeat = setInterval(() => {
      if (!this.#closed) this.#res.write(': ping\n\n');
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
