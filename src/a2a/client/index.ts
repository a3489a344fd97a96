/**
 * The A2A client.
 *
 * @module
 */
export type { Binding, Operation, StreamItem } from './bindings.js';
export {
  A2AClient,
  type A2AClientOptions,
  applyStreamEvent,
  type CallOptions,
  type SendInput,
  type TransportPreference,
  taskText,
} from './client.js';
export { A2AClientError } from './errors.js';
