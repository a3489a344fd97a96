/**
 * The load generator, in its own process (forked by `run.ts`): autocannon over keep-alive
 * connections. Each job is one message `{ url, body, uniqueIds, seconds, connections }`; the
 * answer is a {@link LoadResult}.
 *
 * With `uniqueIds`, every request gets a fresh `messageId` (Timestep de-duplicates message ids,
 * so a repeated one would never run the worker); the body has `{{ID}}` where the id goes.
 */
import autocannon from 'autocannon';

/** One load run. */
export interface LoadJob {
  url: string;
  /** Request body; `{{ID}}` is replaced per request when `uniqueIds`. */
  body: string;
  uniqueIds: boolean;
  headers: Record<string, string>;
  seconds: number;
  connections: number;
}

/** What a load run measured. */
export interface LoadResult {
  /** Completed 2xx responses per second over the run. */
  rps: number;
  total: number;
  seconds: number;
  latencyP50: number;
  latencyP99: number;
  /** Non-2xx responses, socket errors and timeouts: a healthy run has none. */
  failures: number;
  /** CPU time the load generator itself used (user + system, µs). */
  cpuMicros: number;
}

let sequence = 0;
const prefix = `${process.pid.toString(36)}-${Date.now().toString(36)}`;

function run(job: LoadJob): Promise<LoadResult> {
  const [head, tail] = job.body.split('{{ID}}') as [string, string | undefined];
  const request: autocannon.Request = { method: 'POST', path: '/', headers: job.headers, body: job.body };
  if (job.uniqueIds && tail !== undefined) {
    request.setupRequest = (req) => {
      req.body = `${head}${prefix}-${sequence++}${tail}`;
      return req;
    };
  }
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        connections: job.connections,
        pipelining: 1,
        duration: job.seconds,
        requests: [request],
        timeout: 10,
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        const cpu = process.cpuUsage(cpuBefore);
        const seconds = result.duration;
        const ok = result['2xx'];
        resolve({
          rps: ok / seconds,
          total: ok,
          seconds,
          latencyP50: result.latency.p50,
          latencyP99: result.latency.p99,
          failures: result.non2xx + result.errors + result.timeouts,
          cpuMicros: cpu.user + cpu.system,
        });
      },
    );
  });
}

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.({ type: 'result', result }),
    (err: unknown) => process.send?.({ type: 'error', message: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
