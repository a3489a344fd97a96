/**
 * One turn of a task: the worker's run from a user message to the end of the turn
 * (a terminal state, an interrupted state, or a direct reply).
 *
 * The turn is the task's only writer while it runs. Each worker call changes the task in memory
 * at once and goes out as an event right away (numbered by the task's version), in call order.
 * Writes to the store are batched: everything that happened until the event loop turns over is
 * one write, so an echo task costs one store write, not four. A final call (`complete`, `fail`,
 * `requestInput`…) resolves only once its state is stored, and the turn's caller learns the
 * outcome only then.
 *
 * @module
 */
import { type StoredTask, VersionConflictError, type WriteOptions } from '../../stores/store.js';
import { A2AError } from '../errors.js';
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
import { extend, isoNow, newId } from './hot.js';
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
  /** Persist a new task. */
  create(task: Task, owner: string | undefined, options: WriteOptions): Promise<StoredTask>;
  /** Persist a change (version-checked). */
  update(task: Task, expectedVersion: number, options: WriteOptions): Promise<StoredTask>;
  /** The task as stored (to settle a write conflict). */
  load(taskId: string): Promise<StoredTask | undefined>;
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
  /** The task's stored version; 0 for a new task not stored yet. */
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

function messageFrom(input: Content | MessageInput, taskId: string, contextId: string): Message {
  const isInput = typeof input === 'object' && !Array.isArray(input);
  const message: Message = {
    messageId: newId(),
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
  /** Told when the turn fails to store its task (a stream following it ends with this error). */
  onFailure: ((error: A2AError) => void) | undefined;

  readonly #host: TurnHost;
  readonly #owner: string | undefined;
  /** Made on first use: most workers never look at `signal`. */
  #controller: AbortController | undefined;
  #abortReason: TurnEndedError | undefined;
  readonly #startVersion: number;
  /** The task as the turn last changed it (ahead of the store while a write is pending). */
  #current: Task;
  /** Version of the last event (the store catches up to it). */
  #version: number;
  /** Version the store holds; 0 until the task is created. */
  #storedVersion: number;
  /** Idempotency keys to record with the next write. */
  #pendingKeys: string[] | undefined;
  /** A new task has been shown (its first snapshot emitted); until then it may still reply directly. */
  #opened: boolean;
  /** Pending `setImmediate`s (open, batched write), cleared when the turn settles so they don't hold it. */
  #openTimer: NodeJS.Immediate | undefined;
  #flushTimer: NodeJS.Immediate | undefined;
  #draining: Promise<void> | undefined;
  /** A final call was made (or the turn was canceled): further worker calls are refused. */
  #ended = false;
  #cancelRequested = false;
  #cancelTimer: NodeJS.Timeout | undefined;
  #directReply: Message | undefined;
  #settled = false;
  /** The turn ended before the task was shown: it goes out as one Task event once stored. */
  #unseen = false;
  /** Events that end the turn, sent once the write that stores them succeeded. */
  #held: Array<[Task, number, StreamResponse]> | undefined;

  /** Made on first use: only blocking sends and cancels wait for the outcome. */
  #outcome: Promise<TurnOutcome> | undefined;
  #resolveOutcome: ((outcome: TurnOutcome) => void) | undefined;
  #rejectOutcome: ((err: unknown) => void) | undefined;
  /** How the turn ended, once it did. */
  #ending: { outcome: TurnOutcome } | { error: unknown } | undefined;
  /** Made on first use (return-immediately sends, push configs, retries wait on it). */
  #stored: Promise<void> | undefined;
  #resolveStored: (() => void) | undefined;
  #rejectStored: ((err: unknown) => void) | undefined;
  /** Why the task will never be stored, once that is known. */
  #neverStored: unknown;

  constructor(host: TurnHost, init: TurnInit) {
    this.#host = host;
    this.#owner = init.owner;
    this.#current = init.task;
    this.#version = init.version;
    this.#storedVersion = init.version;
    this.#startVersion = init.version;
    this.#opened = init.version > 0;
    this.#pendingKeys = init.messageKey !== undefined ? [init.messageKey] : undefined;
    this.task = init.task;
    this.taskId = init.task.id;
    this.contextId = init.task.contextId;
    this.message = init.message;
    this.isNewTask = init.isNewTask;
    this.principal = init.principal;
    this.extensions = init.extensions;
    this.requestMetadata = init.requestMetadata;
    this.acceptedOutputModes = init.acceptedOutputModes;
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
    this.#controller ??= new AbortController();
    if (this.#abortReason && !this.#controller.signal.aborted) this.#controller.abort(this.#abortReason);
    return this.#controller.signal;
  }

  /** The latest snapshot of the task (possibly ahead of the store). */
  get snapshot(): Task {
    return this.#current;
  }

  /** Version of `snapshot` (the id of its latest event). */
  get version(): number {
    return this.#version;
  }

  /** Resolves when the turn ends: with the task (terminal or interrupted) or a direct message. */
  get outcome(): Promise<TurnOutcome> {
    if (!this.#outcome) {
      const ending = this.#ending;
      if (ending) {
        this.#outcome = 'outcome' in ending ? Promise.resolve(ending.outcome) : Promise.reject(ending.error);
      } else {
        this.#outcome = new Promise((resolve, reject) => {
          this.#resolveOutcome = resolve;
          this.#rejectOutcome = reject;
        });
      }
      // Nobody may wait on it; don't let a rejection crash the process.
      this.#outcome.catch(() => {});
    }
    return this.#outcome;
  }

  /** The task's store version when the turn started (0: not stored yet). */
  get startVersion(): number {
    return this.#startVersion;
  }

  /** Resolves once the task exists in the store; rejects if it never will (direct reply, store failure). */
  get stored(): Promise<void> {
    if (!this.#stored) {
      if (this.#storedVersion > 0) this.#stored = Promise.resolve();
      else if (this.#neverStored !== undefined) this.#stored = Promise.reject(this.#neverStored);
      else {
        this.#stored = new Promise((resolve, reject) => {
          this.#resolveStored = resolve;
          this.#rejectStored = reject;
        });
      }
      this.#stored.catch(() => {});
    }
    return this.#stored;
  }

  /** Why the turn failed to store its task, if it did. */
  get failure(): unknown {
    const ending = this.#ending;
    return ending && 'error' in ending ? ending.error : undefined;
  }

  /** The message this turn replied with, if it replied directly. */
  get directReply(): Message | undefined {
    return this.#directReply;
  }

  getTask(taskId: string): Promise<Task | undefined> {
    return this.#host.getTask(taskId, this.principal);
  }

  // ---- running ---------------------------------------------------------------------------

  /**
   * Show a new task: emit its first snapshot and store it. It happens on the worker's first task
   * call, or as soon as the worker first waits on anything, so clients see a silent worker's task
   * at once, while a worker that answers straight away may still reply with a plain message.
   */
  open(): Promise<void> {
    if (this.#directReply || this.#settled) return Promise.resolve();
    if (!this.#opened) {
      this.#opened = true;
      this.#version = 1;
      this.#host.emit(this.#current, 1, { task: this.#current });
    }
    return this.#persist();
  }

  /** Run the worker for this turn. Never rejects: every failure ends the task `failed`. */
  async run(worker: Worker): Promise<void> {
    if (!this.#opened) {
      this.#openTimer = setImmediate(() => {
        this.#openTimer = undefined;
        void this.open().catch(() => {});
      });
    }
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
    // A write that failed (store down) must not leave a caller waiting forever.
    if (!this.#settled) {
      const cause = await this.#persist().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (cause === undefined && isTerminalOrInterrupted(this.#current.status.state))
        this.#settle({ task: this.#current });
      else this.#fail(cause ?? new Error('the turn ended without a final state'));
    }
  }

  /**
   * Cancel the turn: abort the worker's signal, and write `canceled` once the worker returns or
   * after the grace period, whichever is first. Resolves with the canceled task.
   */
  async cancel(): Promise<Task> {
    if (!this.#cancelRequested && !isTerminal(this.#current.status.state)) {
      this.#cancelRequested = true;
      this.#abort(new TurnEndedError('The task was canceled.'));
      this.#cancelTimer = setTimeout(
        () => void this.#writeCanceled().catch(() => {}),
        this.#host.cancelGraceMs,
      );
      this.#cancelTimer.unref();
    }
    const outcome = await this.outcome;
    return 'task' in outcome ? outcome.task : this.#current;
  }

  /** Abort without writing (server shutdown). */
  abort(reason: string): void {
    this.#abort(new TurnEndedError(reason));
  }

  // ---- worker calls ----------------------------------------------------------------------

  sendStatus(status: Content | MessageInput): Promise<void> {
    this.#assertOpen('sendStatus');
    this.#applyStatus({ state: 'TASK_STATE_WORKING', message: this.#message(status), timestamp: isoNow() });
    return Promise.resolve();
  }

  emitArtifact(input: ArtifactInput): Promise<void> {
    this.#assertOpen('emitArtifact');
    const artifact: Artifact = { artifactId: input.artifactId ?? newId(), parts: toParts(input.content) };
    if (input.name !== undefined) artifact.name = input.name;
    if (input.description !== undefined) artifact.description = input.description;
    if (input.metadata !== undefined) artifact.metadata = input.metadata;
    this.#applyArtifact(artifact, input.append === true, input.lastChunk === true);
    return Promise.resolve();
  }

  setTaskMetadata(metadata: JsonObject): void {
    this.#assertOpen('setTaskMetadata');
    const merged: JsonObject = { ...(this.#current.metadata ?? {}) };
    for (const [key, value] of Object.entries(metadata)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    // Rides with the next event's write: metadata alone is not an A2A event.
    this.#current = extend(this.#current, { metadata: merged });
  }

  complete(result?: Content | CompleteInput): Promise<void> {
    this.#assertOpen('complete');
    this.#beginFinal();
    const input: CompleteInput =
      result === undefined
        ? {}
        : typeof result === 'string' || Array.isArray(result)
          ? { content: result }
          : result;
    if (input.content !== undefined) {
      const artifact: Artifact = {
        artifactId: newId(),
        name: input.artifactName ?? 'result',
        parts: toParts(input.content),
      };
      if (input.metadata !== undefined) artifact.metadata = input.metadata;
      // A task completed by its first call goes submitted → result → completed: nothing to announce.
      this.#applyArtifact(artifact, false, true, false);
    }
    const status: TaskStatus = { state: 'TASK_STATE_COMPLETED', timestamp: isoNow() };
    if (input.message !== undefined) status.message = this.#message(input.message);
    this.#applyStatus(status);
    return this.#endTurn();
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
    if (!this.#opened && this.isNewTask) {
      // Nothing was stored or shown yet: answer with a Message and keep no task.
      this.#ended = true;
      const message = this.#message(reply);
      delete message.taskId;
      this.#directReply = message;
      this.#storeNever(new TurnEndedError('The agent replied with a message; no task was created.'));
      this.#host.emit(this.#current, 0, { message });
      this.#settle({ message });
      return Promise.resolve();
    }
    const parts = typeof reply === 'object' && !Array.isArray(reply) ? reply.content : reply;
    return this.#finish('TASK_STATE_COMPLETED', parts);
  }

  // ---- internals -------------------------------------------------------------------------

  #message(content: Content | MessageInput): Message {
    return messageFrom(content, this.taskId, this.contextId);
  }

  #assertOpen(call: string): void {
    if (this.#cancelRequested) throw new TurnEndedError(`${call}(): the task was canceled.`);
    if (this.#ended) {
      throw new TurnEndedError(
        `${call}(): this turn already ended; a worker makes exactly one final call per turn.`,
      );
    }
  }

  #finish(state: TaskState, content: Content | MessageInput): Promise<void> {
    this.#beginFinal();
    this.#applyStatus({ state, message: this.#message(content), timestamp: isoNow() });
    return this.#endTurn();
  }

  /**
   * A final call. If nobody has seen the task yet (the worker's first call ends the turn), the
   * task appears once, as it ended: one Task event instead of submitted, progress and the end.
   */
  #beginFinal(): void {
    this.#ended = true;
    if (!this.#opened) {
      this.#opened = true;
      this.#unseen = true;
    }
  }

  /** Store everything, then tell the turn's caller how it ended. */
  async #endTurn(): Promise<void> {
    try {
      await this.#persist();
    } catch (err) {
      this.#held = undefined;
      this.#fail(err);
      throw err;
    }
    const held = this.#held;
    this.#held = undefined;
    if (this.#unseen) this.#host.emit(this.#current, this.#version, { task: this.#current });
    else if (held) for (const [task, version, payload] of held) this.#host.emit(task, version, payload);
    if (isTerminalOrInterrupted(this.#current.status.state)) this.#settle({ task: this.#current });
  }

  /**
   * Change the task in memory and send the event now; the store follows with the next write.
   * The event that ends the turn waits for that write: what a client sees as the end is stored.
   */
  #apply(next: Task, payload: StreamResponse): void {
    if (!this.#opened) void this.open().catch(() => {});
    this.#version += 1;
    this.#current = next;
    // Unseen: the final call that is under way stores and shows the task once, as it ends.
    if (this.#unseen) return;
    if (this.#held || isTerminalOrInterrupted(next.status.state)) {
      this.#held ??= [];
      this.#held.push([next, this.#version, payload]);
    } else this.#host.emit(next, this.#version, payload);
    if (!this.#flushTimer) {
      // After the current burst of work: everything the worker did until it waits is one write.
      this.#flushTimer = setImmediate(() => {
        this.#flushTimer = undefined;
        void this.#persist().catch(() => {});
      });
    }
  }

  #applyStatus(status: TaskStatus): void {
    const task = this.#current;
    if (isTerminal(task.status.state)) return;
    const next: Task = extend(task, { status });
    if (status.message) next.history = [...(task.history ?? []), status.message];
    this.#apply(next, { statusUpdate: { taskId: task.id, contextId: task.contextId, status } });
  }

  #applyArtifact(artifact: Artifact, append: boolean, lastChunk: boolean, announceWorking = true): void {
    if (isTerminal(this.#current.status.state)) return;
    // Output means work is under way: announce it before the first artifact.
    if (announceWorking && this.#current.status.state === 'TASK_STATE_SUBMITTED')
      this.#applyStatus({ state: 'TASK_STATE_WORKING', timestamp: isoNow() });
    const task = this.#current;
    const artifacts = [...(task.artifacts ?? [])];
    const index = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
    if (index === -1) artifacts.push(artifact);
    else if (append) {
      const previous = artifacts[index]!;
      artifacts[index] = { ...previous, parts: [...previous.parts, ...artifact.parts] };
    } else artifacts[index] = artifact;
    const update: StreamResponse = {
      artifactUpdate: {
        taskId: task.id,
        contextId: task.contextId,
        artifact,
        ...(append ? { append: true } : {}),
        ...(lastChunk ? { lastChunk: true } : {}),
      },
    };
    this.#apply(extend(task, { artifacts }), update);
  }

  /** Resolves once the store holds the latest version (one write carries every pending change). */
  #persist(): Promise<void> {
    if (this.#storedVersion >= this.#version) return Promise.resolve();
    if (this.#draining) {
      // A write is under way; the changes after it need another.
      return this.#draining.then(() => this.#persist());
    }
    const drain = this.#write().then(
      () => {
        this.#draining = undefined;
      },
      (err: unknown) => {
        this.#draining = undefined;
        throw err;
      },
    );
    this.#draining = drain;
    return drain;
  }

  async #write(): Promise<void> {
    const task = this.#current;
    const version = this.#version;
    const options: WriteOptions = { version };
    if (this.#pendingKeys) options.messageKeys = this.#pendingKeys;
    try {
      if (this.#storedVersion === 0) await this.#host.create(task, this.#owner, options);
      else await this.#host.update(task, this.#storedVersion, options);
    } catch (err) {
      if (err instanceof VersionConflictError && (await this.#yieldToOtherWriter())) return;
      throw err;
    }
    this.#pendingKeys = undefined;
    const created = this.#storedVersion === 0;
    this.#storedVersion = version;
    if (created) this.#resolveStored?.();
  }

  /**
   * Another writer changed the task (a cancel from another process, say). If it ended the task,
   * this turn is over: stop the worker and report the task as stored. Otherwise the conflict stands.
   */
  async #yieldToOtherWriter(): Promise<boolean> {
    const stored = await this.#host.load(this.taskId);
    if (!stored || !isTerminal(stored.task.status.state)) return false;
    this.#ended = true;
    this.#abort(new TurnEndedError('The task was ended elsewhere.'));
    this.#held = undefined;
    this.#current = stored.task;
    this.#version = stored.version;
    this.#storedVersion = stored.version;
    this.#settle({ task: stored.task });
    return true;
  }

  /** Write `canceled` (once), whatever the worker is doing. */
  #writeCanceled(): Promise<void> {
    if (this.#cancelTimer) clearTimeout(this.#cancelTimer);
    this.#cancelTimer = undefined;
    this.#ended = true;
    if (isTerminal(this.#current.status.state)) return this.#endTurn();
    this.#applyStatus({
      state: 'TASK_STATE_CANCELED',
      message: this.#message('The task was canceled.'),
      timestamp: isoNow(),
    });
    return this.#endTurn();
  }

  #settle(outcome: TurnOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clearTimers();
    this.#ending = { outcome };
    this.#resolveOutcome?.(outcome);
    this.#host.finished(this);
  }

  #abort(reason: TurnEndedError): void {
    this.#abortReason ??= reason;
    this.#controller?.abort(this.#abortReason);
  }

  #storeNever(reason: unknown): void {
    if (this.#storedVersion > 0) return;
    this.#neverStored = reason;
    this.#rejectStored?.(reason);
  }

  #clearTimers(): void {
    if (this.#openTimer) clearImmediate(this.#openTimer);
    // Settling follows a completed write of the final state, so nothing is left to flush.
    if (this.#flushTimer && this.#storedVersion >= this.#version) clearImmediate(this.#flushTimer);
    this.#openTimer = undefined;
    this.#flushTimer = undefined;
  }

  /** The turn could not store its task: its caller gets an error rather than a task that is not there. */
  #fail(cause: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clearTimers();
    const reason = cause instanceof Error ? cause.message : String(cause);
    const error = new A2AError('InternalError', `The task could not be stored: ${reason}`);
    this.#storeNever(error);
    this.#ending = { error };
    this.#rejectOutcome?.(error);
    this.onFailure?.(error);
    this.#host.finished(this);
  }
}

function isTerminalOrInterrupted(state: TaskState): boolean {
  return isTerminal(state) || isInterrupted(state);
}
