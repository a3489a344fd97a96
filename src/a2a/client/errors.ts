/**
 * The client's error type.
 *
 * @module
 */
import type { A2AErrorKind } from '../errors.js';

/** A protocol error (or HTTP failure) reported by an agent. */
export class A2AClientError extends Error {
  /** The A2A error kind, when the agent named one. */
  readonly kind: A2AErrorKind | undefined;
  /** JSON-RPC error code (REST errors are mapped to their A2A code when known). */
  readonly code: number | undefined;
  /** HTTP status of the answer, when there was one. */
  readonly httpStatus: number | undefined;
  /** Extra detail the agent sent. */
  readonly data: unknown;
  /** True when retrying may help (network failure, 429, 5xx but 501). */
  readonly retryable: boolean;

  constructor(
    message: string,
    init: {
      kind?: A2AErrorKind;
      code?: number;
      httpStatus?: number;
      data?: unknown;
      retryable?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = 'A2AClientError';
    this.kind = init.kind;
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.data = init.data;
    this.retryable = init.retryable ?? false;
  }
}
