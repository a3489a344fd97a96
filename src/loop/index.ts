/**
 * The Loop: the agent runtime (model, tools and handoffs over MCP, reported as A2A task events).
 *
 * @module
 */
export {
  HANDOFF_CHAIN_KEY,
  HANDOFF_PROGRESS_KEY,
  type HandoffProgress,
  type HandoffQuestion,
  PENDING_HANDOFFS_KEY,
  type PendingHandoffRecord,
} from './handoff.js';
export {
  INSTRUCTIONS_KEY,
  Loop,
  type LoopOptions,
  PRIOR_ITEMS_KEY,
  REQUEST_TOOLS_KEY,
  USAGE_KEY,
} from './loop.js';
export type {
  ClientCallKind,
  ClientToolApproval,
  ClientToolCall,
  ClientToolResult,
  HandoffLink,
  LoopTool,
  ToolExecution,
} from './tool-policy.js';
