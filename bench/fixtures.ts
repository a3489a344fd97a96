/**
 * What every benchmark target is asked, and what the bare baselines answer.
 *
 * The bare `node:http` baselines answer with replies shaped (and sized) like Timestep's real
 * ones, so a ratio compares runtimes, not payload sizes.
 */

/** Request headers of every A2A call (JSON-RPC, A2A v1.0). */
export const HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  'a2a-version': '1.0',
};

/** A JSON-RPC v1.0 send (`SendMessage` or `SendStreamingMessage`) with this message id. */
export function sendBody(method: 'SendMessage' | 'SendStreamingMessage', messageId: string): string {
  return `{"jsonrpc":"2.0","id":1,"method":"${method}","params":{"message":{"messageId":"${messageId}","role":"ROLE_USER","parts":[{"text":"hello"}]}}}`;
}

/** A JSON-RPC v1.0 `GetTask`. */
export function getBody(taskId: string): string {
  return `{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"${taskId}"}}`;
}

const TASK_ID = '6f18b528-013c-45e9-aeee-b98f81cd311c';
const CONTEXT_ID = '838eeb2e-756a-43f9-84bb-e0a925c4baa8';
const TASK = `{"id":"${TASK_ID}","contextId":"${CONTEXT_ID}","status":{"state":"TASK_STATE_COMPLETED","timestamp":"2026-01-01T00:00:00.000Z"},"history":[{"messageId":"m-000000000000000000000000000","role":"ROLE_USER","parts":[{"text":"hello"}],"taskId":"${TASK_ID}","contextId":"${CONTEXT_ID}"}],"artifacts":[{"artifactId":"4a8d1bed-fc98-41e1-b537-0420430b459f","name":"result","parts":[{"text":"Echo: hello"}]}]}`;

/** The bare server's answer to `SendMessage`. */
export const BARE_SEND_REPLY = `{"jsonrpc":"2.0","id":1,"result":{"task":${TASK}}}`;

/** The bare server's answer to `GetTask`. */
export const BARE_GET_REPLY = `{"jsonrpc":"2.0","id":1,"result":${TASK}}`;

/** The bare server's SSE stream for `SendStreamingMessage`: a task snapshot, then `completed`. */
export const BARE_SSE_EVENTS = [
  `id: 1\ndata: {"jsonrpc":"2.0","id":1,"result":{"task":${TASK.replace('TASK_STATE_COMPLETED', 'TASK_STATE_WORKING')}}}\n\n`,
  `id: 2\ndata: {"jsonrpc":"2.0","id":1,"result":{"statusUpdate":{"taskId":"${TASK_ID}","contextId":"${CONTEXT_ID}","status":{"state":"TASK_STATE_COMPLETED","timestamp":"2026-01-01T00:00:00.000Z"}}}}\n\n`,
];
