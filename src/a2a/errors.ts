/**
 * Protocol errors. Each kind carries its JSON-RPC code, its REST HTTP status and the
 * `google.rpc.ErrorInfo` reason, so every transport reports the same error its own way.
 *
 * @module
 */

/** The kinds of error A2A defines, plus the generic JSON-RPC ones. */
export type A2AErrorKind =
  | 'ParseError'
  | 'InvalidRequest'
  | 'MethodNotFound'
  | 'InvalidParams'
  | 'InternalError'
  | 'TaskNotFound'
  | 'TaskNotCancelable'
  | 'PushNotificationNotSupported'
  | 'UnsupportedOperation'
  | 'ContentTypeNotSupported'
  | 'InvalidAgentResponse'
  | 'ExtendedAgentCardNotConfigured'
  | 'ExtensionSupportRequired'
  | 'VersionNotSupported'
  | 'Unauthenticated'
  | 'PayloadTooLarge'
  | 'MethodNotAllowed';

interface ErrorSpec {
  code: number;
  httpStatus: number;
  /** gRPC-style status name used in REST error bodies. */
  status: string;
  /** `google.rpc.ErrorInfo` reason. */
  reason: string;
}

/** How each kind of error appears on each transport. */
export const ERROR_SPECS: Readonly<Record<A2AErrorKind, ErrorSpec>> = {
  ParseError: { code: -32700, httpStatus: 400, status: 'INVALID_ARGUMENT', reason: 'PARSE_ERROR' },
  InvalidRequest: { code: -32600, httpStatus: 400, status: 'INVALID_ARGUMENT', reason: 'INVALID_REQUEST' },
  MethodNotFound: { code: -32601, httpStatus: 404, status: 'NOT_FOUND', reason: 'METHOD_NOT_FOUND' },
  InvalidParams: { code: -32602, httpStatus: 400, status: 'INVALID_ARGUMENT', reason: 'INVALID_PARAMS' },
  InternalError: { code: -32603, httpStatus: 500, status: 'INTERNAL', reason: 'INTERNAL_ERROR' },
  TaskNotFound: { code: -32001, httpStatus: 404, status: 'NOT_FOUND', reason: 'TASK_NOT_FOUND' },
  TaskNotCancelable: {
    code: -32002,
    httpStatus: 409,
    status: 'FAILED_PRECONDITION',
    reason: 'TASK_NOT_CANCELABLE',
  },
  PushNotificationNotSupported: {
    code: -32003,
    httpStatus: 400,
    status: 'FAILED_PRECONDITION',
    reason: 'PUSH_NOTIFICATION_NOT_SUPPORTED',
  },
  UnsupportedOperation: {
    code: -32004,
    httpStatus: 400,
    status: 'FAILED_PRECONDITION',
    reason: 'UNSUPPORTED_OPERATION',
  },
  ContentTypeNotSupported: {
    code: -32005,
    httpStatus: 415,
    status: 'INVALID_ARGUMENT',
    reason: 'CONTENT_TYPE_NOT_SUPPORTED',
  },
  InvalidAgentResponse: {
    code: -32006,
    httpStatus: 502,
    status: 'INTERNAL',
    reason: 'INVALID_AGENT_RESPONSE',
  },
  ExtendedAgentCardNotConfigured: {
    code: -32007,
    httpStatus: 400,
    status: 'FAILED_PRECONDITION',
    reason: 'EXTENDED_AGENT_CARD_NOT_CONFIGURED',
  },
  ExtensionSupportRequired: {
    code: -32008,
    httpStatus: 400,
    status: 'FAILED_PRECONDITION',
    reason: 'EXTENSION_SUPPORT_REQUIRED',
  },
  VersionNotSupported: {
    code: -32009,
    httpStatus: 400,
    status: 'FAILED_PRECONDITION',
    reason: 'VERSION_NOT_SUPPORTED',
  },
  // Not A2A codes: authentication failures and oversized bodies are HTTP-level, but a JSON-RPC
  // client still needs a body it can parse, so they get server-defined codes.
  Unauthenticated: { code: -31401, httpStatus: 401, status: 'UNAUTHENTICATED', reason: 'UNAUTHENTICATED' },
  PayloadTooLarge: { code: -31413, httpStatus: 413, status: 'INVALID_ARGUMENT', reason: 'PAYLOAD_TOO_LARGE' },
  // REST only: the path exists but not with this HTTP method.
  MethodNotAllowed: { code: -32601, httpStatus: 405, status: 'UNIMPLEMENTED', reason: 'METHOD_NOT_ALLOWED' },
};

/** An error the protocol knows how to report. Throw it from anywhere below a transport. */
export class A2AError extends Error {
  /** Which protocol error this is. */
  readonly kind: A2AErrorKind;
  /** Extra detail for the client (`ErrorInfo.metadata` / JSON-RPC `data`). */
  readonly details: Record<string, string> | undefined;

  constructor(kind: A2AErrorKind, message: string, details?: Record<string, string>) {
    super(message);
    this.name = `A2AError(${kind})`;
    this.kind = kind;
    this.details = details;
  }

  /** The JSON-RPC error code. */
  get code(): number {
    return ERROR_SPECS[this.kind].code;
  }

  /** The HTTP status for the REST binding. */
  get httpStatus(): number {
    return ERROR_SPECS[this.kind].httpStatus;
  }

  static taskNotFound(taskId: string): A2AError {
    return new A2AError(
      'TaskNotFound',
      `Task '${taskId}' was not found. Check the id, or list tasks to find it.`,
      {
        taskId,
      },
    );
  }

  static invalidParams(message: string): A2AError {
    return new A2AError('InvalidParams', message);
  }
}

/** Wrap anything thrown into an `A2AError`; unknown errors become `InternalError` without leaking stacks. */
export function toA2AError(err: unknown): A2AError {
  if (err instanceof A2AError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new A2AError('InternalError', `Internal error: ${message}`);
}

/** The `google.rpc.ErrorInfo` detail for an error. */
export function errorInfo(err: A2AError): Record<string, unknown> {
  const info: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: ERROR_SPECS[err.kind].reason,
    domain: 'a2a-protocol.org',
  };
  if (err.details) info.metadata = err.details;
  return info;
}

/** JSON-RPC `error` member. */
export function toJsonRpcError(err: A2AError): { code: number; message: string; data?: unknown } {
  return { code: err.code, message: err.message, data: [errorInfo(err)] };
}

/** REST error body (`google.rpc.Status`). */
export function toRestError(err: A2AError): { error: Record<string, unknown> } {
  const spec = ERROR_SPECS[err.kind];
  return {
    error: { code: spec.httpStatus, status: spec.status, message: err.message, details: [errorInfo(err)] },
  };
}
