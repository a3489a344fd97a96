/**
 * Errors in the OpenAI shape (`{ error: { message, type, param, code } }`) with their HTTP status.
 *
 * @module
 */
import { A2AError, ERROR_SPECS } from '../a2a/errors.js';
import type { OpenAIErrorBody } from './types.js';

/** An error answered to a Responses API caller. */
export class ResponsesError extends Error {
  constructor(
    /** HTTP status. */
    readonly status: number,
    message: string,
    /** The request field at fault, e.g. `input[2].call_id`. */
    readonly param: string | null = null,
    /** Machine-readable code, e.g. `previous_response_not_found`. */
    readonly code: string | null = null,
    readonly type: OpenAIErrorBody['error']['type'] = status >= 500
      ? 'server_error'
      : status === 401
        ? 'authentication_error'
        : 'invalid_request_error',
  ) {
    super(message);
    this.name = 'ResponsesError';
  }

  /** The body to send. */
  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** A 400 about one request field. */
  static invalid(param: string | null, message: string, code = 'invalid_value'): ResponsesError {
    return new ResponsesError(400, message, param, code);
  }
}

/**
 * The Responses error for anything thrown while serving: a protocol error of the task runtime keeps
 * its HTTP status (an unknown task is a 404, a busy one a 400); anything else is a 500.
 */
export function toResponsesError(error: unknown): ResponsesError {
  if (error instanceof ResponsesError) return error;
  if (error instanceof A2AError) {
    const status = ERROR_SPECS[error.kind].httpStatus;
    return new ResponsesError(status, error.message, null, ERROR_SPECS[error.kind].reason.toLowerCase());
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ResponsesError(500, `The agent failed to answer: ${message}`, null, 'server_error');
}
