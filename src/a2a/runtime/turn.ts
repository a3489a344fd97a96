/**
 * One turn of a task: the worker's run from a user message to the end of the turn
 * (a terminal state, an interrupted state, or a direct reply).
 *
 * The turn is the task's only writer while it runs. Worker calls are applied strictly in order
 * through a promise chain, so a worker that forgets to `await` still produces ordered events,
 * and a cancellation racing the worker goes through the same chain.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { StoredTask } from '../../stores/store.js';
import {
  type Artifact,
  isInterrupted,
  isTerminal,
  type JsonObject,
  type Message,
  type StreamResponse,
  type Task,
  type TaskState,
  type TaskStatus,
} from '../types.js';
import {
  type ArtifactInput,
  type CompleteInput,
  type Content,
  type MessageInput,
  type Principal,
  type TaskContext,
  TurnEndedError,
  textOf,
  toParts,
  type Worker,
} from './worker.js';

/** What a turn needs from the runtime around it. */
export interface TurnHost {
  /** Persist a new task (version 1). */
  create(task: Task, owner: string | undefined, messageKeys: string[] | undefined): Promise<StoredTask>;
  /** Persist a change (version-checked). */
  update(task: Task, expectedVersion: number, messageKeys: string[] | undefined): Promise<StoredTask>;
  /** Fan an event out to subscribers and push targets. */
  emit(task: Task, version: number, payload: StreamResponse): void;
  /** Load a task the caller may see. */
  getTask(taskId: string, principal: Principal | undefined): Promise<Task | undefined>;
  /** The turn is over: forget it. */
  finished(turn: Turn): void;
  /** How long a worker may ignore cancellation before the task is canceled anyway. */
  readonly cancelGraceMs: number;
}

/** Everything a turn starts from. */
export interface TurnInit {
  task: Task;
  /** 0 for a task not stored yet. */
  version: number;
  owner: string | undefined;
  message: Message;
  isNewTask: boolean;
  /** Idempotency key of `message`, recorded with the turn's first write. */
  messageKey: string | undefined;
  principal: Principal | undefined;
  extensions: readonly string[];
  requestMetadata: JsonObject | undefined;
  acceptedOutputModes: readonly string[];
}

/** How a turn ended, for the caller waiting on it. */
export type TurnOutcome = { task: Task } | { message: Message };

function now(): string {
  return new Date().toISOString();
}

function messageFrom(input: Content | MessageInput, taskId: string, contextId: string): Message {
  const isInput = typeof input === 'object' && !Array.isArray(input);
  const message: Message = {
    messageId: randomUUID(),
    contextId,
    taskId,
    role: 'ROLE_AGENT',
    parts: toParts(isInput ? input.content : input),
  };
  if (isInput && input.metadata) message.metadata = input.metadata;
  return message;
}

/** A running turn. Implements the worker's `TaskContext`. */
export class Turn implements TaskContext {
  readonly taskId: string;
  readonly contextId: string;
  readonly message: Message;
  readonly isNewTask: boolean;
  readonly principal: Principal | undefined;
  readonly extensions: readonly string[];
  readonly requestMetadata: JsonObject | undefined;
  readonly acceptedOutputModes: readonly string[];
  /** The task when the turn started. */
  readonly task: Readonly<Task>;

  readonly #host: TurnHost;
  readonly #owner: string | undefined;
  readonly #controller = new AbortController();
  #current: Task;
  #version: number;
  #startVersion: number;
  #messageKey: string | undefined;
  /** Serializes writes. */
  #chain: Promise<void> = Promise.resolve();
  /** A final call was made (or the turn was canceled): further worker calls are refused. */
  #ended = false;
  #cancelRequested = false;
  #cancelTimer: NodeJS.Timeout | undefined;
  #directReply: Message | undefined;

  readonly #outcome: Promise<TurnOutcome>;
  #resolveOutcome!: (outcome: TurnOutcome) => void;
  readonly #stored: Promise<void>;
  #resolveStored!: () => void;
  #rejectStored!: (err: unknown) => void;

  constructor(host: TurnHost, init: TurnInit) {
    this.#host = host;
    this.#owner = init.owner;
    this.#current = init.task;
    this.#version = init.version;
    this.#startVersion = init.version;
    this.#messageKey = init.messageKey;
    this.task = init.task;
    this.taskId = init.task.id;
    this.contextId = init.task.contextId;
    this.message = init.message;
    this.isNewTask = init.isNewTask;
    this.principal = init.principal;
    this.extensions = init.extensions;
    this.requestMetadata = init.requestMetadata;
    this.acceptedOutputModes = init.acceptedOutputModes;
    this.#outcome = new Promise((resolve) => {
      this.#resolveOutcome = resolve;
    });
    this.#stored = new Promise((resolve, reject) => {
      this.#resolveStored = resolve;
      this.#rejectStored = reject;
    });
    // Nobody may wait on `stored`; don't let its rejection crash the process.
    this.#stored.catch(() => {});
    if (init.version > 0) this.#resolveStored();
  }

  // ---- read side -------------------------------------------------------------------------

  get userText(): string {
    return textOf(this.message.parts);
  }

  get userData(): readonly unknown[] {
    const data: unknown[] = [];
    for (const part of this.message.parts) if ('data' in part) data.push(part.data);
    return data;
  }

  get history(): readonly Message[] {
    return this.task.history ?? [];
  }

  get artifacts(): readonly Artifact[] {
    return this.task.artifacts ?? [];
  }

  get referenceTaskIds(): readonly string[] {
    return this.message.referenceTaskIds ?? [];
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The latest snapshot of the task. */
  get snapshot(): Task {
    return this.#current;
  }

  /** Resolves when the turn ends: with the task (terminal or interrupted) or a direct message. */
  get outcome(): Promise<TurnOutcome> {
    return this.#outcome;
  }

  /** The task's store version when the turn started (0: not stored yet). */
  get startVersion(): number {
    return this.#startVersion;
  }

  /** The runtime stored the task before the worker ran (return-immediately sends). */
  markStored(version: number): void {
    this.#version = version;
    this.#startVersion = version;
    this.#messageKey = undefined;
    this.#resolveStored();
  }

  /** The runtime could not store the task: the turn is over before it began. */
  markStoreFailed(err: unknown): void {
    this.#ended = true;
    this.#rejectStored(err);
    this.#settle({ task: this.#current });
  }

  /** Resolves once the task exists in the store (for return-immediately sends). */
  get stored(): Promise<void> {
    return this.#stored;
  }

  getTask(taskId: string): Promise<Task | undefined> {
    return this.#host.getTask(taskId, this.principal);
  }

  // ---- running ---------------------------------------------------------------------------

  /** Run the worker for this turn. Never rejects: every failure ends the task `failed`. */
  async run(worker: Worker): Promise<void> {
    try {
      await (typeof worker === 'function' ? worker(this) : worker.handle(this));
      if (!this.#ended && !this.#cancelRequested) {
        await this.#finish(
          'TASK_STATE_FAILED',
          'The agent ended its turn without a result (its worker must call complete, fail, reject, ' +
            'requestInput, requestAuth or replyDirectly).',
        );
      }
    } catch (err) {
      if (!this.#ended && !this.#cancelRequested) {
        const reason = err instanceof Error ? err.message : String(err);
        await this.#finish('TASK_STATE_FAILED', `The agent failed: ${reason}`).catch(() => {});
      }
    }
    if (this.#cancelRequested) await this.#writeCanceled().catch(() => {});
    await this.#chain;
    // A write that failed (store down, conflict) must not leave a caller waiting forever.
    if (!this.#settled) {
      this.#rejectStored(new TurnEndedError('The task could not be stored.'));
      this.#settle({ task: this.#current });
    }
  }

  /**
   * Cancel the turn: abort the worker's signal, and write `canceled` once the worker returns or
   * after the grace period, whichever is first. Resolves with the canceled task.
   */
  async cancel(): Promise<Task> {
    if (!this.#cancelRequested && !isTerminal(this.#current.status.state)) {
      this.#cancelRequested = true;
      this.#controller.abort(new TurnEndedError('The task was canceled.'));
      this.#cancelTimer = setTimeout(() => void this.#writeCanceled(), this.#host.cancelGraceMs);
      this.#cancelTimer.unref();
    }
    const outcome = await this.#outcome;
    return 'task' in outcome ? outcome.task : this.#current;
  }

  /** Abort without writing (server shutdown). */
  abort(reason: string): void {
    this.#controller.abort(new TurnEndedError(reason));
  }

  // ---- worker calls ----------------------------------------------------------------------

  sendStatus(status: Content | MessageInput): Promise<void> {
    this.#assertOpen('sendStatus');
    const message = messageFrom(status, this.taskId, this.contextId);
    return this.#enqueue(() => this.#writeStatus({ state: 'TASK_STATE_WORKING', message, timestamp: now() }));
  }

  emitArtifact(input: ArtifactInput): Promise<void> {
    this.#assertOpen('emitArtifact');
    const artifact: Artifact = {
      artifactId: input.artifactId ?? randomUUID(),
      parts: toParts(input.content),
    };
    if (input.name !== undefined) artifact.name = input.name;
    if (input.description !== undefined) artifact.description = input.description;
    if (input.metadata !== undefined) artifact.metadata = input.metadata;
    return this.#enqueue(() =>
      this.#writeArtifact(artifact, input.append === true, input.lastChunk === true),
    );
  }

  complete(result?: Content | CompleteInput): Promise<void> {
    this.#assertOpen('complete');
    this.#ended = true;
    const input: CompleteInput =
      result === undefined
        ? {}
        : typeof result === 'string' || Array.isArray(result)
          ? { content: result }
          : result;
    return this.#enqueue(async () => {
      if (input.content !== undefined) {
        const artifact: Artifact = {
          artifactId: randomUUID(),
          name: input.artifactName ?? 'result',
          parts: toParts(input.content),
        };
        if (input.metadata !== undefined) artifact.metadata = input.metadata;
        await this.#writeArtifact(artifact, false, true);
      }
      const status: TaskStatus = { state: 'TASK_STATE_COMPLETED', timestamp: now() };
      if (input.message !== undefined)
        status.message = messageFrom(input.message, this.taskId, this.contextId);
      await this.#writeStatus(status);
    });
  }

  fail(reason: string | Error): Promise<void> {
    this.#assertOpen('fail');
    return this.#finish('TASK_STATE_FAILED', reason instanceof Error ? reason.message : reason);
  }

  reject(reason: Content): Promise<void> {
    this.#assertOpen('reject');
    return this.#finish('TASK_STATE_REJECTED', reason);
  }

  requestInput(prompt: Content | MessageInput): Promise<void> {
    this.#assertOpen('requestInput');
    return this.#finish('TASK_STATE_INPUT_REQUIRED', prompt);
  }

  requestAuth(prompt: Content | MessageInput): Promise<void> {
    this.#assertOpen('requestAuth');
    return this.#finish('TASK_STATE_AUTH_REQUIRED', prompt);
  }

  replyDirectly(reply: Content | MessageInput): Promise<void> {
    this.#assertOpen('replyDirectly');
    const message = messageFrom(reply, this.taskId, this.contextId);
    if (this.#version === 0 && this.isNewTask) {
      // Nothing was stored or shown yet: answer with a Message and keep no task.
      this.#ended = true;
      delete message.taskId;
      this.#directReply = message;
      this.#rejectStored(new TurnEndedError('The agent replied with a message; no task was created.'));
      this.#host.emit(this.#current, 0, { message });
      this.#settle({ message });
      return Promise.resolve();
    }
    return this.#finish('TASK_STATE_COMPLETED', { content: message.parts });
  }

  // ---- internals -------------------------------------------------------------------------

  #assertOpen(call: string): void {
    if (this.#cancelRequested) throw new TurnEndedError(`${call}(): the task was canceled.`);
    if (this.#ended) {
      throw new TurnEndedError(
        `${call}(): this turn already ended; a worker makes exactly one final call per turn.`,
      );
    }
  }

  #finish(state: TaskState, content: Content | MessageInput): Promise<void> {
    this.#ended = true;
    const message = messageFrom(content, this.taskId, this.contextId);
    return this.#enqueue(() => this.#writeStatus({ state, message, timestamp: now() }));
  }

  #enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(write);
    // The chain itself never rejects, so one failed write does not block later ones.
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Persist `next` and emit `payload`; the first write of a new task creates it. */
  async #write(next: Task, payload: StreamResponse, keyOnThisWrite: boolean): Promise<void> {
    const keys = keyOnThisWrite && this.#messageKey !== undefined ? [this.#messageKey] : undefined;
    if (keys) this.#messageKey = undefined;
    let messageKeys = keys;
    if (this.#version === 0) {
      // A new task first appears as it was submitted; every change after that is its own event.
      const initial = this.#current;
      const created = await this.#host.create(initial, this.#owner, messageKeys);
      messageKeys = undefined;
      this.#version = created.version;
      this.#resolveStored();
      this.#host.emit(initial, created.version, { task: initial });
    }
    const record = await this.#host.update(next, this.#version, messageKeys);
    this.#version = record.version;
    this.#current = next;
    this.#host.emit(next, record.version, payload);
    const state = next.status.state;
    if (isTerminal(state) || isInterrupted(state)) this.#settle({ task: next });
  }

  async #writeStatus(status: TaskStatus): Promise<void> {
    if (isTerminal(this.#current.status.state)) return;
    const task = this.#current;
    const history = status.message ? [...(task.history ?? []), status.message] : task.history;
    const next: Task = { ...task, status };
    if (history) next.history = history;
    const event: StreamResponse = { statusUpdate: { taskId: task.id, contextId: task.contextId, status } };
    await this.#write(next, event, true);
  }

  async #writeArtifact(artifact: Artifact, append: boolean, lastChunk: boolean): Promise<void> {
    if (isTerminal(this.#current.status.state)) return;
    // Output means work is under way: announce it before the first artifact.
    if (this.#current.status.state === 'TASK_STATE_SUBMITTED') {
      await this.#writeStatus({ state: 'TASK_STATE_WORKING', timestamp: now() });
    }
    const task = this.#current;
    const artifacts = [...(task.artifacts ?? [])];
    const index = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
    if (index === -1) artifacts.push(artifact);
    else if (append) {
      const previous = artifacts[index]!;
      artifacts[index] = { ...previous, parts: [...previous.parts, ...artifact.parts] };
    } else artifacts[index] = artifact;
    const next: Task = { ...task, artifacts };
    const update: StreamResponse = {
      artifactUpdate: {
        taskId: task.id,
        contextId: task.contextId,
        artifact,
        ...(append ? { append: true } : {}),
        ...(lastChunk ? { lastChunk: true } : {}),
      },
    };
    await this.#write(next, update, true);
  }

  /** Write `canceled` (once), whatever the worker is doing. */
  #writeCanceled(): Promise<void> {
    if (this.#cancelTimer) clearTimeout(this.#cancelTimer);
    this.#cancelTimer = undefined;
    this.#ended = true;
    return this.#enqueue(async () => {
      const state = this.#current.status.state;
      if (isTerminal(state)) return;
      // A canceled task that was never stored has no one to tell.
      if (this.#version === 0) {
        this.#settle({ task: this.#current });
        return;
      }
      const message = messageFrom('The task was canceled.', this.taskId, this.contextId);
      await this.#writeStatus({ state: 'TASK_STATE_CANCELED', message, timestamp: now() });
    });
  }

  #settled = false;
  #settle(outcome: TurnOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolveOutcome(outcome);
    this.#host.finished(this);
  }

  /** The message this turn replied with, if it replied directly. */
  get directReply(): Message | undefined {
    return this.#directReply;
  }
}
