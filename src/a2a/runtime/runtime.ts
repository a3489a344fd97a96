/**
 * The task runtime: the protocol's operations over a store, an event bus and a worker.
 *
 * Transports call it with already-parsed v1.0 requests and the caller's identity; it never sees
 * HTTP. It owns the task lifecycle: the state machine, idempotent sends, blocking and
 * return-immediately sends, streaming, cancellation and push notifications.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { StoredTask, TaskStore } from '../../stores/store.js';
import { InvalidCursorError, VersionConflictError } from '../../stores/store.js';
import { A2AError, toA2AError } from '../errors.js';
import {
  isInterrupted,
  isTerminal,
  type ListTasksRequest,
  type ListTasksResponse,
  type Message,
  type SendMessageRequest,
  type SendMessageResponse,
  type StreamResponse,
  type Task,
  type TaskPushNotificationConfig,
} from '../types.js';
import { taskToV03 } from '../v03.js';
import { type EventBus, MemoryEventBus, type Subscription, type TaskEvent } from './event-bus.js';
import { extend, isoNow, newId } from './hot.js';
import { Turn, type TurnHost } from './turn.js';
import type { Principal, Worker } from './worker.js';

/** Sends push notifications (see `PushSender`). */
export interface PushNotifier {
  /** Queue one notification; `body` is sent as JSON. */
  send(taskId: string, config: TaskPushNotificationConfig, body: object): void;
  /** Stop delivering (pending retries are dropped). */
  close?(): void;
}

/**
 * A push config as the runtime keeps it: it remembers which protocol version created it, so a
 * v0.3 receiver gets v0.3 bodies (the whole Task), and a v1.0 one gets each `StreamResponse`.
 */
type KeptPushConfig = TaskPushNotificationConfig & { id: string; wireVersion?: '0.3' };

/** A config as a client sees it (without the runtime's bookkeeping). */
function shownConfig(config: TaskPushNotificationConfig): TaskPushNotificationConfig {
  if (!('wireVersion' in config)) return config;
  const { wireVersion: _omit, ...shown } = config as KeptPushConfig;
  return shown;
}

/** Options of a runtime. */
export interface TaskRuntimeOptions {
  worker: Worker;
  store: TaskStore;
  /** Default: an in-memory bus. */
  bus?: EventBus;
  /** Push delivery; without it push configs are refused (`PushNotificationNotSupported`). */
  push?: PushNotifier;
  /** How long a worker may ignore cancellation before the task is canceled anyway (ms). Default 5 000. */
  cancelGraceMs?: number;
  /** Media types the agent accepts in message parts; `*\/*` or empty accepts anything. */
  inputModes?: readonly string[];
  /** Extension URIs a client must activate to send messages. */
  requiredExtensions?: readonly string[];
}

/** Who is calling and with what. */
export interface CallContext {
  principal?: Principal | undefined;
  /** Activated extension URIs. */
  extensions?: readonly string[];
  /** The protocol version of the request (default 1.0); push configs made over 0.3 get 0.3 bodies. */
  protocolVersion?: '1.0' | '0.3';
}

/** Receives the events of a stream. `end` is called once, after the last event or on error. */
export interface EventSink {
  event(event: TaskEvent): void;
  end(error?: A2AError): void;
  /** Called by the sink's owner when the client went away; set by the runtime. */
  onClose?: (() => void) | undefined;
}

/** Return a copy of the task with at most `historyLength` most recent messages. */
export function withHistoryLength(task: Task, historyLength: number | undefined): Task {
  if (historyLength === undefined || !task.history) return task;
  if (historyLength === 0) {
    const { history: _omit, ...rest } = task;
    return rest;
  }
  if (task.history.length <= historyLength) return task;
  return { ...task, history: task.history.slice(-historyLength) };
}

function keptConfig(config: TaskPushNotificationConfig, taskId: string, call: CallContext): KeptPushConfig {
  const kept: KeptPushConfig = { ...config, id: config.id || newId(), taskId };
  if (call.protocolVersion === '0.3') kept.wireVersion = '0.3';
  return kept;
}

/** A send either starts a turn or finds the task an identical earlier send created. */
type StartResult = { turn: Turn } | { existing: StoredTask } | { joined: Turn };

function messageKey(principal: Principal | undefined, messageId: string): string {
  return principal ? `${principal.id}\u0000${messageId}` : messageId;
}

/** The A2A task runtime. */
export class TaskRuntime {
  readonly store: TaskStore;
  readonly bus: EventBus;
  readonly #worker: Worker;
  readonly #push: PushNotifier | undefined;
  readonly #turns = new Map<string, Turn>();
  /** Running new-task turns by idempotency key, so a retry before the key is stored joins the turn. */
  readonly #unstoredKeys = new Map<string, Turn>();
  /** Push configs of tasks that have any, cached so events of other tasks cost no store read. */
  readonly #pushConfigs = new Map<string, TaskPushNotificationConfig[]>();
  readonly #inputModes: readonly string[];
  readonly #requiredExtensions: readonly string[];
  readonly #host: TurnHost;
  #closed = false;

  constructor(options: TaskRuntimeOptions) {
    this.store = options.store;
    this.bus = options.bus ?? new MemoryEventBus();
    this.#worker = options.worker;
    this.#push = options.push;
    this.#inputModes = options.inputModes ?? [];
    this.#requiredExtensions = options.requiredExtensions ?? [];
    const cancelGraceMs = options.cancelGraceMs ?? 5_000;
    this.#host = {
      cancelGraceMs,
      create: (task, owner, options) => this.store.create(task, owner, options),
      update: (task, version, options) => this.store.update(task, version, options),
      load: (taskId) => this.store.get(taskId),
      emit: (task, version, payload) => this.#emit(task, version, payload),
      getTask: async (taskId, principal) => (await this.#load(taskId, principal))?.task,
      finished: (turn) => {
        if (this.#turns.get(turn.taskId) === turn) this.#turns.delete(turn.taskId);
        if (turn.isNewTask) {
          const key = messageKey(turn.principal, turn.message.messageId);
          if (this.#unstoredKeys.get(key) === turn) this.#unstoredKeys.delete(key);
        }
      },
    };
  }

  /** Whether push notifications are available. */
  get pushEnabled(): boolean {
    return this.#push !== undefined;
  }

  /** Number of turns running now. */
  get activeTurns(): number {
    return this.#turns.size;
  }

  // ---- SendMessage -------------------------------------------------------------------------

  /** `SendMessage`: run a turn; wait for it unless `returnImmediately`. */
  async sendMessage(request: SendMessageRequest, call: CallContext = {}): Promise<SendMessageResponse> {
    const start = await this.#startTurn(request, call);
    const historyLength = request.configuration?.historyLength;
    if ('existing' in start) {
      // A retry of a message already accepted: answer with that task, never run the work twice.
      const turn = this.#turns.get(start.existing.task.id);
      const task =
        turn && request.configuration?.returnImmediately !== true
          ? await this.#outcomeTask(turn)
          : start.existing.task;
      return { task: withHistoryLength(task, historyLength) };
    }
    // A retry of a send whose turn has not stored its task yet shares that turn's answer.
    const turn = 'joined' in start ? start.joined : start.turn;
    if (request.configuration?.returnImmediately === true) {
      try {
        await turn.stored;
      } catch (err) {
        if (turn.directReply) return { message: turn.directReply };
        throw err;
      }
      return { task: withHistoryLength(turn.snapshot, historyLength) };
    }
    const outcome = await turn.outcome;
    if ('message' in outcome) return outcome;
    return { task: withHistoryLength(outcome.task, historyLength) };
  }

  /** `SendStreamingMessage`: run a turn and stream its events to `sink` until the turn ends. */
  async streamMessage(request: SendMessageRequest, sink: EventSink, call: CallContext = {}): Promise<void> {
    // Subscribe before the worker starts so the stream misses nothing; hold events until we know
    // which snapshot opens the stream.
    const taskId = request.message.taskId ?? newId();
    let pending: TaskEvent[] | undefined;
    let ready = false;
    let ended = false;
    let lastId = 0;
    const deliver = (event: TaskEvent) => {
      if (ended || (event.id !== 0 && event.id <= lastId)) return;
      lastId = event.id;
      sink.event(event);
      if (
        event.id === 0 ||
        (event.state !== undefined && (isTerminal(event.state) || isInterrupted(event.state)))
      ) {
        ended = true;
        subscription.unsubscribe();
        sink.end();
      }
    };
    const subscription = this.bus.subscribe(taskId, (event) => {
      if (ready) deliver(event);
      else {
        pending ??= [];
        pending.push(event);
      }
    });
    sink.onClose = () => {
      ended = true;
      subscription.unsubscribe();
    };
    let start: StartResult;
    try {
      start = await this.#startTurn(request, call, taskId);
    } catch (err) {
      subscription.unsubscribe();
      throw err;
    }
    if ('existing' in start) {
      // A retried streaming send: follow the task it created instead of running the work again
      // (a finished one is just its final snapshot).
      subscription.unsubscribe();
      const { task, version } = start.existing;
      if (isTerminal(task.status.state) && !this.#turns.has(task.id)) {
        sink.event({
          id: version,
          payload: { task: withHistoryLength(task, request.configuration?.historyLength) },
          state: task.status.state,
        });
        sink.end();
        return;
      }
      await this.subscribe(task.id, sink, call, undefined, true);
      return;
    }
    if ('joined' in start) {
      // A retry of a streaming send whose task is not stored yet: follow it once it is.
      subscription.unsubscribe();
      const joined = start.joined;
      try {
        await joined.stored;
      } catch {
        if (!joined.directReply) throw A2AError.taskNotFound(joined.taskId);
        sink.event({ id: 0, payload: { message: joined.directReply } });
        sink.end();
        return;
      }
      await this.subscribe(joined.taskId, sink, call, undefined, true);
      return;
    }
    const { turn } = start;
    turn.onFailure = (error) => {
      if (ended) return;
      ended = true;
      subscription.unsubscribe();
      sink.end(error);
    };
    if (turn.failure !== undefined) turn.onFailure(toA2AError(turn.failure));
    // A resumed task opens with its snapshot (a new task's first event is its creation snapshot).
    if (!turn.isNewTask)
      deliver({ id: turn.startVersion, payload: { task: turn.task }, state: turn.task.status.state });
    ready = true;
    if (pending) for (const event of pending) deliver(event);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** `GetTask`. */
  async getTask(taskId: string, historyLength: number | undefined, call: CallContext = {}): Promise<Task> {
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    return withHistoryLength(record.task, historyLength);
  }

  /** `ListTasks`: the caller's tasks, most recently updated first. */
  async listTasks(request: ListTasksRequest, call: CallContext = {}): Promise<ListTasksResponse> {
    const pageSize = request.pageSize ?? 50;
    let page: Awaited<ReturnType<TaskStore['list']>>;
    try {
      page = await this.store.list({
        owner: call.principal?.id,
        contextId: request.contextId,
        state: request.status,
        updatedSince: request.statusTimestampAfter ? Date.parse(request.statusTimestampAfter) : undefined,
        limit: pageSize,
        cursor: request.pageToken,
      });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw A2AError.invalidParams(err.message);
      throw err;
    }
    const tasks = page.tasks.map(({ task }) => {
      let shown = withHistoryLength(task, request.historyLength);
      if (request.includeArtifacts === true) {
        if (!shown.artifacts) shown = { ...shown, artifacts: [] };
      } else if (shown.artifacts) {
        const { artifacts: _omit, ...rest } = shown;
        shown = rest;
      }
      return shown;
    });
    return { tasks, nextPageToken: page.nextCursor, pageSize, totalSize: page.totalSize };
  }

  // ---- CancelTask --------------------------------------------------------------------------

  /** `CancelTask`: abort the worker and end the task `canceled`. */
  async cancelTask(taskId: string, call: CallContext = {}): Promise<Task> {
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    const state = record.task.status.state;
    if (state === 'TASK_STATE_CANCELED') return record.task;
    if (isTerminal(state)) {
      throw new A2AError(
        'TaskNotCancelable',
        `Task '${taskId}' is already ${state.slice(11).toLowerCase()} and can no longer be canceled.`,
        { taskId, state },
      );
    }
    const turn = this.#turns.get(taskId);
    if (turn) return turn.cancel();
    return this.#cancelIdle(record);
  }

  /** Cancel a task no worker runs here (waiting for input, or its process is gone). */
  async #cancelIdle(record: StoredTask): Promise<Task> {
    let current: StoredTask | undefined = record;
    for (let attempt = 0; attempt < 5 && current; attempt++) {
      const task = current.task;
      if (isTerminal(task.status.state)) {
        if (task.status.state === 'TASK_STATE_CANCELED') return task;
        throw new A2AError('TaskNotCancelable', `Task '${task.id}' finished before it could be canceled.`);
      }
      const message: Message = {
        messageId: randomUUID(),
        contextId: task.contextId,
        taskId: task.id,
        role: 'ROLE_AGENT',
        parts: [{ text: 'The task was canceled.' }],
      };
      const status = { state: 'TASK_STATE_CANCELED' as const, message, timestamp: new Date().toISOString() };
      const next: Task = { ...task, status, history: [...(task.history ?? []), message] };
      try {
        const written = await this.store.update(next, current.version);
        this.#emit(next, written.version, {
          statusUpdate: { taskId: task.id, contextId: task.contextId, status },
        });
        const worker = this.#worker;
        if (typeof worker !== 'function' && worker.canceled) {
          void Promise.resolve()
            .then(() => worker.canceled?.(next))
            .catch(() => {});
        }
        return next;
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        current = await this.store.get(task.id);
      }
    }
    throw A2AError.taskNotFound(record.task.id);
  }

  // ---- SubscribeToTask ---------------------------------------------------------------------

  /**
   * `SubscribeToTask`: a snapshot first, then live events until the task ends. With `lastEventId`
   * (an SSE `Last-Event-ID`), replays the missed events instead when the bus still has them.
   */
  async subscribe(
    taskId: string,
    sink: EventSink,
    call: CallContext = {},
    lastEventId?: number,
    untilTurnEnds = false,
  ): Promise<void> {
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    if (isTerminal(record.task.status.state) && lastEventId === undefined) {
      throw new A2AError(
        'UnsupportedOperation',
        `Task '${taskId}' is ${record.task.status.state.slice(11).toLowerCase()}; there is nothing left to subscribe to. Use GetTask to read it.`,
      );
    }
    let done = false;
    let lastSent = 0;
    const ends = (event: TaskEvent) =>
      event.state !== undefined && (isTerminal(event.state) || (untilTurnEnds && isInterrupted(event.state)));
    let subscription: Subscription | undefined;
    const deliver = (event: TaskEvent) => {
      if (done || event.id <= lastSent) return;
      lastSent = event.id;
      sink.event(event);
      if (ends(event)) {
        done = true;
        subscription?.unsubscribe();
        sink.end();
      }
    };
    subscription = this.bus.subscribe(taskId, deliver, lastEventId);
    sink.onClose = () => {
      done = true;
      subscription?.unsubscribe();
    };
    if (lastEventId !== undefined && subscription.replay) {
      lastSent = lastEventId;
      for (const event of subscription.replay) deliver(event);
      if (!done && isTerminal(record.task.status.state) && record.version > lastSent) {
        deliver({ id: record.version, payload: { task: record.task }, state: record.task.status.state });
      }
    } else {
      // Read after subscribing so no event falls between the snapshot and the live stream. A turn
      // running here is ahead of the store (its writes are batched), so its snapshot comes first.
      const turn = this.#turns.get(taskId);
      const fresh = turn
        ? { task: turn.snapshot, version: turn.version }
        : ((await this.store.get(taskId)) ?? record);
      deliver({ id: fresh.version, payload: { task: fresh.task }, state: fresh.task.status.state });
    }
  }

  // ---- push notification configs -----------------------------------------------------------

  #requirePush(): void {
    if (!this.#push) {
      throw new A2AError(
        'PushNotificationNotSupported',
        'This agent does not send push notifications (capabilities.pushNotifications is false).',
      );
    }
  }

  /** `CreateTaskPushNotificationConfig`. */
  async createPushConfig(
    taskId: string,
    config: TaskPushNotificationConfig,
    call: CallContext = {},
  ): Promise<TaskPushNotificationConfig> {
    this.#requirePush();
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    const saved = keptConfig(config, taskId, call);
    await this.store.putPushConfig(taskId, saved);
    this.#pushConfigs.set(taskId, await this.store.listPushConfigs(taskId));
    return shownConfig(saved);
  }

  /** `GetTaskPushNotificationConfig`. */
  async getPushConfig(
    taskId: string,
    configId: string,
    call: CallContext = {},
  ): Promise<TaskPushNotificationConfig> {
    this.#requirePush();
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    const config = await this.store.getPushConfig(taskId, configId);
    if (!config) {
      throw new A2AError('TaskNotFound', `Task '${taskId}' has no push notification config '${configId}'.`, {
        taskId,
        configId,
      });
    }
    return shownConfig(config);
  }

  /** `ListTaskPushNotificationConfigs`. */
  async listPushConfigs(taskId: string, call: CallContext = {}): Promise<TaskPushNotificationConfig[]> {
    this.#requirePush();
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    return (await this.store.listPushConfigs(taskId)).map(shownConfig);
  }

  /** `DeleteTaskPushNotificationConfig` (idempotent). */
  async deletePushConfig(taskId: string, configId: string, call: CallContext = {}): Promise<void> {
    this.#requirePush();
    const record = await this.#load(taskId, call.principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    await this.store.deletePushConfig(taskId, configId);
    const remaining = await this.store.listPushConfigs(taskId);
    if (remaining.length > 0) this.#pushConfigs.set(taskId, remaining);
    else this.#pushConfigs.delete(taskId);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Abort running workers and close the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const turn of this.#turns.values()) turn.abort('The server is shutting down.');
    this.#push?.close?.();
    await this.store.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  /** A task the caller may see: tasks of another principal look like unknown ones. */
  async #load(taskId: string, principal: Principal | undefined): Promise<StoredTask | undefined> {
    const record = await this.store.get(taskId);
    if (!record) return undefined;
    if (record.owner !== undefined && record.owner !== principal?.id) return undefined;
    return record;
  }

  async #outcomeTask(turn: Turn): Promise<Task> {
    const outcome = await turn.outcome;
    return 'task' in outcome ? outcome.task : turn.snapshot;
  }

  #checkInputModes(message: Message): void {
    const modes = this.#inputModes;
    if (modes.length === 0 || modes.includes('*/*')) return;
    for (const part of message.parts) {
      const type = part.mediaType;
      if (type === undefined || type === '') continue;
      const family = `${type.split('/')[0]}/*`;
      if (!modes.includes(type) && !modes.includes(family)) {
        throw new A2AError(
          'ContentTypeNotSupported',
          `This agent does not accept '${type}' parts; it accepts ${modes.join(', ')}.`,
          { mediaType: type },
        );
      }
    }
  }

  /** Start the turn a send asks for, or find the task an identical earlier send created. */
  async #startTurn(request: SendMessageRequest, call: CallContext, newTaskId?: string): Promise<StartResult> {
    if (this.#closed) throw new A2AError('UnsupportedOperation', 'The server is shutting down.');
    const { message } = request;
    const principal = call.principal;
    for (const uri of this.#requiredExtensions) {
      if (!call.extensions?.includes(uri)) {
        throw new A2AError(
          'ExtensionSupportRequired',
          `This agent requires the extension ${uri}; activate it with the A2A-Extensions header.`,
          { uri },
        );
      }
    }
    this.#checkInputModes(message);
    const key = messageKey(principal, message.messageId);
    const seenTaskId = await this.store.findTaskByMessageKey(key);
    if (seenTaskId !== undefined) {
      const existing = await this.#load(seenTaskId, principal);
      if (existing) return { existing };
    }
    // No await between this check and registering the new turn below, so two sends of one
    // message cannot both start a turn.
    const joined = message.taskId ? undefined : this.#unstoredKeys.get(key);
    if (joined) return { joined };
    const common = {
      owner: principal?.id,
      message,
      messageKey: key,
      principal,
      extensions: call.extensions ?? [],
      requestMetadata: request.metadata,
      acceptedOutputModes: request.configuration?.acceptedOutputModes ?? [],
    };
    let turn: Turn;
    if (message.taskId) {
      turn = await this.#resumeTurn(message, principal, common);
    } else {
      const contextId = message.contextId || newId();
      const taskId = newTaskId ?? newId();
      const stored: Message = extend(message, { taskId, contextId });
      const task: Task = {
        id: taskId,
        contextId,
        status: { state: 'TASK_STATE_SUBMITTED', timestamp: isoNow() },
        history: [stored],
      };
      turn = new Turn(this.#host, extend(common, { task, version: 0, message: stored, isNewTask: true }));
      // Until the turn ends (by then its key is in the store, or it kept no task).
      this.#unstoredKeys.set(key, turn);
    }
    this.#turns.set(turn.taskId, turn);
    const pushConfig = request.configuration?.taskPushNotificationConfig;
    if (pushConfig && this.#push) {
      // The config belongs to the task being created: it gets every event from the first one
      // (the worker may already be running), and is persisted once the task exists.
      const saved = keptConfig(pushConfig, turn.taskId, call);
      this.#pushConfigs.set(turn.taskId, [
        ...(this.#pushConfigs.get(turn.taskId) ?? []).filter((c) => c.id !== saved.id),
        saved,
      ]);
      void turn.stored.then(() => this.store.putPushConfig(turn.taskId, saved)).catch(() => {});
    }
    void turn.run(this.#worker);
    return { turn };
  }

  async #resumeTurn(
    message: Message,
    principal: Principal | undefined,
    common: Omit<ConstructorParameters<typeof Turn>[1], 'task' | 'version' | 'message' | 'isNewTask'>,
  ): Promise<Turn> {
    const taskId = message.taskId!;
    const record = await this.#load(taskId, principal);
    if (!record) throw A2AError.taskNotFound(taskId);
    const { task } = record;
    if (message.contextId && message.contextId !== task.contextId) {
      throw A2AError.invalidParams(
        `message.contextId '${message.contextId}' does not match task '${taskId}', which belongs to context '${task.contextId}'.`,
      );
    }
    const state = task.status.state;
    if (isTerminal(state)) {
      throw new A2AError(
        'UnsupportedOperation',
        `Task '${taskId}' is ${state.slice(11).toLowerCase()} and accepts no more messages; send without taskId (same contextId) to start a new task.`,
        { taskId, state },
      );
    }
    if (
      this.#turns.has(taskId) ||
      (state !== 'TASK_STATE_INPUT_REQUIRED' && state !== 'TASK_STATE_AUTH_REQUIRED')
    ) {
      throw new A2AError(
        'UnsupportedOperation',
        `Task '${taskId}' is still working; send a follow-up once it asks for input (or cancel it).`,
        { taskId, state },
      );
    }
    const stored: Message = extend(message, { taskId, contextId: task.contextId });
    const status = { state: 'TASK_STATE_WORKING' as const, timestamp: isoNow() };
    const next: Task = { ...task, status, history: [...(task.history ?? []), stored] };
    let written: StoredTask;
    try {
      written = await this.store.update(next, record.version, { messageKeys: [common.messageKey!] });
    } catch (err) {
      if (err instanceof VersionConflictError) {
        throw new A2AError(
          'UnsupportedOperation',
          `Task '${taskId}' changed while this message arrived; retry.`,
        );
      }
      throw err;
    }
    this.#emit(next, written.version, { statusUpdate: { taskId, contextId: task.contextId, status } });
    if (!this.#pushConfigs.has(taskId) && this.#push) {
      const configs = await this.store.listPushConfigs(taskId);
      if (configs.length > 0) this.#pushConfigs.set(taskId, configs);
    }
    return new Turn(
      this.#host,
      extend(common, {
        messageKey: undefined,
        task: next,
        version: written.version,
        message: stored,
        isNewTask: false,
      }),
    );
  }

  #emit(task: Task, version: number, payload: StreamResponse): void {
    const state = task.status.state;
    this.bus.publish(task.id, { id: version, payload, state: version === 0 ? undefined : state });
    const configs = this.#pushConfigs.get(task.id);
    if (configs && this.#push) {
      for (const config of configs) {
        // v0.3 receivers expect the whole task after every change, in v0.3 shape.
        if ((config as KeptPushConfig).wireVersion === '0.3') {
          if (version !== 0) this.#push.send(task.id, config, taskToV03(task));
        } else this.#push.send(task.id, config, payload);
      }
    }
    if (version !== 0 && isTerminal(state)) {
      this.bus.close(task.id);
      this.#pushConfigs.delete(task.id);
    }
  }
}
