/**
 * Shared pieces of the end-to-end suites that drive Timestep with the official `@a2a-js/sdk`
 * clients: a scripted test agent, servers started in-process, a push receiver, a recording
 * `fetch`, and a deadline-based poller (no sleeps, no timing assertions).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { A2AServer, type A2AServerOptions, defineAgent } from 'timestep';

import { type Gate, Gates } from './wait.js';

export { waitFor } from './wait.js';

/** What the test agent's workers did, for assertions the wire cannot show. */
export class AgentProbe {
  /** Tasks whose "slow"/"gate" worker started running. */
  readonly started = new Set<string>();
  /** Tasks whose worker saw `ctx.signal` aborted. */
  readonly aborted = new Set<string>();
  readonly #gates = new Gates();

  gate(name: string): Gate {
    return this.#gates.get(name);
  }

  /** Let the worker waiting on `name` go on. */
  release(name: string): void {
    this.#gates.open(name);
  }
}

function untilAborted(signal: AbortSignal, other?: Promise<void>): Promise<'aborted' | 'released'> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve('aborted');
      return;
    }
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    other?.then(() => resolve('released'));
  });
}

/**
 * An agent whose worker behaves by the message text:
 *
 * - `echo …`: completes with `Echo: …`
 * - `stream N`: emits N chunks of one artifact (`chunk0 chunk1 …`, append + lastChunk), then completes
 * - `ask`: asks for input; the answer completes the task with `Hello, <answer>` (artifact and status message)
 * - `slow`: waits for `ctx.signal` (cancel), recording that it was aborted
 * - `gate NAME`: waits until the test releases NAME, then sends a status, an artifact and completes
 * - `fail`: throws
 * - `status`: two `sendStatus` calls, then completes with `status done`
 */
export function createTestAgent(name = 'Test Agent'): { agent: A2AServerOptions; probe: AgentProbe } {
  const probe = new AgentProbe();
  const agent = defineAgent({
    card: {
      name,
      description: 'Behaves by the message text (echo, stream, ask, slow, gate, fail, status).',
      skills: [{ name: 'Script', description: 'Scripted behaviours for end-to-end tests.' }],
    },
    worker: async (ctx) => {
      const text = ctx.userText.trim();
      if (!ctx.isNewTask) {
        // The answer to "ask".
        const reply = `Hello, ${text}`;
        await ctx.complete({ content: reply, message: reply });
        return;
      }
      const [command = '', ...rest] = text.split(/\s+/);
      switch (command) {
        case 'echo':
          await ctx.complete(`Echo: ${rest.join(' ')}`);
          return;
        case 'stream': {
          const n = Number(rest[0] ?? '3');
          for (let i = 0; i < n; i++) {
            await ctx.emitArtifact({
              artifactId: 'stream',
              name: 'stream',
              content: `chunk${i} `,
              append: i > 0,
              lastChunk: i === n - 1,
            });
          }
          await ctx.complete();
          return;
        }
        case 'ask':
          await ctx.requestInput('What is your name?');
          return;
        case 'slow':
          probe.started.add(ctx.taskId);
          if ((await untilAborted(ctx.signal)) === 'aborted') probe.aborted.add(ctx.taskId);
          return;
        case 'gate': {
          probe.started.add(ctx.taskId);
          const outcome = await untilAborted(ctx.signal, probe.gate(rest[0] ?? '').opened);
          if (outcome === 'aborted') {
            probe.aborted.add(ctx.taskId);
            return;
          }
          await ctx.sendStatus('released');
          await ctx.emitArtifact({ artifactId: 'gated', name: 'gated', content: 'after gate' });
          await ctx.complete('gate done');
          return;
        }
        case 'fail':
          throw new Error('boom');
        case 'status':
          await ctx.sendStatus('step 1');
          await ctx.sendStatus('step 2');
          await ctx.complete('status done');
          return;
        default:
          await ctx.complete(`Echo: ${text}`);
      }
    },
  });
  return { agent, probe };
}

/** Start an in-memory server on 127.0.0.1 (any port) with loopback push allowed. */
export async function startServer(agent: A2AServerOptions): Promise<{ server: A2AServer; url: string }> {
  const server = new A2AServer({
    ...agent,
    store: 'memory',
    push: { policy: { allowLoopback: true }, baseDelayMs: 10 },
  });
  const { url } = await server.listen();
  return { server, url };
}

/** One webhook call a push receiver got. */
export interface PushDelivery {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A local webhook on 127.0.0.1 that records what it receives. */
export class PushReceiver {
  readonly deliveries: PushDelivery[] = [];
  #server: Server | undefined;
  #url = '';

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.deliveries.push({
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        });
        res.writeHead(200).end();
      });
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** One HTTP exchange seen by a {@link recordingFetch}. */
export interface RecordedExchange {
  url: string;
  method: string;
  requestHeaders: Headers;
  requestBody: string | undefined;
  status: number;
  /** The response body, for non-streaming answers. */
  responseBody: string | undefined;
}

/** A `fetch` that records requests and (non-SSE) response bodies, for wire-level assertions. */
export function recordingFetch(): { fetch: typeof fetch; exchanges: RecordedExchange[] } {
  const exchanges: RecordedExchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const requestBody = typeof init?.body === 'string' ? init.body : undefined;
    const response = await fetch(input, init);
    const streaming = response.headers.get('content-type')?.includes('text/event-stream') ?? false;
    exchanges.push({
      url: request.url,
      method: request.method,
      requestHeaders: request.headers,
      requestBody,
      status: response.status,
      responseBody: streaming ? undefined : await response.clone().text(),
    });
    return response;
  };
  return { fetch: recording, exchanges };
}

/** Collect every item of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Run `fn` and return what it threw (failing if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) return err as Error & Record<string, unknown>;
    throw new Error(`Expected an Error, got ${String(err)}`);
  }
  throw new Error('Expected the call to fail, but it succeeded.');
}
