/**
 * CPU profile of one target under load.
 *
 *   npx tsx bench/profile.ts [--perf] [--scenario send|stream|get] [--target timestep-memory] [--seconds 5] [--top 30]
 *
 * Default: `node --cpu-prof` on the server process; writes the `.cpuprofile` under
 * bench/results/profiles/ (open it in Chrome DevTools or VS Code) and prints the functions with
 * the most self time, and self time by source file. V8's sampler counts wall time, so a native
 * call the process was preempted in (often `writev`) looks expensive, and inlined code can hide.
 *
 * `--perf`: Linux `perf record` on the server process (needs `perf`; JIT symbols through
 * `--perf-basic-prof`): on-CPU samples only, user and kernel, so shares are real CPU.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR,
  buildChildren,
  LoadGenerator,
  measureScenario,
  prepare,
  RESULTS_DIR,
  type ScenarioKind,
  startTarget,
} from './harness.js';
import type { Target } from './server.js';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'send' },
    target: { type: 'string', default: 'timestep-memory' },
    seconds: { type: 'string', default: '5' },
    top: { type: 'string', default: '30' },
    perf: { type: 'boolean', default: false },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const dir = join(RESULTS_DIR, 'profiles');
const root = join(BENCH_DIR, '..');

function where(url: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const rel = relative(root, path);
  return rel.startsWith('..') ? path : rel;
}

function summarize(profile: CpuProfile, top: number, requests: number): void {
  // Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  /** Sampled lines of the bundled sources (`file:line` → ticks). */
  const byLine = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const t = selfTime.get(node.id) ?? 0;
    total += t;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = where(url);
    const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    if (functionName !== '(idle)') byFile.set(file, (byFile.get(file) ?? 0) + t);
    if (file.includes('.build/'))
      for (const { line, ticks } of node.positionTicks ?? [])
        byLine.set(`${file}:${line}`, (byLine.get(`${file}:${line}`) ?? 0) + ticks);
  }
  const busy = total - (byFunction.get('(idle)  (native/V8)') ?? 0);
  const print = (title: string, map: Map<string, number>, n: number) => {
    console.log(`\n${title} (share of non-idle CPU time)`);
    for (const [key, t] of [...map]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n))
      console.log(
        `${((100 * t) / busy).toFixed(1).padStart(6)}%  ${(t / requests).toFixed(1).padStart(6)} µs/req  ${key}`,
      );
  };
  console.log(
    `\nprofile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy, ` +
      `${requests} requests (incl. warmup): ${(busy / requests).toFixed(0)} µs/req sampled busy`,
  );
  console.log(
    '(a sampled native call such as writev also counts time the process waited, preempted, inside it)',
  );
  print('Top functions by self time', byFunction, top);
  print('Self time by file', byFile, 20);
  const ticks = [...byLine.values()].reduce((a, b) => a + b, 0);
  console.log('\nHottest lines of the bundled code (share of its samples; see bench/results/.build/)');
  for (const [line, count] of [...byLine].sort((a, b) => b[1] - a[1]).slice(0, Math.min(top, 25)))
    console.log(`${((100 * count) / ticks).toFixed(1).padStart(6)}%  ${line}`);
}

/** Group perf symbols into where the CPU went. */
function category(symbol: string, kernel: boolean): string {
  if (kernel) return 'kernel (syscalls, TCP loopback)';
  if (symbol.includes('.build/')) return 'bundled code (src/, examples/, bench/)';
  if (symbol.startsWith('JS:') && symbol.includes('node:'))
    return 'Node.js library JS (http, streams, events)';
  if (symbol.startsWith('JS:')) return 'other JS';
  if (/Scaveng|Marking|Sweep|Evacuat|Heap::|Compact|GC/.test(symbol)) return 'garbage collection';
  if (/Json/.test(symbol)) return 'JSON parse/stringify';
  if (symbol.startsWith('Builtins_')) return 'V8 builtins (Map/Set, promises, ICs, strings)';
  if (/llhttp|node::/.test(symbol)) return 'Node.js native (HTTP parser, streams)';
  return 'other native (V8 runtime, libc)';
}

async function perfProfile(): Promise<void> {
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('--perf needs Linux perf on the PATH.');
  await buildChildren();
  const data = join(dir, `perf-${args.target}-${Date.now()}.data`);
  mkdirSync(dir, { recursive: true });
  const server = await startTarget(args.target as Target, [
    '--perf-basic-prof',
    // Code moved by compaction would leave stale addresses in the map file.
    '--no-compact-code-space',
  ]);
  const load = new LoadGenerator();
  let requests = 0;
  try {
    const job = await prepare(server, args.scenario as ScenarioKind, Number(args.seconds), 10);
    await load.run({ ...job, seconds: 1 });
    const perf = spawn('perf', ['record', '-F', '1999', '-g', '-p', String(server.pid), '-o', data], {
      stdio: 'ignore',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await server.usage();
    const result = await load.run(job);
    const after = await server.usage();
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.once('exit', resolve));
    requests = result.total;
    console.log(
      `${args.target} ${args.scenario}: ${result.rps.toFixed(0)}/s, server ` +
        `${((after.cpuMicros - before.cpuMicros) / result.total).toFixed(0)} µs/req`,
    );
  } finally {
    load.close();
    await server.stop();
  }
  const report = spawnSync(
    'perf',
    ['report', '-i', data, '--no-children', '--sort', 'sym', '--stdio', '-g', 'none'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  ).stdout;
  // perf resolved JIT frames through the process's map file; it is no longer needed.
  if (server.pid) rmSync(`/tmp/perf-${server.pid}.map`, { force: true });
  const rows: { share: number; kernel: boolean; symbol: string }[] = [];
  for (const line of report.split('\n')) {
    const match = /^\s*([\d.]+)%\s+\[(.)\]\s+(.*?)\s*$/.exec(line);
    if (match) rows.push({ share: Number(match[1]), kernel: match[2] === 'k', symbol: match[3]! });
  }
  const byCategory = new Map<string, number>();
  for (const r of rows) {
    const c = category(r.symbol, r.kernel);
    byCategory.set(c, (byCategory.get(c) ?? 0) + r.share);
  }
  console.log(`perf data: ${relative(root, data)} (${requests} requests sampled)\n\nOn-CPU time by category`);
  for (const [c, share] of [...byCategory].sort((a, b) => b[1] - a[1]))
    console.log(`${share.toFixed(1).padStart(6)}%  ${c}`);
  console.log('\nTop symbols by self time (on-CPU)');
  for (const r of rows.slice(0, Number(args.top)))
    console.log(
      `${r.share.toFixed(2).padStart(6)}%  ${r.kernel ? '[k] ' : ''}${r.symbol.replace(/file:\/\/\S*\//, '')}`,
    );
}

async function main(): Promise<void> {
  if (args.perf) {
    await perfProfile();
    return;
  }
  await buildChildren();
  const started = Date.now();
  let requests = 0;
  const load = new LoadGenerator();
  try {
    const [m] = await measureScenario(load, [args.target as Target], args.scenario as ScenarioKind, {
      warmupSeconds: 1,
      windows: 1,
      windowSeconds: Number(args.seconds),
      connections: 10,
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    if (!m) throw new Error('Nothing was measured.');
    requests = m.total + m.warmupTotal;
    console.log(
      `${m.target} ${args.scenario}: ${m.rps.toFixed(0)}/s, server ${m.cpuMicrosPerRequest.toFixed(0)} µs/req` +
        ` (profiling slows it a little)`,
    );
  } finally {
    load.close();
  }
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= started)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) throw new Error('No profile was written.');
  console.log(`profile written to ${relative(root, newest)}`);
  summarize(JSON.parse(readFileSync(newest, 'utf8')) as CpuProfile, Number(args.top), requests);
}

await main();
