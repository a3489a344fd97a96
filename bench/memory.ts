/**
 * RSS after 100k completed tasks, in a fresh process (forked by `run.ts` with `--expose-gc`).
 *
 *   tsx bench/memory.ts <timestep|sdk> [count]
 *
 * Runs `count` blocking echo sends in-process against the runtime's send path (Timestep's
 * `TaskRuntime.sendMessage` with the memory store at default retention; the SDK's
 * `DefaultRequestHandler.sendMessage` with `InMemoryTaskStore`), 64 at a time, then collects
 * garbage and reports `process.memoryUsage()`.
 */

/** What a memory run reports. */
export interface MemoryReport {
  target: string;
  tasks: number;
  seconds: number;
  rssBefore: number;
  rss: number;
  heapUsed: number;
  /** Tasks the store still holds at the end (when it says). */
  retained: number | undefined;
}

const CONCURRENCY = 64;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('Run with node --expose-gc.');
  collect();
  collect();
}

async function runAll(count: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

async function timestep(count: number): Promise<{ retained: number | undefined; send: () => Promise<void> }> {
  const { A2AServer, MemoryTaskStore } = await import('timestep');
  const { default: echoAgent } = await import('../examples/echo-agent.js');
  const server = new A2AServer({ ...echoAgent, store: 'memory' });
  const runtime = server.runtime;
  return {
    get retained() {
      return runtime.store instanceof MemoryTaskStore ? runtime.store.stats().tasks : undefined;
    },
    send: () =>
      runAll(count, async (i) => {
        const response = await runtime.sendMessage({
          message: { messageId: `m-${i}`, role: 'ROLE_USER', parts: [{ text: 'hello' }] },
        });
        if (!('task' in response) || response.task.status.state !== 'TASK_STATE_COMPLETED')
          throw new Error('Timestep did not complete the task.');
      }),
  };
}

async function sdk(count: number): Promise<{ retained: number | undefined; send: () => Promise<void> }> {
  const { SendMessageRequest, TaskState } = await import('@a2a-js/sdk');
  const { ServerCallContext } = await import('@a2a-js/sdk/server');
  const { sdkRequestHandler } = await import('./sdk-agent.js');
  const handler = sdkRequestHandler('http://127.0.0.1:1/');
  return {
    retained: undefined,
    send: () =>
      runAll(count, async (i) => {
        const request = SendMessageRequest.fromJSON({
          message: { messageId: `m-${i}`, role: 'ROLE_USER', parts: [{ text: 'hello' }] },
        });
        const result = await handler.sendMessage(request, new ServerCallContext());
        if (!('status' in result) || result.status?.state !== TaskState.TASK_STATE_COMPLETED)
          throw new Error('The SDK did not complete the task.');
      }),
  };
}

const target = process.argv[2] ?? 'timestep';
const count = Number(process.argv[3] ?? 100_000);
const subject = target === 'sdk' ? await sdk(count) : await timestep(count);
gc();
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
await subject.send();
const seconds = (performance.now() - started) / 1000;
gc();
const { rss, heapUsed } = process.memoryUsage();
const report: MemoryReport = {
  target,
  tasks: count,
  seconds,
  rssBefore,
  rss,
  heapUsed,
  retained: subject.retained,
};
if (process.send) process.send(report, () => process.exit(0));
else {
  console.log(report);
  process.exit(0);
}
