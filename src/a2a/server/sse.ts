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

const SSE_HEAD: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
});

/** Open streams, pinged by one shared timer (a timer per stream costs more than the pings). */
const openStreams = new Set<SseWriter>();
let heartbeat: NodeJS.Timeout | undefined;
let heartbeatMs = 15_000;

function watch(writer: SseWriter, intervalMs: number): void {
  openStreams.add(writer);
  if (heartbeat && intervalMs < heartbeatMs) {
    clearInterval(heartbeat);
    heartbeat = undefined;
  }
  if (!heartbeat) {
    heartbeatMs = Math.min(heartbeatMs, intervalMs);
    heartbeat = setInterval(() => {
      for (const stream of openStreams) stream.ping();
    }, heartbeatMs);
    heartbeat.unref();
  }
}

function unwatch(writer: SseWriter): void {
  openStreams.delete(writer);
  if (openStreams.size === 0 && heartbeat) {
    clearInterval(heartbeat);
    heartbeat = undefined;
    heartbeatMs = 15_000;
  }
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
  #open = false;
  #closed = false;
  #corked = false;

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
    if (!this.#corked) {
      // Events come in bursts (a worker call can produce several, and the end of a turn follows its
      // write): one syscall per turn of the event loop, not per event.
      this.#corked = true;
      this.#res.cork();
      setImmediate(() => {
        this.#corked = false;
        this.#res.uncork();
      });
    }
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
    this.#res.writeHead(
      200,
      Object.keys(this.#headers).length === 0 ? SSE_HEAD : { ...SSE_HEAD, ...this.#headers },
    );
    // No flushHeaders(): the caller writes at once, and Node sends the head in the same packet as
    // that write (a separate head costs a syscall and a client wake-up per stream).
    watch(this, this.#heartbeatMs);
  }

  /** Keep-alive comment, so proxies don't close an idle stream. */
  ping(): void {
    if (!this.#closed) this.#res.write(': ping\n\n');
  }

  #stopHeartbeat(): void {
    unwatch(this);
  }
}
