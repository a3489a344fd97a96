/**
 * Authentication over raw HTTP: API keys and bearer tokens, 401 answers on both bindings, public
 * cards that declare the schemes, the principal in the worker, and tasks scoped to their owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A2AServer, type Authenticator, apiKeyAuth, bearerAuth, type Principal } from '../src/index.js';
import { openSse, type RawResponse, rest, rpc, rpcBody, userMessage } from './helpers/http.js';

interface Scheme {
  name: string;
  auth: () => Authenticator;
  /** Headers that authenticate as alice / bob. */
  as: (who: 'alice' | 'bob') => Record<string, string>;
  wrong: Record<string, string>;
  challenge: RegExp;
  cardScheme: Record<string, unknown>;
  legacyScheme: Record<string, unknown>;
}

const TOKENS: Record<string, Principal> = {
  'token-alice': { id: 'alice', scheme: 'bearer', claims: { role: 'admin' } },
  'token-bob': { id: 'bob', scheme: 'bearer' },
};

const schemes: Scheme[] = [
  {
    name: 'apiKeyAuth',
    auth: () => apiKeyAuth({ keys: { 'key-alice': 'alice', 'key-bob': 'bob' } }),
    as: (who) => ({ 'X-API-Key': `key-${who}` }),
    wrong: { 'X-API-Key': 'key-mallory' },
    challenge: /^ApiKey header="X-API-Key"$/,
    cardScheme: { apiKey: { apiKeySecurityScheme: { location: 'header', name: 'X-API-Key' } } },
    legacyScheme: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
  },
  {
    name: 'bearerAuth',
    // An async verifier, as a real JWT check would be.
    auth: () => bearerAuth({ verify: async (token) => TOKENS[token], bearerFormat: 'opaque' }),
    as: (who) => ({ Authorization: `Bearer token-${who}` }),
    wrong: { Authorization: 'Bearer token-mallory' },
    challenge: /^Bearer/,
    cardScheme: { bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', bearerFormat: 'opaque' } } },
    legacyScheme: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'opaque' } },
  },
];

function expectUnauthenticatedRpc(r: RawResponse, challenge: RegExp): void {
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toMatch(challenge);
  expect(r.body.jsonrpc).toBe('2.0');
  expect(r.body.result).toBeUndefined();
  expect(r.body.error.code).toBe(-31401);
  expect(r.body.error.message).toMatch(/Authentication required/);
  expect(r.body.error.data[0].reason).toBe('UNAUTHENTICATED');
}

function expectUnauthenticatedRest(r: RawResponse, challenge: RegExp): void {
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toMatch(challenge);
  expect(r.body.error.code).toBe(401);
  expect(r.body.error.status).toBe('UNAUTHENTICATED');
  expect(r.body.error.details[0].reason).toBe('UNAUTHENTICATED');
}

describe.each(schemes)('$name', (scheme) => {
  let server: A2AServer;
  let url: string;
  const calls: Array<{ text: string; principal: Principal | undefined }> = [];

  beforeAll(async () => {
    server = new A2AServer({
      card: { name: `Secure ${scheme.name}`, description: 'Only for known callers.' },
      store: 'memory',
      auth: scheme.auth(),
      extendedCard: (principal) => ({
        name: `Secure ${scheme.name}`,
        description: `Extended card for ${principal.id}.`,
      }),
      worker: async (ctx) => {
        calls.push({ text: ctx.userText, principal: ctx.principal });
        if (ctx.userText === 'wait') return ctx.requestInput('more?');
        if (ctx.userText === 'refs') {
          const seen = await Promise.all(ctx.referenceTaskIds.map((id) => ctx.getTask(id)));
          return ctx.complete(seen.map((t) => (t ? t.id : 'hidden')).join(','));
        }
        await ctx.complete(`hello ${ctx.principal?.id} via ${ctx.principal?.scheme}`);
      },
    });
    ({ url } = await server.listen());
  });
  afterAll(() => server.close());

  it('missing or wrong credentials get 401 with WWW-Authenticate on JSON-RPC (error object)', async () => {
    const params = { message: userMessage('x') };
    expectUnauthenticatedRpc(await rpc(url, 'SendMessage', params), scheme.challenge);
    expectUnauthenticatedRpc(await rpc(url, 'SendMessage', params, scheme.wrong), scheme.challenge);
    expectUnauthenticatedRpc(await rpc(url, 'GetTask', { id: 'any' }), scheme.challenge);
    const v03 = await rpc(
      url,
      'message/send',
      { message: { kind: 'message', messageId: 'v', role: 'user', parts: [{ kind: 'text', text: 'x' }] } },
      { 'A2A-Version': null, ...scheme.wrong },
    );
    expect(v03.status).toBe(401);
    expect(v03.body.error.code).toBe(-31401);
    const stream = await openSse(url, {
      body: rpcBody('SendStreamingMessage', params),
      headers: scheme.wrong,
    });
    expect(stream.status).toBe(401);
    expect(stream.json.error.code).toBe(-31401);
    expect(calls).toEqual([]);
  });

  it('missing or wrong credentials get 401 on REST (google status UNAUTHENTICATED)', async () => {
    expectUnauthenticatedRest(
      await rest(url, 'POST', '/message:send', { message: userMessage('x') }),
      scheme.challenge,
    );
    expectUnauthenticatedRest(
      await rest(url, 'POST', '/message:send', { message: userMessage('x') }, scheme.wrong),
      scheme.challenge,
    );
    expectUnauthenticatedRest(await rest(url, 'GET', '/tasks'), scheme.challenge);
    expectUnauthenticatedRest(
      await rest(url, 'GET', '/tasks/some-id', undefined, scheme.wrong),
      scheme.challenge,
    );
    expectUnauthenticatedRest(await rest(url, 'GET', '/extendedAgentCard'), scheme.challenge);
    expect(calls).toEqual([]);
  });

  it('the cards stay public and declare securitySchemes and securityRequirements', async () => {
    const card = await rest(url, 'GET', '/.well-known/agent-card.json');
    expect(card.status).toBe(200);
    const body = card.body as Record<string, unknown>;
    expect(body.securitySchemes).toEqual(scheme.cardScheme);
    const name = Object.keys(scheme.cardScheme)[0]!;
    expect(body.securityRequirements).toEqual([{ schemes: { [name]: { list: [] } } }]);
    expect((body.capabilities as Record<string, unknown>).extendedAgentCard).toBe(true);

    // v0.3 shapes: the legacy path, and the card path asked without A2A-Version.
    for (const [path, headers] of [
      ['/.well-known/agent.json', {}],
      ['/.well-known/agent-card.json', { 'A2A-Version': null }],
    ] as const) {
      const legacy = await rest(url, 'GET', path, undefined, headers);
      expect(legacy.status).toBe(200);
      const old = legacy.body as Record<string, unknown>;
      expect(old.securitySchemes).toEqual(scheme.legacyScheme);
      expect(old.security).toEqual([{ [name]: [] }]);
      expect(old.supportsAuthenticatedExtendedCard).toBe(true);
    }
  });

  it('the principal reaches ctx.principal', async () => {
    const r = await rpc(url, 'SendMessage', { message: userMessage('who am i') }, scheme.as('alice'));
    expect(r.status).toBe(200);
    const task = r.body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const expectedScheme = scheme.name === 'apiKeyAuth' ? 'apiKey' : 'bearer';
    expect(task.artifacts[0].parts).toEqual([{ text: `hello alice via ${expectedScheme}` }]);
    const call = calls.find((c) => c.text === 'who am i');
    expect(call?.principal?.id).toBe('alice');
    if (scheme.name === 'bearerAuth') expect(call?.principal?.claims).toEqual({ role: 'admin' });
  });

  it('tasks of one principal are invisible to another (they look unknown)', async () => {
    const alice = scheme.as('alice');
    const bob = scheme.as('bob');
    const task = (await rpc(url, 'SendMessage', { message: userMessage('wait') }, alice)).body.result.task;
    expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');

    expect((await rpc(url, 'GetTask', { id: task.id }, alice)).body.result.id).toBe(task.id);
    const asBob = await rpc(url, 'GetTask', { id: task.id }, bob);
    expect(asBob.body.error.code).toBe(-32001);
    expect((await rest(url, 'GET', `/tasks/${task.id}`, undefined, bob)).status).toBe(404);
    expect((await rpc(url, 'CancelTask', { id: task.id }, bob)).body.error.code).toBe(-32001);
    const sub = await openSse(url, { body: rpcBody('SubscribeToTask', { id: task.id }), headers: bob });
    expect(sub.json.error.code).toBe(-32001);
    const followUp = await rpc(
      url,
      'SendMessage',
      { message: userMessage('hijack', { taskId: task.id }) },
      bob,
    );
    expect(followUp.body.error.code).toBe(-32001);
    const push = await rpc(
      url,
      'CreateTaskPushNotificationConfig',
      { taskId: task.id, url: 'https://example.com/hook' },
      bob,
    );
    expect(push.body.error.code).toBe(-32001);
    // A worker acting for bob cannot load alice's task either.
    const refs = await rpc(
      url,
      'SendMessage',
      { message: userMessage('refs', { referenceTaskIds: [task.id] }) },
      bob,
    );
    expect(refs.body.result.task.artifacts[0].parts).toEqual([{ text: 'hidden' }]);

    const aliceList = (await rpc(url, 'ListTasks', {}, alice)).body.result;
    const bobList = (await rpc(url, 'ListTasks', {}, bob)).body.result;
    const bobRestList = (await rest(url, 'GET', '/tasks', undefined, bob)).body;
    const ids = (list: { tasks: Array<{ id: string }> }) => list.tasks.map((t) => t.id);
    expect(ids(aliceList)).toContain(task.id);
    expect(ids(bobList)).not.toContain(task.id);
    expect(ids(bobRestList)).not.toContain(task.id);
    expect(bobList.totalSize).toBe(bobList.tasks.length);
    expect(ids(bobList)).toEqual([refs.body.result.task.id]);

    // Alice's task was not touched by any of that.
    const after = (await rpc(url, 'GetTask', { id: task.id }, alice)).body.result;
    expect(after.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(after.history).toHaveLength(2);
  });

  it('the same messageId from two principals creates two tasks', async () => {
    const message = userMessage('same id');
    const before = calls.length;
    const a = (await rpc(url, 'SendMessage', { message }, scheme.as('alice'))).body.result.task;
    const b = (await rpc(url, 'SendMessage', { message }, scheme.as('bob'))).body.result.task;
    expect(a.id).not.toBe(b.id);
    expect(a.artifacts[0].parts[0].text).toMatch(/^hello alice/);
    expect(b.artifacts[0].parts[0].text).toMatch(/^hello bob/);
    // Each principal's retry still finds its own task.
    const aAgain = (await rpc(url, 'SendMessage', { message }, scheme.as('alice'))).body.result.task;
    expect(aAgain.id).toBe(a.id);
    expect(calls.length - before).toBe(2);
  });

  it('the extended card is for authenticated callers only', async () => {
    const r = await rpc(url, 'GetExtendedAgentCard', {}, scheme.as('bob'));
    expect(r.body.result.description).toBe('Extended card for bob.');
    expect(r.body.result.securitySchemes).toEqual(scheme.cardScheme);
    const viaRest = await rest(url, 'GET', '/extendedAgentCard', undefined, scheme.as('alice'));
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.description).toBe('Extended card for alice.');
    expectUnauthenticatedRpc(await rpc(url, 'GetExtendedAgentCard', {}), scheme.challenge);
  });
});

describe('several authenticators', () => {
  let server: A2AServer;
  let url: string;

  beforeAll(async () => {
    server = new A2AServer({
      card: { name: 'Two Ways In', description: 'API key or bearer token.' },
      store: 'memory',
      auth: [schemes[0]!.auth(), schemes[1]!.auth()],
      worker: (ctx) => ctx.complete(`${ctx.principal?.id}/${ctx.principal?.scheme}`),
    });
    ({ url } = await server.listen());
  });
  afterAll(() => server.close());

  it('accept either, challenge with both, and declare both as alternatives', async () => {
    const byKey = await rpc(url, 'SendMessage', { message: userMessage('a') }, { 'X-API-Key': 'key-bob' });
    expect(byKey.body.result.task.artifacts[0].parts[0].text).toBe('bob/apiKey');
    const byToken = await rpc(
      url,
      'SendMessage',
      { message: userMessage('a') },
      { Authorization: 'Bearer token-bob' },
    );
    expect(byToken.body.result.task.artifacts[0].parts[0].text).toBe('bob/bearer');
    // Both schemes resolve to the same principal id: bob sees both tasks.
    const list = (await rpc(url, 'ListTasks', {}, { 'X-API-Key': 'key-bob' })).body.result;
    expect(list.totalSize).toBe(2);

    const denied = await rpc(url, 'SendMessage', { message: userMessage('a') });
    expect(denied.status).toBe(401);
    const challenge = denied.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('ApiKey header="X-API-Key"');
    expect(challenge).toContain('Bearer');
    const card = (await rest(url, 'GET', '/.well-known/agent-card.json')).body as Record<string, unknown>;
    expect(Object.keys(card.securitySchemes as object).sort()).toEqual(['apiKey', 'bearer']);
    expect(card.securityRequirements).toEqual([
      { schemes: { apiKey: { list: [] } } },
      { schemes: { bearer: { list: [] } } },
    ]);
  });
});
