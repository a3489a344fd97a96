/**
 * One benchmark target in its own process (forked by `run.ts` with an IPC channel).
 *
 *   tsx bench/server.ts <target>
 *
 * Targets: bare-send | bare-get | bare-stream | timestep-memory | timestep-sqlite | sdk.
 * Sends `{ port }` once listening; answers `'usage'` with its CPU time and RSS; exits cleanly on
 * `'stop'` (so `--cpu-prof` gets written).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BARE_GET_REPLY, BARE_SEND_REPLY, BARE_SSE_EVENTS } from './fixtures.js';

export type Target = 'bare-send' | 'bare-get' | 'bare-stream' | 'timestep-memory' | 'timestep-sqlite' | 'sdk';

/** Messages a target sends its parent. */
export type ServerReport =
  | { type: 'listening'; port: number }
  | { type: 'usage'; cpuMicros: number; systemMicros: number; rss: number };

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/** A bare node:http handler: read the whole body, then answer a fixed reply. */
function bare(reply: (res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('data', () => {});
    req.on('end', () => reply(res));
  };
}

const BARE: Record<string, (res: ServerResponse) => void> = {
  'bare-send': (res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(BARE_SEND_REPLY),
    });
    res.end(BARE_SEND_REPLY);
  },
  'bare-get': (res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(BARE_GET_REPLY),
    });
    res.end(BARE_GET_REPLY);
  },
  'bare-stream': (res) => {
    res.writeHead(200, SSE_HEADERS);
    for (const event of BARE_SSE_EVENTS) res.write(event);
    res.end();
  },
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function start(target: Target): Promise<{ port: number; stop: () => Promise<void> }> {
  const bareReply = BARE[target];
  if (bareReply) {
    const server = createServer({ keepAliveTimeout: 65_000 }, bare(bareReply));
    const port = await listen(server);
    return { port, stop: async () => void server.closeAllConnections() };
  }
  // Each target loads only its own code, so no process carries another's modules.
  if (target === 'timestep-memory' || target === 'timestep-sqlite') {
    const { A2AServer } = await import('timestep');
    const { default: echoAgent } = await import('../examples/echo-agent.js');
    const dir = target === 'timestep-sqlite' ? mkdtempSync(join(tmpdir(), 'timestep-bench-')) : undefined;
    const server = new A2AServer({ ...echoAgent, store: dir ? `sqlite:${join(dir, 'bench.db')}` : 'memory' });
    const { port } = await server.listen();
    return {
      port,
      stop: async () => {
        await server.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (target === 'sdk') {
    const { default: express } = await import('express');
    const { UserBuilder, jsonRpcHandler } = await import('@a2a-js/sdk/server/express');
    const { sdkRequestHandler } = await import('./sdk-agent.js');
    const app = express();
    let url = '';
    // The card needs the URL, which is known once listening; build the handler on first use.
    let handler: ReturnType<typeof jsonRpcHandler> | undefined;
    app.use((req, res, next) => {
      handler ??= jsonRpcHandler({
        requestHandler: sdkRequestHandler(url),
        userBuilder: UserBuilder.noAuthentication,
      });
      handler(req, res, next);
    });
    const server = createServer({ keepAliveTimeout: 65_000 }, app);
    const port = await listen(server);
    url = `http://127.0.0.1:${port}/`;
    return { port, stop: async () => void server.closeAllConnections() };
  }
  throw new Error(`Unknown target '${target}'.`);
}

const target = process.argv[2] as Target;
const { port, stop } = await start(target);
const send = (report: ServerReport) => process.send?.(report);
send({ type: 'listening', port });
// Run by hand (no IPC channel): say where it listens.
if (!process.send) console.log(`${target} listening on http://127.0.0.1:${port}`);
process.on('message', (message: unknown) => {
  if (message === 'usage') {
    const { user, system } = process.cpuUsage();
    send({ type: 'usage', cpuMicros: user + system, systemMicros: system, rss: process.memoryUsage().rss });
  } else if (message === 'stop') {
    void stop().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => void stop().finally(() => process.exit(0)));
