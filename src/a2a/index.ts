/**
 * The A2A runtime: server, Worker API, data model, errors.
 *
 * @module
 */
export * from './client/index.js';
export { A2AError, type A2AErrorKind } from './errors.js';
export {
  type EventBus,
  MemoryEventBus,
  type MemoryEventBusOptions,
  type TaskEvent,
} from './runtime/event-bus.js';
export { type CallContext, type EventSink, TaskRuntime, type TaskRuntimeOptions } from './runtime/runtime.js';
export type {
  ArtifactInput,
  CompleteInput,
  Content,
  MessageInput,
  Principal,
  TaskContext,
  Worker,
  WorkerFunction,
  WorkerObject,
} from './runtime/worker.js';
export { TurnEndedError, textOf, toParts } from './runtime/worker.js';
export {
  type ApiKeyAuthOptions,
  type Authenticator,
  apiKeyAuth,
  type BearerAuthOptions,
  bearerAuth,
} from './server/auth.js';
export type { AgentCardOptions } from './server/card.js';
export type { CorsOptions } from './server/cors.js';
export { A2AServer, type A2AServerOptions, defineAgent, type ListenOptions } from './server/server.js';
export * from './types.js';
