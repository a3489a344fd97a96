/**
 * The commands that talk to an agent: `card`, `send`, `tasks`, `task`, `cancel`.
 *
 * Every command takes `--json` (machine-readable output on stdout), `--header 'K: V'`
 * (repeatable), `--transport jsonrpc|rest|jsonrpc-0.3` and `--timeout <ms>`.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import {
  A2AClient,
  type A2AClientOptions,
  type TransportPreference,
  taskText,
} from '../a2a/client/client.js';
import { A2AClientError } from '../a2a/client/errors.js';
import {
  type AgentCard,
  isTerminal,
  type Message,
  TASK_STATES,
  type Task,
  type TaskState,
} from '../a2a/types.js';
import { messageText, stateLabel, style, taskSummary, withSpinner } from './output.js';

/** Flags shared by every remote command. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean', default: false },
  header: { type: 'string', multiple: true },
  transport: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** A usage error: exit code 2 with this message. */
export class UsageError extends Error {}

type CommonValues = { json?: boolean; header?: string[]; transport?: string; timeout?: string };

/** Client options from the common flags. */
export function clientOptions(values: CommonValues): A2AClientOptions {
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must look like 'Name: value', not '${header}'.`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  const options: A2AClientOptions = { headers };
  if (values.transport) {
    if (!['auto', 'jsonrpc', 'rest', 'jsonrpc-0.3'].includes(values.transport)) {
      throw new UsageError(
        `--transport must be auto, jsonrpc, rest or jsonrpc-0.3, not '${values.transport}'.`,
      );
    }
    options.transport = values.transport as TransportPreference;
  }
  if (values.timeout) {
    const ms = Number(values.timeout);
    if (!Number.isFinite(ms) || ms <= 0)
      throw new UsageError(`--timeout must be a number of milliseconds, not '${values.timeout}'.`);
    options.timeoutMs = ms;
  }
  return options;
}

/** Connect to the agent at `url`, with a spinner. */
export function connect(url: string | undefined, values: CommonValues): Promise<A2AClient> {
  if (!url) throw new UsageError('an agent URL is needed, e.g. http://127.0.0.1:8000');
  if (!/^https?:\/\//.test(url)) throw new UsageError(`'${url}' is not an http(s) URL.`);
  return withSpinner(`connecting to ${url}`, A2AClient.connect(url, clientOptions(values)));
}

function print(value: string): void {
  process.stdout.write(`${value}\n`);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A person-readable card. */
export function formatCard(card: AgentCard): string {
  const lines = [`${style.bold(card.name)} ${style.dim(`v${card.version}`)}`, card.description, ''];
  lines.push(style.bold('Interfaces'));
  for (const i of card.supportedInterfaces)
    lines.push(`  ${i.protocolBinding.padEnd(10)} A2A ${i.protocolVersion.padEnd(4)} ${i.url}`);
  const caps = card.capabilities;
  lines.push(
    '',
    `${style.bold('Capabilities')}  streaming: ${caps.streaming ? 'yes' : 'no'} · push: ${caps.pushNotifications ? 'yes' : 'no'} · extended card: ${caps.extendedAgentCard ? 'yes' : 'no'}`,
  );
  for (const ext of caps.extensions ?? [])
    lines.push(`  extension ${ext.uri}${ext.required ? ' (required)' : ''}`);
  if (card.securitySchemes) {
    lines.push('', style.bold('Security'));
    for (const [name, scheme] of Object.entries(card.securitySchemes))
      lines.push(`  ${name}: ${JSON.stringify(scheme)}`);
  }
  lines.push('', style.bold(`Skills (${card.skills.length})`));
  for (const skill of card.skills) {
    lines.push(`  ${style.cyan(skill.name)} — ${skill.description}`);
    for (const example of skill.examples ?? []) lines.push(style.dim(`    e.g. "${example}"`));
  }
  lines.push(
    '',
    `Input: ${card.defaultInputModes.join(', ')} · Output: ${card.defaultOutputModes.join(', ')}`,
  );
  return lines.join('\n');
}

/** `timestep card <url>` */
export async function cardCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON_OPTIONS });
  const url = positionals[0];
  if (!url) throw new UsageError('card needs an agent URL, e.g. `timestep card http://127.0.0.1:8000`.');
  const card = await withSpinner(`fetching ${url}`, A2AClient.fetchCard(url, clientOptions(values)));
  if (values.json) printJson(card);
  else print(formatCard(card));
  return 0;
}

/** Exit code for a finished send: 0 completed, 3 waiting for input/auth, 1 otherwise. */
function exitCodeFor(state: TaskState): number {
  if (state === 'TASK_STATE_COMPLETED') return 0;
  if (state === 'TASK_STATE_INPUT_REQUIRED' || state === 'TASK_STATE_AUTH_REQUIRED') return 3;
  return 1;
}

/** `timestep send <url> <text…>` */
export async function sendCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      context: { type: 'string' },
      task: { type: 'string' },
      data: { type: 'string' },
    },
  });
  const [url, ...words] = positionals;
  const text = words.join(' ');
  if (!url || (!text && !values.data))
    throw new UsageError(
      'send needs an agent URL and a message, e.g. `timestep send http://127.0.0.1:8000 hello`.',
    );
  let data: unknown;
  if (values.data) {
    try {
      data = JSON.parse(values.data);
    } catch {
      throw new UsageError('--data must be JSON, e.g. --data \'{"tool_results": []}\'.');
    }
  }
  const client = await connect(url, values);
  const parts = [...(text ? [{ text }] : []), ...(data !== undefined ? [{ data: data as never }] : [])];
  const result = await withSpinner(
    `waiting for ${client.card.name}`,
    client.send({
      parts,
      ...(values.context ? { contextId: values.context } : {}),
      ...(values.task ? { taskId: values.task } : {}),
    }),
  );
  if (values.json) {
    printJson(result);
    return 'status' in result ? exitCodeFor(result.status.state) : 0;
  }
  if (!('status' in result)) {
    print(messageText(result as Message));
    return 0;
  }
  const answer = taskText(result) || messageText(result.status.message);
  print(taskSummary(result, answer));
  if (result.status.state === 'TASK_STATE_INPUT_REQUIRED') {
    print(style.dim(`Answer with: timestep send ${url} --task ${result.id} <text>`));
  }
  return exitCodeFor(result.status.state);
}

/** `timestep tasks <url>` */
export async function tasksCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      state: { type: 'string' },
      context: { type: 'string' },
      limit: { type: 'string' },
      page: { type: 'string' },
    },
  });
  const client = await connect(positionals[0], values);
  let status: TaskState | undefined;
  if (values.state) {
    const wanted = `TASK_STATE_${values.state.toUpperCase().replace('-', '_')}`;
    if (!TASK_STATES.includes(wanted as TaskState)) {
      throw new UsageError(
        `--state must be one of ${TASK_STATES.map((s) => s.slice(11).toLowerCase().replace('_', '-')).join(', ')}.`,
      );
    }
    status = wanted as TaskState;
  }
  const pageSize = values.limit ? Number(values.limit) : 20;
  const page = await withSpinner(
    'listing tasks',
    client.listTasks({
      pageSize,
      includeArtifacts: !values.json,
      ...(status ? { status } : {}),
      ...(values.context ? { contextId: values.context } : {}),
      ...(values.page ? { pageToken: values.page } : {}),
    }),
  );
  if (values.json) {
    printJson(page);
    return 0;
  }
  if (page.tasks.length === 0) print(style.dim('No tasks.'));
  for (const task of page.tasks) {
    const when = task.status.timestamp ? style.dim(task.status.timestamp.replace('T', ' ').slice(0, 19)) : '';
    const preview = (taskText(task) || messageText(task.status.message)).replace(/\s+/g, ' ').slice(0, 60);
    print(`${task.id}  ${stateLabel(task.status.state).padEnd(20)} ${when}  ${preview}`);
  }
  print(
    style.dim(
      `${page.tasks.length} of ${page.totalSize} task(s)${page.nextPageToken ? ` · next page: --page ${page.nextPageToken}` : ''}`,
    ),
  );
  return 0;
}

/** `timestep task <url> <id>` */
export async function taskCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, history: { type: 'string' } },
  });
  const [url, id] = positionals;
  if (!id) throw new UsageError('task needs an agent URL and a task id.');
  const client = await connect(url, values);
  const task: Task = await client.getTask(
    id,
    values.history ? { historyLength: Number(values.history) } : {},
  );
  if (values.json) printJson(task);
  else {
    print(taskSummary(task, taskText(task) || messageText(task.status.message)));
    for (const message of task.history ?? [])
      print(style.dim(`  ${message.role === 'ROLE_USER' ? 'user ' : 'agent'}: ${messageText(message)}`));
  }
  return isTerminal(task.status.state) ? exitCodeFor(task.status.state) : 0;
}

/** `timestep cancel <url> <id>` */
export async function cancelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON_OPTIONS });
  const [url, id] = positionals;
  if (!id) throw new UsageError('cancel needs an agent URL and a task id.');
  const client = await connect(url, values);
  const task = await withSpinner('canceling', client.cancel(id));
  if (values.json) printJson(task);
  else print(taskSummary(task, ''));
  return 0;
}

/** A person-readable line for a client error, with a hint when we know the fix. */
export function describeError(err: unknown): string {
  if (err instanceof A2AClientError) {
    const hints: Partial<Record<string, string>> = {
      TaskNotFound: 'check the id with `timestep tasks <url>`.',
      Unauthenticated:
        "pass credentials, e.g. --header 'X-API-Key: …' or --header 'Authorization: Bearer …'.",
      UnsupportedOperation:
        'the agent does not support this here (an A2A 0.3 agent has no task list, for one).',
    };
    const hint = err.kind ? hints[err.kind] : err.httpStatus === 401 ? hints.Unauthenticated : undefined;
    return `${err.message}${hint ? `\n  hint: ${hint}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
