/**
 * Response ids: each names one turn of one A2A task, so `previous_response_id` finds its
 * conversation from the id alone (even when the response is no longer kept in memory).
 *
 * `resp_<task id, 32 hex digits><turn, hex>`: turn 1 is the task's first user message, turn 2 the
 * answer to its first `input-required`, and so on.
 *
 * @module
 */

const PREFIX = 'resp_';
const ID = /^resp_([0-9a-f]{32})([0-9a-f]{1,8})$/;

/** Where a response lives underneath. */
export interface ResponseRef {
  /** The A2A task. */
  taskId: string;
  /** Which turn of the task (1-based). */
  turn: number;
}

/** The response id of a task's turn (task ids are UUIDs). */
export function responseId(taskId: string, turn: number): string {
  const hex = taskId.replaceAll('-', '').toLowerCase();
  return `${PREFIX}${hex}${turn.toString(16)}`;
}

/** The task and turn of a response id, or `undefined` when it is not one of ours. */
export function parseResponseId(id: string): ResponseRef | undefined {
  const match = ID.exec(id);
  if (!match) return undefined;
  const hex = match[1]!;
  const taskId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { taskId, turn: Number.parseInt(match[2]!, 16) };
}

/** The output item id of a client function call. */
export function functionCallItemId(callId: string): string {
  return `fc_${callId}`;
}

const APPROVAL_PREFIX = 'mcpr_';

/** The output item id of an approval request: the caller answers with it as `approval_request_id`. */
export function approvalRequestId(callId: string): string {
  return `${APPROVAL_PREFIX}${callId}`;
}

/** The call id an `approval_request_id` answers, or `undefined` when it is not one of ours. */
export function callIdOfApproval(approvalRequestId: string): string | undefined {
  return approvalRequestId.startsWith(APPROVAL_PREFIX)
    ? approvalRequestId.slice(APPROVAL_PREFIX.length)
    : undefined;
}
