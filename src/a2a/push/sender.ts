/**
 * Push-notification delivery: POSTs task updates to client webhooks.
 *
 * Delivery is fire-and-forget for the caller and ordered per task and config: a receiver sees a
 * task's updates in the order they happened, while a slow webhook never delays other tasks.
 * Queues are bounded, so a dead receiver costs a fixed amount of memory.
 *
 * @module
 */

import http, { type ClientRequest, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { TaskPushNotificationConfig } from '../types.js';
import {
  type AddressPolicy,
  PushTargetRejectedError,
  type ResolvedTarget,
  resolveWebhookTarget,
} from './ssrf.js';

/** Options of a {@link PushSender}. */
export interface PushSenderOptions {
  /** Which webhook addresses are allowed (default: public addresses only). */
  policy?: AddressPolicy;
  /** Deadline of one HTTP attempt, from connect to the response headers, in ms (default 10 000). */
  timeoutMs?: number;
  /** Attempts per notification, the first included (default 5). */
  maxAttempts?: number;
  /** Backoff base in ms: attempt n waits a random time in [0, base·2^(n-1)] (default 250). */
  baseDelayMs?: number;
  /** Upper bound of one backoff wait, `Retry-After` included, in ms (default 10 000). */
  maxDelayMs?: number;
  /** Pending notifications kept per task and config; the oldest is dropped beyond it (default 100). */
  maxQueuePerTask?: number;
  /**
   * Called for every notification that is given up on (a {@link PushDeliveryError}). Delivery is
   * fire-and-forget, so this is the only place failures show; exceptions it throws are ignored.
   */
  onError?: (err: unknown, info: PushErrorInfo) => void;
}

/** Which notification an error is about. */
export interface PushErrorInfo {
  taskId: string;
  configId?: string;
  url: string;
}

/** Why a notification was given up on. */
export type PushFailureCode =
  /** The webhook URL or its address is not allowed (see `cause`, a `PushTargetRejectedError`). */
  | 'rejected_target'
  /** The receiver answered 3xx; redirects are never followed (they would bypass the SSRF guard). */
  | 'redirect'
  /** The receiver answered a status that is not retried, or retries ran out on 429/5xx. */
  | 'http_status'
  /** No response within `timeoutMs` on the last attempt. */
  | 'timeout'
  /** Connection or DNS failure on the last attempt. */
  | 'network'
  /** The task's queue was full and this (oldest) notification was dropped unsent. */
  | 'queue_overflow'
  /** The request could not be built, e.g. a token with characters not allowed in a header. */
  | 'invalid_request';

/** A push notification that was not delivered. */
export class PushDeliveryError extends Error {
  override readonly name = 'PushDeliveryError';
  readonly code: PushFailureCode;
  /** HTTP status of the last response, when there was one. */
  readonly status?: number;
  /** HTTP attempts made (0 when none was). */
  readonly attempts: number;

  constructor(
    code: PushFailureCode,
    message: string,
    details: { status?: number; attempts: number; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    this.attempts = details.attempts;
  }
}

interface Notification {
  taskId: string;
  config: TaskPushNotificationConfig;
  /** Serialized when enqueued: later changes to the payload object must not leak into it. */
  body: string;
}

interface TaskQueue {
  key: string;
  pending: Notification[];
  running: boolean;
  inflight?: ClientRequest;
  backoff?: { timer: NodeJS.Timeout; wake: () => void };
}

type Outcome =
  | { ok: true }
  | {
      ok: false;
      retry: boolean;
      code: PushFailureCode;
      message: string;
      status?: number;
      retryAfterMs?: number;
      cause?: unknown;
    };

/** Response bytes read (and thrown away) before the connection is dropped instead of reused. */
const MAX_DRAIN_BYTES = 64 * 1024;

/** Parses `Retry-After` (delta-seconds or an HTTP date) to ms. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A `lookup` that answers with the already checked address, so the socket cannot go elsewhere. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    // With autoSelectFamily (on by default since Node 20) net asks for all addresses.
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Delivers push notifications to client webhooks.
 *
 * Per task and config one request is in flight at a time, so notifications arrive in order;
 * different tasks are delivered concurrently. Each notification's URL is checked and resolved
 * once by {@link resolveWebhookTarget} and every attempt connects to that address. Network
 * errors, timeouts, 429 and 5xx are retried with exponential backoff and full jitter; 3xx and
 * other 4xx are not.
 */
export class PushSender {
  private readonly policy: AddressPolicy;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxQueuePerTask: number;
  private readonly onError: PushSenderOptions['onError'];
  private readonly queues = new Map<string, TaskQueue>();
  private flushWaiters: (() => void)[] = [];
  private closed = false;
  // Own agents: a pooled socket from the global agent may have been opened by code that did not
  // go through the SSRF check, and reusing it would bypass the pinning.
  private readonly httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });

  constructor(options: PushSenderOptions = {}) {
    this.policy = options.policy ?? {};
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.maxQueuePerTask = Math.max(1, options.maxQueuePerTask ?? 100);
    this.onError = options.onError;
  }

  /**
   * Queues `payload` for delivery to `config.url` and returns at once. Failures go to `onError`.
   * Ignored after {@link PushSender.close}.
   */
  send(taskId: string, config: TaskPushNotificationConfig, payload: object): void {
    if (this.closed) return;
    let body: string;
    try {
      body = JSON.stringify(payload);
    } catch (err) {
      this.report(
        { taskId, config, body: '' },
        new PushDeliveryError('invalid_request', `push payload for task ${taskId} is not serializable`, {
          attempts: 0,
          cause: err,
        }),
      );
      return;
    }
    const key = `${taskId}\u0000${config.id ?? config.url}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { key, pending: [], running: false };
      this.queues.set(key, queue);
    }
    queue.pending.push({ taskId, config, body });
    if (queue.pending.length > this.maxQueuePerTask) {
      const dropped = queue.pending.shift()!;
      this.report(
        dropped,
        new PushDeliveryError(
          'queue_overflow',
          `push queue for task ${taskId} is full (${this.maxQueuePerTask} pending); dropped the oldest notification`,
          { attempts: 0 },
        ),
      );
    }
    if (!queue.running) {
      queue.running = true;
      void this.drain(queue);
    }
  }

  /** Resolves when every queue is empty and nothing is in flight (or the sender is closed). */
  flush(): Promise<void> {
    if (this.queues.size === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  /** Stops delivery: drops pending notifications, aborts requests in flight, cancels backoff timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const queue of this.queues.values()) {
      queue.pending.length = 0;
      queue.inflight?.destroy();
      if (queue.backoff) {
        clearTimeout(queue.backoff.timer);
        queue.backoff.wake();
      }
    }
    this.queues.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.notifyFlushed();
  }

  private notifyFlushed(): void {
    if (this.queues.size !== 0 && !this.closed) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private report(n: Notification, err: PushDeliveryError): void {
    if (!this.onError) return;
    const info: PushErrorInfo = { taskId: n.taskId, url: n.config.url };
    if (n.config.id !== undefined) info.configId = n.config.id;
    try {
      this.onError(err, info);
    } catch {
      // A throwing handler must not stall the queue.
    }
  }

  private async drain(queue: TaskQueue): Promise<void> {
    try {
      for (let n = queue.pending.shift(); n && !this.closed; n = queue.pending.shift()) {
        await this.deliver(n, queue);
      }
    } finally {
      queue.running = false;
      // No await between the empty check above and here, so a concurrent send() cannot be lost.
      if (this.queues.get(queue.key) === queue) this.queues.delete(queue.key);
      this.notifyFlushed();
    }
  }

  private async deliver(n: Notification, queue: TaskQueue): Promise<void> {
    // Resolved once per notification: retries go to the address that was checked.
    let target: ResolvedTarget | undefined;
    let attempts = 0;
    for (let round = 1; ; round++) {
      let outcome: Outcome;
      try {
        target ??= await resolveWebhookTarget(n.config.url, this.policy);
        attempts++;
        outcome = await this.post(target, n, queue);
      } catch (err) {
        if (err instanceof PushTargetRejectedError) {
          if (!this.closed) {
            this.report(n, new PushDeliveryError('rejected_target', err.reason, { attempts, cause: err }));
          }
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        outcome = {
          ok: false,
          retry: true,
          code: 'network',
          message: `push to ${n.config.url} failed: ${message}`,
          cause: err,
        };
      }
      if (this.closed || outcome.ok) return;
      if (!outcome.retry || round >= this.maxAttempts) {
        const details: { status?: number; attempts: number; cause?: unknown } = {
          attempts,
          cause: outcome.cause,
        };
        if (outcome.status !== undefined) details.status = outcome.status;
        const suffix = outcome.retry ? ` (gave up after ${round} tries)` : '';
        this.report(n, new PushDeliveryError(outcome.code, `${outcome.message}${suffix}`, details));
        return;
      }
      await this.sleep(queue, this.backoffMs(round, outcome.retryAfterMs));
      if (this.closed) return;
    }
  }

  /** Full jitter (uniform in [0, cap]) spreads retries of many senders; Retry-After wins when given. */
  private backoffMs(round: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.maxDelayMs);
    return Math.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (round - 1));
  }

  private sleep(queue: TaskQueue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        queue.backoff = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      // Pending retries alone must not keep the process alive.
      timer.unref();
      queue.backoff = { timer, wake };
    });
  }

  /** One HTTP attempt; never rejects. */
  private post(target: ResolvedTarget, n: Notification, queue: TaskQueue): Promise<Outcome> {
    const { url, address, family } = target;
    const shown = `${url.protocol}//${url.host}${url.pathname}`;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        queue.inflight = undefined;
        resolve(outcome);
      };

      const isHttps = url.protocol === 'https:';
      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const headers: OutgoingHttpHeaders = {
        // The original Host (with a non-default port), not the address we connect to.
        Host: url.host,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(n.body),
      };
      if (n.config.token) headers['X-A2A-Notification-Token'] = n.config.token;
      const auth = n.config.authentication;
      if (auth?.scheme && auth.credentials) headers.Authorization = `${auth.scheme} ${auth.credentials}`;

      const options: RequestOptions & { servername?: string } = {
        method: 'POST',
        hostname,
        port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        lookup: pinnedLookup(address, family),
      };
      // SNI and certificate checks use the hostname (SNI must not carry an IP address).
      if (isHttps && isIP(hostname) === 0) options.servername = hostname;

      let req: ClientRequest;
      try {
        req = (isHttps ? https : http).request(options);
      } catch (err) {
        // Typically a token or credential with characters not allowed in a header.
        const message = err instanceof Error ? err.message : String(err);
        finish({
          ok: false,
          retry: false,
          code: 'invalid_request',
          message: `push to ${shown}: ${message}`,
          cause: err,
        });
        return;
      }
      queue.inflight = req;

      // One deadline for the whole exchange. After the headers it only bounds draining the body,
      // which never changes the outcome.
      const timer = setTimeout(() => {
        finish({
          ok: false,
          retry: true,
          code: 'timeout',
          message: `push to ${shown} timed out after ${this.timeoutMs} ms`,
        });
        req.destroy();
      }, this.timeoutMs);
      timer.unref();

      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          finish({ ok: true });
        } else if (status >= 300 && status < 400) {
          const location = res.headers.location;
          finish({
            ok: false,
            retry: false,
            code: 'redirect',
            status,
            message: `push to ${shown} answered ${status}${location ? ` (to ${location})` : ''}; redirects are not followed, configure the final URL`,
          });
        } else {
          const retry = status === 429 || (status >= 500 && status < 600);
          const outcome: Outcome = {
            ok: false,
            retry,
            code: 'http_status',
            status,
            message: `push to ${shown} answered ${status}`,
          };
          const retryAfter = parseRetryAfter(res.headers['retry-after']);
          if (retry && retryAfter !== undefined) outcome.retryAfterMs = retryAfter;
          finish(outcome);
        }
        // Drain so the socket can be reused, but not without limit.
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_DRAIN_BYTES) res.destroy();
        });
        res.on('error', () => {
          // Errors after the outcome is known only cost the connection.
        });
        res.on('close', () => clearTimeout(timer));
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        finish({
          ok: false,
          retry: true,
          code: 'network',
          message: `push to ${shown} failed: ${err.message}`,
          cause: err,
        });
      });
      req.on('close', () => {
        if (!settled) {
          clearTimeout(timer);
          finish({
            ok: false,
            retry: true,
            code: 'network',
            message: `push to ${shown}: connection closed without a response`,
          });
        }
      });
      req.end(n.body);
    });
  }
}
