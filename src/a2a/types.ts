/**
 * A2A v1.0 data model, in its proto-JSON wire form.
 *
 * Timestep keeps tasks in memory and in stores in exactly this shape, so the hot path
 * serializes with `JSON.stringify` and never converts. v0.3 shapes are translated at the
 * edge (see `./v03.ts`).
 *
 * @module
 */

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object (used for every `metadata` field). */
export type JsonObject = { [key: string]: JsonValue };

/** Lifecycle state of a task (`TASK_STATE_*` on the wire). */
export type TaskState =
  | 'TASK_STATE_SUBMITTED'
  | 'TASK_STATE_WORKING'
  | 'TASK_STATE_INPUT_REQUIRED'
  | 'TASK_STATE_AUTH_REQUIRED'
  | 'TASK_STATE_COMPLETED'
  | 'TASK_STATE_FAILED'
  | 'TASK_STATE_CANCELED'
  | 'TASK_STATE_REJECTED';

/** Who sent a message. */
export type Role = 'ROLE_USER' | 'ROLE_AGENT';

interface PartCommon {
  /** Optional metadata of this part. */
  metadata?: JsonObject;
  /** File name, for file-like parts. */
  filename?: string;
  /** Media (MIME) type of the content, e.g. `text/plain`, `application/json`. */
  mediaType?: string;
}
/** A text part: `{"text": "hi"}`. */
export interface TextPart extends PartCommon {
  text: string;
}
/** Inline bytes, base64 encoded: `{"raw": "aGk=", "mediaType": "image/png"}`. */
export interface RawPart extends PartCommon {
  raw: string;
}
/** A reference to content by URL: `{"url": "https://…", "mediaType": "application/pdf"}`. */
export interface UrlPart extends PartCommon {
  url: string;
}
/** Structured data, any JSON value: `{"data": {"tool_calls": […]}}`. */
export interface DataPart extends PartCommon {
  data: JsonValue;
}
/** One piece of content in a message or artifact. Exactly one of `text`, `raw`, `url`, `data` is set. */
export type Part = TextPart | RawPart | UrlPart | DataPart;

/** One turn of communication between a client and an agent. */
export interface Message {
  /** Unique id chosen by the sender; a retried send with the same id is not processed twice. */
  messageId: string;
  /** The conversation this message belongs to. */
  contextId?: string;
  /** The task this message belongs to (continues that task). */
  taskId?: string;
  role: Role;
  parts: Part[];
  metadata?: JsonObject;
  /** URIs of extensions present in this message. */
  extensions?: string[];
  /** Ids of other tasks this message refers to. */
  referenceTaskIds?: string[];
}

/** The status of a task: its state, an optional message and when it was recorded. */
export interface TaskStatus {
  state: TaskState;
  message?: Message;
  /** ISO 8601 time of this status. */
  timestamp?: string;
}

/** An output of a task. */
export interface Artifact {
  /** Unique within its task. */
  artifactId: string;
  name?: string;
  description?: string;
  parts: Part[];
  metadata?: JsonObject;
  extensions?: string[];
}

/** The unit of work in A2A. */
export interface Task {
  id: string;
  contextId: string;
  status: TaskStatus;
  artifacts?: Artifact[];
  history?: Message[];
  metadata?: JsonObject;
}

/** A change of a task's status. */
export interface TaskStatusUpdateEvent {
  taskId: string;
  contextId: string;
  status: TaskStatus;
  metadata?: JsonObject;
}

/** A new artifact, or a chunk of one (`append`: add to the artifact with the same id). */
export interface TaskArtifactUpdateEvent {
  taskId: string;
  contextId: string;
  artifact: Artifact;
  append?: boolean;
  lastChunk?: boolean;
  metadata?: JsonObject;
}

/** One item of a stream (and the body of a push notification): exactly one member is set. */
export type StreamResponse =
  | { task: Task }
  | { message: Message }
  | { statusUpdate: TaskStatusUpdateEvent }
  | { artifactUpdate: TaskArtifactUpdateEvent };

/** The answer to `SendMessage`: a task, or a direct message. */
export type SendMessageResponse = { task: Task } | { message: Message };

/** Credentials a push notification is sent with. */
export interface AuthenticationInfo {
  /** HTTP auth scheme, e.g. `Bearer`. */
  scheme: string;
  credentials?: string;
}

/** Where and how to push a task's updates. */
export interface TaskPushNotificationConfig {
  /** Config id, unique within its task (the server assigns one when absent). */
  id?: string;
  taskId?: string;
  tenant?: string;
  /** Webhook URL the server POSTs updates to. */
  url: string;
  /** Sent back in the `X-A2A-Notification-Token` header so the receiver can check it. */
  token?: string;
  authentication?: AuthenticationInfo;
}

/** Options of a send. */
export interface SendMessageConfiguration {
  acceptedOutputModes?: string[];
  taskPushNotificationConfig?: TaskPushNotificationConfig;
  /** Most recent history messages to return (0: none; unset: all). */
  historyLength?: number;
  /** Return as soon as the task exists instead of waiting for it to finish or need input. */
  returnImmediately?: boolean;
}

/** Parameters of `SendMessage` / `SendStreamingMessage`. */
export interface SendMessageRequest {
  tenant?: string;
  message: Message;
  configuration?: SendMessageConfiguration;
  metadata?: JsonObject;
}

/** Parameters of `ListTasks`. */
export interface ListTasksRequest {
  tenant?: string;
  contextId?: string;
  status?: TaskState;
  /** 1..100, default 50. */
  pageSize?: number;
  pageToken?: string;
  historyLength?: number;
  /** ISO 8601: only tasks whose status changed at or after this time. */
  statusTimestampAfter?: string;
  includeArtifacts?: boolean;
}

/** The answer to `ListTasks`. */
export interface ListTasksResponse {
  tasks: Task[];
  /** Empty when this is the last page. */
  nextPageToken: string;
  pageSize: number;
  totalSize: number;
}

/** One way to reach the agent. */
export interface AgentInterface {
  url: string;
  /** `JSONRPC`, `HTTP+JSON` or `GRPC`. */
  protocolBinding: string;
  /** `1.0`, `0.3`. */
  protocolVersion: string;
  tenant?: string;
}

/** An A2A extension the agent supports. */
export interface AgentExtension {
  uri: string;
  description?: string;
  required?: boolean;
  params?: JsonObject;
}

/** What the agent can do beyond the basics. */
export interface AgentCapabilities {
  streaming?: boolean;
  pushNotifications?: boolean;
  extensions?: AgentExtension[];
  extendedAgentCard?: boolean;
}

/** A skill the agent offers. */
export interface AgentSkill {
  id: string;
  name: string;
  description: string;
  tags: string[];
  examples?: string[];
  inputModes?: string[];
  outputModes?: string[];
}

/** A security scheme, proto-JSON style (one member set). */
export type SecurityScheme =
  | { apiKeySecurityScheme: { description?: string; location: 'header' | 'query' | 'cookie'; name: string } }
  | { httpAuthSecurityScheme: { description?: string; scheme: string; bearerFormat?: string } }
  | { oauth2SecurityScheme: JsonObject }
  | { openIdConnectSecurityScheme: { description?: string; openIdConnectUrl: string } }
  | { mtlsSecurityScheme: { description?: string } };

/** Schemes (with scopes) that together satisfy a requirement. */
export interface SecurityRequirement {
  schemes: { [scheme: string]: { list: string[] } };
}

/** The self-description an agent publishes at `/.well-known/agent-card.json`. */
export interface AgentCard {
  name: string;
  description: string;
  supportedInterfaces: AgentInterface[];
  provider?: { organization: string; url: string };
  version: string;
  documentationUrl?: string;
  capabilities: AgentCapabilities;
  securitySchemes?: { [name: string]: SecurityScheme };
  securityRequirements?: SecurityRequirement[];
  defaultInputModes: string[];
  defaultOutputModes: string[];
  skills: AgentSkill[];
  iconUrl?: string;
}

/** States after which a task never changes again. */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
]);

/** States in which the task waits for the client. */
export const INTERRUPTED_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_STATE_INPUT_REQUIRED',
  'TASK_STATE_AUTH_REQUIRED',
]);

/** All valid task states. */
export const TASK_STATES: readonly TaskState[] = [
  'TASK_STATE_SUBMITTED',
  'TASK_STATE_WORKING',
  'TASK_STATE_INPUT_REQUIRED',
  'TASK_STATE_AUTH_REQUIRED',
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
];

/** True when the task can never change again. */
export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/** True when the task waits for the client (input or authentication). */
export function isInterrupted(state: TaskState): boolean {
  return INTERRUPTED_STATES.has(state);
}
