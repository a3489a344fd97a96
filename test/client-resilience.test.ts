/**
 * `A2AClient` when the network misbehaves: a recording proxy sits in front of a Timestep
 * `A2AServer` (whose card points at the proxy) and answers 5xx, hangs, drops connections, or
 * cuts event streams mid-turn. No timing assertions: gates and polling with deadlines only.
 */
import {
  A2AClient,
  A2AClientError,
  type A2AClientOptions,
  type Message,
  type StreamResponse,
  type Task,
  type TransportPreference,
  taskText,
} from 'timestep';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentProbe,
  caught,
  collect,
  createScriptedAgent,
  describeEvent,
  Gate,
  type ProxiedRequest,
  type ProxyDecision,
  startProxy,
  startTimestep,
  type TestProxy,
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

/** Fast backoff so retries do not slow the suite (the delays themselves are not asserted). */
const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

/** The message id a SendMessage / SendStreamingMessage request carried (REST or JSON-RPC). */
function messageIdOf(request: ProxiedRequest): string {
  const body = JSON.parse(request.body) as {
    message?: { messageId: string };
    params?: { message: { messageId: string } };
  };
  const id = body.message?.messageId ?? body.params?.message.messageId;
  if (!id) throw new Error(`No message in ${request.body}`);
  return id;
}

const isCard = (r: ProxiedRequest) => r.path.startsWith('/.well-known/');
const calls = (proxy: TestProxy) => proxy.requests.filter((r) => !isCard(r));

let proxy: TestProxy;
let probe: AgentProbe;
let closeServer: () => Promise<void>;

beforeAll(async () => {
  proxy = await startProxy();
  const scripted = createScriptedAgent('Resilience Agent');
  probe = scripted.probe;
  // The card advertises the proxy, so every call the client makes goes through it.
  const started = await startTimestep(scripted.agent, { publicUrl: proxy.url });
  proxy.target = started.directUrl;
  closeServer = started.close;
});

afterAll(async () => {
  await proxy.close();
  await closeServer();
});

beforeEach(() => {
  proxy.reset();
});

function connect(transport: TransportPreference, options: A2AClientOptions = {}): Promise<A2AClient> {
  return A2AClient.connect(proxy.url, { transport, retry: FAST_RETRY, ...options });
}

describe.each<TransportPreference>(['jsonrpc', 'rest', 'jsonrpc-0.3'])('retries (%s)', (transport) => {
  it.each([503, 429, 500, 502, 504])(
    'HTTP %i twice, then the real answer: the call succeeds on attempt 3',
    async (status) => {
      const client = await connect(transport);
      proxy.reset();
      proxy.decide = (_req, index) =>
        index < 2 ? { status, body: 'Service Unavailable', contentType: 'text/plain' } : 'forward';
      const task = asTask(await client.send('retry me'));
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      expect(taskText(task)).toBe('Echo: retry me');
      expect(proxy.requests).toHaveLength(3);
      // The same message every time, so the agent runs the work once.
      expect(new Set(proxy.requests.map(messageIdOf)).size).toBe(1);
    },
  );

  it('waits as long as a 429 Retry-After asks (within maxDelayMs) before retrying', async () => {
    const client = await connect(transport, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 60_000 } });
    proxy.reset();
    const seenAt: number[] = [];
    proxy.decide = (_req, index) => {
      seenAt.push(Date.now());
      return index === 0
        ? { status: 429, body: 'slow down', contentType: 'text/plain', headers: { 'Retry-After': '1' } }
        : 'forward';
    };
    expect(taskText(asTask(await client.send('patiently')))).toBe('Echo: patiently');
    expect(proxy.requests).toHaveLength(2);
    // The backoff alone would retry within a few ms; Retry-After asked for a second.
    expect(seenAt[1]! - seenAt[0]!).toBeGreaterThanOrEqual(900);
  });

  it('a dropped connection is retried like a 503', async () => {
    const client = await connect(transport);
    proxy.reset();
    proxy.decide = (_req, index) => (index === 0 ? 'drop' : 'forward');
    expect(taskText(asTask(await client.send('after a drop')))).toBe('Echo: after a drop');
    expect(proxy.requests).toHaveLength(2);
  });

  it('gives up after the configured attempts with a retryable error', async () => {
    const client = await connect(transport);
    proxy.reset();
    proxy.decide = () => ({ status: 503, body: 'Service Unavailable', contentType: 'text/plain' });
    const err = await clientError(() => client.getTask('any'));
    expect(err.httpStatus).toBe(503);
    expect(err.retryable).toBe(true);
    expect(proxy.requests).toHaveLength(3);
  });

  it('does not retry a protocol error (TaskNotFound): one request', async () => {
    const client = await connect(transport);
    proxy.reset();
    const err = await clientError(() => client.getTask('nope'));
    expect(err.kind).toBe('TaskNotFound');
    expect(err.code).toBe(-32001);
    expect(proxy.requests).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 413])('does not retry HTTP %i: one request', async (status) => {
    const client = await connect(transport);
    proxy.reset();
    proxy.decide = () => ({ status, body: `status ${status}`, contentType: 'text/plain' });
    const err = await clientError(() => client.send('no retry'));
    expect(err.httpStatus).toBe(status);
    expect(err.retryable).toBe(false);
    expect(proxy.requests).toHaveLength(1);
  });

  it('retries opening a stream after a 503', async () => {
    const client = await connect(transport);
    proxy.reset();
    proxy.decide = (_req, index) =>
      index === 0 ? { status: 503, body: 'Service Unavailable', contentType: 'text/plain' } : 'forward';
    const events = await collect(client.stream('stream 2'));
    expect(events.map(describeEvent)).toEqual([
      'task:SUBMITTED',
      'status:WORKING',
      'artifact:c0 ',
      'artifact:c1 ',
      'status:COMPLETED',
    ]);
    expect(proxy.requests).toHaveLength(2);
    expect(messageIdOf(proxy.requests[1]!)).toBe(messageIdOf(proxy.requests[0]!));
  });
});

describe('timeouts and cancellation', () => {
  it('timeoutMs: a server that never answers fails the call with a timeout error, without retrying', async () => {
    const client = await connect('jsonrpc');
    proxy.reset();
    proxy.decide = () => 'hang';
    // The client's default timeout is 60 s, far past this test's own limit.
    const err = await clientError(() => client.send('hello?', { timeoutMs: 200 }));
    expect(err.message).toMatch(/within 200 ms/);
    expect(err.retryable).toBe(false);
    expect(proxy.requests).toHaveLength(1);
    await waitFor(() => proxy.abandoned.length === 1, 'the client to close the hung request');
  });

  it('timeoutMs from the client options applies to every call (REST)', async () => {
    const client = await connect('rest', { timeoutMs: 200 });
    proxy.reset();
    proxy.decide = () => 'hang';
    const err = await clientError(() => client.getTask('t'));
    expect(err.message).toMatch(/200 ms/);
    expect(proxy.requests).toHaveLength(1);
  });

  it('timeoutMs covers opening a stream', async () => {
    const client = await connect('jsonrpc');
    proxy.reset();
    proxy.decide = () => 'hang';
    const err = await clientError(() => collect(client.stream('never', { timeoutMs: 200 })));
    expect(err.message).toMatch(/200 ms/);
    expect(proxy.requests).toHaveLength(1);
  });

  it('an AbortSignal cancels an in-flight call with its reason', async () => {
    const client = await connect('jsonrpc');
    proxy.reset();
    proxy.decide = () => 'hang';
    const controller = new AbortController();
    const pending = client.send('wait', { signal: controller.signal });
    await waitFor(() => proxy.requests.length === 1, 'the request to reach the proxy');
    const reason = new Error('the user gave up');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await waitFor(() => proxy.abandoned.length === 1, 'the client to close the request');
    expect(proxy.requests).toHaveLength(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const client = await connect('rest');
    proxy.reset();
    const reason = new Error('too late');
    await expect(client.getTask('x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(proxy.requests).toHaveLength(0);
  });

  it('an AbortSignal ends a live stream without resuming it', async () => {
    const client = await connect('rest');
    proxy.reset();
    const controller = new AbortController();
    const gate = 'abort-stream';
    // One chunk, then the worker waits for the gate.
    const stream = client.stream(`drip 1 1 ${gate}`, { signal: controller.signal });
    const seen: string[] = [];
    while (!seen.includes('artifact:c0 ')) {
      const next = await stream.next();
      expect(next.done).toBe(false);
      seen.push(describeEvent(next.value as StreamResponse));
    }
    expect(seen).toEqual(['task:SUBMITTED', 'status:WORKING', 'artifact:c0 ']);
    const reason = new Error('stop streaming');
    controller.abort(reason);
    await expect(stream.next()).rejects.toBe(reason);
    // No resubscription after the caller's own abort.
    expect(calls(proxy)).toHaveLength(1);
    probe.gates.open(gate);
  });
});

describe('headers hook', () => {
  it('a headers function is called for every request, retries included', async () => {
    let n = 0;
    const client = await connect('jsonrpc', {
      headers: () => ({ Authorization: 'Bearer s3cret', 'X-Request-Seq': String(++n) }),
    });
    // The card fetch went through the hook too.
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]!.headers.authorization).toBe('Bearer s3cret');
    proxy.reset();
    proxy.decide = (_req, index) =>
      index < 2 ? { status: 503, body: '', contentType: 'text/plain' } : 'forward';
    await client.send('with headers', { headers: { 'X-Per-Call': 'yes' } });
    expect(proxy.requests).toHaveLength(3);
    for (const request of proxy.requests) {
      expect(request.headers.authorization).toBe('Bearer s3cret');
      expect(request.headers['x-per-call']).toBe('yes');
    }
    // Called afresh per attempt.
    expect(proxy.requests.map((r) => r.headers['x-request-seq'])).toEqual(['2', '3', '4']);
  });

  it('static headers reach streams and the resumed stream', async () => {
    const client = await connect('rest', { headers: { 'X-Tenant-Key': 'k1' } });
    proxy.reset();
    proxy.cutNextStream = { after: 3, how: 'destroy' };
    const gate = 'headers-resume';
    const events: StreamResponse[] = [];
    const done = (async () => {
      for await (const event of client.stream(`drip 1 1 ${gate}`)) events.push(event);
    })();
    await proxy.cut.opened;
    probe.gates.open(gate);
    await done;
    expect(events.map(describeEvent).at(-1)).toBe('status:COMPLETED');
    const streamCalls = calls(proxy);
    expect(streamCalls).toHaveLength(2);
    expect(streamCalls.every((r) => r.headers['x-tenant-key'] === 'k1')).toBe(true);
  });
});

/** Which request of the proxy log is a SubscribeToTask for `taskId`, for each binding. */
function isSubscribe(request: ProxiedRequest, transport: TransportPreference, taskId: string): boolean {
  if (transport === 'rest') return request.path === `/tasks/${taskId}:subscribe`;
  const body = JSON.parse(request.body) as { method: string; params: { id: string } };
  const method = transport === 'jsonrpc-0.3' ? 'tasks/resubscribe' : 'SubscribeToTask';
  return body.method === method && body.params.id === taskId;
}

describe.each<TransportPreference>(['jsonrpc', 'rest', 'jsonrpc-0.3'])('stream resume (%s)', (transport) => {
  const EXPECTED = [
    'task:SUBMITTED',
    'status:WORKING',
    'artifact:c0 ',
    'artifact:c1 ',
    'artifact:c2 ',
    'artifact:c3 ',
    'artifact:c4 ',
    'status:COMPLETED',
  ];

  /**
   * Stream `drip 2 3 GATE` (two chunks, the gate, three more chunks, completed) while the proxy
   * breaks the first event stream after three events. `beforeResume` runs once the stream is cut
   * and the worker released, and may hold the client's resubscription at the proxy.
   */
  async function resumeScenario(
    how: 'destroy' | 'end',
    holdResume: boolean,
  ): Promise<{ events: StreamResponse[]; resume: ProxiedRequest; taskId: string }> {
    const client = await connect(transport);
    proxy.reset();
    const gate = `drip-${transport}-${how}-${holdResume}`;
    const resumeGate = new Gate();
    proxy.cutNextStream = { after: 3, how };
    proxy.decide = async (request): Promise<ProxyDecision> => {
      if (request.headers['last-event-id'] !== undefined && holdResume) await resumeGate.opened;
      return 'forward';
    };
    const events: StreamResponse[] = [];
    const done = (async () => {
      for await (const event of client.stream(`drip 2 3 ${gate}`)) events.push(event);
    })();
    await proxy.cut.opened;
    // The client got the three events the proxy let through.
    await waitFor(() => events.length >= 3, 'the first three events');
    const taskId = (events[0] as { task: Task }).task.id;
    if (holdResume) {
      expect(events).toHaveLength(3);
      // The worker goes on while the client is cut off, and finishes before the resubscription
      // reaches the server: everything after event 3 must be replayed.
      probe.gates.open(gate);
      await waitFor(() => probe.finished.has(taskId), 'the worker to finish');
      await waitFor(() => proxy.requests.length === 2, 'the resubscription to reach the proxy');
      resumeGate.open();
    } else {
      // Resubscribed, and c1 (emitted before the cut, never forwarded) replayed: the rest comes live.
      await waitFor(() => events.length === 4, 'the replayed chunk');
      probe.gates.open(gate);
    }
    await done;
    const resume = proxy.requests[1]!;
    return { events, resume, taskId };
  }

  for (const how of ['destroy', 'end'] as const) {
    it(`a ${how === 'destroy' ? 'killed' : 'cleanly closed'} connection: every event exactly once, replayed through SubscribeToTask + Last-Event-ID`, async () => {
      const { events, resume, taskId } = await resumeScenario(how, true);
      expect(events.map(describeEvent)).toEqual(EXPECTED);
      expect(proxy.forwardedBeforeCut).toHaveLength(3);
      expect(proxy.requests).toHaveLength(2);
      expect(isSubscribe(resume, transport, taskId)).toBe(true);
      // The id of the third event the client saw (ids are task versions on Timestep).
      expect(resume.headers['last-event-id']).toBe('3');
      expect(proxy.forwardedBeforeCut[2]).toMatch(/^id: 3\n/);
    });
  }

  it('a killed connection while the worker keeps going: the resumed stream carries on live', async () => {
    const { events, resume, taskId } = await resumeScenario('destroy', false);
    expect(events.map(describeEvent)).toEqual(EXPECTED);
    expect(isSubscribe(resume, transport, taskId)).toBe(true);
    expect(resume.headers['last-event-id']).toBe('3');
    const stored = await (await connect(transport)).getTask(taskId);
    expect(taskText(stored)).toBe('c0 c1 c2 c3 c4 ');
  });

  it('subscribe() resumes too', async () => {
    const client = await connect(transport);
    proxy.reset();
    const gate = `sub-resume-${transport}`;
    const task = asTask(
      await client.send({ text: `drip 1 3 ${gate}`, configuration: { returnImmediately: true } }),
    );
    await waitFor(() => probe.started.has(task.id), 'the worker to start');
    proxy.reset();
    // Snapshot, then cut after the first live chunk.
    proxy.cutNextStream = { after: 2, how: 'destroy' };
    const events: StreamResponse[] = [];
    const done = (async () => {
      for await (const event of client.subscribe(task.id)) events.push(event);
    })();
    await waitFor(() => events.length === 1, 'the snapshot');
    probe.gates.open(gate);
    await done;
    const labels = events.map(describeEvent);
    expect(labels[0]).toMatch(/^task:/);
    expect(labels.slice(1)).toEqual(['artifact:c1 ', 'artifact:c2 ', 'artifact:c3 ', 'status:COMPLETED']);
    expect(proxy.requests).toHaveLength(2);
    expect(proxy.requests[1]!.headers['last-event-id']).toBeDefined();
  });
});
