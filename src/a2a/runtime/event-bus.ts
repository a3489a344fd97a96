/**
 * The event bus seam: fan-out of task events from the process running a task's worker to
 * everyone watching it (SSE streams, subscribers, push, the UI).
 *
 * An event's `id` is the task's store version after the write that produced it, so ids are
 * ordered, survive restarts and mean the same thing in every process. A `Last-Event-ID` is
 * therefore a task version: replay sends the buffered events after it, or a fresh snapshot
 * when the buffer no longer reaches back that far.
 *
 * @module
 */
import { isInterrupted, isTerminal, type StreamResponse, type TaskState } from '../types.js';

/** One event of a task. */
export interface TaskEvent {
  /** Task version after this event; 0 for a direct message (no task). */
  readonly id: number;
  readonly payload: StreamResponse;
  /** Task state after this event (absent for a direct message). */
  readonly state?: TaskState | undefined;
}

/** Receives a task's events. */
export type TaskEventListener = (event: TaskEvent) => void;

/** A live subscription. */
export interface Subscription {
  /** Buffered events with an id greater than the requested one, or `undefined` when the buffer lost some. */
  readonly replay: TaskEvent[] | undefined;
  unsubscribe(): void;
}

/** Fan-out of task events. Implementations: `MemoryEventBus` (one process); Redis later. */
export interface EventBus {
  /** Deliver an event to the task's subscribers (a no-op when nobody listens). */
  publish(taskId: string, event: TaskEvent): void;
  /**
   * Listen to a task's events. With `afterId`, the subscription also returns the buffered events
   * newer than it, so a reconnecting client misses nothing.
   */
  subscribe(taskId: string, listener: TaskEventListener, afterId?: number): Subscription;
  /** Tell the bus a task will have no more events (lets it free the channel after a grace period). */
  close(taskId: string): void;
}

/** Options of the in-memory bus. */
export interface MemoryEventBusOptions {
  /** Events kept per task for `Last-Event-ID` replay. Default 256. */
  replayBufferSize?: number;
  /** How long a finished task's channel stays for late reconnects, in ms. Default 30 s. */
  closedChannelTtlMs?: number;
  /** Most finished channels kept at once. Default 1 000. */
  maxClosedChannels?: number;
}

interface Channel {
  readonly listeners: Set<TaskEventListener>;
  readonly buffer: TaskEvent[];
  /** When the channel became evictable (its task finished, or its last listener left); 0 before. */
  closedAt: number;
  /** In the eviction queue (`#closed`). */
  queued: boolean;
  /** The task finished: once nobody listens the channel goes at once (a finished task replays as its snapshot). */
  finished: boolean;
}

/**
 * True when replaying the channel would tell a reconnecting client nothing the task's snapshot
 * does not: it holds no events, or only one Task snapshot taken when the turn had ended.
 */
function replayAddsNothing(channel: Channel): boolean {
  const { buffer } = channel;
  if (buffer.length === 0) return channel.closedAt === 0;
  if (buffer.length !== 1) return false;
  const only = buffer[0]!;
  return (
    'task' in only.payload &&
    only.state !== undefined &&
    (isTerminal(only.state) || isInterrupted(only.state))
  );
}

/**
 * In-process event bus. A channel exists only while someone subscribed to the task (or did so
 * recently), so tasks nobody watches cost nothing here.
 */
export class MemoryEventBus implements EventBus {
  readonly #channels = new Map<string, Channel>();
  /** Finished or unwatched channels in closing order, for bounded, time-ordered eviction. */
  readonly #closed: string[] = [];
  readonly #bufferSize: number;
  readonly #closedTtlMs: number;
  readonly #maxClosed: number;

  constructor(options: MemoryEventBusOptions = {}) {
    this.#bufferSize = options.replayBufferSize ?? 256;
    this.#closedTtlMs = options.closedChannelTtlMs ?? 30_000;
    this.#maxClosed = options.maxClosedChannels ?? 1_000;
  }

  publish(taskId: string, event: TaskEvent): void {
    const channel = this.#channels.get(taskId);
    if (!channel) return;
    channel.buffer.push(event);
    if (channel.buffer.length > this.#bufferSize) channel.buffer.shift();
    const { listeners } = channel;
    if (listeners.size === 1) {
      for (const listener of listeners) listener(event);
      return;
    }
    // Copy: a listener may unsubscribe (and so mutate the set) while we iterate.
    for (const listener of [...listeners]) listener(event);
  }

  subscribe(taskId: string, listener: TaskEventListener, afterId?: number): Subscription {
    let channel = this.#channels.get(taskId);
    if (!channel) {
      channel = { listeners: new Set(), buffer: [], closedAt: 0, queued: false, finished: false };
      this.#channels.set(taskId, channel);
    }
    channel.listeners.add(listener);
    let replay: TaskEvent[] | undefined;
    if (afterId !== undefined) {
      const first = channel.buffer[0];
      // The buffer covers the gap only if it holds the event right after `afterId`.
      if (first && first.id <= afterId + 1) replay = channel.buffer.filter((e) => e.id > afterId);
      else if (!first) replay = undefined;
    }
    const ch = channel;
    return {
      replay,
      unsubscribe: () => {
        if (!ch.listeners.delete(listener) || ch.listeners.size > 0) return;
        if (this.#channels.get(taskId) !== ch) return;
        if (ch.finished || replayAddsNothing(ch)) this.#channels.delete(taskId);
        // Nobody listens (and the task may never finish, e.g. it waits for input): keep the buffer
        // for a reconnect, then free it like a finished channel's.
        else this.#retire(taskId, ch);
      },
    };
  }

  close(taskId: string): void {
    const channel = this.#channels.get(taskId);
    if (channel === undefined) return;
    channel.finished = true;
    // Everyone who watched saw the end: nobody needs a replay (a late subscriber gets the final
    // snapshot). A channel a client dropped mid-stream (queued) stays for its reconnect.
    if (channel.listeners.size === 0 && (!channel.queued || replayAddsNothing(channel)))
      this.#channels.delete(taskId);
  }

  #retire(taskId: string, channel: Channel): void {
    if (channel.closedAt === 0) channel.closedAt = Date.now();
    if (!channel.queued) {
      channel.queued = true;
      this.#closed.push(taskId);
    }
    this.#evict();
  }

  /** Number of live channels (for tests and metrics). */
  get channelCount(): number {
    return this.#channels.size;
  }

  #evict(): void {
    const now = Date.now();
    while (this.#closed.length > 0) {
      const oldest = this.#closed[0]!;
      const channel = this.#channels.get(oldest);
      const expired = !channel || now - channel.closedAt > this.#closedTtlMs;
      if (!expired && this.#closed.length <= this.#maxClosed) break;
      this.#closed.shift();
      if (channel) channel.queued = false;
      // Keep channels someone still listens to; they are queued again when the last one leaves.
      if (channel && channel.listeners.size === 0) this.#channels.delete(oldest);
    }
  }
}
