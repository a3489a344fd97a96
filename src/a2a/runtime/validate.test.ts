import { describe, expect, it } from 'vitest';
import { A2AError } from '../errors.js';
import {
  isObject,
  optNonNegativeInt,
  parseListTasksRequest,
  parseMessage,
  parsePushConfig,
  parseSendMessageRequest,
  parseTaskId,
} from './validate.js';

/** The InvalidParams error `fn` throws (fails the test if it throws anything else, or nothing). */
function invalid(fn: () => unknown): A2AError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(A2AError);
    expect((err as A2AError).kind).toBe('InvalidParams');
    expect((err as A2AError).code).toBe(-32602);
    return err as A2AError;
  }
  throw new Error('expected an InvalidParams error, but nothing was thrown');
}

const msg = (extra: Record<string, unknown> = {}) => ({
  messageId: 'm1',
  role: 'ROLE_USER',
  parts: [{ text: 'hi' }],
  ...extra,
});

describe('isObject', () => {
  it('is true for plain objects only', () => {
    expect(isObject({})).toBe(true);
    expect(isObject([])).toBe(false);
    expect(isObject(null)).toBe(false);
    expect(isObject('x')).toBe(false);
  });
});

describe('optNonNegativeInt', () => {
  it('accepts non-negative integers and numeric strings; absent is undefined', () => {
    expect(optNonNegativeInt(0, 'n')).toBe(0);
    expect(optNonNegativeInt(7, 'n')).toBe(7);
    expect(optNonNegativeInt('12', 'n')).toBe(12);
    expect(optNonNegativeInt(undefined, 'n')).toBeUndefined();
    expect(optNonNegativeInt(null, 'n')).toBeUndefined();
    expect(optNonNegativeInt('', 'n')).toBeUndefined();
  });

  it.each([-1, 1.5, 'x', '-3', true, {}, [], Number.NaN, Number.POSITIVE_INFINITY])('rejects %j', (value) => {
    expect(invalid(() => optNonNegativeInt(value, 'params.historyLength')).message).toContain(
      'params.historyLength',
    );
  });
});

describe('parseMessage', () => {
  it('accepts every part kind, with optional fields', () => {
    const message = msg({
      parts: [
        { text: 'a', metadata: { k: 1 } },
        { raw: 'aGk=', mediaType: 'text/plain', filename: 'hi.txt' },
        { url: 'https://example.com/a.pdf', mediaType: 'application/pdf' },
        { data: { any: ['json'] } },
        { data: 42 },
      ],
      contextId: 'c1',
      taskId: 't1',
      metadata: { x: true },
      extensions: ['urn:a'],
      referenceTaskIds: ['t0'],
      role: 'ROLE_AGENT',
    });
    expect(parseMessage(message)).toBe(message);
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'hello', 'message is required'],
    ['no messageId', { role: 'ROLE_USER', parts: [{ text: 'a' }] }, 'message.messageId'],
    ['a blank messageId', msg({ messageId: ' ' }), 'message.messageId'],
    ['a numeric messageId', msg({ messageId: 5 }), 'message.messageId'],
    ['a v0.3 role', msg({ role: 'user' }), 'message.role'],
    ['no role', { messageId: 'm', parts: [{ text: 'a' }] }, 'message.role'],
    ['no parts', { messageId: 'm', role: 'ROLE_USER' }, 'message.parts'],
    ['empty parts', msg({ parts: [] }), 'message.parts must be a non-empty array'],
    ['a part that is not an object', msg({ parts: ['hi'] }), 'message.parts[0]'],
    ['a part with two kinds', msg({ parts: [{ text: 'a' }, { text: 'b', url: 'https://x' }] }), 'parts[1]'],
    ['a part with no kind', msg({ parts: [{ mediaType: 'text/plain' }] }), 'one of text, raw, url or data'],
    ['a text part that is a number', msg({ parts: [{ text: 1 }] }), 'parts[0].text must be a string'],
    ['a url part that is an object', msg({ parts: [{ url: {} }] }), 'parts[0].url must be a string'],
    ['part metadata that is a string', msg({ parts: [{ text: 'a', metadata: 'm' }] }), 'metadata'],
    ['a numeric mediaType', msg({ parts: [{ text: 'a', mediaType: 1 }] }), 'mediaType'],
    ['a numeric contextId', msg({ contextId: 1 }), 'message.contextId'],
    ['a numeric taskId', msg({ taskId: 1 }), 'message.taskId'],
    ['metadata that is an array', msg({ metadata: [] }), 'message.metadata'],
    ['extensions that are not strings', msg({ extensions: [1] }), 'message.extensions'],
    ['referenceTaskIds that is a string', msg({ referenceTaskIds: 't1' }), 'message.referenceTaskIds'],
  ])('rejects a message with %s, naming the field', (_name, value, text) => {
    expect(invalid(() => parseMessage(value)).message).toContain(text);
  });

  it('hints at the version header for v0.3 parts', () => {
    const err = invalid(() => parseMessage(msg({ parts: [{ kind: 'file', file: { uri: 'https://x' } }] })));
    expect(err.message).toContain('A2A-Version: 0.3');
  });
});

describe('parseSendMessageRequest', () => {
  it('accepts a full request', () => {
    const request = {
      message: msg(),
      metadata: { a: 1 },
      configuration: {
        historyLength: 0,
        returnImmediately: true,
        acceptedOutputModes: ['text/plain'],
        taskPushNotificationConfig: { url: 'https://example.com/h', token: 't' },
      },
    };
    expect(parseSendMessageRequest(request)).toBe(request);
    expect(parseSendMessageRequest({ message: msg(), configuration: null })).toBeDefined();
  });

  it.each<[string, unknown, string]>([
    ['params that are not an object', [msg()], 'params must be an object'],
    ['no message', {}, 'params.message'],
    ['metadata that is a string', { message: msg(), metadata: 'x' }, 'params.metadata'],
    ['a configuration that is a string', { message: msg(), configuration: 'x' }, 'params.configuration'],
    ['historyLength -1', { message: msg(), configuration: { historyLength: -1 } }, 'historyLength'],
    ['historyLength "x"', { message: msg(), configuration: { historyLength: 'x' } }, 'historyLength'],
    ['returnImmediately 1', { message: msg(), configuration: { returnImmediately: 1 } }, 'returnImmediately'],
    [
      'acceptedOutputModes a string',
      { message: msg(), configuration: { acceptedOutputModes: 'a' } },
      'accepted',
    ],
    [
      'a push config without url',
      { message: msg(), configuration: { taskPushNotificationConfig: { token: 't' } } },
      'taskPushNotificationConfig.url',
    ],
  ])('rejects %s', (_name, value, text) => {
    expect(invalid(() => parseSendMessageRequest(value)).message).toContain(text);
  });
});

describe('parsePushConfig', () => {
  it('accepts a config with authentication', () => {
    const config = {
      url: 'https://example.com/h',
      id: 'c1',
      authentication: { scheme: 'Bearer', credentials: 'x' },
    };
    expect(parsePushConfig(config, 'params')).toBe(config);
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'https://example.com', 'params must be an object'],
    ['no url', {}, 'params.url is required'],
    ['a relative url', { url: '/hook' }, 'not an absolute URL'],
    ['a numeric token', { url: 'https://x.example', token: 1 }, 'params.token'],
    ['authentication without scheme', { url: 'https://x.example', authentication: {} }, 'authentication'],
  ])('rejects %s', (_name, value, text) => {
    expect(invalid(() => parsePushConfig(value, 'params')).message).toContain(text);
  });
});

describe('parseTaskId', () => {
  it('returns the id', () => {
    expect(parseTaskId({ id: 't1' })).toBe('t1');
    expect(parseTaskId({ taskId: 't2' }, 'taskId')).toBe('t2');
  });

  it.each([undefined, 'x', {}, { id: '' }, { id: '  ' }, { id: 3 }])('rejects %j', (value) => {
    invalid(() => parseTaskId(value));
  });
});

describe('parseListTasksRequest', () => {
  it('normalizes JSON-RPC params and REST query strings alike', () => {
    expect(parseListTasksRequest(undefined)).toEqual({});
    expect(parseListTasksRequest({})).toEqual({});
    const expected = {
      contextId: 'c1',
      status: 'TASK_STATE_WORKING',
      pageSize: 10,
      pageToken: 'tok',
      historyLength: 2,
      statusTimestampAfter: '2026-01-31T12:00:00Z',
      includeArtifacts: true,
    };
    expect(parseListTasksRequest({ ...expected })).toEqual(expected);
    expect(
      parseListTasksRequest({
        contextId: 'c1',
        status: 'TASK_STATE_WORKING',
        pageSize: '10',
        pageToken: 'tok',
        historyLength: '2',
        statusTimestampAfter: '2026-01-31T12:00:00Z',
        includeArtifacts: 'true',
      }),
    ).toEqual(expected);
  });

  it('treats an unspecified or empty status as no filter', () => {
    expect(parseListTasksRequest({ status: 'TASK_STATE_UNSPECIFIED' })).toEqual({});
    expect(parseListTasksRequest({ status: '' })).toEqual({});
  });

  it('accepts the page size bounds', () => {
    expect(parseListTasksRequest({ pageSize: 1 }).pageSize).toBe(1);
    expect(parseListTasksRequest({ pageSize: 100 }).pageSize).toBe(100);
  });

  it.each<[string, unknown, string]>([
    ['params that are an array', [], 'params must be an object'],
    ['pageSize 0', { pageSize: 0 }, 'pageSize'],
    ['pageSize 101', { pageSize: 101 }, 'between 1 and 100'],
    ['pageSize -5', { pageSize: -5 }, 'pageSize'],
    ['status BOGUS', { status: 'BOGUS' }, 'params.status must be one of'],
    ['status completed', { status: 'completed' }, 'params.status'],
    ['a numeric contextId', { contextId: 4 }, 'params.contextId'],
    ['statusTimestampAfter "yesterday"', { statusTimestampAfter: 'yesterday' }, 'ISO 8601'],
    ['historyLength -1', { historyLength: -1 }, 'historyLength'],
    ['includeArtifacts "yes"', { includeArtifacts: 'yes' }, 'includeArtifacts'],
  ])('rejects %s', (_name, value, text) => {
    expect(invalid(() => parseListTasksRequest(value)).message).toContain(text);
  });
});
