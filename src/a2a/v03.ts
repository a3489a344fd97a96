/**
 * A2A v0.3 wire shapes, translated to and from the v1.0 model at the edge.
 *
 * v0.3 differs in spelling, not in meaning: `kind` discriminators, kebab-case states, lowercase
 * roles, `file` parts, `final` on status updates, and push configs nested one level deeper.
 *
 * @module
 */
import { A2AError } from './errors.js';
import { isObject, optNonNegativeInt } from './runtime/validate.js';
import type {
  AgentCard,
  Artifact,
  JsonObject,
  JsonValue,
  Message,
  Part,
  SendMessageRequest,
  StreamResponse,
  Task,
  TaskPushNotificationConfig,
  TaskState,
  TaskStatus,
} from './types.js';

/** v0.3 part. */
export type V03Part =
  | { kind: 'text'; text: string; metadata?: JsonObject }
  | { kind: 'data'; data: JsonObject; metadata?: JsonObject }
  | {
      kind: 'file';
      file: { bytes?: string; uri?: string; mimeType?: string; name?: string };
      metadata?: JsonObject;
    };

/** v0.3 message. */
export interface V03Message {
  kind: 'message';
  messageId: string;
  role: 'user' | 'agent';
  parts: V03Part[];
  contextId?: string;
  taskId?: string;
  metadata?: JsonObject;
  extensions?: string[];
  referenceTaskIds?: string[];
}

const STATE_TO_V03: Record<TaskState, string> = {
  TASK_STATE_SUBMITTED: 'submitted',
  TASK_STATE_WORKING: 'working',
  TASK_STATE_INPUT_REQUIRED: 'input-required',
  TASK_STATE_AUTH_REQUIRED: 'auth-required',
  TASK_STATE_COMPLETED: 'completed',
  TASK_STATE_FAILED: 'failed',
  TASK_STATE_CANCELED: 'canceled',
  TASK_STATE_REJECTED: 'rejected',
};

/** The v0.3 spelling of a state. */
export function stateToV03(state: TaskState): string {
  return STATE_TO_V03[state];
}

/** v0.3 `final`: true only for states after which nothing more happens. */
function isV03Final(state: TaskState): boolean {
  return (
    state === 'TASK_STATE_COMPLETED' ||
    state === 'TASK_STATE_FAILED' ||
    state === 'TASK_STATE_CANCELED' ||
    state === 'TASK_STATE_REJECTED'
  );
}

function partToV03(part: Part): V03Part {
  const metadata = part.metadata;
  if ('text' in part)
    return metadata ? { kind: 'text', text: part.text, metadata } : { kind: 'text', text: part.text };
  if ('data' in part) {
    // v0.3 data parts hold objects only; other JSON values are wrapped and marked.
    if (isObject(part.data)) {
      return metadata
        ? { kind: 'data', data: part.data as JsonObject, metadata }
        : { kind: 'data', data: part.data as JsonObject };
    }
    return { kind: 'data', data: { value: part.data }, metadata: { ...metadata, data_part_compat: true } };
  }
  const file: { bytes?: string; uri?: string; mimeType?: string; name?: string } =
    'raw' in part ? { bytes: part.raw } : { uri: part.url };
  if (part.mediaType) file.mimeType = part.mediaType;
  if (part.filename) file.name = part.filename;
  return metadata ? { kind: 'file', file, metadata } : { kind: 'file', file };
}

function partFromV03(value: unknown, where: string): Part {
  if (!isObject(value))
    throw A2AError.invalidParams(`${where} must be an object such as {"kind":"text","text":"hi"}.`);
  const metadata = isObject(value.metadata) ? (value.metadata as JsonObject) : undefined;
  const withMeta = <P extends Part>(part: P): P => {
    if (metadata) {
      const { data_part_compat: _compat, ...rest } = metadata;
      if (Object.keys(rest).length > 0) part.metadata = rest;
    }
    return part;
  };
  switch (value.kind) {
    case 'text':
      if (typeof value.text !== 'string') throw A2AError.invalidParams(`${where}.text must be a string.`);
      return withMeta({ text: value.text });
    case 'data': {
      if (!isObject(value.data)) throw A2AError.invalidParams(`${where}.data must be a JSON object.`);
      const data =
        metadata?.data_part_compat === true && 'value' in value.data ? value.data.value : value.data;
      return withMeta({ data: data as JsonValue });
    }
    case 'file': {
      const file = value.file;
      if (!isObject(file)) throw A2AError.invalidParams(`${where}.file must be an object with bytes or uri.`);
      let part: Part;
      if (typeof file.bytes === 'string') part = { raw: file.bytes };
      else if (typeof file.uri === 'string') part = { url: file.uri };
      else throw A2AError.invalidParams(`${where}.file must have bytes or uri.`);
      if (typeof file.mimeType === 'string') part.mediaType = file.mimeType;
      if (typeof file.name === 'string') part.filename = file.name;
      return withMeta(part);
    }
    default:
      throw A2AError.invalidParams(`${where}.kind must be "text", "data" or "file".`);
  }
}

/** A v1.0 message in v0.3 shape. */
export function messageToV03(message: Message): V03Message {
  const out: V03Message = {
    kind: 'message',
    messageId: message.messageId,
    role: message.role === 'ROLE_AGENT' ? 'agent' : 'user',
    parts: message.parts.map(partToV03),
  };
  if (message.contextId) out.contextId = message.contextId;
  if (message.taskId) out.taskId = message.taskId;
  if (message.metadata) out.metadata = message.metadata;
  if (message.extensions?.length) out.extensions = message.extensions;
  if (message.referenceTaskIds?.length) out.referenceTaskIds = message.referenceTaskIds;
  return out;
}

/** A v0.3 message from a client, validated, as v1.0. */
export function messageFromV03(value: unknown, where = 'params.message'): Message {
  if (!isObject(value)) throw A2AError.invalidParams(`${where} is required.`);
  if (typeof value.messageId !== 'string' || value.messageId.trim() === '') {
    throw A2AError.invalidParams(`${where}.messageId is required (a non-empty string).`);
  }
  if (value.role !== 'user' && value.role !== 'agent')
    throw A2AError.invalidParams(`${where}.role must be "user" or "agent".`);
  if (!Array.isArray(value.parts) || value.parts.length === 0) {
    throw A2AError.invalidParams(`${where}.parts must be a non-empty array.`);
  }
  const message: Message = {
    messageId: value.messageId,
    role: value.role === 'agent' ? 'ROLE_AGENT' : 'ROLE_USER',
    parts: value.parts.map((p, i) => partFromV03(p, `${where}.parts[${i}]`)),
  };
  for (const key of ['contextId', 'taskId'] as const) {
    const v = value[key];
    if (v !== undefined && v !== null) {
      if (typeof v !== 'string') throw A2AError.invalidParams(`${where}.${key} must be a string.`);
      message[key] = v;
    }
  }
  if (isObject(value.metadata)) message.metadata = value.metadata as JsonObject;
  if (Array.isArray(value.referenceTaskIds)) message.referenceTaskIds = value.referenceTaskIds.map(String);
  if (Array.isArray(value.extensions)) message.extensions = value.extensions.map(String);
  return message;
}

function statusToV03(status: TaskStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { state: stateToV03(status.state) };
  if (status.message) out.message = messageToV03(status.message);
  if (status.timestamp) out.timestamp = status.timestamp;
  return out;
}

function artifactToV03(artifact: Artifact): Record<string, unknown> {
  return { ...artifact, parts: artifact.parts.map(partToV03) };
}

/** A v1.0 task in v0.3 shape. */
export function taskToV03(task: Task): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: 'task',
    id: task.id,
    contextId: task.contextId,
    status: statusToV03(task.status),
  };
  if (task.history) out.history = task.history.map(messageToV03);
  if (task.artifacts) out.artifacts = task.artifacts.map(artifactToV03);
  if (task.metadata) out.metadata = task.metadata;
  return out;
}

/** A v1.0 stream item as a v0.3 event (`kind`-tagged, status updates with `final`). */
export function streamResponseToV03(response: StreamResponse): Record<string, unknown> {
  if ('task' in response) return taskToV03(response.task);
  if ('message' in response) return messageToV03(response.message) as unknown as Record<string, unknown>;
  if ('statusUpdate' in response) {
    const u = response.statusUpdate;
    const out: Record<string, unknown> = {
      kind: 'status-update',
      taskId: u.taskId,
      contextId: u.contextId,
      status: statusToV03(u.status),
      final: isV03Final(u.status.state),
    };
    if (u.metadata) out.metadata = u.metadata;
    return out;
  }
  const a = response.artifactUpdate;
  const out: Record<string, unknown> = {
    kind: 'artifact-update',
    taskId: a.taskId,
    contextId: a.contextId,
    artifact: artifactToV03(a.artifact),
  };
  if (a.append) out.append = true;
  if (a.lastChunk) out.lastChunk = true;
  if (a.metadata) out.metadata = a.metadata;
  return out;
}

/** v0.3 push config (`{url, token, authentication: {schemes, credentials}}`) as v1.0. */
export function pushConfigFromV03(value: unknown, taskId: string, where: string): TaskPushNotificationConfig {
  if (!isObject(value) || typeof value.url !== 'string')
    throw A2AError.invalidParams(`${where}.url is required.`);
  try {
    new URL(value.url);
  } catch {
    throw A2AError.invalidParams(`${where}.url '${value.url}' is not an absolute URL.`);
  }
  const config: TaskPushNotificationConfig = { taskId, url: value.url };
  if (typeof value.id === 'string' && value.id !== '') config.id = value.id;
  if (typeof value.token === 'string') config.token = value.token;
  const auth = value.authentication;
  if (isObject(auth) && Array.isArray(auth.schemes) && typeof auth.schemes[0] === 'string') {
    config.authentication = { scheme: auth.schemes[0] };
    if (typeof auth.credentials === 'string') config.authentication.credentials = auth.credentials;
  }
  return config;
}

/** A v1.0 push config in v0.3 shape (`{taskId, pushNotificationConfig: {…}}`). */
export function pushConfigToV03(config: TaskPushNotificationConfig): Record<string, unknown> {
  const inner: Record<string, unknown> = { id: config.id, url: config.url };
  if (config.token) inner.token = config.token;
  if (config.authentication) {
    inner.authentication = {
      schemes: [config.authentication.scheme],
      ...(config.authentication.credentials ? { credentials: config.authentication.credentials } : {}),
    };
  }
  return { taskId: config.taskId, pushNotificationConfig: inner };
}

/** v0.3 `message/send` params as a v1.0 request (`blocking` flips into `returnImmediately`). */
export function sendParamsFromV03(params: unknown): SendMessageRequest {
  if (!isObject(params)) throw A2AError.invalidParams('params must be an object with a message.');
  const request: SendMessageRequest = { message: messageFromV03(params.message) };
  if (isObject(params.metadata)) request.metadata = params.metadata as JsonObject;
  const config = params.configuration;
  if (isObject(config)) {
    const out: NonNullable<SendMessageRequest['configuration']> = {};
    // v0.3 clients that say nothing wait for the answer, as v0.3 servers commonly did.
    if (config.blocking === false) out.returnImmediately = true;
    const historyLength = optNonNegativeInt(config.historyLength, 'params.configuration.historyLength');
    if (historyLength !== undefined) out.historyLength = historyLength;
    if (Array.isArray(config.acceptedOutputModes))
      out.acceptedOutputModes = config.acceptedOutputModes.map(String);
    if (isObject(config.pushNotificationConfig)) {
      out.taskPushNotificationConfig = pushConfigFromV03(
        config.pushNotificationConfig,
        '',
        'params.configuration.pushNotificationConfig',
      );
    }
    request.configuration = out;
  }
  return request;
}

function schemeToV03(scheme: NonNullable<AgentCard['securitySchemes']>[string]): Record<string, unknown> {
  if ('apiKeySecurityScheme' in scheme) {
    const s = scheme.apiKeySecurityScheme;
    return {
      type: 'apiKey',
      in: s.location,
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
    };
  }
  if ('httpAuthSecurityScheme' in scheme) {
    const s = scheme.httpAuthSecurityScheme;
    return {
      type: 'http',
      scheme: s.scheme.toLowerCase(),
      ...(s.bearerFormat ? { bearerFormat: s.bearerFormat } : {}),
      ...(s.description ? { description: s.description } : {}),
    };
  }
  if ('openIdConnectSecurityScheme' in scheme)
    return { type: 'openIdConnect', ...scheme.openIdConnectSecurityScheme };
  if ('oauth2SecurityScheme' in scheme) return { type: 'oauth2', ...scheme.oauth2SecurityScheme };
  return { type: 'mutualTLS', ...scheme.mtlsSecurityScheme };
}

/** The v0.3 agent card (`/.well-known/agent.json`) for a v1.0 card. */
export function cardToV03(card: AgentCard): Record<string, unknown> {
  const jsonrpc =
    card.supportedInterfaces.find((i) => i.protocolBinding === 'JSONRPC') ?? card.supportedInterfaces[0];
  const out: Record<string, unknown> = {
    protocolVersion: '0.3.0',
    name: card.name,
    description: card.description,
    url: jsonrpc?.url,
    preferredTransport: 'JSONRPC',
    version: card.version,
    capabilities: {
      streaming: card.capabilities.streaming ?? false,
      pushNotifications: card.capabilities.pushNotifications ?? false,
      ...(card.capabilities.extensions?.length ? { extensions: card.capabilities.extensions } : {}),
    },
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    skills: card.skills,
  };
  if (card.provider) out.provider = card.provider;
  if (card.documentationUrl) out.documentationUrl = card.documentationUrl;
  if (card.iconUrl) out.iconUrl = card.iconUrl;
  if (card.capabilities.extendedAgentCard) out.supportsAuthenticatedExtendedCard = true;
  if (card.securitySchemes) {
    out.securitySchemes = Object.fromEntries(
      Object.entries(card.securitySchemes).map(([k, v]) => [k, schemeToV03(v)]),
    );
  }
  if (card.securityRequirements) {
    out.security = card.securityRequirements.map((r) =>
      Object.fromEntries(Object.entries(r.schemes).map(([k, v]) => [k, v.list])),
    );
  }
  return out;
}
