/**
 * `ResponsesHandler`: serves `/v1/responses` and `/v1/models` for one agent (work in progress).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaskRuntime } from '../a2a/runtime/runtime.js';

/** What the handler needs from its agent. */
export interface ResponsesHandlerOptions {
  /** The agent's task runtime: every response is an A2A task underneath. */
  runtime: TaskRuntime;
  /** The agent's name (the model id `GET /v1/models` lists). */
  agentName: string;
}

/** Serves the OpenAI Responses API for one agent. */
export class ResponsesHandler {
  readonly #options: ResponsesHandlerOptions;

  constructor(options: ResponsesHandlerOptions) {
    this.#options = options;
  }

  /** Handle a request whose path starts with `/v1/`. */
  handle(_req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          message: `${this.#options.agentName} does not serve this path yet.`,
          type: 'invalid_request_error',
        },
      }),
    );
  }
}
