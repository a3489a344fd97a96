/**
 * The A2A v1.0 end-to-end suite, run once per binding (JSON-RPC and HTTP+JSON) with the official
 * `@a2a-js/sdk` 1.3 client against a Timestep server.
 */
import { randomUUID } from 'node:crypto';
import {
  type Message,
  type Part,
  Role,
  SendMessageRequest,
  type StreamResponse,
  type Task,
  TaskState,
} from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type TransportFactory,
} from '@a2a-js/sdk/client';
import {
  isJsonRpcError,
  isRestError,
  TaskNotCancelableError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from '@a2a-js/sdk/errors';
import type { A2AServer } from 'timestep';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echoAgent from '../../examples/echo-agent.js';
import {
  type AgentProbe,
  caught,
  collect,
  createTestAgent,
  PushReceiver,
  type RecordedExchange,
  recordingFetch,
  startServer,
  waitFor,
} from './agents.js';

export type V1Binding = 'JSONRPC' | 'HTTP+JSON';

/** Text of a list of parts (text parts only). */
export function partsText(parts: readonly Part[]): string {
  return parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
}

/** Text of all artifacts of a task. */
export function artifactText(task: Task): string {
  return task.artifacts.map((a) => partsText(a.parts)).join('');
}

export function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error(`Expected a Task, got a Message: ${JSON.stringify(result)}`);
  return result;
}

function userMessage(text: string, extra: { taskId?: string; contextId?: string } = {}): unknown {
  return { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text }], ...extra };
}

/** A v1.0 SendMessageRequest in the SDK's in-memory form, from its proto-JSON. */
export function send(
  text: string,
  options: {
    taskId?: string;
    contextId?: string;
    returnImmediately?: boolean;
    historyLength?: number;
    push?: { url: string; token: string };
  } = {},
): SendMessageRequest {
  const configuration: Record<string, unknown> = {};
  if (options.returnImmediately) configuration.returnImmediately = true;
  if (options.historyLength !== undefined) configuration.historyLength = options.historyLength;
  if (options.push) configuration.taskPushNotificationConfig = options.push;
  const extra: { taskId?: string; contextId?: string } = {};
  if (options.taskId) extra.taskId = options.taskId;
  if (options.contextId) extra.contextId = options.contextId;
  return SendMessageRequest.fromJSON({ message: userMessage(text, extra), configuration });
}

export function stateOf(event: StreamResponse): TaskState | undefined {
  const p = event.payload;
  if (p?.$case === 'task') return p.value.status?.state;
  if (p?.$case === 'statusUpdate') return p.value.status?.state;
  return undefined;
}

/**
 * Text a streaming client ends up with: the opening Task's artifacts, then every artifact update
 * (appended to or replacing its artifact).
 */
export function streamedText(events: StreamResponse[]): string {
  const artifacts = new Map<string, string>();
  for (const event of events) {
    const p = event.payload;
    if (p?.$case === 'task')
      for (const a of p.value.artifacts) artifacts.set(a.artifactId, partsText(a.parts));
    if (p?.$case === 'artifactUpdate' && p.value.artifact) {
      const { artifactId, parts } = p.value.artifact;
      const before = p.value.append ? (artifacts.get(artifactId) ?? '') : '';
      artifacts.set(artifactId, before + partsText(parts));
    }
  }
  return [...artifacts.values()].join('');
}

function transportFactory(binding: V1Binding, fetchImpl: typeof fetch): TransportFactory {
  return binding === 'JSONRPC'
    ? new JsonRpcTransportFactory({ fetchImpl })
    : new RestTransportFactory({ fetchImpl });
}

/** Register the v1.0 suite for one binding. */
export function describeV1(binding: V1Binding): void {
  describe(`@a2a-js/sdk 1.3 client, A2A 1.0 over ${binding}`, () => {
    let echo: { server: A2AServer; url: string };
    let test: { server: A2AServer; url: string };
    let probe: AgentProbe;
    let echoClient: Client;
    let client: Client;
    let exchanges: RecordedExchange[];

    async function clientFor(url: string, fetchImpl: typeof fetch): Promise<Client> {
      const factory = new ClientFactory({
        transports: [transportFactory(binding, fetchImpl)],
        preferredTransports: [binding],
      });
      return factory.createFromUrl(url);
    }

    /** The error a failing call produced, with its binding's code checked. */
    async function expectProtocolError(
      call: () => Promise<unknown>,
      expected: { jsonRpcCode: number; httpStatus: number; type: new (...args: never[]) => Error },
    ): Promise<void> {
      const err = await caught(call);
      expect(err).toBeInstanceOf(expected.type);
      if (binding === 'JSONRPC') {
        expect(isJsonRpcError(err)).toBe(true);
        if (isJsonRpcError(err)) expect(err.envelopeCode).toBe(expected.jsonRpcCode);
      } else {
        expect(isRestError(err)).toBe(true);
        if (isRestError(err)) expect(err.statusCode).toBe(expected.httpStatus);
      }
    }

    beforeAll(async () => {
      echo = await startServer(echoAgent);
      const created = createTestAgent();
      probe = created.probe;
      test = await startServer(created.agent);
      const recorder = recordingFetch();
      exchanges = recorder.exchanges;
      echoClient = await clientFor(echo.url, fetch);
      client = await clientFor(test.url, recorder.fetch);
    });

    afterAll(async () => {
      await echo?.server.close();
      await test?.server.close();
    });

    it('creates the client from the agent card (createFromUrl) on the 1.0 interface', async () => {
      expect(echoClient.protocolVersion).toBe('1.0');
      expect(echoClient.transport.protocolName).toBe(binding);
      const card = await echoClient.getAgentCard();
      expect(card.name).toBe('Echo Agent');
      expect(card.capabilities?.streaming).toBe(true);
      expect(card.capabilities?.pushNotifications).toBe(true);
      const iface = card.supportedInterfaces.find(
        (i) => i.protocolBinding === binding && i.protocolVersion === '1.0',
      );
      expect(iface?.url.replace(/\/$/, '')).toBe(echo.url);
      expect(card.skills.map((s) => s.name)).toEqual(['Echo']);
    });

    it('blocking send returns the completed task with the echo artifact', async () => {
      const task = asTask(await echoClient.sendMessage(send('hi')));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(task.id).not.toBe('');
      expect(task.contextId).not.toBe('');
      expect(artifactText(task)).toBe('Echo: hi');
      expect(task.history[0]?.role).toBe(Role.ROLE_USER);
      expect(partsText(task.history[0]?.parts ?? [])).toBe('hi');
    });

    it('returnImmediately send returns a task in progress; GetTask polling sees it complete', async () => {
      const first = asTask(await client.sendMessage(send('gate poll', { returnImmediately: true })));
      expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(first.status?.state);
      await waitFor(() => probe.started.has(first.id), 'the worker to start');
      probe.release('poll');
      const done = await waitFor(async () => {
        const task = await client.getTask({ tenant: '', id: first.id });
        return task.status?.state === TaskState.TASK_STATE_COMPLETED && task;
      }, 'the task to complete');
      expect(done.id).toBe(first.id);
      expect(artifactText(done)).toBe('after gategate done');
    });

    it('streaming send: a Task first, then artifact chunks in order, then completed', async () => {
      const events = await collect(client.sendMessageStream(send('stream 4')));
      expect(events[0]?.payload?.$case).toBe('task');
      const cases = events.map((e) => e.payload?.$case);
      // Every event after the first is an update of the same task.
      expect(cases.slice(1).every((c) => c === 'artifactUpdate' || c === 'statusUpdate')).toBe(true);
      const taskId = events[0]?.payload?.$case === 'task' ? events[0].payload.value.id : '';
      for (const e of events.slice(1)) {
        const p = e.payload;
        if (p?.$case === 'artifactUpdate' || p?.$case === 'statusUpdate') expect(p.value.taskId).toBe(taskId);
      }
      const chunks = events.flatMap((e) => (e.payload?.$case === 'artifactUpdate' ? [e.payload.value] : []));
      // The chunks arrive in order (the first may already be in the opening Task).
      const expected = ['chunk0 ', 'chunk1 ', 'chunk2 ', 'chunk3 '];
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      expect(chunks.map((c) => partsText(c.artifact?.parts ?? []))).toEqual(expected.slice(-chunks.length));
      expect(chunks.map((c) => c.append)).toEqual(expected.slice(-chunks.length).map((t) => t !== 'chunk0 '));
      expect(chunks.map((c) => c.lastChunk)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
      const last = events.at(-1)!;
      expect(last.payload?.$case).toBe('statusUpdate');
      expect(stateOf(last)).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(streamedText(events)).toBe('chunk0 chunk1 chunk2 chunk3 ');
      const stored = await client.getTask({ tenant: '', id: taskId });
      expect(artifactText(stored)).toBe('chunk0 chunk1 chunk2 chunk3 ');
    });

    it('streaming an echo ends with the completed status and the echo text', async () => {
      const events = await collect(echoClient.sendMessageStream(send('hi')));
      expect(events[0]?.payload?.$case).toBe('task');
      expect(stateOf(events.at(-1)!)).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(streamedText(events)).toBe('Echo: hi');
    });

    it('GetTask honours historyLength (0: no history, 1: the last message)', async () => {
      const task = asTask(await client.sendMessage(send('ask')));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      const full = await client.getTask({ tenant: '', id: task.id });
      expect(full.history.map((m) => partsText(m.parts))).toEqual(['ask', 'What is your name?']);
      const before = exchanges.length;
      const none = await client.getTask({ tenant: '', id: task.id, historyLength: 0 });
      expect(none.history).toEqual([]);
      // On the wire, historyLength 0 leaves the field out.
      const body = JSON.parse(exchanges[before]!.responseBody!) as { result?: Record<string, unknown> };
      const wireTask = (binding === 'JSONRPC' ? body.result : body) as Record<string, unknown>;
      expect(wireTask.id).toBe(task.id);
      expect('history' in wireTask).toBe(false);
      const one = await client.getTask({ tenant: '', id: task.id, historyLength: 1 });
      expect(one.history).toHaveLength(1);
      expect(one.history[0]?.role).toBe(Role.ROLE_AGENT);
      expect(partsText(one.history[0]?.parts ?? [])).toBe('What is your name?');
    });

    it('GetTask of an unknown task fails with TaskNotFound', async () => {
      await expectProtocolError(() => client.getTask({ tenant: '', id: randomUUID() }), {
        jsonRpcCode: -32001,
        httpStatus: 404,
        type: TaskNotFoundError,
      });
    });

    it('ListTasks filters by context and status, paginates, and leaves artifacts out by default', async () => {
      const contextId = randomUUID();
      const completed: string[] = [];
      for (const word of ['one', 'two', 'three']) {
        completed.push(asTask(await client.sendMessage(send(`echo ${word}`, { contextId }))).id);
      }
      const asking = asTask(await client.sendMessage(send('ask', { contextId })));
      expect(asking.contextId).toBe(contextId);

      const all = await client.listTasks({
        tenant: '',
        contextId,
        status: TaskState.TASK_STATE_UNSPECIFIED,
        pageToken: '',
        statusTimestampAfter: undefined,
      });
      expect(all.tasks.map((t) => t.id).sort()).toEqual([...completed, asking.id].sort());
      expect(all.totalSize).toBe(4);
      expect(all.nextPageToken).toBe('');
      expect(all.tasks.every((t) => t.artifacts.length === 0)).toBe(true);
      const rawList = exchanges.at(-1)!;
      expect(rawList.responseBody).toBeDefined();
      const listed = JSON.parse(rawList.responseBody!) as { result?: unknown; tasks?: unknown };
      const wireTasks = (
        (binding === 'JSONRPC' ? (listed.result as { tasks: unknown[] }) : listed) as {
          tasks: Record<string, unknown>[];
        }
      ).tasks;
      expect(wireTasks).toHaveLength(4);
      expect(wireTasks.every((t) => !('artifacts' in t))).toBe(true);

      const done = await client.listTasks({
        tenant: '',
        contextId,
        status: TaskState.TASK_STATE_COMPLETED,
        pageToken: '',
        statusTimestampAfter: undefined,
        includeArtifacts: true,
      });
      expect(done.tasks.map((t) => t.id).sort()).toEqual([...completed].sort());
      expect(done.tasks.every((t) => t.status?.state === TaskState.TASK_STATE_COMPLETED)).toBe(true);
      expect(done.tasks.map(artifactText).sort()).toEqual(['Echo: one', 'Echo: three', 'Echo: two']);

      const seen: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const page = await client.listTasks({
          tenant: '',
          contextId,
          status: TaskState.TASK_STATE_UNSPECIFIED,
          pageSize: 3,
          pageToken,
          statusTimestampAfter: undefined,
        });
        expect(page.tasks.length).toBeLessThanOrEqual(3);
        expect(page.totalSize).toBe(4);
        seen.push(...page.tasks.map((t) => t.id));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken !== '' && pages < 10);
      expect(pages).toBe(2);
      expect(new Set(seen).size).toBe(4);
      expect([...seen].sort()).toEqual([...completed, asking.id].sort());
    });

    it('CancelTask cancels a running task and aborts its worker', async () => {
      const task = asTask(await client.sendMessage(send('slow', { returnImmediately: true })));
      await waitFor(() => probe.started.has(task.id), 'the slow worker to start');
      const canceled = await client.cancelTask({ tenant: '', id: task.id, metadata: undefined });
      expect(canceled.id).toBe(task.id);
      expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
      expect(probe.aborted.has(task.id)).toBe(true);
      const after = await client.getTask({ tenant: '', id: task.id });
      expect(after.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    });

    it('CancelTask of a completed task fails with TaskNotCancelable', async () => {
      const task = asTask(await client.sendMessage(send('echo done')));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      await expectProtocolError(() => client.cancelTask({ tenant: '', id: task.id, metadata: undefined }), {
        jsonRpcCode: -32002,
        httpStatus: 409,
        type: TaskNotCancelableError,
      });
    });

    it('SubscribeToTask on a running task: the Task snapshot first, then live events to completion', async () => {
      const task = asTask(await client.sendMessage(send('gate sub', { returnImmediately: true })));
      const stream = client.resubscribeTask({ tenant: '', id: task.id });
      const first = await stream.next();
      expect(first.done).toBe(false);
      const snapshot = first.value as StreamResponse;
      expect(snapshot.payload?.$case).toBe('task');
      if (snapshot.payload?.$case === 'task') {
        expect(snapshot.payload.value.id).toBe(task.id);
        expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(
          snapshot.payload.value.status?.state,
        );
      }
      probe.release('sub');
      const rest = await collect({ [Symbol.asyncIterator]: () => stream });
      const kinds = rest.map((e) => e.payload?.$case);
      expect(kinds).toEqual(['statusUpdate', 'artifactUpdate', 'artifactUpdate', 'statusUpdate']);
      expect(stateOf(rest[0]!)).toBe(TaskState.TASK_STATE_WORKING);
      const status = rest[0]!.payload?.$case === 'statusUpdate' ? rest[0]!.payload.value.status : undefined;
      expect(partsText(status?.message?.parts ?? [])).toBe('released');
      expect(stateOf(rest.at(-1)!)).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(streamedText([snapshot, ...rest])).toBe('after gategate done');
    });

    it('SubscribeToTask on a completed task fails with UnsupportedOperation', async () => {
      const task = asTask(await client.sendMessage(send('echo over')));
      await expectProtocolError(() => collect(client.resubscribeTask({ tenant: '', id: task.id })), {
        jsonRpcCode: -32004,
        httpStatus: 400,
        type: UnsupportedOperationError,
      });
    });

    it('multi-turn: input-required, then the answer on the same task completes it', async () => {
      const first = asTask(await client.sendMessage(send('ask')));
      expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(partsText(first.status?.message?.parts ?? [])).toBe('What is your name?');
      const second = asTask(await client.sendMessage(send('Alice', { taskId: first.id })));
      expect(second.id).toBe(first.id);
      expect(second.contextId).toBe(first.contextId);
      expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(second)).toBe('Hello, Alice');
      const task = await client.getTask({ tenant: '', id: first.id });
      expect(task.history.length).toBeGreaterThanOrEqual(4);
      expect(task.history.map((m) => [m.role, partsText(m.parts)])).toEqual([
        [Role.ROLE_USER, 'ask'],
        [Role.ROLE_AGENT, 'What is your name?'],
        [Role.ROLE_USER, 'Alice'],
        [Role.ROLE_AGENT, 'Hello, Alice'],
      ]);
      expect(task.history.every((m) => m.contextId === first.contextId)).toBe(true);
      // A terminal task takes no more messages.
      await expectProtocolError(() => client.sendMessage(send('again', { taskId: first.id })), {
        jsonRpcCode: -32004,
        httpStatus: 400,
        type: UnsupportedOperationError,
      });
    });

    it('multi-turn over streams: the first stream ends at input-required, the answer streams to completion', async () => {
      const first = await collect(client.sendMessageStream(send('ask')));
      expect(first[0]?.payload?.$case).toBe('task');
      expect(stateOf(first.at(-1)!)).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      const opened = first[0]!.payload?.$case === 'task' ? first[0]!.payload.value : undefined;
      const taskId = opened?.id ?? '';
      const second = await collect(client.sendMessageStream(send('Dora', { taskId })));
      // A resumed task's stream opens with its snapshot too.
      expect(second[0]?.payload?.$case).toBe('task');
      if (second[0]?.payload?.$case === 'task') {
        expect(second[0].payload.value.id).toBe(taskId);
        expect(second[0].payload.value.contextId).toBe(opened?.contextId);
      }
      expect(stateOf(second.at(-1)!)).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(streamedText(second)).toBe('Hello, Dora');
    });

    it('SendMessage honours configuration.historyLength', async () => {
      const none = asTask(await client.sendMessage(send('ask', { historyLength: 0 })));
      expect(none.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(none.history).toEqual([]);
      const one = asTask(await client.sendMessage(send('ask', { historyLength: 1 })));
      expect(one.history.map((m) => partsText(m.parts))).toEqual(['What is your name?']);
    });

    it('a retried send (same messageId) answers with the task it created, not a new one', async () => {
      const request = send('echo once');
      const first = asTask(await client.sendMessage(request));
      const again = asTask(await client.sendMessage(request));
      expect(again.id).toBe(first.id);
      expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(again)).toBe('Echo: once');
    });

    it('a worker that throws ends its task failed', async () => {
      const task = asTask(await client.sendMessage(send('fail')));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(partsText(task.status?.message?.parts ?? [])).toContain('boom');
    });

    it('push notification configs: create, get, list, delete', async () => {
      const task = asTask(await client.sendMessage(send('ask')));
      const created = await client.createTaskPushNotificationConfig({
        tenant: '',
        id: '',
        taskId: task.id,
        url: 'http://127.0.0.1:9/hook',
        token: 'secret-token',
        authentication: undefined,
      });
      expect(created.id).not.toBe('');
      expect(created.taskId).toBe(task.id);
      expect(created.url).toBe('http://127.0.0.1:9/hook');
      expect(created.token).toBe('secret-token');
      const got = await client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id });
      expect(got.id).toBe(created.id);
      expect(got.url).toBe('http://127.0.0.1:9/hook');
      const listed = await client.listTaskPushNotificationConfig({
        tenant: '',
        taskId: task.id,
        pageSize: 0,
        pageToken: '',
      });
      expect(listed.configs.map((c) => c.id)).toEqual([created.id]);
      await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id });
      await expectProtocolError(
        () => client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id }),
        { jsonRpcCode: -32001, httpStatus: 404, type: TaskNotFoundError },
      );
      const empty = await client.listTaskPushNotificationConfig({
        tenant: '',
        taskId: task.id,
        pageSize: 0,
        pageToken: '',
      });
      expect(empty.configs).toEqual([]);
    });

    it('push delivery: the webhook gets the task updates in order, with the token, ending completed', async () => {
      const receiver = await new PushReceiver().start();
      try {
        const task = asTask(
          await client.sendMessage(
            send('status', {
              returnImmediately: true,
              push: { url: `${receiver.url}/hook`, token: 'tok-v1' },
            }),
          ),
        );
        const updates = () =>
          receiver.deliveries.map((d) => d.body as { statusUpdate?: { status: { state: string } } });
        await waitFor(
          () => updates().some((u) => u.statusUpdate?.status.state === 'TASK_STATE_COMPLETED'),
          'the completed notification',
        );
        for (const d of receiver.deliveries) {
          expect(d.headers['x-a2a-notification-token']).toBe('tok-v1');
          expect(d.headers['content-type']).toMatch(/^application\/(a2a\+)?json/);
        }
        const bodies = receiver.deliveries.map((d) => d.body as Record<string, Record<string, unknown>>);
        for (const body of bodies) {
          const inner = Object.values(body)[0] as { taskId?: string; id?: string };
          expect(inner.taskId ?? inner.id).toBe(task.id);
        }
        const statuses = bodies.flatMap((b) => {
          const u = b.statusUpdate as { status: { state: string; message?: { parts: { text?: string }[] } } };
          return u ? [`${u.status.state}:${u.status.message?.parts[0]?.text ?? ''}`] : [];
        });
        expect(statuses).toEqual([
          'TASK_STATE_WORKING:step 1',
          'TASK_STATE_WORKING:step 2',
          'TASK_STATE_COMPLETED:',
        ]);
        const kinds = bodies.map((b) => Object.keys(b)[0]);
        // The result artifact comes before the completed status, which is last.
        expect(kinds.indexOf('artifactUpdate')).toBeGreaterThan(kinds.indexOf('statusUpdate'));
        expect(kinds.at(-1)).toBe('statusUpdate');
      } finally {
        await receiver.close();
      }
    });
  });
}
