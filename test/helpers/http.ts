/**
 * Raw-HTTP helpers for tests that talk to a real `A2AServer`: JSON-RPC and REST calls with
 * global `fetch`, an SSE frame reader, and small promise tools (gates, polling with a deadline).
 */

import { createServer } from 'node:net';
import { waitFor } from './wait.js';

export { waitFor };

/** Headers for a call; a `null` value removes a default header (e.g. `A2A-Version`). */
export type HeaderInit = Record<string, string | null>;

/** Parsed JSON bodies, inspected field by field in tests. */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type Any = any;

/** What a raw call answered. */
export interface RawResponse<T = Any> {
  status: number;
  headers: Headers;
  body: T;
}

function mergeHeaders(defaults: Record<string, string>, extra: HeaderInit = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lowerExtra = new Map(Object.keys(extra).map((k) => [k.toLowerCase(), k]));
  for (const [k, v] of Object.entries(defaults)) if (!lowerExtra.has(k.toLowerCase())) out[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== null) out[k] = v;
  return out;
}

async function parseBody(res: Response): Promise<Any> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let rpcId = 0;

/**
 * A JSON-RPC call (POST to `url`), A2A 1.0 unless `headers` says otherwise (`{'A2A-Version': null}`
 * sends no version header, i.e. 0.3).
 */
export async function rpc(
  url: string,
  method: string,
  params?: unknown,
  headers?: HeaderInit,
): Promise<RawResponse<Any>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: mergeHeaders({ 'Content-Type': 'application/json', 'A2A-Version': '1.0' }, headers),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: ++rpcId,
      method,
      ...(params === undefined ? {} : { params }),
    }),
  });
  return { status: res.status, headers: res.headers, body: await parseBody(res) };
}

/** POST a raw body (for malformed requests). */
export async function post(url: string, body: string, headers?: HeaderInit): Promise<RawResponse<Any>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: mergeHeaders({ 'Content-Type': 'application/json', 'A2A-Version': '1.0' }, headers),
    body,
  });
  return { status: res.status, headers: res.headers, body: await parseBody(res) };
}

/** A REST call: `method` on `base + path`, with an optional JSON body. */
export async function rest(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: HeaderInit,
): Promise<RawResponse<Any>> {
  const init: RequestInit = {
    method,
    headers: mergeHeaders(
      body === undefined
        ? { 'A2A-Version': '1.0' }
        : { 'Content-Type': 'application/json', 'A2A-Version': '1.0' },
      headers,
    ),
  };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base.replace(/\/+$/, '')}${path}`, init);
  return { status: res.status, headers: res.headers, body: await parseBody(res) };
}

/** One Server-Sent Events frame. */
export interface SseFrame {
  id?: string;
  event?: string;
  /** The `data:` lines joined with `\n`. */
  data?: string;
  /** Comment lines (`: ping`). */
  comments: string[];
}

/** Reads SSE frames from a byte stream, one at a time. */
export class SseReader {
  readonly #iterator: AsyncIterator<Uint8Array | string>;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #done = false;

  constructor(stream: AsyncIterable<Uint8Array | string>) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }

  /** The next frame with data or an event (comment-only frames are skipped), or `undefined` at the end. */
  async next(): Promise<SseFrame | undefined> {
    for (;;) {
      const frame = this.#take();
      if (frame) {
        if (frame.data === undefined && frame.event === undefined && frame.id === undefined) continue;
        return frame;
      }
      if (this.#done) return undefined;
      let chunk: IteratorResult<Uint8Array | string>;
      try {
        chunk = await this.#iterator.next();
      } catch {
        // A connection the server dropped ends the stream for the reader.
        this.#done = true;
        continue;
      }
      if (chunk.done) {
        this.#done = true;
        continue;
      }
      this.#buffer +=
        typeof chunk.value === 'string' ? chunk.value : this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** A reader over text already received. */
  static fromText(text: string): SseReader {
    return new SseReader(
      (async function* () {
        yield text;
      })(),
    );
  }

  /** All remaining frames, until the stream ends. */
  async all(): Promise<SseFrame[]> {
    const frames: SseFrame[] = [];
    for (let f = await this.next(); f; f = await this.next()) frames.push(f);
    return frames;
  }

  #take(): SseFrame | undefined {
    const normalized = this.#buffer.replace(/\r\n?/g, '\n');
    const end = normalized.indexOf('\n\n');
    if (end === -1) {
      this.#buffer = normalized;
      return undefined;
    }
    const block = normalized.slice(0, end);
    this.#buffer = normalized.slice(end + 2);
    const frame: SseFrame = { comments: [] };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        frame.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'id') frame.id = value;
      else if (field === 'event') frame.event = value;
    }
    if (data.length > 0) frame.data = data.join('\n');
    return frame;
  }
}

/** The JSON of a frame's data. */
export function frameJson(frame: SseFrame | undefined): Any {
  if (!frame?.data) throw new Error(`expected a data frame, got ${JSON.stringify(frame)}`);
  return JSON.parse(frame.data);
}

/** An open SSE response (or a JSON error answer when the server refused to stream). */
export interface SseResponse {
  status: number;
  headers: Headers;
  /** Set when the answer is not an event stream. */
  json?: Any;
  reader: SseReader;
  /** Drop the connection. */
  abort(): void;
}

/** Open an SSE stream: a JSON-RPC streaming call when `body` is an object with `method`, else REST. */
export async function openSse(
  url: string,
  init: { method?: string; body?: unknown; headers?: HeaderInit } = {},
): Promise<SseResponse> {
  const controller = new AbortController();
  const hasBody = init.body !== undefined;
  const res = await fetch(url, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: mergeHeaders(
      hasBody
        ? { 'Content-Type': 'application/json', 'A2A-Version': '1.0', Accept: 'text/event-stream' }
        : { 'A2A-Version': '1.0', Accept: 'text/event-stream' },
      init.headers,
    ),
    ...(hasBody ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    signal: controller.signal,
  });
  const isStream = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  const out: SseResponse = {
    status: res.status,
    headers: res.headers,
    reader: new SseReader(isStream && res.body ? (res.body as AsyncIterable<Uint8Array>) : emptyStream()),
    abort: () => controller.abort(),
  };
  if (!isStream) out.json = await parseBody(res);
  return out;
}

async function* emptyStream(): AsyncIterable<Uint8Array> {}

/** A JSON-RPC 2.0 request body. */
export function rpcBody(
  method: string,
  params?: unknown,
  id: string | number = ++rpcId,
): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
}

/** A v1.0 user text message. */
export function userMessage(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { messageId: `m-${crypto.randomUUID()}`, role: 'ROLE_USER', parts: [{ text }], ...extra };
}

/** A promise with its resolve function, for gating workers from the test. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A port that was free a moment ago (for agents that must know each other's URL before listening). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
