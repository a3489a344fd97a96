/**
 * The Loop: the agent runtime (model, tools and handoffs over MCP, reported as A2A task events).
 *
 * @module
 */
export { Loop, type LoopOptions } from './loop.js';
export type {
  ClientCallKind,
  ClientToolApproval,
  ClientToolCall,
  ClientToolResult,
  LoopTool,
  ToolExecution,
} from './tool-policy.js';
