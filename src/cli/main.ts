/**
 * The `timestep` command line.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { A2AServer } from '../a2a/server/server.js';
import { serve } from './serve.js';

const USAGE = `Usage: timestep <command> [options]

Commands:
  demo                       Run the demo agents on 127.0.0.1 (offline by default)
  serve <module>             Serve the agent a module exports
      --port <n>             Port (default 8000)
      --host <addr>          Interface (default 127.0.0.1)
      --store <spec>         memory | sqlite | sqlite:<file> (default sqlite: .timestep/<agent>.db)
  help                       Show this help
`;

function fail(message: string): never {
  process.stderr.write(`timestep: ${message}\n`);
  process.exit(2);
}

function stopOnSignal(servers: A2AServer[]): void {
  const stop = () => {
    void Promise.all(servers.map((s) => s.close())).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
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
  fail(err instanceof Error ? err.message : String(err));
});
