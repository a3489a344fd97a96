/**
 * The OpenAI Responses API (`/v1/responses`, `/v1/models`) in front of an agent's task runtime.
 *
 * @module
 */
export { ResponsesHandler, type ResponsesHandlerOptions } from './handler.js';
