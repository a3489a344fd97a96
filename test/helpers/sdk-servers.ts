/**
 * Servers for the `A2AClient` suites (test/client-*.test.ts):
 *
 * - a scripted Timestep agent ({@link createScriptedAgent}) and {@link startTimestep};
 * - the official `@a2a-js/sdk` 1.x server (A2A 1.0, JSON-RPC + REST) with an echo executor;
 * - the official `@a2a-js/sdk` 0.3 server (A2A 0.3 JSON-RPC, v0.3 card) with an echo executor;
 * - a small HTTP proxy that records requests, can answer them itself, hold them, or cut an SSE
 *   response after N events;
 * - promise tools: gates and deadline-based polling (no sleeps, no timing assertions).
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Artifact as SdkArtifact,
  type AgentCard as SdkCard,
  type Message as SdkMessage,
  type Part as SdkPart,
  type Task as SdkTask,
  TaskState as SdkTaskState,
} from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  type ExecutionEventBus,
  InMemoryTaskStore,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import type {
  TaskArtifactUpdateEvent as V03ArtifactUpdate,
  AgentCard as V03Card,
  Message as V03Message,
  TaskStatusUpdateEvent as V03StatusUpdate,
  Task as V03Task,
} from 'a2a-sdk-v03';
import {
  type ExecutionEventBus as V03Bus,
  type AgentExecutor as V03Executor,
  type RequestContext as V03RequestContext,
  DefaultRequestHandler as V03RequestHandler,
  InMemoryTaskStore as V03TaskStore,
} from 'a2a-sdk-v03/server';
import { A2AExpressApp } from 'a2a-sdk-v03/server/express';
import express from 'express';
import { A2AServer, type A2AServerOptions, defineAgent, type StreamResponse } from 'timestep';

import { Gate, Gates } from './wait.js';

export { Gate, Gates, waitFor } from './wait.js';

// ---- promise tools ----------------------------------------------------------------------------

/** Every item of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** What `fn` threw (fails when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('Expected the call to fail, but it succeeded.');
}

function listenOnLoopback(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// ---- stream helpers ---------------------------------------------------------------------------

/** A short label per stream event: `task:<state>`, `artifact:<text>`, `status:<state>`, `message`. */
export function describeEvent(event: StreamResponse): string {
  if ('task' in event) return `task:${event.task.status.state.slice(11)}`;
  if ('statusUpdate' in event) return `status:${event.statusUpdate.status.state.slice(11)}`;
  if ('artifactUpdate' in event) {
    const text = event.artifactUpdate.artifact.parts.map((p) => ('text' in p ? p.text : '')).join('');
    return `artifact:${text}`;
  }
  return 'message';
}

// ---- the scripted Timestep agent --------------------------------------------------------------

/** What the scripted agent's workers did, for what the wire cannot show. */
export class AgentProbe {
  readonly gates = new Gates();
  /** Tasks whose waiting worker (`slow`, `gate`, `drip`) started. */
  readonly started = new Set<string>();
  /** Tasks whose worker saw `ctx.signal` aborted. */
  readonly aborted = new Set<string>();
  /** Tasks whose worker returned after its final call. */
  readonly finished = new Set<string>();
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
 * A Timestep agent that behaves by the message text:
 *
 * - `stream N`: N chunks (`c0 `, `c1 `, …) of one artifact, then completes
 * - `ask`: asks for a name; the answer completes the task with `Hello, <answer>`
 * - `slow`: waits for cancellation
 * - `gate NAME`: waits for gate NAME, then emits an artifact (`after NAME`) and completes `gate done`
 * - `drip A B NAME`: A chunks, waits for gate NAME, B more chunks, completes
 * - anything else: completes with `Echo: <text>`
 */
export function createScriptedAgent(name = 'Client Test Agent'): {
  agent: A2AServerOptions;
  probe: AgentProbe;
} {
  const probe = new AgentProbe();
  const agent = defineAgent({
    card: {
      name,
      description: 'Scripted behaviours for the A2AClient suites.',
      skills: [{ name: 'Script', description: 'stream, ask, slow, gate, drip, echo' }],
    },
    worker: async (ctx) => {
      const text = ctx.userText.trim();
      if (!ctx.isNewTask) {
        const reply = `Hello, ${text}`;
        await ctx.complete({ content: reply, message: reply });
        probe.finished.add(ctx.taskId);
        return;
      }
      const [command = '', ...args] = text.split(/\s+/);
      const chunk = async (i: number, last: boolean) =>
        ctx.emitArtifact({
          artifactId: 'stream',
          name: 'stream',
          content: `c${i} `,
          append: i > 0,
          lastChunk: last,
        });
      switch (command) {
        case 'stream': {
          const n = Number(args[0] ?? '3');
          for (let i = 0; i < n; i++) await chunk(i, i === n - 1);
          await ctx.complete();
          break;
        }
        case 'ask':
          await ctx.requestInput('What is your name?');
          break;
        case 'slow':
          probe.started.add(ctx.taskId);
          if ((await untilAborted(ctx.signal)) === 'aborted') probe.aborted.add(ctx.taskId);
          return;
        case 'gate': {
          probe.started.add(ctx.taskId);
          const gate = args[0] ?? '';
          if ((await untilAborted(ctx.signal, probe.gates.get(gate).opened)) === 'aborted') {
            probe.aborted.add(ctx.taskId);
            return;
          }
          await ctx.emitArtifact({ artifactId: 'gated', name: 'gated', content: `after ${gate}` });
          await ctx.complete({ message: 'gate done' });
          break;
        }
        case 'drip': {
          const before = Number(args[0] ?? '2');
          const after = Number(args[1] ?? '2');
          probe.started.add(ctx.taskId);
          for (let i = 0; i < before; i++) await chunk(i, false);
          if ((await untilAborted(ctx.signal, probe.gates.get(args[2] ?? '').opened)) === 'aborted') {
            probe.aborted.add(ctx.taskId);
            return;
          }
          for (let i = before; i < before + after; i++) await chunk(i, i === before + after - 1);
          await ctx.complete();
          break;
        }
        default:
          await ctx.complete(`Echo: ${text}`);
      }
      probe.finished.add(ctx.taskId);
    },
  });
  return { agent, probe };
}

/** Start a Timestep server (memory store, loopback push allowed) on 127.0.0.1, any port. */
export async function startTimestep(
  agent: A2AServerOptions,
  extra: Partial<A2AServerOptions> = {},
): Promise<{ server: A2AServer; url: string; directUrl: string; close: () => Promise<void> }> {
  const server = new A2AServer({
    ...agent,
    store: 'memory',
    push: { policy: { allowLoopback: true }, baseDelayMs: 10 },
    ...extra,
  });
  const { url, port } = await server.listen({ port: 0 });
  // `url` is the public one (`publicUrl` when given); `directUrl` is where it really listens.
  return { server, url, directUrl: `http://127.0.0.1:${port}`, close: () => server.close() };
}

// ---- the official SDK, v1.x (A2A 1.0) -----------------------------------------------------------

function sdkText(text: string): SdkPart {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}

function sdkPartsText(parts: readonly SdkPart[]): string {
  return parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
}

function sdkAgentMessage(text: string, taskId: string, contextId: string): SdkMessage {
  return {
    messageId: randomUUID(),
    contextId,
    taskId,
    role: 2, // ROLE_AGENT
    parts: [sdkText(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** What the SDK executors did. */
export class SdkProbe {
  readonly gates = new Gates();
  /** Tasks whose waiting execution (`slow`, `gate`) started. */
  readonly started = new Set<string>();
  /** Tasks the server asked the executor to cancel. */
  readonly cancelRequested = new Set<string>();
}

/**
 * The executor for the SDK 1.x server: publishes the Task, one artifact update (`Echo: <text>`) and
 * a completed status. `slow` waits for cancel (which publishes `canceled`); `gate NAME` publishes a
 * working Task, waits for gate NAME, then the artifact and completed.
 */
class SdkEchoExecutor implements AgentExecutor {
  readonly #probe: SdkProbe;
  readonly #waiting = new Map<string, () => void>();
  readonly #contexts = new Map<string, string>();

  constructor(probe: SdkProbe) {
    this.#probe = probe;
  }

  async execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = ctx;
    const text = sdkPartsText(ctx.userMessage.parts).trim();
    const [command = '', ...args] = text.split(/\s+/);
    const now = () => new Date().toISOString();
    const waits = command === 'slow' || command === 'gate';
    const task: SdkTask = ctx.task ?? {
      id: taskId,
      contextId,
      status: {
        state: waits ? SdkTaskState.TASK_STATE_WORKING : SdkTaskState.TASK_STATE_SUBMITTED,
        message: undefined,
        timestamp: now(),
      },
      artifacts: [],
      history: [ctx.userMessage],
      metadata: undefined,
    };
    bus.publish(AgentEvent.task(task));
    if (waits) {
      this.#probe.started.add(taskId);
      const canceled = new Promise<'canceled'>((resolve) =>
        this.#waiting.set(taskId, () => resolve('canceled')),
      );
      const outcome = await Promise.race([
        canceled,
        command === 'gate'
          ? this.#probe.gates.get(args[0] ?? '').opened.then(() => 'released' as const)
          : canceled,
      ]);
      this.#waiting.delete(taskId);
      if (outcome === 'canceled') return;
    }
    const artifact: SdkArtifact = {
      artifactId: 'echo',
      name: 'echo',
      description: '',
      parts: [sdkText(command === 'gate' ? `after ${args[0] ?? ''}` : `Echo: ${text}`)],
      metadata: undefined,
      extensions: [],
    };
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact,
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: { state: SdkTaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: now() },
        metadata: undefined,
      }),
    );
    bus.finished();
  }

  async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    this.#probe.cancelRequested.add(taskId);
    const release = this.#waiting.get(taskId);
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: this.#contexts.get(taskId) ?? '',
        status: {
          state: SdkTaskState.TASK_STATE_CANCELED,
          message: sdkAgentMessage('Canceled.', taskId, this.#contexts.get(taskId) ?? ''),
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      }),
    );
    bus.finished();
    release?.();
  }

  /** Remember a task's context (for the cancel status update). */
  track(taskId: string, contextId: string): void {
    this.#contexts.set(taskId, contextId);
  }
}

/** A running SDK server. */
export interface SdkServer {
  /** Base URL (the card is at `/.well-known/agent-card.json`). */
  url: string;
  /** Every request the server got (method, path, headers). */
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>;
  close: () => Promise<void>;
}

/**
 * The official `@a2a-js/sdk` 1.x server in-process: express + `DefaultRequestHandler` +
 * `InMemoryTaskStore`, JSON-RPC at `/a2a/jsonrpc`, REST at `/a2a/rest`, the card at the
 * well-known path (JSON-RPC first).
 */
export async function startSdkV1Server(): Promise<SdkServer & { probe: SdkProbe }> {
  const probe = new SdkProbe();
  const executor = new SdkEchoExecutor(probe);
  const card: SdkCard = {
    name: 'SDK Echo Agent',
    description: 'An @a2a-js/sdk 1.x agent that echoes.',
    supportedInterfaces: [],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 'echo',
        name: 'Echo',
        description: 'Echoes.',
        tags: [],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), {
    execute: (ctx, bus) => {
      executor.track(ctx.taskId, ctx.contextId);
      return executor.execute(ctx, bus);
    },
    cancelTask: (taskId, bus) => executor.cancelTask(taskId, bus),
  });
  const requests: SdkServer['requests'] = [];
  const app = express();
  app.use((req, _res, next) => {
    requests.push({ method: req.method, path: req.originalUrl, headers: req.headers });
    next();
  });
  app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
  app.use(
    '/a2a/jsonrpc',
    jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }),
  );
  app.use('/a2a/rest', restHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  const server = createServer(app);
  const url = await listenOnLoopback(server);
  card.supportedInterfaces.push(
    { url: `${url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
    { url: `${url}/a2a/rest`, protocolBinding: 'HTTP+JSON', protocolVersion: '1.0', tenant: '' },
  );
  return { url, requests, probe, close: () => closeServer(server) };
}

// ---- the official SDK, v0.3 -------------------------------------------------------------------

/**
 * The executor for the v0.3 server: Task, artifact update (`Echo: <text>`), final completed status.
 * `slow` waits for cancel; `gate NAME` waits for the gate.
 */
class V03EchoExecutor implements V03Executor {
  readonly #probe: SdkProbe;
  readonly #waiting = new Map<string, { contextId: string; cancel: () => void }>();

  constructor(probe: SdkProbe) {
    this.#probe = probe;
  }

  async execute(ctx: V03RequestContext, bus: V03Bus): Promise<void> {
    const { taskId, contextId } = ctx;
    const text = ctx.userMessage.parts
      .map((p) => (p.kind === 'text' ? p.text : ''))
      .join('')
      .trim();
    const [command = '', ...args] = text.split(/\s+/);
    const waits = command === 'slow' || command === 'gate';
    const task: V03Task = ctx.task ?? {
      kind: 'task',
      id: taskId,
      contextId,
      status: { state: waits ? 'working' : 'submitted', timestamp: new Date().toISOString() },
      history: [ctx.userMessage],
      artifacts: [],
    };
    bus.publish(task);
    if (waits) {
      this.#probe.started.add(taskId);
      const canceled = new Promise<'canceled'>((resolve) =>
        this.#waiting.set(taskId, { contextId, cancel: () => resolve('canceled') }),
      );
      const outcome = await Promise.race([
        canceled,
        command === 'gate'
          ? this.#probe.gates.get(args[0] ?? '').opened.then(() => 'released' as const)
          : canceled,
      ]);
      this.#waiting.delete(taskId);
      if (outcome === 'canceled') return;
    }
    const artifactUpdate: V03ArtifactUpdate = {
      kind: 'artifact-update',
      taskId,
      contextId,
      artifact: {
        artifactId: 'echo',
        name: 'echo',
        parts: [{ kind: 'text', text: command === 'gate' ? `after ${args[0] ?? ''}` : `Echo: ${text}` }],
      },
      lastChunk: true,
    };
    bus.publish(artifactUpdate);
    const completed: V03StatusUpdate = {
      kind: 'status-update',
      taskId,
      contextId,
      status: { state: 'completed', timestamp: new Date().toISOString() },
      final: true,
    };
    bus.publish(completed);
    bus.finished();
  }

  async cancelTask(taskId: string, bus: V03Bus): Promise<void> {
    this.#probe.cancelRequested.add(taskId);
    const waiting = this.#waiting.get(taskId);
    const message: V03Message = {
      kind: 'message',
      messageId: randomUUID(),
      role: 'agent',
      parts: [{ kind: 'text', text: 'Canceled.' }],
      taskId,
      contextId: waiting?.contextId ?? '',
    };
    const canceled: V03StatusUpdate = {
      kind: 'status-update',
      taskId,
      contextId: waiting?.contextId ?? '',
      status: { state: 'canceled', message, timestamp: new Date().toISOString() },
      final: true,
    };
    bus.publish(canceled);
    bus.finished();
    waiting?.cancel();
  }
}

/**
 * The official `@a2a-js/sdk` 0.3 server in-process (`A2AExpressApp`, JSON-RPC at `/`), serving a
 * v0.3 card (`url`, `protocolVersion: '0.3.0'`, no `supportedInterfaces`) at
 * `/.well-known/agent-card.json`.
 */
export async function startSdkV03Server(): Promise<SdkServer & { probe: SdkProbe; card: V03Card }> {
  const probe = new SdkProbe();
  const card: V03Card = {
    name: 'SDK 0.3 Echo Agent',
    description: 'An @a2a-js/sdk 0.3 agent that echoes.',
    url: '',
    protocolVersion: '0.3.0',
    preferredTransport: 'JSONRPC',
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: false },
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{ id: 'echo', name: 'Echo', description: 'Echoes.', tags: [] }],
  };
  const handler = new V03RequestHandler(card, new V03TaskStore(), new V03EchoExecutor(probe));
  const requests: SdkServer['requests'] = [];
  const app = express();
  app.use((req, _res, next) => {
    requests.push({ method: req.method, path: req.originalUrl, headers: req.headers });
    next();
  });
  new A2AExpressApp(handler).setupRoutes(app);
  const server = createServer(app);
  const url = await listenOnLoopback(server);
  card.url = `${url}/`;
  return { url, requests, probe, card, close: () => closeServer(server) };
}

// ---- a recording, scriptable HTTP proxy ---------------------------------------------------------

/** One request that reached the proxy. */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What to do with a request. */
export type ProxyDecision =
  /** Forward it to the target. */
  | 'forward'
  /** Never answer (the socket stays open until the client gives up or the proxy closes). */
  | 'hang'
  /** Drop the connection without an answer (a network error for the client). */
  | 'drop'
  /** Answer with this status and body. */
  | { status: number; body?: string; contentType?: string; headers?: Record<string, string> };

/** How to break the next event-stream response. */
export interface StreamCut {
  /** Data events forwarded before the cut. */
  after: number;
  /** `destroy`: kill the socket mid-response; `end`: finish the response cleanly (as a proxy timeout would). */
  how: 'destroy' | 'end';
}

/** A running proxy. Change `decide` and `cutNextStream` between tests. */
export interface TestProxy {
  url: string;
  /** Where requests are forwarded. */
  target: string;
  /** Decide per request (`index` counts from 0 since the last `reset`). May wait before deciding. */
  decide: (request: ProxiedRequest, index: number) => ProxyDecision | Promise<ProxyDecision>;
  /** Break the next event-stream response (then this goes back to `undefined`). */
  cutNextStream: StreamCut | undefined;
  /** Requests since the last `reset`. */
  readonly requests: ProxiedRequest[];
  /** Requests whose client went away before they were answered. */
  readonly abandoned: ProxiedRequest[];
  /** Opens once the proxy cut a stream. */
  cut: Gate;
  /** The SSE events forwarded on the cut stream before the cut. */
  readonly forwardedBeforeCut: string[];
  /** Forget recorded requests, forward everything, re-arm `cut`. */
  reset(): void;
  close(): Promise<void>;
}

function isDataFrame(frame: string): boolean {
  return frame.split('\n').some((line) => line.startsWith('data:'));
}

/** Start a recording HTTP proxy on 127.0.0.1 (set `target` before the first forwarded request). */
export async function startProxy(target = ''): Promise<TestProxy> {
  const forward = (proxied: ProxiedRequest, res: ServerResponse) => {
    const url = new URL(proxied.path, proxy.target);
    const headers = { ...proxied.headers, host: url.host };
    const upstream = httpRequest(url, { method: proxied.method, headers }, (up) => {
      const outHeaders: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) {
        if (v === undefined || k === 'transfer-encoding' || k === 'connection' || k === 'keep-alive')
          continue;
        outHeaders[k] = v;
      }
      res.writeHead(up.statusCode ?? 502, outHeaders);
      const isStream = String(up.headers['content-type'] ?? '').startsWith('text/event-stream');
      const cutting = isStream ? proxy.cutNextStream : undefined;
      if (!cutting) {
        up.pipe(res);
        return;
      }
      proxy.cutNextStream = undefined;
      // Forward whole SSE events until `after` data events went through, then break the stream.
      let buffer = '';
      let sent = 0;
      let done = false;
      const cutNow = () => {
        done = true;
        if (cutting.how === 'destroy') res.socket?.destroy();
        else res.end();
        up.destroy();
        proxy.cut.open();
      };
      if (cutting.after === 0) {
        res.flushHeaders();
        cutNow();
        return;
      }
      up.setEncoding('utf8');
      up.on('data', (chunk: string) => {
        if (done) return;
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const frame = buffer.slice(0, end + 2);
          buffer = buffer.slice(end + 2);
          if (isDataFrame(frame)) {
            sent++;
            proxy.forwardedBeforeCut.push(frame);
          }
          if (sent >= cutting.after) {
            // Cut once the last frame is on the wire, so the client does get it.
            done = true;
            res.write(frame, () => cutNow());
            return;
          }
          res.write(frame);
          end = buffer.indexOf('\n\n');
        }
      });
      up.on('end', () => {
        if (!done) res.end();
      });
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end('Bad Gateway');
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    upstream.end(proxied.body === '' ? undefined : proxied.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const proxied: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = proxy.requests.length;
      proxy.requests.push(proxied);
      res.on('close', () => {
        if (!res.headersSent) proxy.abandoned.push(proxied);
      });
      const decision = await proxy.decide(proxied, index);
      if (decision === 'hang') return;
      if (decision === 'drop') {
        req.socket.destroy();
        return;
      }
      if (decision === 'forward') {
        forward(proxied, res);
        return;
      }
      res.writeHead(decision.status, {
        ...decision.headers,
        'Content-Type': decision.contentType ?? 'application/json',
      });
      res.end(decision.body ?? '');
    });
  });
  const url = await listenOnLoopback(server);
  const proxy: TestProxy = {
    url,
    target,
    decide: () => 'forward',
    cutNextStream: undefined,
    requests: [],
    abandoned: [],
    cut: new Gate(),
    forwardedBeforeCut: [],
    reset() {
      proxy.requests.length = 0;
      proxy.abandoned.length = 0;
      proxy.forwardedBeforeCut.length = 0;
      proxy.decide = () => 'forward';
      proxy.cutNextStream = undefined;
      proxy.cut = new Gate();
    },
    close: () => closeServer(server),
  };
  return proxy;
}
