/**
 * Terminal output for the CLI: colors (off when not a TTY or with NO_COLOR), a spinner for
 * long waits (on stderr, so `--json` output on stdout stays clean), and task rendering.
 *
 * @module
 */
import type { Message, Part, Task, TaskState } from '../a2a/types.js';

const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR;

function paint(code: number, text: string): string {
  return useColor ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Text styles. */
export const style = {
  bold: (t: string) => paint(1, t),
  dim: (t: string) => paint(2, t),
  red: (t: string) => paint(31, t),
  green: (t: string) => paint(32, t),
  yellow: (t: string) => paint(33, t),
  cyan: (t: string) => paint(36, t),
};

/** A state without its `TASK_STATE_` prefix, colored by outcome. */
export function stateLabel(state: TaskState): string {
  const short = state.replace('TASK_STATE_', '').toLowerCase().replace('_', '-');
  if (state === 'TASK_STATE_COMPLETED') return style.green(short);
  if (state === 'TASK_STATE_FAILED' || state === 'TASK_STATE_REJECTED' || state === 'TASK_STATE_CANCELED')
    return style.red(short);
  if (state === 'TASK_STATE_INPUT_REQUIRED' || state === 'TASK_STATE_AUTH_REQUIRED')
    return style.yellow(short);
  return style.cyan(short);
}

/** Render parts for a person: text as is, data as JSON, files by name or URL. */
export function partsText(parts: readonly Part[]): string {
  return parts
    .map((part) => {
      if ('text' in part) return part.text;
      if ('data' in part) return JSON.stringify(part.data, null, 2);
      if ('url' in part) return `[file ${part.filename ?? part.url}]`;
      return `[${part.mediaType ?? 'bytes'} ${part.filename ?? ''}]`.trim();
    })
    .join('');
}

/** The text of a message. */
export function messageText(message: Message | undefined): string {
  return message ? partsText(message.parts) : '';
}

/** A spinner on stderr while a promise runs (only on a TTY). */
export async function withSpinner<T>(label: string, work: Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`\r${frames[i++ % frames.length]} ${label} ${style.dim(`${seconds}s`)}`);
  }, 80);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  }
}

/** A short summary of a task: state, id, context and its answer. */
export function taskSummary(task: Task, answer: string): string {
  const lines = [
    `${stateLabel(task.status.state)} ${style.dim(`task ${task.id} · context ${task.contextId}`)}`,
  ];
  if (answer) lines.push(answer);
  return lines.join('\n');
}
