/**
 * Bad input over raw HTTP: every malformed or out-of-place request gets the protocol's error
 * (JSON-RPC code; REST HTTP status, google.rpc status and ErrorInfo reason), and the server keeps
 * working afterwards without leaving half-made tasks behind.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A2AServer } from '../src/index.js';
import { openSse, post, type RawResponse, rest, rpc, rpcBody, userMessage } from './helpers/http.js';

const ACTIVE = ['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING'];

function expectRpcError(r: RawResponse, code: number, reason?: string): void {
  expect(r.body?.jsonrpc, JSON.stringify(r.body)).toBe('2.0');
  expect(r.body.result).toBeUndefined();
  expect(r.body.error.code, JSON.stringify(r.body)).toBe(code);
  expect(typeof r.body.error.message).toBe('string');
  if (reason) expect(r.body.error.data[0].reason).toBe(reason);
}

function expectRestError(r: RawResponse, httpStatus: number, status: string, reason: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(httpStatus);
  expect(r.body.error.code).toBe(httpStatus);
  expect(r.body.error.status).toBe(status);
  expect(typeof r.body.error.message).toBe('string');
  expect(r.body.error.details[0].reason).toBe(reason);
  expect(r.body.error.details[0]['@type']).toBe('type.googleapis.com/google.rpc.ErrorInfo');
}

/** A server plus the checks that it still works after a bad request. */
function harness(url: () => string) {
  async function taskCount(): Promise<number> {
    const r = await rpc(url(), 'ListTasks', { pageSize: 100 });
    expect(r.status).toBe(200);
    const stuck = r.body.result.tasks.filter((t: { status: { state: string } }) =>
      ACTIVE.includes(t.status.state),
    );
    expect(stuck).toEqual([]);
    return r.body.result.totalSize as number;
  }
  /** No task was added by the bad request, and a good request right after succeeds (on both bindings). */
  async function expectStillWorks(before: number): Promise<void> {
    expect(await taskCount()).toBe(before);
    const viaRpc = await rpc(url(), 'SendMessage', { message: userMessage('ping') });
    expect(viaRpc.status).toBe(200);
    expect(viaRpc.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    const viaRest = await rest(url(), 'POST', '/message:send', { message: userMessage('ping') });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(await taskCount()).toBe(before + 2);
  }
  return { taskCount, expectStillWorks };
}

describe('bad input on a default server', () => {
  let server: A2AServer;
  let url: string;
  const { taskCount, expectStillWorks } = harness(() => url);
  let completedTaskId: string;

  beforeAll(async () => {
    server = new A2AServer({
      card: { name: 'Bad Input Echo', description: 'Echoes, or asks for input when told "ask".' },
      store: 'memory',
      worker: async (ctx) => {
        if (ctx.userText === 'ask') await ctx.requestInput('What else?');
        else await ctx.complete(`Echo: ${ctx.userText}`);
      },
    });
    ({ url } = await server.listen());
    const r = await rpc(url, 'SendMessage', { message: userMessage('first') });
    completedTaskId = r.body.result.task.id;
    expect(r.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });
  afterAll(() => server.close());

  describe('JSON-RPC envelope', () => {
    it('malformed JSON is a parse error (-32700) with a null id', async () => {
      const before = await taskCount();
      const r = await post(url, '{"jsonrpc":"2.0","id":1,"method":"SendMessage",');
      expect(r.status).toBe(200);
      expectRpcError(r, -32700, 'PARSE_ERROR');
      expect(r.body.id).toBeNull();
      await expectStillWorks(before);
    });

    it('malformed JSON on REST is 400 INVALID_ARGUMENT / PARSE_ERROR', async () => {
      const before = await taskCount();
      const r = await rest(url, 'POST', '/message:send', '{"message": {');
      expectRestError(r, 400, 'INVALID_ARGUMENT', 'PARSE_ERROR');
      await expectStillWorks(before);
    });

    it('a batch (JSON array) is an invalid request (-32600)', async () => {
      const before = await taskCount();
      const r = await post(url, JSON.stringify([rpcBody('SendMessage', { message: userMessage('a') })]));
      expectRpcError(r, -32600, 'INVALID_REQUEST');
      expect(r.body.error.message).toMatch(/batch/i);
      await expectStillWorks(before);
    });

    it('a non-2.0 envelope is an invalid request (-32600) that echoes the id', async () => {
      const before = await taskCount();
      const r = await post(
        url,
        JSON.stringify({
          jsonrpc: '1.0',
          id: 'x1',
          method: 'SendMessage',
          params: { message: userMessage('a') },
        }),
      );
      expectRpcError(r, -32600, 'INVALID_REQUEST');
      expect(r.body.id).toBe('x1');
      const noMethod = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 2 }));
      expectRpcError(noMethod, -32600, 'INVALID_REQUEST');
      const objectId = await post(url, JSON.stringify({ jsonrpc: '2.0', id: {}, method: 'GetTask' }));
      expectRpcError(objectId, -32600, 'INVALID_REQUEST');
      await expectStillWorks(before);
    });

    it('an unknown method is -32601', async () => {
      const before = await taskCount();
      const r = await rpc(url, 'FrobnicateTask', { id: completedTaskId });
      expectRpcError(r, -32601, 'METHOD_NOT_FOUND');
      expect(r.body.error.message).toContain('FrobnicateTask');
      await expectStillWorks(before);
    });

    it('a v1.0 method without A2A-Version is -32601 with a hint naming the header', async () => {
      const before = await taskCount();
      const r = await rpc(url, 'SendMessage', { message: userMessage('a') }, { 'A2A-Version': null });
      expectRpcError(r, -32601);
      expect(r.body.error.message).toContain('A2A-Version: 1.0');
      await expectStillWorks(before);
    });

    it('a v0.3 method with A2A-Version: 1.0 is -32601 with a hint naming the header', async () => {
      const before = await taskCount();
      const r = await rpc(url, 'message/send', {
        message: { kind: 'message', messageId: 'v03', role: 'user', parts: [{ kind: 'text', text: 'a' }] },
      });
      expectRpcError(r, -32601, 'METHOD_NOT_FOUND');
      expect(r.body.error.message).toContain('A2A-Version: 0.3');
      await expectStillWorks(before);
    });
  });

  describe('wrong parameter types (-32602 / 400 INVALID_ARGUMENT)', () => {
    const good = () => userMessage('x');
    const sendCases: Array<[string, () => Record<string, unknown>]> = [
      ['message missing', () => ({})],
      ['message not an object', () => ({ message: 'hello' })],
      ['parts empty', () => ({ message: { ...good(), parts: [] } })],
      ['parts missing', () => ({ message: { messageId: 'p1', role: 'ROLE_USER' } })],
      ['a part with two kinds', () => ({ message: { ...good(), parts: [{ text: 'a', data: { b: 1 } }] } })],
      ['a part with no kind', () => ({ message: { ...good(), parts: [{ mediaType: 'text/plain' }] } })],
      [
        'a v0.3 file part',
        () => ({ message: { ...good(), parts: [{ kind: 'file', file: { uri: 'https://example.com/a' } }] } }),
      ],
      ['a text part that is not a string', () => ({ message: { ...good(), parts: [{ text: 42 }] } })],
      ['role wrong (v0.3 spelling)', () => ({ message: { ...good(), role: 'user' } })],
      ['role missing', () => ({ message: { messageId: 'r1', parts: [{ text: 'a' }] } })],
      ['messageId missing', () => ({ message: { role: 'ROLE_USER', parts: [{ text: 'a' }] } })],
      ['messageId blank', () => ({ message: { ...good(), messageId: '  ' } })],
      ['historyLength -1', () => ({ message: good(), configuration: { historyLength: -1 } })],
      ['historyLength "x"', () => ({ message: good(), configuration: { historyLength: 'x' } })],
      ['historyLength 1.5', () => ({ message: good(), configuration: { historyLength: 1.5 } })],
      ['returnImmediately "yes"', () => ({ message: good(), configuration: { returnImmediately: 'yes' } })],
      ['metadata an array', () => ({ message: good(), metadata: [1] })],
      ['referenceTaskIds not strings', () => ({ message: { ...good(), referenceTaskIds: [1] } })],
    ];

    it.each(sendCases)('SendMessage with %s', async (_name, params) => {
      const before = await taskCount();
      const viaRpc = await rpc(url, 'SendMessage', params());
      expect(viaRpc.status).toBe(200);
      expectRpcError(viaRpc, -32602, 'INVALID_PARAMS');
      const viaStream = await openSse(url, { body: rpcBody('SendStreamingMessage', params()) });
      expect(viaStream.json, 'a streaming call refused before it starts answers plain JSON').toBeDefined();
      expectRpcError({ status: viaStream.status, headers: viaStream.headers, body: viaStream.json }, -32602);
      const viaRest = await rest(url, 'POST', '/message:send', params());
      expectRestError(viaRest, 400, 'INVALID_ARGUMENT', 'INVALID_PARAMS');
      await expectStillWorks(before);
    });

    it('params that are not an object', async () => {
      const before = await taskCount();
      expectRpcError(await rpc(url, 'SendMessage', [userMessage('a')]), -32602, 'INVALID_PARAMS');
      expectRpcError(await rpc(url, 'GetTask', 'abc'), -32602, 'INVALID_PARAMS');
      expectRpcError(await rpc(url, 'GetTask', {}), -32602, 'INVALID_PARAMS');
      expectRpcError(await rpc(url, 'GetTask', { id: '' }), -32602, 'INVALID_PARAMS');
      expectRestError(
        await rest(url, 'POST', '/message:send', [1]),
        400,
        'INVALID_ARGUMENT',
        'INVALID_PARAMS',
      );
      expectRestError(
        await rest(url, 'POST', '/message:send', ''),
        400,
        'INVALID_ARGUMENT',
        'INVALID_PARAMS',
      );
      await expectStillWorks(before);
    });

    it.each([
      ['-1', -1],
      ['"x"', 'x'],
    ])('GetTask with historyLength %s', async (_name, historyLength) => {
      const before = await taskCount();
      expectRpcError(
        await rpc(url, 'GetTask', { id: completedTaskId, historyLength }),
        -32602,
        'INVALID_PARAMS',
      );
      const r = await rest(url, 'GET', `/tasks/${completedTaskId}?historyLength=${historyLength}`);
      expectRestError(r, 400, 'INVALID_ARGUMENT', 'INVALID_PARAMS');
      await expectStillWorks(before);
    });

    const listCases: Array<[string, Record<string, unknown>, string]> = [
      ['pageSize 0', { pageSize: 0 }, 'pageSize=0'],
      ['pageSize 101', { pageSize: 101 }, 'pageSize=101'],
      ['pageSize "x"', { pageSize: 'x' }, 'pageSize=x'],
      ['status "BOGUS"', { status: 'BOGUS' }, 'status=BOGUS'],
      ['status "completed" (v0.3 spelling)', { status: 'completed' }, 'status=completed'],
      [
        'statusTimestampAfter "yesterday"',
        { statusTimestampAfter: 'yesterday' },
        'statusTimestampAfter=yesterday',
      ],
      ['historyLength -1', { historyLength: -1 }, 'historyLength=-1'],
      ['includeArtifacts "maybe"', { includeArtifacts: 'maybe' }, 'includeArtifacts=maybe'],
      ['a foreign pageToken', { pageToken: 'not-a-token' }, 'pageToken=not-a-token'],
    ];

    it.each(listCases)('ListTasks with %s', async (_name, params, query) => {
      const before = await taskCount();
      expectRpcError(await rpc(url, 'ListTasks', params), -32602, 'INVALID_PARAMS');
      expectRestError(await rest(url, 'GET', `/tasks?${query}`), 400, 'INVALID_ARGUMENT', 'INVALID_PARAMS');
      await expectStillWorks(before);
    });
  });

  describe('unknown tasks (-32001 / 404 NOT_FOUND)', () => {
    const missing = 'no-such-task';

    it('GetTask, CancelTask and SubscribeToTask', async () => {
      const before = await taskCount();
      expectRpcError(await rpc(url, 'GetTask', { id: missing }), -32001, 'TASK_NOT_FOUND');
      expectRpcError(await rpc(url, 'CancelTask', { id: missing }), -32001, 'TASK_NOT_FOUND');
      const sub = await openSse(url, { body: rpcBody('SubscribeToTask', { id: missing }) });
      expect(sub.status).toBe(200);
      expectRpcError({ status: sub.status, headers: sub.headers, body: sub.json }, -32001, 'TASK_NOT_FOUND');

      expectRestError(await rest(url, 'GET', `/tasks/${missing}`), 404, 'NOT_FOUND', 'TASK_NOT_FOUND');
      expectRestError(
        await rest(url, 'POST', `/tasks/${missing}:cancel`, {}),
        404,
        'NOT_FOUND',
        'TASK_NOT_FOUND',
      );
      const restSub = await openSse(`${url}/tasks/${missing}:subscribe`);
      expectRestError(
        { status: restSub.status, headers: restSub.headers, body: restSub.json },
        404,
        'NOT_FOUND',
        'TASK_NOT_FOUND',
      );
      await expectStillWorks(before);
    });

    it('push notification config operations', async () => {
      const before = await taskCount();
      const config = { taskId: missing, url: 'https://example.com/hook' };
      expectRpcError(await rpc(url, 'CreateTaskPushNotificationConfig', config), -32001, 'TASK_NOT_FOUND');
      expectRpcError(
        await rpc(url, 'GetTaskPushNotificationConfig', { taskId: missing, id: 'c1' }),
        -32001,
        'TASK_NOT_FOUND',
      );
      expectRpcError(
        await rpc(url, 'ListTaskPushNotificationConfigs', { taskId: missing }),
        -32001,
        'TASK_NOT_FOUND',
      );
      expectRpcError(
        await rpc(url, 'DeleteTaskPushNotificationConfig', { taskId: missing, id: 'c1' }),
        -32001,
        'TASK_NOT_FOUND',
      );
      const base = `/tasks/${missing}/pushNotificationConfigs`;
      expectRestError(
        await rest(url, 'POST', base, { url: 'https://example.com/hook' }),
        404,
        'NOT_FOUND',
        'TASK_NOT_FOUND',
      );
      expectRestError(await rest(url, 'GET', base), 404, 'NOT_FOUND', 'TASK_NOT_FOUND');
      expectRestError(await rest(url, 'GET', `${base}/c1`), 404, 'NOT_FOUND', 'TASK_NOT_FOUND');
      expectRestError(await rest(url, 'DELETE', `${base}/c1`), 404, 'NOT_FOUND', 'TASK_NOT_FOUND');
      await expectStillWorks(before);
    });

    it('an unknown config of a known task is not found', async () => {
      const before = await taskCount();
      expectRpcError(
        await rpc(url, 'GetTaskPushNotificationConfig', { taskId: completedTaskId, id: 'nope' }),
        -32001,
      );
      expectRestError(
        await rest(url, 'GET', `/tasks/${completedTaskId}/pushNotificationConfigs/nope`),
        404,
        'NOT_FOUND',
        'TASK_NOT_FOUND',
      );
      await expectStillWorks(before);
    });

    it('a follow-up message naming an unknown task', async () => {
      const before = await taskCount();
      const params = { message: userMessage('more', { taskId: missing }) };
      expectRpcError(await rpc(url, 'SendMessage', params), -32001, 'TASK_NOT_FOUND');
      expectRestError(await rest(url, 'POST', '/message:send', params), 404, 'NOT_FOUND', 'TASK_NOT_FOUND');
      await expectStillWorks(before);
    });
  });

  describe('operations a task state does not allow', () => {
    it('a message to a completed task is -32004 / 400 UNSUPPORTED_OPERATION, and the task is unchanged', async () => {
      const before = await taskCount();
      const original = (await rpc(url, 'GetTask', { id: completedTaskId })).body.result;
      const params = { message: userMessage('again', { taskId: completedTaskId }) };
      expectRpcError(await rpc(url, 'SendMessage', params), -32004, 'UNSUPPORTED_OPERATION');
      expectRestError(
        await rest(url, 'POST', '/message:send', {
          message: userMessage('again', { taskId: completedTaskId }),
        }),
        400,
        'FAILED_PRECONDITION',
        'UNSUPPORTED_OPERATION',
      );
      const stream = await openSse(url, {
        body: rpcBody('SendStreamingMessage', { message: userMessage('again', { taskId: completedTaskId }) }),
      });
      expectRpcError({ status: stream.status, headers: stream.headers, body: stream.json }, -32004);
      expect((await rpc(url, 'GetTask', { id: completedTaskId })).body.result).toEqual(original);
      await expectStillWorks(before);
    });

    it('cancel of a completed task is -32002 / 409 TASK_NOT_CANCELABLE', async () => {
      const before = await taskCount();
      expectRpcError(await rpc(url, 'CancelTask', { id: completedTaskId }), -32002, 'TASK_NOT_CANCELABLE');
      expectRestError(
        await rest(url, 'POST', `/tasks/${completedTaskId}:cancel`),
        409,
        'FAILED_PRECONDITION',
        'TASK_NOT_CANCELABLE',
      );
      const task = (await rpc(url, 'GetTask', { id: completedTaskId })).body.result;
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      await expectStillWorks(before);
    });

    it('subscribing to a completed task is -32004 / 400', async () => {
      const before = await taskCount();
      const sub = await openSse(url, { body: rpcBody('SubscribeToTask', { id: completedTaskId }) });
      expect(sub.json).toBeDefined();
      expectRpcError(
        { status: sub.status, headers: sub.headers, body: sub.json },
        -32004,
        'UNSUPPORTED_OPERATION',
      );
      const restSub = await openSse(`${url}/tasks/${completedTaskId}:subscribe`);
      expectRestError(
        { status: restSub.status, headers: restSub.headers, body: restSub.json },
        400,
        'FAILED_PRECONDITION',
        'UNSUPPORTED_OPERATION',
      );
      await expectStillWorks(before);
    });

    it('a follow-up whose contextId does not match the task is -32602, and the task is unchanged', async () => {
      const asked = await rpc(url, 'SendMessage', { message: userMessage('ask') });
      const task = asked.body.result.task;
      expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
      const before = await taskCount();
      const params = () => ({
        message: userMessage('answer', { taskId: task.id, contextId: 'another-context' }),
      });
      const r = await rpc(url, 'SendMessage', params());
      expectRpcError(r, -32602, 'INVALID_PARAMS');
      expect(r.body.error.message).toContain(task.contextId);
      expectRestError(
        await rest(url, 'POST', '/message:send', params()),
        400,
        'INVALID_ARGUMENT',
        'INVALID_PARAMS',
      );
      const after = (await rpc(url, 'GetTask', { id: task.id })).body.result;
      expect(after.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
      expect(after.history).toHaveLength(task.history.length);
      await expectStillWorks(before);
      // The task can still be answered properly.
      const resumed = await rpc(url, 'SendMessage', {
        message: userMessage('answer', { taskId: task.id, contextId: task.contextId }),
      });
      expect(resumed.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    });

    it('a part whose mediaType the agent does not accept is -32005 / 415 CONTENT_TYPE_NOT_SUPPORTED', async () => {
      const before = await taskCount();
      const params = () => ({
        message: userMessage('x', {
          parts: [{ url: 'https://example.com/cat.png', mediaType: 'image/png', filename: 'cat.png' }],
        }),
      });
      const r = await rpc(url, 'SendMessage', params());
      expectRpcError(r, -32005, 'CONTENT_TYPE_NOT_SUPPORTED');
      expect(r.body.error.message).toContain('image/png');
      expectRestError(
        await rest(url, 'POST', '/message:send', params()),
        415,
        'INVALID_ARGUMENT',
        'CONTENT_TYPE_NOT_SUPPORTED',
      );
      await expectStillWorks(before);
    });

    it('GetExtendedAgentCard without an extended card is -32004 / 400', async () => {
      const before = await taskCount();
      expectRpcError(await rpc(url, 'GetExtendedAgentCard', {}), -32004, 'UNSUPPORTED_OPERATION');
      expectRestError(
        await rest(url, 'GET', '/extendedAgentCard'),
        400,
        'FAILED_PRECONDITION',
        'UNSUPPORTED_OPERATION',
      );
      await expectStillWorks(before);
    });
  });

  describe('HTTP-level problems', () => {
    it('an unsupported Content-Type is 415 on both bindings, with an error body', async () => {
      const before = await taskCount();
      const body = JSON.stringify(rpcBody('SendMessage', { message: userMessage('a') }));
      const r = await post(url, body, { 'Content-Type': 'text/plain' });
      expect(r.status).toBe(415);
      expectRpcError(r, -32005, 'CONTENT_TYPE_NOT_SUPPORTED');
      const viaRest = await rest(
        url,
        'POST',
        '/message:send',
        JSON.stringify({ message: userMessage('a') }),
        {
          'Content-Type': 'text/plain',
        },
      );
      expectRestError(viaRest, 415, 'INVALID_ARGUMENT', 'CONTENT_TYPE_NOT_SUPPORTED');
      // Both JSON media types the spec names are accepted.
      const a2aJson = await post(url, body, { 'Content-Type': 'application/a2a+json' });
      expect(a2aJson.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
      await expectStillWorks(before + 1);
    });

    it('an unsupported A2A-Version is -32009 / 400 VERSION_NOT_SUPPORTED', async () => {
      const before = await taskCount();
      const r = await rpc(url, 'SendMessage', { message: userMessage('a') }, { 'A2A-Version': '2.0' });
      expectRpcError(r, -32009, 'VERSION_NOT_SUPPORTED');
      expect(r.body.error.message).toContain('2.0');
      const viaRest = await rest(
        url,
        'POST',
        '/message:send',
        { message: userMessage('a') },
        { 'A2A-Version': '2.0' },
      );
      expectRestError(viaRest, 400, 'FAILED_PRECONDITION', 'VERSION_NOT_SUPPORTED');
      await expectStillWorks(before);
    });

    it('an unknown REST path is 404', async () => {
      const before = await taskCount();
      const nothing = await rest(url, 'GET', '/no/such/thing');
      expect(nothing.status).toBe(404);
      expect(nothing.body.error.status).toBe('NOT_FOUND');
      const underTasks = await rest(url, 'GET', `/tasks/${completedTaskId}/frobs`);
      expectRestError(underTasks, 404, 'NOT_FOUND', 'METHOD_NOT_FOUND');
      const rpcGet = await rest(url, 'GET', '/');
      expect(rpcGet.status).toBe(404);
      await expectStillWorks(before);
    });

    it('a wrong method on a REST path is 405 with an Allow header', async () => {
      const before = await taskCount();
      const del = await rest(url, 'DELETE', '/message:send');
      expect(del.status).toBe(405);
      expect(del.headers.get('allow')).toBe('POST');
      expect(del.body.error.code).toBe(405);
      expect(del.body.error.details[0].reason).toBe('METHOD_NOT_ALLOWED');
      const put = await rest(url, 'PUT', `/tasks/${completedTaskId}`, {});
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toBe('GET');
      const getSend = await rest(url, 'GET', '/message:send');
      expect(getSend.status).toBe(405);
      await expectStillWorks(before);
    });
  });
});

describe('bad input in A2A 0.3 (no A2A-Version header)', () => {
  let server: A2AServer;
  let url: string;
  const v03 = { 'A2A-Version': null };
  const message = (extra: Record<string, unknown> = {}) => ({
    kind: 'message',
    messageId: `v03-${crypto.randomUUID()}`,
    role: 'user',
    parts: [{ kind: 'text', text: 'hi' }],
    ...extra,
  });

  beforeAll(async () => {
    server = new A2AServer({
      card: { name: 'Old Clients', description: 'Speaks 0.3 too.' },
      store: 'memory',
      worker: (ctx) => ctx.complete('ok'),
    });
    ({ url } = await server.listen());
  });
  afterAll(() => server.close());

  it('errors have the v0.3 shape (code, message, plain data) and the same codes', async () => {
    const cases: Array<[string, unknown, number]> = [
      ['message/send', { message: message({ parts: [] }) }, -32602],
      ['message/send', { message: message({ role: 'ROLE_USER' }) }, -32602],
      ['message/send', { message: message(), configuration: { historyLength: -1 } }, -32602],
      ['message/send', { message: message({ parts: [{ text: 'v1 part' }] }) }, -32602],
      ['tasks/get', { id: 'nope' }, -32001],
      ['tasks/get', { id: 'nope', historyLength: 'x' }, -32602],
      ['tasks/cancel', { id: 'nope' }, -32001],
      ['tasks/list', {}, -32601],
    ];
    for (const [method, params, code] of cases) {
      const r = await rpc(url, method, params, v03);
      expect(r.body.error?.code, `${method} ${JSON.stringify(params)}`).toBe(code);
      expect(Array.isArray(r.body.error.data)).toBe(false);
    }
    const notFound = await rpc(url, 'tasks/get', { id: 'nope' }, v03);
    expect(notFound.body.error.data).toEqual({ taskId: 'nope' });
    const ok = await rpc(url, 'message/send', { message: message() }, v03);
    expect(ok.body.result.kind).toBe('task');
    expect(ok.body.result.status.state).toBe('completed');
    const list = await rpc(url, 'ListTasks', {});
    expect(list.body.result.totalSize).toBe(1);
  });
});

describe('oversized bodies', () => {
  let server: A2AServer;
  let url: string;
  const { taskCount, expectStillWorks } = harness(() => url);

  beforeAll(async () => {
    server = new A2AServer({
      card: { name: 'Small Bodies', description: 'Accepts 2 KiB at most.' },
      store: 'memory',
      maxBodyBytes: 2048,
      worker: (ctx) => ctx.complete('ok'),
    });
    ({ url } = await server.listen());
  });
  afterAll(() => server.close());

  const big = () => ({ message: userMessage('x'.repeat(8 * 1024)) });

  it('JSON-RPC: 413 with an error body', async () => {
    const before = await taskCount();
    const r = await rpc(url, 'SendMessage', big());
    expect(r.status).toBe(413);
    expectRpcError(r, -31413, 'PAYLOAD_TOO_LARGE');
    expect(r.body.error.message).toContain('2048');
    await expectStillWorks(before);
  });

  it('REST: 413 with an error body', async () => {
    const before = await taskCount();
    const r = await rest(url, 'POST', '/message:send', big());
    expectRestError(r, 413, 'INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE');
    await expectStillWorks(before);
  });

  it('a chunked body without Content-Length is cut off at the limit; the connection is closed', async () => {
    const before = await taskCount();
    const { port } = new URL(url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const answer = await new Promise<{ status: number; body: string; connection: string | undefined }>(
      (resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path: '/message:send',
            method: 'POST',
            agent,
            headers: { 'Content-Type': 'application/json', 'A2A-Version': '1.0' },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              body += c;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        const text = JSON.stringify(big());
        for (let i = 0; i < text.length; i += 1000) req.write(text.slice(i, i + 1000));
        req.end();
      },
    );
    agent.destroy();
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe('close');
    expect(JSON.parse(answer.body).error.details[0].reason).toBe('PAYLOAD_TOO_LARGE');
    await expectStillWorks(before);
  });

  it('a body just under the limit is accepted', async () => {
    const before = await taskCount();
    const r = await rpc(url, 'SendMessage', { message: userMessage('y'.repeat(1500)) });
    expect(r.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    await expectStillWorks(before + 1);
  });
});

describe('push notifications turned off', () => {
  let server: A2AServer;
  let url: string;
  let taskId: string;

  beforeAll(async () => {
    server = new A2AServer({
      card: { name: 'No Push', description: 'Sends no push notifications.' },
      store: 'memory',
      push: false,
      worker: (ctx) => ctx.requestInput('more?'),
    });
    ({ url } = await server.listen());
    taskId = (await rpc(url, 'SendMessage', { message: userMessage('a') })).body.result.task.id;
  });
  afterAll(() => server.close());

  it('the card says so, and every config operation is -32003 / 400 PUSH_NOTIFICATION_NOT_SUPPORTED', async () => {
    const card = (await rest(url, 'GET', '/.well-known/agent-card.json')).body;
    expect(card.capabilities.pushNotifications).toBe(false);
    for (const id of [taskId, 'no-such-task']) {
      expectRpcError(
        await rpc(url, 'CreateTaskPushNotificationConfig', { taskId: id, url: 'https://example.com/h' }),
        -32003,
        'PUSH_NOTIFICATION_NOT_SUPPORTED',
      );
      expectRpcError(await rpc(url, 'GetTaskPushNotificationConfig', { taskId: id, id: 'c' }), -32003);
      expectRpcError(await rpc(url, 'ListTaskPushNotificationConfigs', { taskId: id }), -32003);
      expectRpcError(await rpc(url, 'DeleteTaskPushNotificationConfig', { taskId: id, id: 'c' }), -32003);
      const base = `/tasks/${id}/pushNotificationConfigs`;
      const reason = 'PUSH_NOTIFICATION_NOT_SUPPORTED';
      expectRestError(
        await rest(url, 'POST', base, { url: 'https://example.com/h' }),
        400,
        'FAILED_PRECONDITION',
        reason,
      );
      expectRestError(await rest(url, 'GET', base), 400, 'FAILED_PRECONDITION', reason);
      expectRestError(await rest(url, 'GET', `${base}/c`), 400, 'FAILED_PRECONDITION', reason);
      expectRestError(await rest(url, 'DELETE', `${base}/c`), 400, 'FAILED_PRECONDITION', reason);
    }
    // v0.3 too.
    const v03 = await rpc(
      url,
      'tasks/pushNotificationConfig/set',
      { taskId, pushNotificationConfig: { url: 'https://example.com/h' } },
      { 'A2A-Version': null },
    );
    expect(v03.body.error.code).toBe(-32003);
    // The task is untouched and can be answered.
    const resumed = await rpc(url, 'GetTask', { id: taskId });
    expect(resumed.body.result.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
  });
});

describe('required extensions', () => {
  const REQUIRED = 'https://example.com/ext/required/v1';
  const OPTIONAL = 'https://example.com/ext/optional/v1';
  let server: A2AServer;
  let url: string;
  const seen: string[][] = [];

  beforeAll(async () => {
    server = new A2AServer({
      card: {
        name: 'Extension Agent',
        description: 'Requires an extension.',
        extensions: [
          { uri: REQUIRED, required: true, description: 'must be on' },
          { uri: OPTIONAL, description: 'may be on' },
        ],
      },
      store: 'memory',
      worker: async (ctx) => {
        seen.push([...ctx.extensions]);
        await ctx.complete('ok');
      },
    });
    ({ url } = await server.listen());
  });
  afterAll(() => server.close());

  it('a send without the required extension is -32008 / 400 EXTENSION_SUPPORT_REQUIRED; nothing runs', async () => {
    const r = await rpc(url, 'SendMessage', { message: userMessage('a') });
    expectRpcError(r, -32008, 'EXTENSION_SUPPORT_REQUIRED');
    expect(r.body.error.message).toContain(REQUIRED);
    const onlyOptional = await rpc(
      url,
      'SendMessage',
      { message: userMessage('a') },
      { 'A2A-Extensions': OPTIONAL },
    );
    expectRpcError(onlyOptional, -32008);
    expectRestError(
      await rest(url, 'POST', '/message:send', { message: userMessage('a') }),
      400,
      'FAILED_PRECONDITION',
      'EXTENSION_SUPPORT_REQUIRED',
    );
    expect(seen).toEqual([]);
    const list = await rpc(url, 'ListTasks', {}, { 'A2A-Extensions': REQUIRED });
    expect(list.body.result.totalSize).toBe(0);
  });

  it('with the extension activated the send works and the response echoes A2A-Extensions', async () => {
    const r = await rpc(
      url,
      'SendMessage',
      { message: userMessage('a') },
      { 'A2A-Extensions': `${REQUIRED}, https://example.com/unknown` },
    );
    expect(r.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(r.headers.get('a2a-extensions')).toBe(REQUIRED);
    expect(seen.at(-1)).toEqual([REQUIRED]);

    const viaRest = await rest(
      url,
      'POST',
      '/message:send',
      { message: userMessage('b') },
      { 'A2A-Extensions': `${REQUIRED},${OPTIONAL}` },
    );
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(
      viaRest.headers
        .get('a2a-extensions')
        ?.split(',')
        .map((s) => s.trim())
        .sort(),
    ).toEqual([OPTIONAL, REQUIRED].sort());
    expect(seen.at(-1)?.sort()).toEqual([OPTIONAL, REQUIRED].sort());
  });
});
