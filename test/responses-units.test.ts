/**
 * The small pieces of /v1/responses: response ids that name an A2A task's turn, the bounded store
 * of responses, and the input mapping onto the Loop's message metadata.
 */
import { describe, expect, it } from 'vitest';
import { approvalRequestId, callIdOfApproval, parseResponseId, responseId } from '../src/responses/ids.js';
import { toA2AInput } from '../src/responses/input.js';
import { parseCreateParams } from '../src/responses/params.js';
import { ResponseStore } from '../src/responses/store.js';
import type { ResponseObject } from '../src/responses/types.js';

describe('response ids', () => {
  it('round-trip a task id and turn', () => {
    const taskId = '0f8e2b7c-1d2a-4c3b-9a8e-7f6d5c4b3a21';
    for (const turn of [1, 2, 15, 16, 4096]) {
      const id = responseId(taskId, turn);
      expect(id).toMatch(/^resp_[0-9a-f]+$/);
      expect(parseResponseId(id)).toEqual({ taskId, turn });
    }
    expect(responseId(taskId, 1)).not.toBe(responseId(taskId, 2));
  });

  it('reject ids that are not ours', () => {
    for (const id of [
      'resp_',
      'resp_abc',
      'msg_0f8e2b7c1d2a4c3b9a8e7f6d5c4b3a211',
      `resp_${'g'.repeat(33)}`,
    ]) {
      expect(parseResponseId(id)).toBeUndefined();
    }
  });

  it('map approval requests to call ids', () => {
    expect(callIdOfApproval(approvalRequestId('call_3'))).toBe('call_3');
    expect(callIdOfApproval('call_3')).toBeUndefined();
  });
});

describe('ResponseStore', () => {
  const response = (id: string) => ({ id }) as ResponseObject;

  it('keeps at most max responses, forgetting the least recently written', () => {
    const store = new ResponseStore(2);
    store.put({ response: response('a'), owner: undefined, taskId: 't1', contextId: 'c1', input: [] });
    store.put({ response: response('b'), owner: undefined, taskId: 't2', contextId: 'c2', input: [] });
    store.put({ response: response('a'), owner: undefined, taskId: 't1', contextId: 'c1', input: [] }); // refreshed
    store.put({ response: response('c'), owner: undefined, taskId: 't3', contextId: 'c3', input: [] });
    expect(store.size).toBe(2);
    expect(store.get('b', undefined)).toBeUndefined();
    expect(store.get('a', undefined)?.taskId).toBe('t1');
    expect(store.get('c', undefined)?.taskId).toBe('t3');
  });

  it('shows a response to its owner only', () => {
    const store = new ResponseStore();
    store.put({ response: response('a'), owner: 'alice', taskId: 't', contextId: 'c', input: [] });
    expect(store.get('a', 'alice')).toBeDefined();
    expect(store.get('a', 'bob')).toBeUndefined();
    expect(store.get('a', undefined)).toBeUndefined();
    expect(store.delete('a', 'bob')).toBe(false);
    expect(store.delete('a', 'alice')).toBe(true);
    expect(store.get('a', 'alice')).toBeUndefined();
  });
});

describe('input mapping', () => {
  it('puts instructions, tools and earlier conversation in the message metadata', () => {
    const params = parseCreateParams({
      instructions: 'Be brief.',
      tools: [
        {
          type: 'function',
          name: 'lookup',
          parameters: { type: 'object', properties: { q: { type: 'string' } } },
        },
      ],
      input: [
        { role: 'developer', content: 'Use metric units.' },
        { role: 'user', content: 'Look up Oakland' },
        { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":"Oakland"}' },
        { type: 'function_call_output', call_id: 'c1', output: { temperature: 18 } },
        { role: 'assistant', content: [{ type: 'output_text', text: 'It is 18°C.' }] },
        { role: 'user', content: 'Thanks.' },
        { role: 'user', content: [{ type: 'input_text', text: 'And tomorrow?' }] },
      ],
    });
    const { parts, metadata } = toA2AInput(params, undefined);
    expect(parts).toEqual([{ text: 'Thanks.\n\nAnd tomorrow?' }]);
    expect(metadata['timestep/instructions']).toBe('Be brief.\n\nUse metric units.');
    expect(metadata['timestep/tools']).toEqual([
      { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
    ]);
    expect(metadata['timestep/prior_items']).toEqual([
      { type: 'message', role: 'user', content: 'Look up Oakland' },
      { type: 'tool_call', callId: 'c1', name: 'lookup', arguments: { q: 'Oakland' } },
      { type: 'tool_result', callId: 'c1', name: 'lookup', output: '{"temperature":18}' },
      { type: 'message', role: 'assistant', content: 'It is 18°C.' },
    ]);
    expect(metadata['timestep/response']).toEqual({ store: true });
  });

  it('answers waiting calls with tool_results and tool_approvals', () => {
    const params = parseCreateParams({
      store: false,
      input: [
        {
          type: 'function_call_output',
          call_id: 'call_1',
          output: [{ type: 'input_text', text: 'Oakland' }],
        },
        { type: 'mcp_approval_response', approval_request_id: 'mcpr_call_2', approve: false, reason: 'no' },
        { role: 'user', content: 'Also, hurry.' },
      ],
    });
    const { parts, metadata } = toA2AInput(params, [
      { call_id: 'call_1', name: 'get_location', kind: 'client' },
      { call_id: 'call_2', name: 'delete_file', kind: 'approval' },
    ]);
    expect(parts).toEqual([
      { text: 'Also, hurry.' },
      {
        data: {
          tool_results: [{ call_id: 'call_1', name: 'get_location', output: 'Oakland' }],
          tool_approvals: [{ call_id: 'call_2', approved: false, reason: 'no' }],
        },
      },
    ]);
    expect(metadata['timestep/prior_items']).toBeUndefined();
    expect(metadata['timestep/response']).toEqual({ store: false });
  });

  it('wants an output for every waiting function call, as OpenAI does', () => {
    const params = parseCreateParams({ input: 'Never mind.' });
    expect(() => toA2AInput(params, [{ call_id: 'call_1', name: 'get_location', kind: 'client' }])).toThrow(
      /No tool output found for function call call_1 \(get_location\)/,
    );
    // An approval left unanswered is a refusal: the text goes on its own.
    expect(toA2AInput(params, [{ call_id: 'call_2', name: 'delete_file', kind: 'approval' }]).parts).toEqual([
      { text: 'Never mind.' },
    ]);
  });

  it('refuses an approval for a call that only wants output', () => {
    const params = parseCreateParams({
      input: [{ type: 'mcp_approval_response', approval_request_id: 'mcpr_call_1', approve: true }],
    });
    expect(() => toA2AInput(params, [{ call_id: 'call_1', name: 'get_location', kind: 'client' }])).toThrow(
      /No approval request 'mcpr_call_1'/,
    );
  });
});
