/**
 * `timestep chat <url>`: an interactive conversation with an agent.
 *
 * Answers stream in as they are produced, with the task's state. When the agent needs input the
 * next line answers it; when it asks the client to act on tool calls (a `tool_calls` data part)
 * each call is shown and answered in turn (approve, refuse, or type a result). Ctrl-C while the
 * agent works cancels its task; Ctrl-C or Ctrl-D at the prompt leaves.
 *
 * @module
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { SendInput } from '../a2a/client/client.js';
import type { JsonValue, Part, StreamResponse, Task, TaskState } from '../a2a/types.js';
import { isInterrupted, isTerminal } from '../a2a/types.js';
import { partsText, stateLabel, style } from './output.js';
import { COMMON_OPTIONS, connect, describeError, UsageError } from './remote.js';

/** A tool call the agent asks the client to act on (DESIGN §3). */
interface ToolCall {
  call_id: string;
  name: string;
  arguments?: JsonValue;
  [extra: string]: unknown;
}

function toolCallsOf(parts: readonly Part[] | undefined): ToolCall[] {
  for (const part of parts ?? []) {
    if ('data' in part && part.data && typeof part.data === 'object' && !Array.isArray(part.data)) {
      const calls = (part.data as Record<string, unknown>).tool_calls;
      if (Array.isArray(calls)) return calls as unknown as ToolCall[];
    }
  }
  return [];
}

function textParts(parts: readonly Part[] | undefined): string {
  return partsText((parts ?? []).filter((p) => 'text' in p));
}

/** Runs the conversation; resolves with the exit code. */
export async function chatCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, context: { type: 'string' } },
  });
  const url = positionals[0];
  if (!url) throw new UsageError('chat needs an agent URL, e.g. `timestep chat http://127.0.0.1:8000`.');
  const client = await connect(url, values);
  const out = process.stdout;
  out.write(`${style.bold(client.card.name)} ${style.dim(`— ${client.card.description}`)}\n`);
  out.write(
    style.dim('Type a message. Ctrl-C cancels a running task; Ctrl-C or Ctrl-D at the prompt quits.\n\n'),
  );

  const rl = createInterface({ input: process.stdin, output: out, terminal: process.stdin.isTTY === true });
  let contextId: string | undefined = values.context;
  let waitingTask: string | undefined;
  let running: { controller: AbortController; taskId: string | undefined } | undefined;
  let quit = false;

  rl.on('SIGINT', () => {
    if (running) {
      const turn = running;
      out.write(style.yellow('\n^C canceling the task…\n'));
      if (turn.taskId) void client.cancel(turn.taskId).catch(() => {});
      // Give the cancel a moment to land so the stream ends with the canceled state.
      setTimeout(() => turn.controller.abort(), turn.taskId ? 1_500 : 0).unref();
      return;
    }
    quit = true;
    rl.close();
  });
  rl.on('close', () => {
    quit = true;
  });

  const runTurn = async (input: SendInput): Promise<Task | undefined> => {
    const controller = new AbortController();
    running = { controller, taskId: input.taskId };
    let task: Task | undefined;
    let streamedText = false;
    const show = (event: StreamResponse) => {
      if ('message' in event) {
        out.write(`${style.cyan('agent ›')} ${partsText(event.message.parts)}\n`);
        return;
      }
      if ('task' in event) {
        task = event.task;
        running!.taskId = task.id;
        contextId = task.contextId;
        // A new task that arrives already finished (or waiting) carries its whole answer.
        const state = task.status.state;
        if (!input.taskId && (isTerminal(state) || isInterrupted(state))) {
          for (const artifact of task.artifacts ?? []) {
            const text = textParts(artifact.parts);
            if (text) out.write(`${style.cyan('agent ›')} ${text}\n`);
          }
          const said = textParts(task.status.message?.parts);
          if (said) out.write(`${style.cyan('agent ›')} ${said}\n`);
        }
        return;
      }
      if ('artifactUpdate' in event) {
        const text = textParts(event.artifactUpdate.artifact.parts);
        if (text) {
          if (!streamedText) out.write(`${style.cyan('agent ›')} `);
          streamedText = true;
          out.write(text);
        }
        return;
      }
      const { status } = event.statusUpdate;
      if (task) task = { ...task, status };
      const said = textParts(status.message?.parts);
      if (streamedText && (said || isTerminal(status.state) || isInterrupted(status.state))) {
        out.write('\n');
        streamedText = false;
      }
      if (said && status.state !== 'TASK_STATE_COMPLETED') out.write(`${style.cyan('agent ›')} ${said}\n`);
      else if (said) out.write(`${style.cyan('agent ›')} ${said}\n`);
    };
    try {
      for await (const event of client.stream(
        { ...input, ...(contextId ? { contextId } : {}) },
        { signal: controller.signal },
      ))
        show(event);
    } catch (err) {
      if (!controller.signal.aborted) out.write(style.red(`error: ${describeError(err)}\n`));
    } finally {
      running = undefined;
      if (streamedText) out.write('\n');
    }
    if (task) {
      const state: TaskState = task.status.state;
      out.write(style.dim(`  [${stateLabel(state)}${style.dim(` · task ${task.id.slice(0, 8)}`)}]\n`));
    }
    return task;
  };

  /** Ask the person about each tool call; the answer goes back as one data part. */
  const answerToolCalls = async (calls: ToolCall[]): Promise<SendInput['parts'] | undefined> => {
    const results: Array<{ call_id: string; name: string; output: string }> = [];
    const approvals: Array<{ call_id: string; approved: boolean; reason?: string }> = [];
    for (const call of calls) {
      // A call raised inside a handed-off agent names the agents it came through.
      const chain = Array.isArray(call.chain)
        ? (call.chain as Array<{ agent_name?: unknown }>).map((link) => String(link.agent_name ?? '?'))
        : [];
      const askedBy = chain.length > 0 ? style.dim(` — asked by ${chain.join(' → ')}`) : '';
      out.write(
        `${style.yellow(call.kind === 'approval' ? 'approve?' : 'tool call')} ${style.bold(call.name)}(${JSON.stringify(call.arguments ?? {})})${askedBy}\n`,
      );
      const answer = (
        await rl.question(style.dim('  [y] approve · [n] refuse · or type the result › '))
      ).trim();
      if (quit) return undefined;
      if (/^(y|yes|a|approve)$/i.test(answer)) approvals.push({ call_id: call.call_id, approved: true });
      else if (/^(n|no|r|refuse)$/i.test(answer)) {
        const reason = (await rl.question(style.dim('  reason (optional) › '))).trim();
        approvals.push({ call_id: call.call_id, approved: false, ...(reason ? { reason } : {}) });
      } else results.push({ call_id: call.call_id, name: call.name, output: answer });
    }
    const data: Record<string, JsonValue> = {};
    if (results.length) data.tool_results = results;
    if (approvals.length) data.tool_approvals = approvals;
    return [{ data }];
  };

  let next: SendInput | undefined;
  while (!quit) {
    if (!next) {
      let line: string;
      try {
        line = await rl.question(style.bold('you › '));
      } catch {
        break;
      }
      if (quit) break;
      if (line.trim() === '') continue;
      if (line.trim() === '/exit' || line.trim() === '/quit') break;
      next = { text: line, ...(waitingTask ? { taskId: waitingTask } : {}) };
    }
    const task = await runTurn(next);
    next = undefined;
    waitingTask = undefined;
    if (
      task?.status.state === 'TASK_STATE_INPUT_REQUIRED' ||
      task?.status.state === 'TASK_STATE_AUTH_REQUIRED'
    ) {
      waitingTask = task.id;
      const calls = toolCallsOf(task.status.message?.parts);
      if (calls.length > 0) {
        const parts = await answerToolCalls(calls);
        if (parts) next = { parts, taskId: task.id };
      }
    }
  }
  rl.close();
  out.write(style.dim('bye\n'));
  return 0;
}
