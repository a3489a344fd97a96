/**
 * `npm run bench`: Timestep against a bare `node:http` baseline and the official `@a2a-js/sdk`
 * server, side by side in one run, as the ratios DESIGN.md §5 budgets. See bench/README.md.
 *
 *   npm run bench [-- --seconds 4 --windows 2 --warmup 1 --connections 10 --tasks 100000 --iterations 300
 *     --only send,stream,get,memory,loop,handoff]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildChildren,
  LoadGenerator,
  type Measurement,
  measureMemory,
  measureScenario,
  RESULTS_DIR,
  type ScenarioKind,
} from './harness.js';
import { type LatencyResult, measureHandoff, measureLoop } from './loop.js';
import type { MemoryReport } from './memory.js';
import type { Target } from './server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    windows: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10' },
    tasks: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '300' },
    only: { type: 'string', default: 'send,stream,get,memory,loop,handoff' },
  },
});
const seconds = Number(args.seconds);
const windows = Math.max(1, Math.trunc(Number(args.windows)));
const warmupSeconds = Number(args.warmup);
const connections = Number(args.connections);
const taskCount = Number(args.tasks);
const iterations = Math.max(1, Math.trunc(Number(args.iterations)));
const only = new Set(args.only.split(','));

type Column = 'bare' | 'timestep' | 'sqlite' | 'sdk';

interface Ratio {
  name: string;
  of: Column;
  to: Column;
  /** Minimum ratio; undefined: informational. */
  min?: number;
}

interface Scenario {
  kind: ScenarioKind;
  title: string;
  unit: string;
  targets: Partial<Record<Column, Target>>;
  ratios: Ratio[];
}

const SCENARIOS: Scenario[] = [
  {
    kind: 'send',
    title: 'SendMessage echo, blocking',
    unit: 'req/s',
    targets: { bare: 'bare-send', timestep: 'timestep-memory', sdk: 'sdk' },
    ratios: [
      { name: 'timestep/bare', of: 'timestep', to: 'bare', min: 0.5 },
      { name: 'timestep/sdk', of: 'timestep', to: 'sdk', min: 5 },
    ],
  },
  {
    kind: 'stream',
    title: 'SendStreamingMessage echo',
    unit: 'streams/s',
    targets: { bare: 'bare-stream', timestep: 'timestep-memory', sqlite: 'timestep-sqlite', sdk: 'sdk' },
    ratios: [
      { name: 'timestep/bare', of: 'timestep', to: 'bare', min: 0.4 },
      { name: 'sqlite/bare', of: 'sqlite', to: 'bare', min: 0.25 },
      { name: 'timestep/sdk', of: 'timestep', to: 'sdk' },
    ],
  },
  {
    kind: 'get',
    title: 'GetTask (existing task)',
    unit: 'req/s',
    targets: { bare: 'bare-get', timestep: 'timestep-memory', sdk: 'sdk' },
    ratios: [
      { name: 'timestep/bare', of: 'timestep', to: 'bare' },
      { name: 'timestep/sdk', of: 'timestep', to: 'sdk' },
    ],
  },
];

const RSS_BUDGET_MB = 150;
const MB = 1024 * 1024;

interface ScenarioResult {
  kind: ScenarioKind;
  title: string;
  unit: string;
  measurements: Partial<Record<Column, Measurement>>;
  ratios: {
    name: string;
    value: number;
    /** The same ratio from server CPU time per request (what it would be if each had a core to itself). */
    cpuValue: number;
    min: number | undefined;
    pass: boolean | undefined;
  }[];
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n').replace(/ +$/gm, '');
}

async function main(): Promise<void> {
  const started = performance.now();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const throughput = SCENARIOS.some((s) => only.has(s.kind));
  console.log(
    `Timestep bench: ${availableParallelism()} cores (${cpu}), node ${process.version}` +
      (throughput
        ? `; autocannon ${connections} connections, pipelining 1, ${warmupSeconds}s warmup + ${seconds}s measured per target ` +
          `(${windows} interleaved windows; the better one counts).`
        : '.'),
  );
  if (throughput) console.log('Each server runs in its own process; the load generator in another.');
  const [load1] = loadavg();
  if (load1 !== undefined && load1 > 0.5)
    console.log(
      `NOTE: the machine is busy (load average ${load1.toFixed(1)})${throughput ? '; see "others" below' : ''}.`,
    );
  console.log('');
  if (throughput || only.has('memory')) await buildChildren();

  const results: ScenarioResult[] = [];
  const load = throughput ? new LoadGenerator() : undefined;
  try {
    for (const scenario of SCENARIOS) {
      if (!only.has(scenario.kind)) continue;
      const measurements: Partial<Record<Column, Measurement>> = {};
      const columns = Object.entries(scenario.targets) as [Column, Target][];
      const measured = await measureScenario(
        load!,
        columns.map(([, target]) => target),
        scenario.kind,
        { warmupSeconds, windows, windowSeconds: seconds / windows, connections },
        (m) =>
          console.log(
            `  ${scenario.title}: ${m.target} ${fmt(m.rps)} ${scenario.unit} ` +
              `(windows ${m.windows.map((w) => fmt(w)).join(' / ')}; server ${fmt(m.cpuMicrosPerRequest)} µs/req)` +
              (m.failures > 0 ? `, ${m.failures} FAILED requests` : ''),
          ),
      );
      columns.forEach(([column], i) => {
        measurements[column] = measured[i]!;
      });
      results.push({
        kind: scenario.kind,
        title: scenario.title,
        unit: scenario.unit,
        measurements,
        ratios: scenario.ratios.map((r) => {
          const of = measurements[r.of];
          const to = measurements[r.to];
          const value = (of?.rps ?? Number.NaN) / (to?.rps ?? Number.NaN);
          const cpuValue = (to?.cpuMicrosPerRequest ?? Number.NaN) / (of?.cpuMicrosPerRequest ?? Number.NaN);
          return {
            name: r.name,
            value,
            cpuValue,
            min: r.min,
            pass: r.min === undefined ? undefined : value >= r.min,
          };
        }),
      });
    }
  } finally {
    load?.close();
  }

  let memory: { timestep: MemoryReport; sdk: MemoryReport; pass: boolean } | undefined;
  if (only.has('memory')) {
    process.stdout.write(`  RSS after ${fmt(taskCount)} tasks: timestep … `);
    const timestep = await measureMemory('timestep', taskCount);
    process.stdout.write(`${fmt(timestep.rss / MB)} MB; sdk … `);
    const sdk = await measureMemory('sdk', taskCount);
    console.log(`${fmt(sdk.rss / MB)} MB`);
    memory = { timestep, sdk, pass: timestep.rss / MB <= RSS_BUDGET_MB };
  }

  const latency: LatencyResult[] = [];
  const latencyOptions = { iterations, warmup: Math.min(50, iterations) };
  for (const [kind, measure] of [
    ['loop', measureLoop],
    ['handoff', measureHandoff],
  ] as const) {
    if (!only.has(kind)) continue;
    const r = await measure(latencyOptions);
    latency.push(r);
    console.log(
      `  ${r.title}: a ${fmt(r.a.median, 2)} ms, b ${fmt(r.b.median, 2)} ms (medians of ${r.a.samples}), ` +
        `overhead ${fmt(r.overhead, 2)} ms`,
    );
  }

  // ---- the summary table ------------------------------------------------------------------
  const rows: string[][] = [
    [
      'scenario',
      'bare',
      'timestep',
      'ts-sqlite',
      'sdk',
      'ratio',
      'value',
      'budget',
      'result',
      'cpu-time ratio',
    ],
  ];
  for (const r of results) {
    r.ratios.forEach((ratio, i) => {
      const m = r.measurements;
      rows.push([
        i === 0 ? `${r.title} (${r.unit})` : '',
        i === 0 ? fmt(m.bare?.rps) : '',
        i === 0 ? fmt(m.timestep?.rps) : '',
        i === 0 ? fmt(m.sqlite?.rps) : '',
        i === 0 ? fmt(m.sdk?.rps) : '',
        ratio.name,
        `${fmt(ratio.value, 2)}x`,
        ratio.min === undefined ? '(info)' : `>= ${ratio.min}x`,
        ratio.pass === undefined ? '' : ratio.pass ? 'PASS' : 'FAIL',
        `${fmt(ratio.cpuValue, 2)}x`,
      ]);
    });
  }
  if (memory) {
    rows.push([
      `RSS after ${fmt(taskCount)} tasks (MB)`,
      '-',
      fmt(memory.timestep.rss / MB),
      '-',
      fmt(memory.sdk.rss / MB),
      'timestep RSS',
      `${fmt(memory.timestep.rss / MB)} MB`,
      `<= ${RSS_BUDGET_MB} MB`,
      memory.pass ? 'PASS' : 'FAIL',
      '',
    ]);
  }
  if (rows.length > 1) console.log(`\n${table(rows, new Set([1, 2, 3, 4, 6, 9]))}\n`);

  const detail: string[][] = [
    [
      'target',
      'scenario',
      'rate',
      'p50 ms',
      'p99 ms',
      'server µs/req',
      'of which kernel',
      'server busy',
      'client busy',
      'others',
      'server RSS MB',
      'failed',
    ],
  ];
  for (const r of results) {
    for (const m of Object.values(r.measurements)) {
      detail.push([
        m.target,
        r.kind,
        fmt(m.rps),
        fmt(m.latencyP50),
        fmt(m.latencyP99),
        fmt(m.cpuMicrosPerRequest),
        fmt(m.systemMicrosPerRequest),
        `${fmt(m.cpuShare * 100)}%`,
        `${fmt(m.clientShare * 100)}%`,
        `${fmt(m.noiseCores, 2)} cores`,
        fmt(m.rss / MB),
        fmt(m.failures),
      ]);
    }
  }
  if (results.length > 0) console.log(table(detail, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])));
  if (memory) {
    for (const r of [memory.timestep, memory.sdk]) {
      console.log(
        `memory ${r.target}: RSS ${fmt(r.rss / MB)} MB (${fmt(r.rssBefore / MB)} MB before the sends), ` +
          `heap used ${fmt(r.heapUsed / MB)} MB, ${r.retained === undefined ? 'all' : fmt(r.retained)} tasks retained, ` +
          `${fmt(r.tasks / r.seconds)} sends/s in-process`,
      );
    }
  }

  const latencyRows: string[][] = [
    ['scenario', 'a', 'a ms (median/p90)', 'b', 'b ms (median/p90)', 'overhead ms', 'budget', 'result'],
  ];
  for (const r of latency) {
    latencyRows.push([
      r.kind,
      r.a.label,
      `${fmt(r.a.median, 2)} / ${fmt(r.a.p90, 2)}`,
      r.b.label,
      `${fmt(r.b.median, 2)} / ${fmt(r.b.p90, 2)}`,
      fmt(r.overhead, 2),
      `<= ${r.budgetMs} ms`,
      r.pass ? 'PASS' : 'FAIL',
    ]);
  }
  if (latency.length > 0) {
    console.log(
      `\nLatency, in-process, sequential: ${iterations} measured rounds (a and b alternately) after ` +
        `${latencyOptions.warmup} warm-up rounds; overhead = median(b) - median(a).`,
    );
    console.log(table(latencyRows, new Set([2, 4, 5])));
    for (const r of latency) console.log(`${r.kind}: ${r.note}`);
  }

  const failures = results.flatMap((r) => Object.values(r.measurements)).filter((m) => m.failures > 0);
  if (failures.length > 0)
    console.log(
      `\nWARNING: failed requests in ${failures.map((m) => m.target).join(', ')}; figures are suspect.`,
    );
  const elapsed = (performance.now() - started) / 1000;
  console.log(`\nTotal ${fmt(elapsed, 0)} s. Results in bench/results/latest.json.`);

  writeFileSync(
    join(RESULTS_DIR, 'latest.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cores: availableParallelism(), cpu, node: process.version },
        settings: {
          seconds,
          windows,
          warmupSeconds,
          connections,
          pipelining: 1,
          tasks: taskCount,
          iterations,
          only: [...only],
        },
        loadAverageAtStart: load1,
        scenarios: results,
        memory: memory && {
          budgetMB: RSS_BUDGET_MB,
          timestepMB: memory.timestep.rss / MB,
          sdkMB: memory.sdk.rss / MB,
          pass: memory.pass,
          timestep: memory.timestep,
          sdk: memory.sdk,
        },
        latency,
        table: rows,
        latencyTable: latencyRows,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
