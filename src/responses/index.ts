/**
 * The OpenAI Responses API (`/v1/responses`, `/v1/models`) in front of an agent's task runtime.
 *
 * @module
 */
export { ResponsesError } from './errors.js';
export { ResponsesHandler, type ResponsesHandlerOptions } from './handler.js';
export type {
  OpenAIErrorBody,
  ResponseCreateRequest,
  ResponseInputItem,
  ResponseObject,
  ResponseOutputItem,
  ResponseStreamEvent,
} from './types.js';
