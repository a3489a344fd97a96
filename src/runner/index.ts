/**
 * The client-side runner: see a task through its tool calls, approvals and questions.
 *
 * @module
 */
export {
  type AgentQuestion,
  type ApprovalDecision,
  type DeclaredTool,
  type RunEvent,
  RunTaskError,
  type RunTaskOptions,
  runTask,
  type ToolCallContext,
  type ToolHandler,
} from './runner.js';
