/**
 * Plumbing shared by `run.ts` and `profile.ts`: build the child entry points, start a target in
 * its own process, check it answers correctly, and drive the load generator.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { getBody, HEADERS, sendBody } from './fixtures.js';
import type { LoadJob, LoadResult } from './load.js';
import type { MemoryReport } from './memory.js';
import type { ServerReport, Target } from './server.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Whether servers run pinned to CPU 0 and the load generator to CPU 1 (Linux `taskset`, at least
 * two cores; `BENCH_PIN=0` turns it off). Unpinned, the scheduler often wakes the client on the
 * server's core, and each one waits for the other inside its socket writes.
 */
export const PINNING =
  process.env.BENCH_PIN !== '0' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-c', '0', process.execPath, '-e', '0']).status === 0;
export const SERVER_CPU = 0;
export const CLIENT_CPU = 1;
export const RESULTS_DIR = join(BENCH_DIR, 'results');
const BUILD_DIR = join(RESULTS_DIR, '.build');

/**
 * Bundle the child entry points (with `src/` compiled in) to plain JavaScript, so children run on
 * bare `node`: no TypeScript loader thread inflating RSS, and the code users would run.
 * Packages stay external and load from node_modules.
 */
export async function buildChildren(
  outdir = BUILD_DIR,
  sources = join(BENCH_DIR, '..', 'src'),
): Promise<void> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: ['server', 'load', 'memory'].map((name) => join(BENCH_DIR, `${name}.ts`)),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: { timestep: join(sources, 'index.ts') },
    logLevel: 'warning',
  });
}

function child(
  name: string,
  args: string[],
  execArgv: string[] = [],
  buildDir = BUILD_DIR,
  cpu?: number,
): ChildProcess {
  const pinned = cpu !== undefined && PINNING;
  return fork(join(buildDir, `${name}.mjs`), args, {
    // `taskset -c N node …`: the IPC channel survives the exec.
    ...(pinned ? { execPath: 'taskset' } : {}),
    execArgv: pinned ? ['-c', String(cpu), process.execPath, ...execArgv] : execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** A running target. */
export interface TargetProcess {
  readonly target: Target;
  readonly url: string;
  readonly pid: number | undefined;
  /** The server's CPU time so far (user + system, µs) and RSS. */
  usage(): Promise<{ cpuMicros: number; systemMicros: number; rss: number }>;
  stop(): Promise<void>;
}

/**
 * Start a target in its own process; `execArgv` adds node flags (e.g. `--cpu-prof`), `buildDir`
 * picks another build of the children (to compare two versions of the sources).
 */
export async function startTarget(
  target: Target,
  execArgv: string[] = [],
  buildDir?: string,
): Promise<TargetProcess> {
  const proc = child('server', [target], execArgv, buildDir, SERVER_CPU);
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${target} exited (${code}) before listening.`)));
    proc.on('message', (message: ServerReport) => {
      if (message.type === 'listening') resolve(message.port);
    });
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    target,
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    usage: () =>
      new Promise((resolve) => {
        const onMessage = (message: ServerReport) => {
          if (message.type !== 'usage') return;
          proc.off('message', onMessage);
          resolve(message);
        };
        proc.on('message', onMessage);
        proc.send('usage');
      }),
    stop: async () => {
      proc.send('stop');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function post(url: string, body: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${url}/`, { method: 'POST', headers: HEADERS, body });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** JSON-RPC result of one call, checked for HTTP 200 and no error. */
async function call(url: string, body: string): Promise<Record<string, unknown>> {
  const { status, text } = await post(url, body);
  const reply = JSON.parse(text) as { result?: Record<string, unknown>; error?: unknown };
  if (status !== 200 || !reply.result) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`);
  return reply.result;
}

function assertEcho(task: unknown, where: string): string {
  const json = JSON.stringify(task);
  const t = task as { id?: string; status?: { state?: unknown } };
  const completed = t.status?.state === 'TASK_STATE_COMPLETED' || t.status?.state === 3;
  if (!t.id || !completed || !json.includes('Echo: hello'))
    throw new Error(`${where}: expected a completed task with an echo artifact, got ${json.slice(0, 300)}`);
  return t.id;
}

/** A scenario: what the load generator sends and how one answer is checked. */
export type ScenarioKind = 'send' | 'stream' | 'get';

/**
 * Check the target answers the scenario correctly (so a fast wrong answer can't pass) and return
 * the load job for it. For `get`, creates the task that is then read.
 */
export async function prepare(
  target: TargetProcess,
  kind: ScenarioKind,
  seconds: number,
  connections: number,
): Promise<LoadJob> {
  const isBare = target.target.startsWith('bare-');
  const job = { url: target.url, headers: HEADERS, seconds, connections };
  if (kind === 'send') {
    const result = await call(target.url, sendBody('SendMessage', `check-${Date.now()}`));
    assertEcho(result.task ?? result, `${target.target} SendMessage`);
    return { ...job, body: sendBody('SendMessage', '{{ID}}'), uniqueIds: true };
  }
  if (kind === 'stream') {
    const { status, type, text } = await post(
      target.url,
      sendBody('SendStreamingMessage', `check-${Date.now()}`),
    );
    const events = text.split('\n\n').filter((e) => e.includes('data:'));
    const last = events.at(-1) ?? '';
    if (
      status !== 200 ||
      !type.startsWith('text/event-stream') ||
      events.length < 1 ||
      !/COMPLETED|"state":3/.test(last)
    )
      throw new Error(
        `${target.target} SendStreamingMessage: expected an SSE stream ending completed, got ${text.slice(0, 300)}`,
      );
    return { ...job, body: sendBody('SendStreamingMessage', '{{ID}}'), uniqueIds: true };
  }
  let taskId = 'bare';
  if (!isBare) {
    const created = await call(target.url, sendBody('SendMessage', `get-${Date.now()}`));
    taskId = assertEcho(created.task ?? created, `${target.target} SendMessage`);
    const read = await call(target.url, getBody(taskId));
    if (assertEcho(read, `${target.target} GetTask`) !== taskId)
      throw new Error('GetTask returned another task.');
  }
  return { ...job, body: getBody(taskId), uniqueIds: false };
}

/** The load generator process. */
export class LoadGenerator {
  readonly #proc = child('load', [], [], BUILD_DIR, CLIENT_CPU);

  run(job: LoadJob): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.#proc.once(
        'message',
        (message: { type: 'result'; result: LoadResult } | { type: 'error'; message: string }) => {
          if (message.type === 'result') resolve(message.result);
          else reject(new Error(message.message));
        },
      );
      this.#proc.send(job);
    });
  }

  close(): void {
    this.#proc.disconnect();
  }
}

/** What one target did under load, over its measured windows. */
export interface Measurement {
  target: Target;
  /** Completed requests (or streams) per second: the best of the windows. */
  rps: number;
  /** Rate of each window. */
  windows: number[];
  total: number;
  /** Requests completed during the warmup. */
  warmupTotal: number;
  latencyP50: number;
  latencyP99: number;
  failures: number;
  /** Server CPU time per completed request, µs (all windows). */
  cpuMicrosPerRequest: number;
  /** The part of it spent in the kernel (system time), µs. */
  systemMicrosPerRequest: number;
  /** Server CPU busy share over the measured windows (1 = one core saturated). */
  cpuShare: number;
  /** Load generator CPU busy share. */
  clientShare: number;
  /** CPU used by other processes on the machine during the windows, in cores (Linux; else NaN). */
  noiseCores: number;
  rss: number;
}

/** Busy and total CPU time of the whole machine so far, in µs (Linux `/proc/stat`). */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const tick = 1e6 / 100; // USER_HZ is 100 on Linux
    return { busy: (total - idle) * tick, total: total * tick };
  } catch {
    return undefined;
  }
}

/** Options of a scenario run. */
export interface MeasureOptions {
  warmupSeconds: number;
  /** Measured windows per target, interleaved across the targets. */
  windows: number;
  windowSeconds: number;
  connections: number;
  execArgv?: string[];
}

/**
 * Measure the targets of one scenario. All of them are started (each in its own process) and
 * checked, warmed up one after the other, then measured in interleaved windows (a, b, c, a, b, c, …)
 * so outside load hits them alike; only the target under load does any work at a time.
 */
export async function measureScenario(
  load: LoadGenerator,
  targets: Target[],
  kind: ScenarioKind,
  options: MeasureOptions,
  onMeasured?: (m: Measurement) => void,
): Promise<Measurement[]> {
  const servers: TargetProcess[] = [];
  try {
    for (const target of targets) servers.push(await startTarget(target, options.execArgv));
    const jobs: LoadJob[] = [];
    const warmups: number[] = [];
    for (const server of servers) {
      const job = await prepare(server, kind, options.windowSeconds, options.connections);
      jobs.push(job);
      warmups.push((await load.run({ ...job, seconds: options.warmupSeconds })).total);
    }
    const acc = servers.map(() => ({
      windows: [] as number[],
      results: [] as LoadResult[],
      cpu: 0,
      system: 0,
      wall: 0,
      noise: 0,
    }));
    const rss: number[] = [];
    for (let w = 0; w < options.windows; w++) {
      for (const [i, server] of servers.entries()) {
        const before = await server.usage();
        const machineBefore = machineCpu();
        const started = performance.now();
        const result = await load.run(jobs[i]!);
        const wall = (performance.now() - started) * 1000;
        const machineAfter = machineCpu();
        const after = await server.usage();
        const cpu = after.cpuMicros - before.cpuMicros;
        const a = acc[i]!;
        a.windows.push(result.rps);
        a.results.push(result);
        a.cpu += cpu;
        a.system += after.systemMicros - before.systemMicros;
        a.wall += wall;
        a.noise +=
          machineBefore && machineAfter
            ? Math.max(0, machineAfter.busy - machineBefore.busy - cpu - result.cpuMicros)
            : Number.NaN;
        rss[i] = after.rss;
      }
    }
    return servers.map((server, i) => {
      const a = acc[i]!;
      const total = a.results.reduce((sum, r) => sum + r.total, 0);
      const best = a.results.reduce((x, y) => (y.rps > x.rps ? y : x));
      const m: Measurement = {
        target: server.target,
        rps: best.rps,
        windows: a.windows,
        total,
        warmupTotal: warmups[i] ?? 0,
        latencyP50: best.latencyP50,
        latencyP99: best.latencyP99,
        failures: a.results.reduce((sum, r) => sum + r.failures, 0),
        cpuMicrosPerRequest: total > 0 ? a.cpu / total : 0,
        systemMicrosPerRequest: total > 0 ? a.system / total : 0,
        cpuShare: a.cpu / a.wall,
        clientShare: a.results.reduce((sum, r) => sum + r.cpuMicros, 0) / a.wall,
        noiseCores: a.noise / a.wall,
        rss: rss[i] ?? 0,
      };
      onMeasured?.(m);
      return m;
    });
  } finally {
    for (const server of servers) await server.stop();
  }
}

/** RSS after `count` completed tasks, in a fresh `--expose-gc` process. */
export function measureMemory(target: 'timestep' | 'sdk', count: number): Promise<MemoryReport> {
  const proc = child('memory', [target, String(count)], ['--expose-gc']);
  return new Promise((resolve, reject) => {
    let report: MemoryReport | undefined;
    proc.once('message', (message: MemoryReport) => {
      report = message;
    });
    proc.once('exit', (code) =>
      report ? resolve(report) : reject(new Error(`memory run for ${target} exited with ${code}`)),
    );
  });
}
