/**
 * The Worker API: the small surface an agent author writes against.
 *
 * A worker is called once per turn (a new task, or a task resumed after `input-required` /
 * `auth-required`). It reports progress with `sendStatus` and `emitArtifact` and ends the turn
 * with exactly one final call: `complete`, `fail`, `reject`, `requestInput`, `requestAuth` or
 * `replyDirectly`. Cancellation arrives through `signal`.
 *
 * ```ts
 * const echo: Worker = async (ctx) => {
 *   await ctx.complete(`Echo: ${ctx.userText}`);
 * };
 * ```
 *
 * @module
 */
import type { Artifact, JsonObject, Message, Part, Task } from '../types.js';

/** Who made the request, as established by the server's authentication hook. */
export interface Principal {
  /** Stable id of the caller; tasks are scoped to it. */
  readonly id: string;
  /** How the caller authenticated, e.g. `apiKey` or `bearer`. */
  readonly scheme?: string;
  /** Anything else the authentication hook wants the worker to see (claims, roles…). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Content of a message or artifact: plain text, or parts. */
export type Content = string | Part[];

/** A status or prompt with optional metadata. */
export interface MessageInput {
  /** Text or parts of the message. */
  content: Content;
  metadata?: JsonObject;
}

/** An artifact (or a chunk of one) to emit. */
export interface ArtifactInput {
  /** Reuse an id to append chunks to the same artifact. Default: a new id per call (or `result`). */
  artifactId?: string;
  name?: string;
  description?: string;
  /** Text or parts of this artifact (chunk). */
  content: Content;
  /** Append to the artifact with the same id instead of replacing it. */
  append?: boolean;
  /** This is the last chunk of the artifact. */
  lastChunk?: boolean;
  metadata?: JsonObject;
}

/** Ways to finish a task successfully. */
export interface CompleteInput {
  /** Text or parts of a final `result` artifact (omitted: no new artifact). */
  content?: Content;
  /** A message to put on the completed status (shown by clients that read status messages). */
  message?: Content;
  artifactName?: string;
  metadata?: JsonObject;
}

/** Everything a worker gets for one turn. */
export interface TaskContext {
  /** The task's id. */
  readonly taskId: string;
  /** The conversation's id. */
  readonly contextId: string;
  /** The user message that started this turn. */
  readonly message: Message;
  /** The text parts of `message`, joined with newlines. */
  readonly userText: string;
  /** The data parts of `message`, in order. */
  readonly userData: readonly unknown[];
  /** True on the first turn of a new task; false when resuming after input/auth was required. */
  readonly isNewTask: boolean;
  /** The task as it stood when this turn started (history includes `message`). */
  readonly task: Readonly<Task>;
  /** The task's messages so far, oldest first, including `message`. */
  readonly history: readonly Message[];
  /** Artifacts produced by earlier turns of this task. */
  readonly artifacts: readonly Artifact[];
  /** Ids of tasks the message refers to (`referenceTaskIds`). */
  readonly referenceTaskIds: readonly string[];
  /** The authenticated caller, when the server authenticates. */
  readonly principal: Principal | undefined;
  /** Extension URIs the client activated for this request (and the agent supports). */
  readonly extensions: readonly string[];
  /** Request metadata (`SendMessageRequest.metadata`). */
  readonly requestMetadata: JsonObject | undefined;
  /** Aborted when the task is canceled (or the server shuts down). Pass it to model and tool calls. */
  readonly signal: AbortSignal;

  /** Load another task the caller may see (for example one in `referenceTaskIds`). */
  getTask(taskId: string): Promise<Task | undefined>;

  /** Report progress: the task is `working`, with this status message. */
  sendStatus(status: Content | MessageInput): Promise<void>;
  /** Emit an artifact, or one chunk of a streamed artifact. */
  emitArtifact(artifact: ArtifactInput): Promise<void>;
  /**
   * Merge keys into the task's `metadata` (a key set to `null` is removed). There is no A2A event for
   * it: clients see it in the task with the turn's next event (its final call at the latest).
   */
  setTaskMetadata(metadata: JsonObject): void;

  /** Final: the task is `completed`. A string becomes a `result` text artifact. */
  complete(result?: Content | CompleteInput): Promise<void>;
  /** Final: the task is `failed`; the reason goes on the status message. */
  fail(reason: string | Error): Promise<void>;
  /** Final: the agent will not do this task (`rejected`). */
  reject(reason: Content): Promise<void>;
  /** Final for this turn: the task waits for the client's answer (`input-required`). */
  requestInput(prompt: Content | MessageInput): Promise<void>;
  /** Final for this turn: the task waits for the client to authenticate (`auth-required`). */
  requestAuth(prompt: Content | MessageInput): Promise<void>;
  /**
   * Final: answer with a Message instead of a task. That holds when it is the first call of a new
   * task's worker, before the worker waits on anything (the task is not shown yet); otherwise the
   * task, already visible, is completed with this message.
   */
  replyDirectly(reply: Content | MessageInput): Promise<void>;
}

/** An agent's logic for one turn. */
export type WorkerFunction = (ctx: TaskContext) => Promise<void> | void;

/** A worker: a function, or an object with a `handle` method. */
export type Worker = WorkerFunction | WorkerObject;

/** A worker as an object: `handle` runs a turn; `canceled` hears of tasks canceled between turns. */
export interface WorkerObject {
  handle(ctx: TaskContext): Promise<void> | void;
  /**
   * Called after a task that no turn was running (waiting for input or auth) was canceled, so the
   * worker can release what the task still holds (for example a handed-off agent's task). Errors are
   * ignored: the task is canceled either way.
   */
  canceled?(task: Task): Promise<void> | void;
}

/** Thrown by a worker's calls after its turn ended (a second final call, or calls after cancellation). */
export class TurnEndedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TurnEndedError';
  }
}

/** Turn `Content` into parts. */
export function toParts(content: Content): Part[] {
  return typeof content === 'string' ? [{ text: content }] : content;
}

/** The text parts of a message, joined with newlines. */
export function textOf(parts: readonly Part[]): string {
  let text = '';
  for (const part of parts) {
    if ('text' in part) text = text.length === 0 ? part.text : `${text}\n${part.text}`;
  }
  return text;
}
