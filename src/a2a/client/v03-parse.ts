/**
 * Reading A2A 0.3 answers into the v1.0 model, for the client talking to 0.3 agents.
 * (Writing 0.3 shapes lives in `../v03.ts`, shared with the server.)
 *
 * @module
 */
import { isObject } from '../runtime/validate.js';
import type {
  AgentCard,
  Artifact,
  JsonObject,
  Message,
  StreamResponse,
  Task,
  TaskPushNotificationConfig,
  TaskState,
  TaskStatus,
} from '../types.js';
import { messageFromV03 } from '../v03.js';
import { A2AClientError } from './errors.js';

export { messageToV03, pushConfigToV03 } from '../v03.js';

const STATE_FROM_V03: Record<string, TaskState> = {
  submitted: 'TASK_STATE_SUBMITTED',
  working: 'TASK_STATE_WORKING',
  'input-required': 'TASK_STATE_INPUT_REQUIRED',
  'auth-required': 'TASK_STATE_AUTH_REQUIRED',
  completed: 'TASK_STATE_COMPLETED',
  failed: 'TASK_STATE_FAILED',
  canceled: 'TASK_STATE_CANCELED',
  rejected: 'TASK_STATE_REJECTED',
};

function invalid(what: string): A2AClientError {
  return new A2AClientError(`The agent sent an invalid A2A 0.3 ${what}.`, { kind: 'InvalidAgentResponse' });
}

function statusFromV03(value: unknown): TaskStatus {
  if (!isObject(value) || typeof value.state !== 'string') throw invalid('task status');
  const status: TaskStatus = { state: STATE_FROM_V03[value.state] ?? 'TASK_STATE_FAILED' };
  if (value.message !== undefined) status.message = messageFromV03(value.message, 'status.message');
  if (typeof value.timestamp === 'string') status.timestamp = value.timestamp;
  return status;
}

function artifactFromV03(value: unknown): Artifact {
  if (!isObject(value) || typeof value.artifactId !== 'string' || !Array.isArray(value.parts))
    throw invalid('artifact');
  // Reuse the message reader for the parts.
  const { parts } = messageFromV03({ messageId: 'x', role: 'agent', parts: value.parts }, 'artifact');
  const artifact: Artifact = { artifactId: value.artifactId, parts };
  if (typeof value.name === 'string') artifact.name = value.name;
  if (typeof value.description === 'string') artifact.description = value.description;
  if (isObject(value.metadata)) artifact.metadata = value.metadata as JsonObject;
  return artifact;
}

/** A v0.3 task as v1.0. */
export function taskFromV03(value: unknown): Task {
  if (!isObject(value) || typeof value.id !== 'string') throw invalid('task');
  const task: Task = {
    id: value.id,
    contextId: String(value.contextId ?? ''),
    status: statusFromV03(value.status),
  };
  if (Array.isArray(value.history)) task.history = value.history.map((m) => messageFromV03(m, 'history'));
  if (Array.isArray(value.artifacts)) task.artifacts = value.artifacts.map(artifactFromV03);
  if (isObject(value.metadata)) task.metadata = value.metadata as JsonObject;
  return task;
}

/** A v0.3 result or stream event (`kind`-tagged) as a v1.0 stream item. */
export function streamResponseFromV03(value: unknown): StreamResponse {
  if (!isObject(value)) throw invalid('event');
  switch (value.kind) {
    case 'task':
      return { task: taskFromV03(value) };
    case 'message':
      return { message: messageFromV03(value, 'message') as Message };
    case 'status-update':
      return {
        statusUpdate: {
          taskId: String(value.taskId),
          contextId: String(value.contextId),
          status: statusFromV03(value.status),
          ...(isObject(value.metadata) ? { metadata: value.metadata as JsonObject } : {}),
        },
      };
    case 'artifact-update':
      return {
        artifactUpdate: {
          taskId: String(value.taskId),
          contextId: String(value.contextId),
          artifact: artifactFromV03(value.artifact),
          ...(value.append === true ? { append: true } : {}),
          ...(value.lastChunk === true ? { lastChunk: true } : {}),
        },
      };
    default:
      throw invalid(`event of kind '${String(value.kind)}'`);
  }
}

/** A v0.3 `{taskId, pushNotificationConfig}` as a v1.0 config. */
export function pushConfigFromV03Result(value: unknown): TaskPushNotificationConfig {
  if (!isObject(value) || !isObject(value.pushNotificationConfig)) throw invalid('push notification config');
  const inner = value.pushNotificationConfig;
  const config: TaskPushNotificationConfig = { url: String(inner.url) };
  if (typeof value.taskId === 'string') config.taskId = value.taskId;
  if (typeof inner.id === 'string') config.id = inner.id;
  if (typeof inner.token === 'string') config.token = inner.token;
  if (isObject(inner.authentication) && Array.isArray(inner.authentication.schemes)) {
    config.authentication = { scheme: String(inner.authentication.schemes[0]) };
    if (typeof inner.authentication.credentials === 'string')
      config.authentication.credentials = inner.authentication.credentials;
  }
  return config;
}

/** A v0.3 agent card as a v1.0 card (its `url` becomes a JSON-RPC 0.3 interface). */
export function cardFromV03(value: unknown): AgentCard {
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.url !== 'string')
    throw invalid('agent card');
  const binding = typeof value.preferredTransport === 'string' ? value.preferredTransport : 'JSONRPC';
  const capabilities = isObject(value.capabilities) ? value.capabilities : {};
  return {
    name: value.name,
    description: String(value.description ?? ''),
    supportedInterfaces: [{ url: value.url, protocolBinding: binding, protocolVersion: '0.3' }],
    version: String(value.version ?? ''),
    capabilities: {
      streaming: capabilities.streaming === true,
      pushNotifications: capabilities.pushNotifications === true,
      extendedAgentCard: value.supportsAuthenticatedExtendedCard === true,
    },
    defaultInputModes: Array.isArray(value.defaultInputModes) ? value.defaultInputModes.map(String) : [],
    defaultOutputModes: Array.isArray(value.defaultOutputModes) ? value.defaultOutputModes.map(String) : [],
    skills: Array.isArray(value.skills) ? (value.skills as AgentCard['skills']) : [],
  };
}
