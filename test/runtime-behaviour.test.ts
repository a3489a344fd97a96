/**
 * The runtime's behaviour over raw HTTP against real in-process servers: idempotency, blocking and
 * return-immediately sends, multi-turn, direct replies, worker failures, cancellation, references,
 * streaming with event ids and Last-Event-ID replay, slow SSE clients, and push notifications.
 *
 * No timing assertions: workers wait on gates the tests open, and state is polled with deadlines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  A2AServer,
  type A2AServerOptions,
  MemoryTaskStore,
  type TaskContext,
  type TaskStore,
  TurnEndedError,
  type Worker,
} from '../src/index.js';
import {
  type Any,
  type Deferred,
  deferred,
  frameJson,
  openSse,
  rest,
  rpc,
  rpcBody,
  type SseFrame,
  SseReader,
  userMessage,
  waitFor,
} from './helpers/http.js';

const servers: A2AServer[] = [];
const gatesToRelease: Array<Deferred<void>> = [];

async function start(
  worker: Worker,
  options: Partial<A2AServerOptions> = {},
): Promise<{ server: A2AServer; url: string }> {
  const server = new A2AServer({
    card: { name: 'Behaviour Agent', description: 'A test agent.' },
    store: 'memory',
    ...options,
    worker,
  });
  servers.push(server);
  const { url } = await server.listen();
  return { server, url };
}

/** A gate a worker waits on; released at the latest when the file's tests end. */
function gate(): Deferred<void> {
  const d = deferred<void>();
  gatesToRelease.push(d);
  return d;
}

afterAll(async () => {
  for (const g of gatesToRelease) g.resolve();
  await Promise.all(servers.map((s) => s.close()));
});

async function getTask(url: string, id: string) {
  const r = await rpc(url, 'GetTask', { id });
  expect(r.body.error, JSON.stringify(r.body.error)).toBeUndefined();
  return r.body.result;
}

async function waitForState(url: string, id: string, state: string) {
  return waitFor(async () => {
    const task = await getTask(url, id);
    return task.status.state === state ? task : undefined;
  }, `task ${id} to be ${state}`);
}

function statusText(task: { status: { message?: { parts: Array<{ text?: string }> } } }): string {
  return (task.status.message?.parts ?? []).map((p) => p.text ?? '').join('\n');
}

describe('idempotent sends', () => {
  it('the same messageId sent twice returns the same task and runs the worker once', async () => {
    let calls = 0;
    const { url } = await start(async (ctx) => {
      calls++;
      await ctx.complete(`done ${ctx.userText}`);
    });
    const message = userMessage('once');
    const first = await rpc(url, 'SendMessage', { message });
    const second = await rpc(url, 'SendMessage', { message });
    const third = await rest(url, 'POST', '/message:send', {
      message,
      configuration: { returnImmediately: true },
    });
    expect(first.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(second.body.result.task.id).toBe(first.body.result.task.id);
    expect(second.body.result.task).toEqual(first.body.result.task);
    expect(third.body.task.id).toBe(first.body.result.task.id);
    expect(calls).toBe(1);
    const list = await rpc(url, 'ListTasks', {});
    expect(list.body.result.totalSize).toBe(1);
  });

  it('a streamed retry of a message whose task already finished gets that task, not an error', async () => {
    let calls = 0;
    const { url } = await start(async (ctx) => {
      calls++;
      await ctx.complete(`done ${ctx.userText}`);
    });
    const message = userMessage('finished once');
    const first = await rpc(url, 'SendMessage', { message });
    const stream = await openSse(url, { body: rpcBody('SendStreamingMessage', { message }) });
    const frames = (await stream.reader.all()).map((f) => frameJson(f).result);
    expect(frames).toHaveLength(1);
    expect(frames[0].task.id).toBe(first.body.result.task.id);
    expect(frames[0].task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(calls).toBe(1);
  });

  it('a retry while the first send is still running (nothing stored yet) joins it instead of running twice', async () => {
    let calls = 0;
    const release = gate();
    const started = deferred<void>();
    // Count idempotency lookups so the test knows when the retry has reached the runtime.
    const inner = new MemoryTaskStore();
    let lookups = 0;
    const secondLookup = deferred<void>();
    const store: TaskStore = Object.assign(Object.create(inner) as TaskStore, {
      findTaskByMessageKey: async (key: string) => {
        const found = await inner.findTaskByMessageKey(key);
        if (++lookups === 2) secondLookup.resolve();
        return found;
      },
    });
    const { url } = await start(
      async (ctx) => {
        calls++;
        started.resolve();
        await release.promise;
        await ctx.complete('slow result');
      },
      { store },
    );
    const message = userMessage('slow');
    const first = rpc(url, 'SendMessage', { message });
    await started.promise;
    const second = rpc(url, 'SendMessage', { message });
    await secondLookup.promise;
    release.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(a.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(b.body.result.task.id).toBe(a.body.result.task.id);
    expect(b.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(calls).toBe(1);
    expect((await rpc(url, 'ListTasks', {})).body.result.totalSize).toBe(1);
  });

  it('a streaming retry while the first send is still running follows the same task', async () => {
    let calls = 0;
    const started = deferred<void>();
    const stored = gate();
    const finish = gate();
    const inner = new MemoryTaskStore();
    let lookups = 0;
    const secondLookup = deferred<void>();
    const store: TaskStore = Object.assign(Object.create(inner) as TaskStore, {
      findTaskByMessageKey: async (key: string) => {
        const found = await inner.findTaskByMessageKey(key);
        if (++lookups === 2) secondLookup.resolve();
        return found;
      },
    });
    const { url } = await start(
      async (ctx) => {
        calls++;
        started.resolve();
        await stored.promise;
        await ctx.sendStatus('started');
        await finish.promise;
        await ctx.complete('streamed result');
      },
      { store },
    );
    const message = userMessage('slow stream');
    const first = rpc(url, 'SendMessage', { message });
    await started.promise;
    const streamOpening = openSse(url, { body: rpcBody('SendStreamingMessage', { message }) });
    await secondLookup.promise;
    stored.resolve();
    const stream = await streamOpening;
    const opening = frameJson(await stream.reader.next()).result;
    expect(opening.task).toBeDefined();
    finish.resolve();
    const rest_ = (await stream.reader.all()).map((f) => frameJson(f).result);
    const a = await first;
    expect(opening.task.id).toBe(a.body.result.task.id);
    expect(rest_.at(-1).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
    expect(
      rest_.every((e: { statusUpdate?: { taskId: string }; artifactUpdate?: { taskId: string } }) =>
        [e.statusUpdate?.taskId, e.artifactUpdate?.taskId].includes(a.body.result.task.id),
      ),
    ).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('return-immediately sends', () => {
  it('return a submitted task while the worker is blocked; the task completes later', async () => {
    const release = gate();
    const started = deferred<void>();
    let calls = 0;
    const { url } = await start(async (ctx) => {
      calls++;
      started.resolve();
      await release.promise;
      await ctx.complete('finally');
    });
    const r = await rpc(url, 'SendMessage', {
      message: userMessage('go'),
      configuration: { returnImmediately: true },
    });
    const task = r.body.result.task;
    expect(['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING']).toContain(task.status.state);
    await started.promise;
    // The task exists while the worker is blocked.
    const during = await getTask(url, task.id);
    expect(['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING']).toContain(during.status.state);
    expect(during.history[0].parts).toEqual([{ text: 'go' }]);
    release.resolve();
    const done = await waitForState(url, task.id, 'TASK_STATE_COMPLETED');
    expect(done.artifacts[0].parts).toEqual([{ text: 'finally' }]);
    expect(calls).toBe(1);
  });
});

describe('multi-turn', () => {
  it('input-required, then resumed with the answer, keeps task, context and history', async () => {
    const turns: Array<{ isNewTask: boolean; history: number; text: string }> = [];
    const { url } = await start(async (ctx) => {
      turns.push({ isNewTask: ctx.isNewTask, history: ctx.history.length, text: ctx.userText });
      if (ctx.isNewTask) await ctx.requestInput('What is your name?');
      else await ctx.complete(`Hello, ${ctx.userText}`);
    });
    const first = (await rpc(url, 'SendMessage', { message: userMessage('hi') })).body.result.task;
    expect(first.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(statusText(first)).toBe('What is your name?');
    // Only the taskId: the context is inferred.
    const second = (await rpc(url, 'SendMessage', { message: userMessage('Ada', { taskId: first.id }) })).body
      .result.task;
    expect(second.id).toBe(first.id);
    expect(second.contextId).toBe(first.contextId);
    expect(second.status.state).toBe('TASK_STATE_COMPLETED');
    expect(second.artifacts[0].parts).toEqual([{ text: 'Hello, Ada' }]);
    expect(second.history.map((m: { role: string }) => m.role)).toEqual([
      'ROLE_USER',
      'ROLE_AGENT',
      'ROLE_USER',
    ]);
    expect(second.history[2].contextId).toBe(first.contextId);
    expect(turns).toEqual([
      { isNewTask: true, history: 1, text: 'hi' },
      { isNewTask: false, history: 3, text: 'Ada' },
    ]);
  });

  it('auth-required, then resumed', async () => {
    const { url } = await start(async (ctx) => {
      if (ctx.isNewTask) await ctx.requestAuth({ content: 'Please sign in', metadata: { url: 'https://x' } });
      else await ctx.complete(`signed in with ${ctx.userText}`);
    });
    const first = (await rest(url, 'POST', '/message:send', { message: userMessage('do it') })).body.task;
    expect(first.status.state).toBe('TASK_STATE_AUTH_REQUIRED');
    expect(first.status.message.metadata).toEqual({ url: 'https://x' });
    const second = (
      await rest(url, 'POST', '/message:send', {
        message: userMessage('token-123', { taskId: first.id, contextId: first.contextId }),
      })
    ).body.task;
    expect(second.status.state).toBe('TASK_STATE_COMPLETED');
    expect(second.artifacts[0].parts).toEqual([{ text: 'signed in with token-123' }]);
  });
});

describe('direct replies', () => {
  it('replyDirectly answers with a Message and stores no task', async () => {
    const { url } = await start((ctx) => ctx.replyDirectly(`Quick: ${ctx.userText}`));
    const r = await rpc(url, 'SendMessage', { message: userMessage('q', { contextId: 'ctx-direct' }) });
    expect(r.body.result.task).toBeUndefined();
    expect(r.body.result.message.role).toBe('ROLE_AGENT');
    expect(r.body.result.message.parts).toEqual([{ text: 'Quick: q' }]);
    expect(r.body.result.message.contextId).toBe('ctx-direct');
    expect(r.body.result.message.taskId).toBeUndefined();

    const viaRest = await rest(url, 'POST', '/message:send', { message: userMessage('r') });
    expect(viaRest.body.message.parts).toEqual([{ text: 'Quick: r' }]);

    const stream = await openSse(url, {
      body: rpcBody('SendStreamingMessage', { message: userMessage('s') }),
    });
    const frames = await stream.reader.all();
    expect(frames).toHaveLength(1);
    expect(frameJson(frames[0]).result.message.parts).toEqual([{ text: 'Quick: s' }]);

    const list = await rpc(url, 'ListTasks', {});
    expect(list.body.result.tasks).toEqual([]);
    expect(list.body.result.totalSize).toBe(0);
  });
});

describe('worker failures', () => {
  it('a worker that throws ends the task failed, with the error text on the status', async () => {
    const { url } = await start(async (ctx) => {
      await ctx.sendStatus('about to break');
      throw new Error('database exploded');
    });
    const task = (await rpc(url, 'SendMessage', { message: userMessage('x') })).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_FAILED');
    expect(statusText(task)).toContain('database exploded');
    expect((await getTask(url, task.id)).status.state).toBe('TASK_STATE_FAILED');
  });

  it('a worker that throws before writing anything still leaves a failed task', async () => {
    const { url } = await start(() => {
      throw new TypeError('bad input handling');
    });
    const task = (await rpc(url, 'SendMessage', { message: userMessage('x') })).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_FAILED');
    expect(statusText(task)).toContain('bad input handling');
    expect((await rpc(url, 'ListTasks', {})).body.result.tasks.map((t: { id: string }) => t.id)).toEqual([
      task.id,
    ]);
  });

  it('a worker that returns without a final call ends the task failed, naming the final calls', async () => {
    const { url } = await start(async (ctx) => {
      await ctx.emitArtifact({ content: 'partial' });
    });
    const task = (await rpc(url, 'SendMessage', { message: userMessage('x') })).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_FAILED');
    const text = statusText(task);
    for (const call of ['complete', 'fail', 'reject', 'requestInput', 'requestAuth', 'replyDirectly'])
      expect(text).toContain(call);
    expect(task.artifacts[0].parts).toEqual([{ text: 'partial' }]);
  });

  it('a second final call throws TurnEndedError inside the worker; the first one stands', async () => {
    const caught = deferred<unknown>();
    const { url } = await start(async (ctx) => {
      await ctx.complete('first');
      try {
        await ctx.fail('second');
        caught.resolve(undefined);
      } catch (err) {
        caught.resolve(err);
      }
      try {
        await ctx.sendStatus('after the end');
      } catch {
        // also refused
      }
    });
    const task = (await rpc(url, 'SendMessage', { message: userMessage('x') })).body.result.task;
    const err = await caught.promise;
    expect(err).toBeInstanceOf(TurnEndedError);
    expect((err as Error).message).toMatch(/exactly one final call/);
    const stored = await getTask(url, task.id);
    expect(stored.status.state).toBe('TASK_STATE_COMPLETED');
    expect(stored.artifacts[0].parts).toEqual([{ text: 'first' }]);
  });

  it('reject and fail end the task rejected / failed with the reason', async () => {
    const { url } = await start(async (ctx) => {
      if (ctx.userText === 'reject') await ctx.reject('not my job');
      else await ctx.fail(new Error('cannot'));
    });
    const rejected = (await rpc(url, 'SendMessage', { message: userMessage('reject') })).body.result.task;
    expect(rejected.status.state).toBe('TASK_STATE_REJECTED');
    expect(statusText(rejected)).toBe('not my job');
    const failed = (await rpc(url, 'SendMessage', { message: userMessage('fail') })).body.result.task;
    expect(failed.status.state).toBe('TASK_STATE_FAILED');
    expect(statusText(failed)).toBe('cannot');
  });
});

describe('cancellation', () => {
  it('cooperative: the worker sees its signal aborted, returns, and the task is canceled', async () => {
    const started = deferred<void>();
    const sawAbort = deferred<boolean>();
    const lateCall = deferred<unknown>();
    // A long grace period: only the worker returning can end this cancel within the test's time.
    const { url } = await start(
      async (ctx) => {
        await ctx.sendStatus('working on it');
        started.resolve();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        sawAbort.resolve(ctx.signal.aborted);
        try {
          await ctx.complete('too late');
          lateCall.resolve(undefined);
        } catch (err) {
          lateCall.resolve(err);
        }
      },
      { cancelGraceMs: 60_000 },
    );
    const task = (
      await rpc(url, 'SendMessage', { message: userMessage('x'), configuration: { returnImmediately: true } })
    ).body.result.task;
    await started.promise;
    const canceled = await rpc(url, 'CancelTask', { id: task.id });
    expect(canceled.body.result.status.state).toBe('TASK_STATE_CANCELED');
    expect(await sawAbort.promise).toBe(true);
    expect(await lateCall.promise).toBeInstanceOf(TurnEndedError);
    const stored = await getTask(url, task.id);
    expect(stored.status.state).toBe('TASK_STATE_CANCELED');
    expect(stored.artifacts).toBeUndefined();
    // Canceling again is idempotent.
    expect((await rpc(url, 'CancelTask', { id: task.id })).body.result.status.state).toBe(
      'TASK_STATE_CANCELED',
    );
    // And the task takes no more messages.
    const more = await rpc(url, 'SendMessage', { message: userMessage('more', { taskId: task.id }) });
    expect(more.body.error.code).toBe(-32004);
  }, 5_000);

  it('forced: a worker that ignores its signal is canceled after cancelGraceMs', async () => {
    const started = deferred<void>();
    const release = gate();
    const lateCall = deferred<unknown>();
    const { url } = await start(
      async (ctx) => {
        await ctx.sendStatus('busy');
        started.resolve();
        await release.promise; // ignores ctx.signal
        try {
          await ctx.complete('ignored');
          lateCall.resolve(undefined);
        } catch (err) {
          lateCall.resolve(err);
        }
      },
      { cancelGraceMs: 200 },
    );
    const task = (
      await rest(url, 'POST', '/message:send', {
        message: userMessage('x'),
        configuration: { returnImmediately: true },
      })
    ).body.task;
    await started.promise;
    const canceled = await rest(url, 'POST', `/tasks/${task.id}:cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status.state).toBe('TASK_STATE_CANCELED');
    release.resolve();
    expect(await lateCall.promise).toBeInstanceOf(TurnEndedError);
    const stored = await getTask(url, task.id);
    expect(stored.status.state).toBe('TASK_STATE_CANCELED');
    expect(stored.artifacts).toBeUndefined();
  });

  it('a task waiting for input (no worker running) is canceled at once', async () => {
    const { url } = await start((ctx) => ctx.requestInput('answer me'));
    const task = (await rpc(url, 'SendMessage', { message: userMessage('x') })).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const canceled = (await rpc(url, 'CancelTask', { id: task.id })).body.result;
    expect(canceled.status.state).toBe('TASK_STATE_CANCELED');
    expect(statusText(canceled)).toMatch(/canceled/);
    expect((await getTask(url, task.id)).status.state).toBe('TASK_STATE_CANCELED');
    const answer = await rpc(url, 'SendMessage', { message: userMessage('late', { taskId: task.id }) });
    expect(answer.body.error.code).toBe(-32004);
  });
});

describe('referenceTaskIds', () => {
  it('reach ctx, and ctx.getTask loads the referenced tasks the caller may see', async () => {
    const seen: Array<{ refs: readonly string[]; loaded: Array<string | undefined> }> = [];
    const { url } = await start(async (ctx: TaskContext) => {
      const loaded: Array<string | undefined> = [];
      for (const id of ctx.referenceTaskIds) {
        const task = await ctx.getTask(id);
        const part = task?.artifacts?.[0]?.parts[0];
        loaded.push(task ? (part && 'text' in part ? part.text : task.status.state) : undefined);
      }
      seen.push({ refs: ctx.referenceTaskIds, loaded });
      await ctx.complete(`result of ${ctx.userText}`);
    });
    const a = (await rpc(url, 'SendMessage', { message: userMessage('A') })).body.result.task;
    const b = (
      await rpc(url, 'SendMessage', {
        message: userMessage('B', { referenceTaskIds: [a.id, 'missing-task'] }),
      })
    ).body.result.task;
    expect(b.status.state).toBe('TASK_STATE_COMPLETED');
    expect(seen[1]).toEqual({ refs: [a.id, 'missing-task'], loaded: ['result of A', undefined] });
    expect(b.history[0].referenceTaskIds).toEqual([a.id, 'missing-task']);
  });
});

describe('durability of what a stream shows', () => {
  /** A memory store whose writes wait for a gate, like a slow disk. */
  class GatedStore extends MemoryTaskStore {
    gate: Promise<void> = Promise.resolve();
    override async create(...args: Parameters<MemoryTaskStore['create']>) {
      await this.gate;
      return super.create(...args);
    }
    override async update(...args: Parameters<MemoryTaskStore['update']>) {
      await this.gate;
      return super.update(...args);
    }
  }

  it('the event that ends a turn goes out only once the task is stored; progress goes out at once', async () => {
    const store = new GatedStore();
    const writes = deferred<void>();
    store.gate = writes.promise;
    const server = new A2AServer({
      card: { name: 'Durable', description: 'd' },
      store,
      worker: async (ctx) => {
        await ctx.emitArtifact({ content: 'partial' });
        await ctx.complete('done');
      },
    });
    servers.push(server);
    const seen: string[] = [];
    let ended = false;
    const sink = {
      event(event: { payload: Any }) {
        const p = event.payload;
        seen.push(p.task ? 'task' : p.artifactUpdate ? 'artifact' : p.statusUpdate.status.state);
      },
      end() {
        ended = true;
      },
      onClose: undefined,
    };
    const streaming = server.runtime.streamMessage({ message: userMessage('hold on') as Any }, sink);
    // Give the runtime every chance to misbehave while the store is stuck.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toContain('artifact');
    expect(seen).not.toContain('TASK_STATE_COMPLETED');
    expect(ended).toBe(false);
    writes.resolve();
    await streaming;
    await waitFor(() => ended, 'the stream to end');
    expect(seen.at(-1)).toBe('TASK_STATE_COMPLETED');
    const stored = await store.get((await server.runtime.listTasks({})).tasks[0]!.id);
    expect(stored?.task.status.state).toBe('TASK_STATE_COMPLETED');
  });
});

describe('a store that fails', () => {
  class BrokenStore extends MemoryTaskStore {
    override async create(): Promise<never> {
      throw new Error('disk full');
    }
  }

  it('a blocking send gets an internal error naming the cause, and a stream ends with it', async () => {
    const { url } = await start(
      async (ctx) => {
        await ctx.complete('never stored');
      },
      { store: new BrokenStore() },
    );
    const blocking = await rpc(url, 'SendMessage', { message: userMessage('write me') });
    expect(blocking.body.error.code).toBe(-32603);
    expect(blocking.body.error.message).toContain('disk full');

    const stream = await openSse(url, {
      body: rpcBody('SendStreamingMessage', { message: userMessage('stream me') }),
    });
    const frames = await stream.reader.all();
    const last = frames.at(-1)!;
    expect(last.event).toBe('error');
    expect(frameJson(last).error.message).toContain('disk full');
  });
});

describe('streaming', () => {
  const streamingWorker: Worker = async (ctx) => {
    await ctx.sendStatus('thinking');
    for (let i = 1; i <= 3; i++)
      await ctx.emitArtifact({
        artifactId: 'story',
        content: `part ${i}`,
        append: i > 1,
        lastChunk: i === 3,
      });
    await ctx.complete({ message: 'all done' });
  };

  function eventsOf(frames: SseFrame[], unwrap: (json: Any) => Any) {
    return frames.map((f) => ({ id: Number(f.id), event: unwrap(frameJson(f)) }));
  }

  it.each([
    ['JSON-RPC', true],
    ['REST', false],
  ])(
    '%s: ids increase, the first event is the task snapshot, the stream ends at the terminal state',
    async (_b, isRpc) => {
      const { url } = await start(streamingWorker);
      const message = userMessage('tell me a story');
      const stream = isRpc
        ? await openSse(url, { body: rpcBody('SendStreamingMessage', { message }, 'stream-1') })
        : await openSse(`${url}/message:stream`, { body: { message } });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const frames = await stream.reader.all();
      const events = eventsOf(frames, (json) => {
        if (isRpc) {
          expect(json.jsonrpc).toBe('2.0');
          expect(json.id).toBe('stream-1');
          return json.result;
        }
        return json;
      });
      const ids = events.map((e) => e.id);
      expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
      expect(Object.keys(events[0]!.event)).toEqual(['task']);
      const taskId = events[0]!.event.task.id;
      const kinds = events.map((e) => Object.keys(e.event)[0]);
      expect(kinds.filter((k) => k !== 'statusUpdate')).toEqual([
        'task',
        'artifactUpdate',
        'artifactUpdate',
        'artifactUpdate',
      ]);
      const artifacts = events.filter((e) => e.event.artifactUpdate).map((e) => e.event.artifactUpdate);
      expect(artifacts.map((a) => a.artifact.parts[0].text)).toEqual(['part 1', 'part 2', 'part 3']);
      expect(artifacts.map((a) => [a.append === true, a.lastChunk === true])).toEqual([
        [false, false],
        [true, false],
        [true, true],
      ]);
      // Status updates before the end say the task is working; 'thinking' comes before the first chunk.
      const statuses = events.filter((e) => e.event.statusUpdate).map((e) => e.event.statusUpdate.status);
      expect(statuses.slice(0, -1).every((s) => s.state === 'TASK_STATE_WORKING')).toBe(true);
      const thinking = events.findIndex(
        (e) => e.event.statusUpdate?.status.message?.parts[0].text === 'thinking',
      );
      const firstChunk = events.findIndex((e) => e.event.artifactUpdate);
      expect(thinking).toBeGreaterThan(0);
      expect(thinking).toBeLessThan(firstChunk);
      const last = events.at(-1)!.event.statusUpdate;
      expect(last.status.state).toBe('TASK_STATE_COMPLETED');
      expect(last.taskId).toBe(taskId);
      const stored = await getTask(url, taskId);
      expect(stored.artifacts[0].parts.map((p: { text: string }) => p.text)).toEqual([
        'part 1',
        'part 2',
        'part 3',
      ]);
    },
  );

  it.each([
    ['REST', false],
    ['JSON-RPC', true],
  ])(
    '%s: SubscribeToTask with Last-Event-ID replays exactly the missed events after a dropped connection',
    async (_b, isRpc) => {
      const gates = Array.from({ length: 5 }, () => gate());
      const { url } = await start(async (ctx) => {
        for (let i = 0; i < gates.length; i++) {
          await gates[i]!.promise;
          await ctx.emitArtifact({ artifactId: 'chunks', content: `c${i + 1}`, append: i > 0 });
        }
        await ctx.complete();
      });
      const task = (
        await rpc(url, 'SendMessage', {
          message: userMessage('go'),
          configuration: { returnImmediately: true },
        })
      ).body.result.task;
      const subscribe = (lastEventId?: number) => {
        const headers: Record<string, string> =
          lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) };
        return isRpc
          ? openSse(url, { body: rpcBody('SubscribeToTask', { id: task.id }), headers })
          : openSse(`${url}/tasks/${task.id}:subscribe`, { headers });
      };
      const unwrap = (f: SseFrame | undefined) => (isRpc ? frameJson(f).result : frameJson(f));
      const chunkOf = (event: Any) => event.artifactUpdate?.artifact.parts[0].text;

      const first = await subscribe();
      const snapshotFrame = await first.reader.next();
      expect(unwrap(snapshotFrame).task.id).toBe(task.id);
      const seenIds = [Number(snapshotFrame!.id)];
      gates[0]!.resolve();
      let c1: SseFrame | undefined;
      for (let f = await first.reader.next(); f; f = await first.reader.next()) {
        seenIds.push(Number(f.id));
        if (chunkOf(unwrap(f)) === 'c1') {
          c1 = f;
          break;
        }
      }
      expect(c1, 'c1 arrives on the first connection').toBeDefined();
      first.abort();

      // Events while nobody is connected.
      gates[1]!.resolve();
      gates[2]!.resolve();
      await waitFor(
        async () => (await getTask(url, task.id)).artifacts?.[0]?.parts.length === 3,
        'c2 and c3',
      );

      const second = await subscribe(Number(c1!.id));
      expect(second.status).toBe(200);
      // The replay: exactly what happened while disconnected (c2 and c3), before anything new.
      const replayed: SseFrame[] = [];
      while (!replayed.some((f) => chunkOf(unwrap(f)) === 'c3')) {
        const f = await second.reader.next();
        if (!f) break;
        replayed.push(f);
      }
      expect(replayed.map((f) => chunkOf(unwrap(f))).filter(Boolean)).toEqual(['c2', 'c3']);
      gates[3]!.resolve();
      gates[4]!.resolve();
      const frames = [...replayed, ...(await second.reader.all())];
      const ids = frames.map((f) => Number(f.id));
      const events = frames.map(unwrap);
      expect(events.map(chunkOf).filter(Boolean)).toEqual(['c2', 'c3', 'c4', 'c5']);
      expect(events.at(-1).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
      // Ids on the first connection and after reconnecting are one contiguous run of task versions:
      // nothing lost, nothing twice.
      const all = [...seenIds, ...ids];
      expect(all).toEqual(all.map((_, i) => seenIds[0]! + i));
      const final = await getTask(url, task.id);
      expect(final.artifacts[0].parts.map((p: { text: string }) => p.text)).toEqual([
        'c1',
        'c2',
        'c3',
        'c4',
        'c5',
      ]);
    },
  );

  it('a client that stops reading is disconnected while the worker still completes', async () => {
    const release = gate();
    const CHUNK = 'x'.repeat(64 * 1024);
    const COUNT = 200;
    const { url } = await start(
      async (ctx) => {
        await ctx.sendStatus('starting');
        await release.promise;
        // Same artifact id without append: each chunk replaces the last, so the task stays small.
        for (let i = 0; i < COUNT; i++)
          await ctx.emitArtifact({ artifactId: 'big', content: `${i}:${CHUNK}` });
        await ctx.complete({ message: 'finished' });
      },
      { sseMaxBufferedBytes: 64 * 1024 },
    );
    const { port } = new URL(url);
    const received: Buffer[] = [];
    const closed = deferred<void>();
    const response = deferred<http.IncomingMessage>();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/message:stream',
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'A2A-Version': '1.0' },
      },
      (res) => {
        res.pause();
        res.socket.pause();
        res.on('close', () => closed.resolve());
        res.on('error', () => closed.resolve());
        response.resolve(res);
      },
    );
    req.on('error', () => closed.resolve());
    req.end(JSON.stringify({ message: userMessage('flood') }));
    const res = await response.promise;
    expect(res.statusCode).toBe(200);

    release.resolve();
    const tasks = await waitFor(async () => {
      const list = await rpc(url, 'ListTasks', {});
      const [task] = list.body.result.tasks;
      return task?.status.state === 'TASK_STATE_COMPLETED' ? list.body.result.tasks : undefined;
    }, 'the task to complete');
    expect(tasks).toHaveLength(1);
    const done = await getTask(url, tasks[0].id);
    expect(done.artifacts.find((a: { artifactId: string }) => a.artifactId === 'big').parts[0].text).toBe(
      `${COUNT - 1}:${CHUNK}`,
    );

    // Now read what the client got: the stream was cut short, never reaching the end of the task.
    res.on('data', (chunk: Buffer) => received.push(chunk));
    res.socket.resume();
    res.resume();
    await closed.promise;
    const text = Buffer.concat(received).toString('utf8');
    const frames = await SseReader.fromText(text).all();
    expect(frames.length).toBeLessThan(COUNT);
    expect(text).not.toContain('TASK_STATE_COMPLETED');
  });
});

describe('push notifications', () => {
  interface Delivery {
    headers: http.IncomingHttpHeaders;
    body: Any;
  }
  const receivers: http.Server[] = [];
  afterAll(async () => {
    for (const r of receivers) {
      r.closeAllConnections();
      await new Promise((resolve) => r.close(resolve));
    }
  });

  async function receiver(): Promise<{ url: string; deliveries: Delivery[] }> {
    const deliveries: Delivery[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body: JSON.parse(body) });
        res.writeHead(200).end();
      });
    });
    receivers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
  }

  const kindOf = (d: Delivery) => Object.keys(d.body)[0];
  /** Consecutive equal entries once (several 'working' status updates in a row say the same). */
  const withoutRepeats = (xs: string[]) => xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
  const stateOf = (d: Delivery) =>
    d.body.task?.status.state ??
    d.body.statusUpdate?.status.state ??
    `artifact:${d.body.artifactUpdate?.artifact.parts[0].text}`;

  it('a config given with the send gets every event in order, with the token header', async () => {
    const hook = await receiver();
    const { url } = await start(
      async (ctx) => {
        await ctx.sendStatus('step 1');
        await ctx.emitArtifact({ content: 'a1' });
        await ctx.complete('final');
      },
      { push: { policy: { allowLoopback: true } } },
    );
    const task = (
      await rpc(url, 'SendMessage', {
        message: userMessage('push me'),
        configuration: { taskPushNotificationConfig: { url: hook.url, token: 'tok-1' } },
      })
    ).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    await waitFor(() =>
      hook.deliveries.some((d) => d.body.statusUpdate?.status.state === 'TASK_STATE_COMPLETED'),
    );
    // Every event, in the order it happened: the task first, then its updates.
    expect(hook.deliveries.map(kindOf)[0]).toBe('task');
    expect(withoutRepeats(hook.deliveries.slice(1).map(stateOf))).toEqual([
      'TASK_STATE_WORKING',
      'artifact:a1',
      'artifact:final',
      'TASK_STATE_COMPLETED',
    ]);
    expect(hook.deliveries.find((d) => d.body.statusUpdate)?.body.statusUpdate.status.message.parts).toEqual([
      { text: 'step 1' },
    ]);
    for (const d of hook.deliveries) {
      expect(d.headers['x-a2a-notification-token']).toBe('tok-1');
      expect(d.headers['content-type']).toMatch(/json/);
    }
    expect(hook.deliveries[0]!.body.task.id).toBe(task.id);
    const configs = await rpc(url, 'ListTaskPushNotificationConfigs', { taskId: task.id });
    expect(configs.body.result.configs.map((c: { url: string }) => c.url)).toEqual([hook.url]);
  });

  it('a config created on a waiting task gets the next turn’s events in order', async () => {
    const hook = await receiver();
    const { url } = await start(
      async (ctx) => {
        if (ctx.isNewTask) return ctx.requestInput('which one?');
        await ctx.sendStatus('on it');
        await ctx.complete('the second');
      },
      { push: { policy: { allowLoopback: true } } },
    );
    const task = (await rpc(url, 'SendMessage', { message: userMessage('pick') })).body.result.task;
    const created = await rest(url, 'POST', `/tasks/${task.id}/pushNotificationConfigs`, {
      url: hook.url,
      token: 'tok-2',
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toEqual(expect.any(String));
    expect(hook.deliveries).toEqual([]);
    await rpc(url, 'SendMessage', { message: userMessage('second', { taskId: task.id }) });
    await waitFor(() =>
      hook.deliveries.some((d) => d.body.statusUpdate?.status.state === 'TASK_STATE_COMPLETED'),
    );
    expect(withoutRepeats(hook.deliveries.map(stateOf))).toEqual([
      'TASK_STATE_WORKING',
      'artifact:the second',
      'TASK_STATE_COMPLETED',
    ]);
    expect(hook.deliveries[0]!.body.statusUpdate.status.message).toBeUndefined();
    expect(hook.deliveries[1]!.body.statusUpdate.status.message.parts).toEqual([{ text: 'on it' }]);
    expect(hook.deliveries.every((d) => d.headers['x-a2a-notification-token'] === 'tok-2')).toBe(true);
  });

  it('with the default policy a loopback webhook is never contacted', async () => {
    const hook = await receiver();
    const refused = deferred<{ code: string; url: string }>();
    const { url } = await start((ctx) => ctx.complete('done'), {
      push: {
        onError: (err, info) => refused.resolve({ code: (err as { code: string }).code, url: info.url }),
      },
    });
    const task = (
      await rpc(url, 'SendMessage', {
        message: userMessage('x'),
        configuration: { taskPushNotificationConfig: { url: hook.url, token: 't' } },
      })
    ).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const error = await refused.promise;
    expect(error).toEqual({ code: 'rejected_target', url: hook.url });
    expect(hook.deliveries).toEqual([]);
  });
});
