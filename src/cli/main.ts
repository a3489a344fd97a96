/**
 * The `timestep` command line.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import {
  cancelCommand,
  cardCommand,
  describeError,
  sendCommand,
  taskCommand,
  tasksCommand,
  UsageError,
} from './remote.js';
import { serve } from './serve.js';

const USAGE = `Usage: timestep <command> [options]

Commands:
  demo                         Run the demo agents on 127.0.0.1 (offline by default)
  serve <module>               Serve the agent a module exports
      --port <n>               Port (default 8000)
      --host <addr>            Interface (default 127.0.0.1)
      --store <spec>           memory | sqlite | sqlite:<file> (default sqlite: .timestep/<agent>.db)
  card <url>                   Show an agent's card
  send <url> <text…>           Send a message and print the answer
      --context <id>           Continue a conversation
      --task <id>              Answer a task that needs input
      --data <json>            Add a data part (e.g. tool results)
  chat <url>                   Talk with an agent interactively
  tasks <url>                  List tasks
      --state <state>          e.g. working, completed, input-required
      --context <id>           Only this conversation
      --limit <n>              Page size (default 20); --page <token> for the next page
  task <url> <id>              Show one task with its history
  cancel <url> <id>            Cancel a task
  ui <url…>                    Open the web UI for these agents (any A2A agents)
      --port <n>               Port (default 8080)
      --host <addr>            Interface (default 127.0.0.1)
  help                         Show this help

Options for the commands that talk to an agent:
  --json                       Machine-readable output
  --header 'Name: value'       Extra request header (repeatable), e.g. auth
  --transport <t>              auto | jsonrpc | rest | jsonrpc-0.3
  --timeout <ms>               Per-call timeout

Exit codes: 0 done, 1 the task failed/was rejected/canceled or an error, 2 usage, 3 the task needs input.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`timestep: ${message}\n`);
  process.exit(code);
}

const REMOTE: Record<string, (args: string[]) => Promise<number>> = {
  card: cardCommand,
  send: sendCommand,
  tasks: tasksCommand,
  task: taskCommand,
  cancel: cancelCommand,
  chat: async (args) => (await import('./chat.js')).chatCommand(args),
};

function stopOnSignal(servers: Array<{ close(): Promise<void> }>): void {
  const stop = () => {
    void Promise.all(servers.map((s) => s.close())).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const remote = command ? REMOTE[command] : undefined;
  if (remote) {
    process.exitCode = await remote(rest);
    return;
  }
  switch (command) {
    case 'serve': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          port: { type: 'string', default: '8000' },
          host: { type: 'string', default: '127.0.0.1' },
          store: { type: 'string' },
        },
      });
      const modulePath = positionals[0];
      if (!modulePath) fail('serve needs a module, e.g. `timestep serve examples/echo-agent.ts`.');
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        fail(`--port must be a number from 0 to 65535, not '${values.port}'.`);
      const server = await serve(modulePath, { port, host: values.host, store: values.store });
      stopOnSignal([server]);
      return;
    }
    case 'ui': {
      const { uiCommand } = await import('./ui.js');
      stopOnSignal([await uiCommand(rest)]);
      return;
    }
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      stopOnSignal(await runDemo());
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      fail(`unknown command '${command}'.\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (
    err instanceof UsageError ||
    (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    fail(`${err.message}\nRun \`timestep help\` for usage.`);
  }
  fail(describeError(err), 1);
});
