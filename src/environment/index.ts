/**
 * The Environment: an MCP server that defines an agent's world.
 *
 * @module
 */
export {
  Environment,
  type EnvironmentOptions,
  type HandoffTarget,
  type ListeningEnvironment,
} from './environment.js';
export {
  CLIENT_SIDE_META_KEY,
  type EnvironmentTool,
  type EnvironmentToolAnnotations,
  encodeToolResult,
  NEEDS_APPROVAL_META_KEY,
  type ToolContext,
  type ToolOptions,
  type ToolResult,
  tool,
} from './tool.js';
