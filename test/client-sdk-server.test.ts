/**
 * `A2AClient` against the official `@a2a-js/sdk` servers, run in-process:
 *
 * - the 1.x server (A2A 1.0) over JSON-RPC and REST;
 * - the 0.3 server (A2A 0.3, a v0.3 card without `supportedInterfaces`), which the client must
 *   detect from the card alone.
 */
import { randomUUID } from 'node:crypto';
import {
  A2AClient,
  A2AClientError,
  type Message,
  type StreamResponse,
  type Task,
  type TransportPreference,
  taskText,
} from 'timestep';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caught,
  collect,
  describeEvent,
  type SdkProbe,
  type SdkServer,
  startSdkV1Server,
  startSdkV03Server,
  waitFor,
} from './helpers/sdk-servers.js';

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error(`Expected a Task, got a Message: ${JSON.stringify(result)}`);
  return result;
}

async function clientError(fn: () => Promise<unknown>): Promise<A2AClientError> {
  const err = await caught(fn);
  expect(err).toBeInstanceOf(A2AClientError);
  return err as A2AClientError;
}

/** The behaviours both SDK servers share: send, stream, getTask, cancel, subscribe, errors. */
function commonSuite(
  context: () => { client: A2AClient; server: SdkServer; probe: SdkProbe },
  label: string,
  options: {
    notFoundStatus?: number;
    /** Whether the server honours `historyLength: 0` (the 0.3 SDK sends the whole history). */
    historyLengthZero?: boolean;
  } = {},
): void {
  it('send: the echo comes back as a completed task with its artifact', async () => {
    const { client } = context();
    const task = asTask(await client.send(`hello ${label}`));
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(task)).toBe(`Echo: hello ${label}`);
    expect(task.artifacts?.map((a) => a.artifactId)).toEqual(['echo']);
  });

  it('stream: the task first, then the artifact, completed last', async () => {
    const { client } = context();
    const events = await collect(client.stream('streamed'));
    expect(events.map(describeEvent)).toEqual([
      'task:SUBMITTED',
      'artifact:Echo: streamed',
      'status:COMPLETED',
    ]);
    const taskId = (events[0] as { task: Task }).task.id;
    for (const event of events.slice(1)) {
      const update =
        'artifactUpdate' in event
          ? event.artifactUpdate
          : (event as { statusUpdate: { taskId: string } }).statusUpdate;
      expect(update.taskId).toBe(taskId);
    }
  });

  it('getTask reads the stored task', async () => {
    const { client } = context();
    const task = asTask(await client.send('stored'));
    const got = await client.getTask(task.id);
    expect(got.id).toBe(task.id);
    expect(got.contextId).toBe(task.contextId);
    expect(got.status.state).toBe('TASK_STATE_COMPLETED');
    expect(taskText(got)).toBe('Echo: stored');
    const one = await client.getTask(task.id, { historyLength: 1 });
    expect(one.history?.map((m) => m.role)).toEqual(['ROLE_USER']);
    if (options.historyLengthZero) {
      const none = await client.getTask(task.id, { historyLength: 0 });
      expect(none.history ?? []).toEqual([]);
    }
  });

  it('cancel: a running task ends canceled through the executor', async () => {
    const { client, probe } = context();
    const task = asTask(await client.send({ text: 'slow', configuration: { returnImmediately: true } }));
    expect(task.status.state).toBe('TASK_STATE_WORKING');
    await waitFor(() => probe.started.has(task.id), 'the slow execution to start');
    const canceled = await client.cancel(task.id);
    expect(canceled.id).toBe(task.id);
    expect(canceled.status.state).toBe('TASK_STATE_CANCELED');
    expect(probe.cancelRequested.has(task.id)).toBe(true);
    expect((await client.getTask(task.id)).status.state).toBe('TASK_STATE_CANCELED');
  });

  it('subscribe: a running task, then its live events to completed', async () => {
    const { client, probe } = context();
    const gate = `sub-${label}-${randomUUID()}`;
    const task = asTask(
      await client.send({ text: `gate ${gate}`, configuration: { returnImmediately: true } }),
    );
    await waitFor(() => probe.started.has(task.id), 'the gated execution to start');
    const stream = client.subscribe(task.id);
    const first = await stream.next();
    expect(first.done).toBe(false);
    const snapshot = first.value as StreamResponse;
    expect('task' in snapshot && snapshot.task.id).toBe(task.id);
    expect(describeEvent(snapshot)).toBe('task:WORKING');
    probe.gates.open(gate);
    const rest = await collect({ [Symbol.asyncIterator]: () => stream });
    expect(rest.map(describeEvent)).toEqual([`artifact:after ${gate}`, 'status:COMPLETED']);
  });

  it('typed errors: an unknown task is TaskNotFound (-32001)', async () => {
    const { client } = context();
    const err = await clientError(() => client.getTask(randomUUID()));
    expect(err.kind).toBe('TaskNotFound');
    expect(err.code).toBe(-32001);
    if (options.notFoundStatus !== undefined) expect(err.httpStatus).toBe(options.notFoundStatus);
    const cancel = await clientError(() => client.cancel(randomUUID()));
    expect(cancel.kind).toBe('TaskNotFound');
  });
}

describe.each<{ transport: TransportPreference; binding: string; path: string }>([
  { transport: 'jsonrpc', binding: 'JSONRPC', path: '/a2a/jsonrpc' },
  { transport: 'rest', binding: 'HTTP+JSON', path: '/a2a/rest' },
])('A2AClient → @a2a-js/sdk 1.x server ($transport)', ({ transport, binding, path }) => {
  let server: Awaited<ReturnType<typeof startSdkV1Server>>;
  let client: A2AClient;

  beforeAll(async () => {
    server = await startSdkV1Server();
    client = await A2AClient.connect(server.url, { transport });
  });

  afterAll(async () => {
    await server.close();
  });

  it(`connects through the SDK's card and uses ${binding} 1.0`, () => {
    expect(client.card.name).toBe('SDK Echo Agent');
    expect(client.binding.protocolBinding).toBe(binding);
    expect(client.binding.protocolVersion).toBe('1.0');
    expect(client.binding.url).toBe(`${server.url}${path}`);
  });

  commonSuite(() => ({ client, server, probe: server.probe }), transport, {
    historyLengthZero: true,
    ...(binding === 'HTTP+JSON' ? { notFoundStatus: 404 } : {}),
  });

  it('listTasks: the SDK lists tasks, filtered by context and status', async () => {
    const contextId = randomUUID();
    const ids: string[] = [];
    for (const word of ['a', 'b', 'c']) ids.push(asTask(await client.send({ text: word, contextId })).id);
    const listed = await client.listTasks({ contextId });
    expect(listed.tasks.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(listed.tasks.every((t) => t.contextId === contextId)).toBe(true);
    const completed = await client.listTasks({ contextId, status: 'TASK_STATE_COMPLETED' });
    expect(completed.tasks.map((t) => t.id).sort()).toEqual([...ids].sort());
    const working = await client.listTasks({ contextId, status: 'TASK_STATE_WORKING' });
    expect(working.tasks).toEqual([]);
    const page = await client.listTasks({ contextId, pageSize: 2 });
    expect(page.tasks).toHaveLength(2);
    expect(page.nextPageToken).toBeTruthy();
    const next = await client.listTasks({ contextId, pageSize: 2, pageToken: page.nextPageToken });
    expect([...page.tasks, ...next.tasks].map((t) => t.id).sort()).toEqual([...ids].sort());
  });

  it('every request after the card carried A2A-Version: 1.0 to the interface URL', () => {
    const calls = server.requests.filter((r) => !r.path.startsWith('/.well-known/'));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.headers['a2a-version'] === '1.0')).toBe(true);
    expect(calls.every((r) => r.path.startsWith(path))).toBe(true);
  });
});

describe("A2AClient → @a2a-js/sdk 1.x server ('auto')", () => {
  it('auto follows the card order and picks JSON-RPC 1.0', async () => {
    const server = await startSdkV1Server();
    try {
      const client = await A2AClient.connect(server.url);
      expect(client.binding.protocolBinding).toBe('JSONRPC');
      expect(client.binding.protocolVersion).toBe('1.0');
      expect(taskText(asTask(await client.send('auto')))).toBe('Echo: auto');
    } finally {
      await server.close();
    }
  });
});

describe('A2AClient → @a2a-js/sdk 0.3 server (v0.3 card)', () => {
  let server: Awaited<ReturnType<typeof startSdkV03Server>>;
  let client: A2AClient;

  beforeAll(async () => {
    server = await startSdkV03Server();
    client = await A2AClient.connect(server.url);
  });

  afterAll(async () => {
    await server.close();
  });

  it('detects A2A 0.3 from the card and uses JSON-RPC 0.3 at the card URL', async () => {
    const raw = (await (await fetch(`${server.url}/.well-known/agent-card.json`)).json()) as Record<
      string,
      unknown
    >;
    expect(raw.supportedInterfaces).toBeUndefined();
    expect(raw.protocolVersion).toBe('0.3.0');
    expect(client.card.name).toBe('SDK 0.3 Echo Agent');
    expect(client.binding.protocolBinding).toBe('JSONRPC');
    expect(client.binding.protocolVersion).toBe('0.3');
    expect(client.binding.url).toBe(server.card.url);
  });

  commonSuite(() => ({ client, server, probe: server.probe }), 'v03');

  it('listTasks does not exist in 0.3: UnsupportedOperation', async () => {
    const before = server.requests.length;
    const err = await clientError(() => client.listTasks({}));
    expect(err.kind).toBe('UnsupportedOperation');
    expect(server.requests.length).toBe(before);
  });

  it('spoke v0.3 method names with A2A-Version: 0.3', () => {
    const calls = server.requests.filter((r) => r.method === 'POST');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.path === '/' && r.headers['a2a-version'] === '0.3')).toBe(true);
  });
});
