/**
 * The `timestep` command as a user runs it: the installed bin (`bin/timestep.js`, built
 * `dist/`), against real servers. `serve` is answered by the official `@a2a-js/sdk` client;
 * `chat` runs in a real terminal under tmux.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TaskState } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import { A2AServer, defineAgent } from 'timestep';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echoAgent from '../examples/echo-agent.js';
import { send } from './helpers/v1-suite.js';
import { waitFor } from './helpers/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/timestep.js`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function timestep(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? 1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let echo: A2AServer;
let url: string;

beforeAll(async () => {
  if (!existsSync(`${root}dist/cli/main.js`))
    throw new Error('dist/ is missing: run `npm run build` (npm test does).');
  echo = new A2AServer({ ...echoAgent, store: 'memory' });
  ({ url } = await echo.listen());
});

afterAll(async () => {
  await echo.close();
});

describe('timestep send / card / tasks / task', () => {
  it('send prints the echo and exits 0', async () => {
    const run = await timestep('send', url, 'hello', 'there');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Echo: hello there');
    expect(run.stdout).toContain('completed');
  });

  it('send --json prints the task as JSON, over each transport', async () => {
    for (const transport of ['jsonrpc', 'rest', 'jsonrpc-0.3']) {
      const run = await timestep('send', url, 'hi', '--json', '--transport', transport);
      expect(run.code).toBe(0);
      const task = JSON.parse(run.stdout);
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      expect(task.artifacts[0].parts[0].text).toBe('Echo: hi');
    }
  });

  it('card --json prints the card; card prints it for a person', async () => {
    const json = await timestep('card', url, '--json');
    expect(JSON.parse(json.stdout).name).toBe('Echo Agent');
    const pretty = await timestep('card', url);
    expect(pretty.stdout).toContain('Echo Agent');
    expect(pretty.stdout).toContain('JSONRPC');
    expect(pretty.stdout).toContain('Skills (1)');
  });

  it('tasks lists tasks, filtered by state, with --json for scripts', async () => {
    await timestep('send', url, 'listed');
    const json = await timestep('tasks', url, '--json', '--state', 'completed');
    const page = JSON.parse(json.stdout);
    expect(page.tasks.length).toBeGreaterThan(0);
    expect(
      page.tasks.every((t: { status: { state: string } }) => t.status.state === 'TASK_STATE_COMPLETED'),
    ).toBe(true);
    const none = JSON.parse((await timestep('tasks', url, '--json', '--state', 'failed')).stdout);
    expect(none.tasks).toEqual([]);
    const pretty = await timestep('tasks', url);
    expect(pretty.stdout).toContain('Echo: listed');
  });

  it('task shows one task; an unknown id exits 1 with the cause and a hint', async () => {
    const sent = JSON.parse((await timestep('send', url, 'find me', '--json')).stdout);
    const shown = await timestep('task', url, sent.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Echo: find me');
    const missing = await timestep('task', url, 'no-such-task');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Task 'no-such-task' was not found");
    expect(missing.stderr).toContain('hint:');
  });

  it('usage errors exit 2 and say what to do', async () => {
    const run = await timestep('send');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('send needs an agent URL');
    const bad = await timestep('tasks', url, '--state', 'sleeping');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--state must be one of');
    const unknown = await timestep('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unreachable agent is reported with its URL', async () => {
    const run = await timestep('card', 'http://127.0.0.1:1');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Could not reach http://127.0.0.1:1');
  });
});

describe('timestep serve', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('serves examples/echo-agent.ts on 127.0.0.1, answering the official @a2a-js/sdk client', async () => {
    child = spawn(
      process.execPath,
      [bin, 'serve', 'examples/echo-agent.ts', '--port', '0', '--store', 'memory'],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const served = await waitFor(
      () => /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1],
      `serve to start (${output})`,
    );
    const client = await new ClientFactory().createFromUrl(served);
    const result = await client.sendMessage(send('from the official client'));
    if (!('id' in result) || !('status' in result)) throw new Error('expected a task');
    expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const text = result.artifacts
      .flatMap((a) => a.parts)
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''));
    expect(text.join('')).toBe('Echo: from the official client');
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe.skipIf(!hasTmux)('timestep chat in a real terminal (tmux)', () => {
  let slow: A2AServer;
  let slowUrl: string;
  const session = `timestep-chat-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-t', session, '-p').stdout;

  beforeAll(async () => {
    slow = new A2AServer({
      ...defineAgent({
        card: { name: 'Slow Talker', description: 'Streams words slowly.' },
        worker: async (ctx) => {
          if (ctx.userText !== 'long story') return ctx.complete(`Echo: ${ctx.userText}`);
          for (let i = 0; !ctx.signal.aborted && i < 1_000; i++) {
            await ctx.emitArtifact({ artifactId: 'story', content: `word${i} `, append: i > 0 });
            await new Promise((r) => setTimeout(r, 50));
          }
        },
      }),
      store: 'memory',
      cancelGraceMs: 2_000,
    });
    ({ url: slowUrl } = await slow.listen());
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '160',
      '-y',
      '40',
      `NO_COLOR=1 ${process.execPath} ${bin} chat ${slowUrl}`,
    );
  });

  afterAll(async () => {
    tmux('kill-session', '-t', session);
    await slow.close();
  });

  it('streams the answer to what is typed', async () => {
    await waitFor(() => screen().includes('you ›'), 'the prompt');
    tmux('send-keys', '-t', session, 'hello from tmux', 'Enter');
    await waitFor(() => screen().includes('Echo: hello from tmux'), 'the echo');
    await waitFor(() => screen().includes('[completed'), 'the completed state');
  });

  it('Ctrl-C cancels the running task and returns to the prompt', async () => {
    tmux('send-keys', '-t', session, 'long story', 'Enter');
    await waitFor(() => screen().includes('word3'), 'streamed words');
    tmux('send-keys', '-t', session, 'C-c');
    await waitFor(() => screen().includes('[canceled'), 'the canceled state');
    const tasks = await slow.runtime.listTasks({ status: 'TASK_STATE_CANCELED' });
    expect(tasks.tasks.length).toBe(1);
  });
});
