/**
 * Tool definitions for an {@link Environment}.
 *
 * @module
 */
import type { z } from 'zod';
import type { JsonValue } from '../a2a/types.js';

/** `_meta` key telling MCP clients (the Loop) that a call needs the user's approval first. */
export const NEEDS_APPROVAL_META_KEY = 'timestep/needsApproval';
/** `_meta` key telling MCP clients (the Loop) that the tool is executed by the client, not the Environment. */
export const CLIENT_SIDE_META_KEY = 'timestep/clientSide';

/** MCP tool annotations (hints only; clients must not trust them for security decisions). */
export interface EnvironmentToolAnnotations {
  /** Human-readable title. */
  title?: string;
  /** The tool does not modify its environment. */
  readOnlyHint?: boolean;
  /** The tool may perform destructive updates. */
  destructiveHint?: boolean;
  /** Calling the tool repeatedly with the same arguments has no additional effect. */
  idempotentHint?: boolean;
  /** The tool interacts with an open world of external entities. */
  openWorldHint?: boolean;
}

/** What a tool's `execute` receives besides its arguments. */
export interface ToolContext {
  /** Aborted when the MCP client cancels the call or disconnects. */
  signal: AbortSignal;
  /** The MCP session id, when the call arrived on a session (2025-11-25 family). */
  sessionId?: string;
  /** The request's `_meta` (without the protocol's reserved envelope keys). */
  meta?: Record<string, unknown>;
}

/** What a tool may return: a string (sent as is) or any JSON value (JSON-encoded). */
export type ToolResult = string | JsonValue;

/** Options for {@link tool}. */
export interface ToolOptions<S extends z.ZodObject> {
  /** Tool name, unique within the Environment (`handoff` is reserved unless handoff is off). */
  name: string;
  /** What the tool does; the model reads this. */
  description: string;
  /** Arguments schema; the MCP `inputSchema` is derived from it and arguments are validated against it. */
  parameters: S;
  /** Runs the tool. Throwing produces an MCP tool error result (`isError: true`) carrying the message. */
  execute(args: z.infer<S>, ctx: ToolContext): ToolResult | Promise<ToolResult>;
  /** The Loop must ask for approval before running the tool (exposed as `_meta['timestep/needsApproval']`). */
  needsApproval?: boolean;
  /** The Loop must let its A2A client run the tool (exposed as `_meta['timestep/clientSide']`). */
  clientSide?: boolean;
  /** MCP tool annotations. */
  annotations?: EnvironmentToolAnnotations;
}

/** A tool as registered on an {@link Environment}: its options plus the derived MCP `_meta`. */
export interface EnvironmentTool<S extends z.ZodObject = z.ZodObject> extends ToolOptions<S> {
  /** The `_meta` advertised in `tools/list` (policy flags for the Loop). */
  readonly meta: Record<string, boolean>;
}

/**
 * Define a tool for an {@link Environment}.
 *
 * @example
 * ```ts
 * const getWeather = tool({
 *   name: 'get_weather',
 *   description: 'Current weather for a city',
 *   parameters: z.object({ city: z.string() }),
 *   execute: ({ city }) => ({ city, temperature: '18°C' }),
 * });
 * ```
 */
export function tool<S extends z.ZodObject>(options: ToolOptions<S>): EnvironmentTool<S> {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(options.name)) {
    throw new TypeError(`Invalid tool name ${JSON.stringify(options.name)}: use 1-128 of A-Z a-z 0-9 _ . -`);
  }
  const meta: Record<string, boolean> = {};
  if (options.needsApproval) meta[NEEDS_APPROVAL_META_KEY] = true;
  if (options.clientSide) meta[CLIENT_SIDE_META_KEY] = true;
  return { ...options, meta };
}

/** Encode a tool result as MCP text content: strings as is, everything else as JSON. */
export function encodeToolResult(value: ToolResult | undefined): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value ?? null);
}
