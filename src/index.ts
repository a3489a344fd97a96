/**
 * Timestep: multi-agent systems on A2A and MCP.
 *
 * @module
 */
export * from './a2a/index.js';
export { type AddressPolicy, PushSender, type PushSenderOptions } from './a2a/push/index.js';
export * from './environment/index.js';
export * from './models/index.js';
export * from './stores/index.js';
export { openStore, type StoreSpec } from './stores/open.js';
