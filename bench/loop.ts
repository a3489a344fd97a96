/**
 * The latency scenarios of `npm run bench` (DESIGN.md §5, last two rows), in-process, sequential:
 *
 * - `loop`: one blocking SendMessage to the weather assistant (in-process `runtime.sendMessage`, no
 *   A2A HTTP; its Loop reaches the Environment over MCP/HTTP on the agent's `/mcp`) against one
 *   `callTool('get_weather')` on that same `/mcp` endpoint with a v2 MCP client.
 * - `handoff`: "What is the weather in Oakland?" sent over A2A/HTTP (A2AClient, blocking) to the
 *   personal assistant, which hands off to the weather assistant, against the same send straight to
 *   the weather assistant.
 *
 * Both sides of a comparison run alternately (a, b, a, b …) in this process after a warm-up, so
 * outside load hits them alike. Both agents use `ScriptedModel.demo()` and memory stores.
 */
import { randomUUID } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { A2AClient } from '../src/a2a/client/index.js';
import type { Agent } from '../src/agent/agent.js';
import { createPersonalAssistant, createWeatherAssistant } from '../src/agent/demo-agents.js';
import { ScriptedModel } from '../src/models/scripted.js';

/** Latencies of one side of a comparison, in ms. */
export interface LatencyStats {
  label: string;
  median: number;
  p90: number;
  min: number;
  samples: number;
}

/** One latency comparison: b's median over a's, against a budget. */
export interface LatencyResult {
  kind: 'loop' | 'handoff';
  title: string;
  a: LatencyStats;
  b: LatencyStats;
  /** median(b) − median(a), ms. */
  overhead: number;
  budgetMs: number;
  pass: boolean;
  note: string;
}

export interface LatencyOptions {
  iterations: number;
  warmup: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

function stats(label: string, samples: number[]): LatencyStats {
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    label,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: sorted[0] ?? Number.NaN,
    samples: sorted.length,
  };
}

/** Run `a` and `b` alternately: `warmup` rounds unmeasured, then `iterations` measured rounds. */
async function compare(
  a: () => Promise<void>,
  b: () => Promise<void>,
  { iterations, warmup }: LatencyOptions,
): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // Alternate which side goes first so neither always follows the other's garbage.
    const order = i % 2 === 0 ? [a, b] : [b, a];
    for (const run of order) {
      const t0 = performance.now();
      await run();
      const ms = performance.now() - t0;
      (run === a ? as : bs).push(ms);
    }
  }
  return [as, bs];
}

function expectText(what: string, text: string, wanted: string): void {
  if (!text.includes(wanted))
    throw new Error(`${what} answered ${JSON.stringify(text)}, expected "${wanted}"`);
}

function taskAnswer(result: Awaited<ReturnType<A2AClient['send']>>): string {
  if (!('status' in result)) return result.parts.map((p) => ('text' in p ? p.text : '')).join('');
  if (result.status.state !== 'TASK_STATE_COMPLETED') throw new Error(`task ended ${result.status.state}`);
  return (result.artifacts ?? []).flatMap((a) => a.parts.map((p) => ('text' in p ? p.text : ''))).join('');
}

const QUESTION = 'What is the weather in Oakland?';
const ANSWER = '18°C';

/** `loop`: Loop overhead per turn beyond its one MCP tool call. */
export async function measureLoop(options: LatencyOptions): Promise<LatencyResult> {
  const weather = createWeatherAssistant({ model: ScriptedModel.demo(), store: 'memory' });
  let mcp: Client | undefined;
  try {
    const { url } = await weather.listen({ port: 0 });
    mcp = new Client({ name: 'bench-loop', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const client = mcp;
    const runtime = weather.server.runtime;

    const callTool = async () => {
      const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Oakland' } });
      const content = (result.content ?? []) as Array<{ text?: string }>;
      expectText('get_weather', content.map((c) => c.text ?? '').join(''), ANSWER);
    };
    const send = async () => {
      const response = await runtime.sendMessage({
        message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: QUESTION }] },
      });
      if (!('task' in response)) throw new Error('the weather assistant answered with a message, not a task');
      const { task } = response;
      if (task.status.state !== 'TASK_STATE_COMPLETED') throw new Error(`task ended ${task.status.state}`);
      expectText('the weather assistant', taskAnswer(task), `The weather in Oakland is ${ANSWER}`);
    };
    const [as, bs] = await compare(callTool, send, options);
    const a = stats('MCP callTool get_weather', as);
    const b = stats('SendMessage, one tool call', bs);
    const overhead = b.median - a.median;
    return {
      kind: 'loop',
      title: 'Loop turn vs its MCP call',
      a,
      b,
      overhead,
      budgetMs: 2,
      pass: overhead <= 2,
      note:
        'b: in-process runtime.sendMessage (no A2A HTTP); its Loop caches the system prompt and the tool ' +
        'list (refetched on list_changed or a lost session), lists the conversation, makes two scripted model calls.',
    };
  } finally {
    await mcp?.close().catch(() => undefined);
    await weather.close();
  }
}

/** `handoff`: what a handoff adds over asking the target agent directly. */
export async function measureHandoff(options: LatencyOptions): Promise<LatencyResult> {
  const agents: Agent[] = [];
  try {
    const weather = createWeatherAssistant({ model: ScriptedModel.demo(), store: 'memory' });
    agents.push(weather);
    const { url: weatherUrl } = await weather.listen({ port: 0 });
    const personal = createPersonalAssistant({ model: ScriptedModel.demo(), store: 'memory', weatherUrl });
    agents.push(personal);
    const { url: personalUrl } = await personal.listen({ port: 0 });
    const toWeather = await A2AClient.connect(weatherUrl);
    const toPersonal = await A2AClient.connect(personalUrl);

    const direct = async () => {
      expectText('the weather assistant', taskAnswer(await toWeather.send(QUESTION)), ANSWER);
    };
    const viaHandoff = async () => {
      expectText('the personal assistant', taskAnswer(await toPersonal.send(QUESTION)), ANSWER);
    };
    const [as, bs] = await compare(direct, viaHandoff, options);
    const a = stats('SendMessage to weather', as);
    const b = stats('SendMessage to personal', bs);
    const overhead = b.median - a.median;
    return {
      kind: 'handoff',
      title: 'handoff vs direct A2A call',
      a,
      b,
      overhead,
      budgetMs: 10,
      pass: overhead <= 10,
      note:
        'A2A JSON-RPC over HTTP (A2AClient.send, blocking) for both; b = personal turn + handoff tool over MCP ' +
        '+ sampling request + A2A stream to the weather assistant (its final task read from the stream), then the answer.',
    };
  } finally {
    for (const agent of agents.reverse()) await agent.close().catch(() => undefined);
  }
}
