/**
 * `A2AClient` against Timestep's own `A2AServer`, over every binding the client speaks:
 * JSON-RPC 1.0, REST 1.0, JSON-RPC 0.3, and `auto` (which must pick JSON-RPC 1.0).
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
  type AgentProbe,
  caught,
  collect,
  createScriptedAgent,
  describeEvent,
  startTimestep,
  waitFor,
} from './helpers/sdk-servers.js';

function asTask(result: Task | Message): Task {
  if (!('status' in result)) throw new Error(`Expected a Task, got a Message: ${JSON.stringify(result)}`);
  return result;
}

function text(message: Message | undefined): string {
  return (message?.parts ?? []).map((p) => ('text' in p ? p.text : '')).join('');
}

async function clientError(fn: () => Promise<unknown>): Promise<A2AClientError> {
  const err = await caught(fn);
  expect(err).toBeInstanceOf(A2AClientError);
  return err as A2AClientError;
}

const TRANSPORTS: Array<{
  transport: TransportPreference;
  binding: 'JSONRPC' | 'HTTP+JSON';
  version: '1.0' | '0.3';
}> = [
  { transport: 'jsonrpc', binding: 'JSONRPC', version: '1.0' },
  { transport: 'rest', binding: 'HTTP+JSON', version: '1.0' },
  { transport: 'jsonrpc-0.3', binding: 'JSONRPC', version: '0.3' },
  { transport: 'auto', binding: 'JSONRPC', version: '1.0' },
];

describe.each(TRANSPORTS)(
  'A2AClient → Timestep A2AServer ($transport)',
  ({ transport, binding, version }) => {
    let close: () => Promise<void>;
    let url: string;
    let probe: AgentProbe;
    let client: A2AClient;
    /** Every request the client made (URL, method, A2A-Version). */
    const sent: Array<{ url: string; method: string; version: string | null }> = [];

    beforeAll(async () => {
      const scripted = createScriptedAgent();
      probe = scripted.probe;
      ({ url, close } = await startTimestep(scripted.agent));
      const recording: typeof fetch = (input, init) => {
        const request = new Request(input, init);
        sent.push({ url: request.url, method: request.method, version: request.headers.get('A2A-Version') });
        return fetch(input, init);
      };
      client = await A2AClient.connect(url, { transport, fetch: recording });
    });

    afterAll(async () => {
      await close();
    });

    it(`connects through the card and uses ${binding} ${version}`, () => {
      expect(client.card.name).toBe('Client Test Agent');
      expect(client.binding.protocolBinding).toBe(binding);
      expect(client.binding.protocolVersion).toBe(version);
      expect(client.binding.url.replace(/\/$/, '')).toBe(url);
    });

    it('send: the echo comes back as a completed task', async () => {
      const before = sent.length;
      const task = asTask(await client.send('hello there'));
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(task)).toBe('Echo: hello there');
      expect(task.history?.[0]?.role).toBe('ROLE_USER');
      expect(text(task.history?.[0])).toBe('hello there');
      // One request, with the negotiated version.
      expect(sent.slice(before)).toEqual([expect.objectContaining({ method: 'POST', version })]);
    });

    it('stream: the task first, then the artifact chunks in order, completed last', async () => {
      const events = await collect(client.stream('stream 4'));
      const labels = events.map(describeEvent);
      expect(labels[0]).toBe('task:SUBMITTED');
      expect(labels.at(-1)).toBe('status:COMPLETED');
      expect(labels.filter((l) => l.startsWith('artifact:'))).toEqual([
        'artifact:c0 ',
        'artifact:c1 ',
        'artifact:c2 ',
        'artifact:c3 ',
      ]);
      // Nothing but working statuses between the task and the chunks.
      expect(
        labels
          .filter((l) => l.startsWith('status:'))
          .slice(0, -1)
          .every((l) => l === 'status:WORKING'),
      ).toBe(true);
      const taskId = (events[0] as { task: Task }).task.id;
      const chunks = events.flatMap((e) => ('artifactUpdate' in e ? [e.artifactUpdate] : []));
      expect(chunks.every((c) => c.taskId === taskId && c.artifact.artifactId === 'stream')).toBe(true);
      expect(chunks.map((c) => c.append === true)).toEqual([false, true, true, true]);
      expect(chunks.map((c) => c.lastChunk === true)).toEqual([false, false, false, true]);
      // The stored task has the chunks joined.
      const stored = await client.getTask(taskId);
      expect(stored.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(stored)).toBe('c0 c1 c2 c3 ');
    });

    it('stream: a turn that asks for input ends the stream at input-required', async () => {
      // The worker asked at once, before the task was shown: it appears once, waiting for input.
      const events = await collect(client.stream('ask'));
      expect(events.map(describeEvent)).toEqual(['task:INPUT_REQUIRED']);
      const only = events[0] as Extract<StreamResponse, { task: unknown }>;
      expect(text(only.task.status.message)).toBe('What is your name?');
    });

    it('getTask honours historyLength', async () => {
      const task = asTask(await client.send('ask'));
      expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
      const full = await client.getTask(task.id);
      expect(full.id).toBe(task.id);
      expect(full.history?.map((m) => [m.role, text(m)])).toEqual([
        ['ROLE_USER', 'ask'],
        ['ROLE_AGENT', 'What is your name?'],
      ]);
      const one = await client.getTask(task.id, { historyLength: 1 });
      expect(one.history?.map((m) => [m.role, text(m)])).toEqual([['ROLE_AGENT', 'What is your name?']]);
      const none = await client.getTask(task.id, { historyLength: 0 });
      expect(none.history ?? []).toEqual([]);
      expect(none.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    });

    if (version === '1.0') {
      it('listTasks filters by context and status, and paginates', async () => {
        const contextId = randomUUID();
        const echoed: string[] = [];
        for (const word of ['one', 'two', 'three'])
          echoed.push(asTask(await client.send({ text: word, contextId })).id);
        const asking = asTask(await client.send({ text: 'ask', contextId }));
        expect(asking.contextId).toBe(contextId);
        const all = [...echoed, asking.id].sort();

        const listed = await client.listTasks({ contextId });
        expect(listed.tasks.map((t) => t.id).sort()).toEqual(all);
        expect(listed.totalSize).toBe(4);
        expect(listed.nextPageToken).toBe('');

        const completed = await client.listTasks({
          contextId,
          status: 'TASK_STATE_COMPLETED',
          includeArtifacts: true,
        });
        expect(completed.tasks.map((t) => t.id).sort()).toEqual([...echoed].sort());
        expect(completed.tasks.map(taskText).sort()).toEqual(['Echo: one', 'Echo: three', 'Echo: two']);

        const waiting = await client.listTasks({ contextId, status: 'TASK_STATE_INPUT_REQUIRED' });
        expect(waiting.tasks.map((t) => t.id)).toEqual([asking.id]);

        const seen: string[] = [];
        let pageToken: string | undefined;
        let pages = 0;
        do {
          const page = await client.listTasks({
            contextId,
            pageSize: 3,
            ...(pageToken ? { pageToken } : {}),
          });
          expect(page.tasks.length).toBeLessThanOrEqual(3);
          seen.push(...page.tasks.map((t) => t.id));
          pageToken = page.nextPageToken || undefined;
          pages++;
        } while (pageToken && pages < 10);
        expect(pages).toBe(2);
        expect(seen.sort()).toEqual(all);
      });
    } else {
      it('listTasks is not part of A2A 0.3: UnsupportedOperation, without a request', async () => {
        const before = sent.length;
        const err = await clientError(() => client.listTasks({}));
        expect(err.kind).toBe('UnsupportedOperation');
        expect(err.message).toMatch(/0\.3/);
        expect(sent.length).toBe(before);
      });
    }

    it('cancel: a slow task ends canceled and its worker is aborted', async () => {
      const task = asTask(await client.send({ text: 'slow', configuration: { returnImmediately: true } }));
      expect(['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING']).toContain(task.status.state);
      await waitFor(() => probe.started.has(task.id), 'the slow worker to start');
      const canceled = await client.cancel(task.id);
      expect(canceled.id).toBe(task.id);
      expect(canceled.status.state).toBe('TASK_STATE_CANCELED');
      await waitFor(() => probe.aborted.has(task.id), 'the worker to see the abort');
      expect((await client.getTask(task.id)).status.state).toBe('TASK_STATE_CANCELED');
      // Cancel is idempotent (as in the SDK): a repeat answers with the canceled task.
      expect((await client.cancel(task.id)).status.state).toBe('TASK_STATE_CANCELED');
    });

    it('multi-turn: send({text, taskId}) answers input-required on the same task', async () => {
      const first = asTask(await client.send('ask'));
      expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
      expect(text(first.status.message)).toBe('What is your name?');
      const second = asTask(await client.send({ text: 'Alice', taskId: first.id }));
      expect(second.id).toBe(first.id);
      expect(second.contextId).toBe(first.contextId);
      expect(second.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(second)).toBe('Hello, Alice');
      const stored = await client.getTask(first.id);
      expect(stored.history?.map((m) => [m.role, text(m)])).toEqual([
        ['ROLE_USER', 'ask'],
        ['ROLE_AGENT', 'What is your name?'],
        ['ROLE_USER', 'Alice'],
        ['ROLE_AGENT', 'Hello, Alice'],
      ]);
      // The task is over: another message is refused.
      const err = await clientError(() => client.send({ text: 'again', taskId: first.id }));
      expect(err.kind).toBe('UnsupportedOperation');
      expect(err.code).toBe(-32004);
    });

    it('subscribe: the running task snapshot, then live events to completed', async () => {
      const gate = `sub-${transport}`;
      const task = asTask(
        await client.send({ text: `gate ${gate}`, configuration: { returnImmediately: true } }),
      );
      await waitFor(() => probe.started.has(task.id), 'the gated worker to start');
      const stream = client.subscribe(task.id);
      const first = await stream.next();
      expect(first.done).toBe(false);
      const snapshot = first.value as StreamResponse;
      expect('task' in snapshot && snapshot.task.id).toBe(task.id);
      expect(describeEvent(snapshot)).toMatch(/^task:(SUBMITTED|WORKING)$/);
      probe.gates.open(gate);
      const rest = await collect({ [Symbol.asyncIterator]: () => stream });
      const labels = rest.map(describeEvent);
      expect(labels).toContain(`artifact:after ${gate}`);
      expect(labels.at(-1)).toBe('status:COMPLETED');
      const completed = rest.at(-1) as Extract<StreamResponse, { statusUpdate: unknown }>;
      expect(completed.statusUpdate.taskId).toBe(task.id);
      expect(text(completed.statusUpdate.status.message)).toBe('gate done');
    });

    it('push notification configs: create, get, list, delete', async () => {
      const task = asTask(await client.send('ask'));
      const created = await client.createPushConfig(task.id, {
        url: 'http://127.0.0.1:9/hook',
        token: `token-${transport}`,
      });
      expect(created.id).toBeTruthy();
      expect(created.taskId).toBe(task.id);
      expect(created.url).toBe('http://127.0.0.1:9/hook');
      expect(created.token).toBe(`token-${transport}`);
      const got = await client.getPushConfig(task.id, created.id!);
      expect(got).toMatchObject({ id: created.id, taskId: task.id, url: 'http://127.0.0.1:9/hook' });
      const listed = await client.listPushConfigs(task.id);
      expect(listed.map((c) => c.id)).toEqual([created.id]);
      await client.deletePushConfig(task.id, created.id!);
      expect(await client.listPushConfigs(task.id)).toEqual([]);
      const gone = await clientError(() => client.getPushConfig(task.id, created.id!));
      expect(gone.kind).toBe('TaskNotFound');
    });

    it('typed errors: an unknown task is TaskNotFound (-32001)', async () => {
      const err = await clientError(() => client.getTask('nope'));
      expect(err.kind).toBe('TaskNotFound');
      expect(err.code).toBe(-32001);
      expect(err.retryable).toBe(false);
      if (binding === 'HTTP+JSON') expect(err.httpStatus).toBe(404);
      const cancel = await clientError(() => client.cancel('nope'));
      expect(cancel.kind).toBe('TaskNotFound');
      const subscribe = await clientError(() => collect(client.subscribe('nope')));
      expect(subscribe.kind).toBe('TaskNotFound');
      expect(subscribe.code).toBe(-32001);
    });

    it('typed errors: canceling a completed task is TaskNotCancelable (-32002)', async () => {
      const task = asTask(await client.send('done'));
      const err = await clientError(() => client.cancel(task.id));
      expect(err.kind).toBe('TaskNotCancelable');
      expect(err.code).toBe(-32002);
      if (binding === 'HTTP+JSON') expect(err.httpStatus).toBeGreaterThanOrEqual(400);
    });
  },
);
