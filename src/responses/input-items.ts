/**
 * `GET /v1/responses/{id}/input_items`: the input a stored response was created from, as items with
 * ids, in pages.
 *
 * @module
 */
import { ResponsesError } from './errors.js';
import type { InputItemList, ResponseInputItem, ResponseInputItemView } from './types.js';

/** The listed form of a response's input items (ids derived from the response id and position). */
export function inputItemViews(
  responseId: string,
  items: readonly ResponseInputItem[],
): ResponseInputItemView[] {
  const base = responseId.replace(/^resp_/, '');
  const views: ResponseInputItemView[] = [];
  for (const [i, item] of items.entries()) {
    const id = (prefix: string) => `${prefix}_${base}_in${i}`;
    if (item.type === 'message' || item.type === undefined) {
      const text =
        typeof item.content === 'string' ? item.content : item.content.map((p) => p.text).join('\n');
      // Echoed reasoning or approval requests were read as empty assistant messages: nothing to list.
      if (item.role === 'assistant' && text === '') continue;
      views.push({
        type: 'message',
        id: id('msg'),
        role: item.role,
        status: 'completed',
        content: [
          item.role === 'assistant'
            ? { type: 'output_text', text, annotations: [], logprobs: [] }
            : { type: 'input_text', text },
        ],
      });
    } else if (item.type === 'function_call') {
      views.push({ ...item, id: id('fc'), status: 'completed' });
    } else if (item.type === 'function_call_output') {
      views.push({ ...item, id: id('fco'), status: 'completed' });
    } else if (item.type === 'mcp_approval_response') {
      views.push({
        type: 'mcp_approval_response',
        id: id('mcpa'),
        approval_request_id: item.approval_request_id,
        approve: item.approve,
        reason: item.reason ?? null,
      });
    }
  }
  return views;
}

/** One page of `views` for the query string of an `input_items` request (`order`, `limit`, `after`). */
export function pageOfInputItems(
  views: readonly ResponseInputItemView[],
  query: URLSearchParams,
): InputItemList {
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    throw ResponsesError.invalid('order', "order must be 'asc' or 'desc'.");
  }
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw ResponsesError.invalid('limit', 'limit must be an integer from 1 to 100.');
  }
  const ordered = order === 'asc' ? [...views] : [...views].reverse();
  const after = query.get('after');
  let start = 0;
  if (after !== null) {
    const at = ordered.findIndex((v) => v.id === after);
    if (at === -1) throw ResponsesError.invalid('after', `No input item '${after}' in this response.`);
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}
