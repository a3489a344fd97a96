import { describe, expect, it } from 'vitest';
import { A2AError } from './errors.js';
import type { AgentCard, Message, Part, StreamResponse, Task, TaskState } from './types.js';
import {
  cardToV03,
  messageFromV03,
  messageToV03,
  pushConfigFromV03,
  pushConfigToV03,
  sendParamsFromV03,
  stateToV03,
  streamResponseToV03,
  taskToV03,
} from './v03.js';

function invalid(fn: () => unknown): A2AError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(A2AError);
    expect((err as A2AError).code).toBe(-32602);
    return err as A2AError;
  }
  throw new Error('expected an InvalidParams error');
}

const v03Message = (extra: Record<string, unknown> = {}) => ({
  kind: 'message',
  messageId: 'm1',
  role: 'user',
  parts: [{ kind: 'text', text: 'hi' }],
  ...extra,
});

describe('states', () => {
  it.each<[TaskState, string]>([
    ['TASK_STATE_SUBMITTED', 'submitted'],
    ['TASK_STATE_WORKING', 'working'],
    ['TASK_STATE_INPUT_REQUIRED', 'input-required'],
    ['TASK_STATE_AUTH_REQUIRED', 'auth-required'],
    ['TASK_STATE_COMPLETED', 'completed'],
    ['TASK_STATE_FAILED', 'failed'],
    ['TASK_STATE_CANCELED', 'canceled'],
    ['TASK_STATE_REJECTED', 'rejected'],
  ])('%s is %s', (state, v03) => {
    expect(stateToV03(state)).toBe(v03);
  });
});

describe('messages', () => {
  it('translates every v0.3 part kind to v1.0', () => {
    const message = messageFromV03(
      v03Message({
        role: 'agent',
        contextId: 'c1',
        taskId: 't1',
        metadata: { a: 1 },
        referenceTaskIds: ['t0'],
        extensions: ['urn:x'],
        parts: [
          { kind: 'text', text: 'hello', metadata: { m: true } },
          { kind: 'data', data: { k: 'v' } },
          { kind: 'file', file: { bytes: 'aGk=', mimeType: 'text/plain', name: 'hi.txt' } },
          { kind: 'file', file: { uri: 'https://example.com/a.pdf', mimeType: 'application/pdf' } },
        ],
      }),
    );
    expect(message).toEqual({
      messageId: 'm1',
      role: 'ROLE_AGENT',
      contextId: 'c1',
      taskId: 't1',
      metadata: { a: 1 },
      referenceTaskIds: ['t0'],
      extensions: ['urn:x'],
      parts: [
        { text: 'hello', metadata: { m: true } },
        { data: { k: 'v' } },
        { raw: 'aGk=', mediaType: 'text/plain', filename: 'hi.txt' },
        { url: 'https://example.com/a.pdf', mediaType: 'application/pdf' },
      ],
    });
  });

  it('round-trips v1.0 messages through v0.3, including non-object data parts', () => {
    const parts: Part[] = [
      { text: 'a' },
      { data: { tool_calls: [{ call_id: 'c', name: 'n', arguments: {} }] } },
      { data: [1, 2, 3] },
      { data: 'just a string', metadata: { keep: 'me' } },
      { raw: 'aGk=', mediaType: 'image/png', filename: 'x.png' },
      { url: 'https://example.com/f' },
    ];
    const original: Message = { messageId: 'm', role: 'ROLE_USER', parts, contextId: 'c', taskId: 't' };
    const wire = messageToV03(original);
    expect(wire.kind).toBe('message');
    expect(wire.role).toBe('user');
    expect(wire.parts[2]).toEqual({
      kind: 'data',
      data: { value: [1, 2, 3] },
      metadata: { data_part_compat: true },
    });
    expect(wire.parts[4]).toEqual({
      kind: 'file',
      file: { bytes: 'aGk=', mimeType: 'image/png', name: 'x.png' },
    });
    expect(messageFromV03(JSON.parse(JSON.stringify(wire)))).toEqual(original);
  });

  it('leaves empty optional lists out of v0.3 messages', () => {
    const wire = messageToV03({ messageId: 'm', role: 'ROLE_AGENT', parts: [{ text: 'x' }], extensions: [] });
    expect(wire).toEqual({
      kind: 'message',
      messageId: 'm',
      role: 'agent',
      parts: [{ kind: 'text', text: 'x' }],
    });
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'hi', 'params.message is required'],
    ['no messageId', v03Message({ messageId: undefined }), 'messageId'],
    ['a v1.0 role', v03Message({ role: 'ROLE_USER' }), 'role must be "user" or "agent"'],
    ['empty parts', v03Message({ parts: [] }), 'non-empty array'],
    ['a v1.0 part', v03Message({ parts: [{ text: 'hi' }] }), 'kind must be'],
    ['a text part without text', v03Message({ parts: [{ kind: 'text' }] }), 'text must be a string'],
    ['a data part that is an array', v03Message({ parts: [{ kind: 'data', data: [1] }] }), 'data must be'],
    ['a file part without file', v03Message({ parts: [{ kind: 'file' }] }), 'file must be an object'],
    [
      'a file without bytes or uri',
      v03Message({ parts: [{ kind: 'file', file: { name: 'a' } }] }),
      'bytes or uri',
    ],
    ['a numeric taskId', v03Message({ taskId: 4 }), 'taskId must be a string'],
  ])('rejects a message with %s', (_name, value, text) => {
    expect(invalid(() => messageFromV03(value)).message).toContain(text);
  });
});

describe('tasks and stream events', () => {
  const task: Task = {
    id: 't1',
    contextId: 'c1',
    status: {
      state: 'TASK_STATE_INPUT_REQUIRED',
      timestamp: '2026-01-01T00:00:00.000Z',
      message: { messageId: 'a1', role: 'ROLE_AGENT', parts: [{ text: 'which?' }] },
    },
    history: [{ messageId: 'u1', role: 'ROLE_USER', parts: [{ text: 'go' }] }],
    artifacts: [{ artifactId: 'r', name: 'result', parts: [{ data: { n: 1 } }] }],
    metadata: { m: 1 },
  };

  it('a task has kind, kebab-case state and v0.3 parts everywhere', () => {
    expect(taskToV03(task)).toEqual({
      kind: 'task',
      id: 't1',
      contextId: 'c1',
      status: {
        state: 'input-required',
        timestamp: '2026-01-01T00:00:00.000Z',
        message: {
          kind: 'message',
          messageId: 'a1',
          role: 'agent',
          parts: [{ kind: 'text', text: 'which?' }],
        },
      },
      history: [{ kind: 'message', messageId: 'u1', role: 'user', parts: [{ kind: 'text', text: 'go' }] }],
      artifacts: [{ artifactId: 'r', name: 'result', parts: [{ kind: 'data', data: { n: 1 } }] }],
      metadata: { m: 1 },
    });
  });

  it('omits history and artifacts a task does not have', () => {
    const bare: Task = { id: 't', contextId: 'c', status: { state: 'TASK_STATE_SUBMITTED' } };
    expect(taskToV03(bare)).toEqual({
      kind: 'task',
      id: 't',
      contextId: 'c',
      status: { state: 'submitted' },
    });
  });

  it.each<[TaskState, boolean]>([
    ['TASK_STATE_WORKING', false],
    ['TASK_STATE_INPUT_REQUIRED', false],
    ['TASK_STATE_AUTH_REQUIRED', false],
    ['TASK_STATE_COMPLETED', true],
    ['TASK_STATE_FAILED', true],
    ['TASK_STATE_CANCELED', true],
    ['TASK_STATE_REJECTED', true],
  ])('a %s status update has final: %s', (state, final) => {
    const event: StreamResponse = { statusUpdate: { taskId: 't', contextId: 'c', status: { state } } };
    expect(streamResponseToV03(event)).toEqual({
      kind: 'status-update',
      taskId: 't',
      contextId: 'c',
      status: { state: stateToV03(state) },
      final,
    });
  });

  it('artifact updates keep append and lastChunk only when set', () => {
    const artifact = { artifactId: 'a', parts: [{ text: 'chunk' }] };
    expect(
      streamResponseToV03({
        artifactUpdate: { taskId: 't', contextId: 'c', artifact, append: true, lastChunk: true },
      }),
    ).toEqual({
      kind: 'artifact-update',
      taskId: 't',
      contextId: 'c',
      artifact: { artifactId: 'a', parts: [{ kind: 'text', text: 'chunk' }] },
      append: true,
      lastChunk: true,
    });
    expect(
      streamResponseToV03({ artifactUpdate: { taskId: 't', contextId: 'c', artifact } }),
    ).not.toHaveProperty('append');
  });

  it('task and message events become bare kind objects', () => {
    expect(streamResponseToV03({ task }).kind).toBe('task');
    expect(
      streamResponseToV03({ message: { messageId: 'm', role: 'ROLE_AGENT', parts: [{ text: 'x' }] } }).kind,
    ).toBe('message');
  });
});

describe('push configs', () => {
  it('round-trip between the nested v0.3 shape and the flat v1.0 one', () => {
    const v1 = pushConfigFromV03(
      {
        id: 'c1',
        url: 'https://example.com/hook',
        token: 'tok',
        authentication: { schemes: ['Bearer'], credentials: 'secret' },
      },
      't1',
      'params.pushNotificationConfig',
    );
    expect(v1).toEqual({
      taskId: 't1',
      id: 'c1',
      url: 'https://example.com/hook',
      token: 'tok',
      authentication: { scheme: 'Bearer', credentials: 'secret' },
    });
    expect(pushConfigToV03(v1)).toEqual({
      taskId: 't1',
      pushNotificationConfig: {
        id: 'c1',
        url: 'https://example.com/hook',
        token: 'tok',
        authentication: { schemes: ['Bearer'], credentials: 'secret' },
      },
    });
  });

  it.each<[string, unknown]>([
    ['no url', { token: 't' }],
    ['a relative url', { url: 'hook' }],
    ['not an object', 'https://example.com'],
  ])('rejects a config with %s', (_name, value) => {
    expect(invalid(() => pushConfigFromV03(value, 't', 'where')).message).toContain('where');
  });
});

describe('sendParamsFromV03', () => {
  it('flips blocking into returnImmediately and carries the other options', () => {
    const request = sendParamsFromV03({
      message: v03Message(),
      metadata: { a: 1 },
      configuration: {
        blocking: false,
        historyLength: 3,
        acceptedOutputModes: ['text/plain'],
        pushNotificationConfig: { url: 'https://example.com/h', token: 't' },
      },
    });
    expect(request).toEqual({
      message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] },
      metadata: { a: 1 },
      configuration: {
        returnImmediately: true,
        historyLength: 3,
        acceptedOutputModes: ['text/plain'],
        taskPushNotificationConfig: { taskId: '', url: 'https://example.com/h', token: 't' },
      },
    });
    expect(
      sendParamsFromV03({ message: v03Message(), configuration: { blocking: true } }).configuration,
    ).toEqual({});
    expect(sendParamsFromV03({ message: v03Message() }).configuration).toBeUndefined();
  });

  it.each([-1, 1.5, 'x'])('rejects historyLength %j', (historyLength) => {
    expect(
      invalid(() => sendParamsFromV03({ message: v03Message(), configuration: { historyLength } })).message,
    ).toContain('historyLength');
  });

  it('rejects params without a message', () => {
    invalid(() => sendParamsFromV03(undefined));
    invalid(() => sendParamsFromV03({}));
  });
});

describe('cardToV03', () => {
  const card: AgentCard = {
    name: 'Agent',
    description: 'Does things.',
    supportedInterfaces: [
      { url: 'http://127.0.0.1:1/', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      { url: 'http://127.0.0.1:1', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
    ],
    version: '2.0.0',
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: true },
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['application/json'],
    skills: [{ id: 's', name: 'S', description: 'skill', tags: ['t'] }],
    securitySchemes: {
      apiKey: { apiKeySecurityScheme: { location: 'header', name: 'X-API-Key' } },
      bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', bearerFormat: 'JWT' } },
    },
    securityRequirements: [
      { schemes: { apiKey: { list: [] } } },
      { schemes: { bearer: { list: ['read'] } } },
    ],
  };

  it('has the v0.3 fields, OpenAPI-style schemes and security', () => {
    expect(cardToV03(card)).toEqual({
      protocolVersion: '0.3.0',
      name: 'Agent',
      description: 'Does things.',
      url: 'http://127.0.0.1:1/',
      preferredTransport: 'JSONRPC',
      version: '2.0.0',
      capabilities: { streaming: true, pushNotifications: false },
      defaultInputModes: ['text/plain'],
      defaultOutputModes: ['application/json'],
      skills: [{ id: 's', name: 'S', description: 'skill', tags: ['t'] }],
      supportsAuthenticatedExtendedCard: true,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      security: [{ apiKey: [] }, { bearer: ['read'] }],
    });
  });

  it('leaves security out of an open agent’s card', () => {
    const { securitySchemes: _s, securityRequirements: _r, ...open } = card;
    const v03 = cardToV03({ ...open, capabilities: { streaming: false } });
    expect(v03).not.toHaveProperty('securitySchemes');
    expect(v03).not.toHaveProperty('security');
    expect(v03).not.toHaveProperty('supportsAuthenticatedExtendedCard');
    expect(v03.capabilities).toEqual({ streaming: false, pushNotifications: false });
  });
});
