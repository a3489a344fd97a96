/**
 * `timestep ui <url…>`: the web UI for any A2A agents, pre-connected to the given URLs.
 *
 * Most A2A servers send no CORS headers, so a page cannot call them from another origin. This server
 * therefore also proxies `/agents/<n>/…` to the n-th URL given on the command line (and to nothing
 * else: it is not an open proxy), streaming SSE through as it arrives.
 *
 * @module
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import { listenHttp } from '../http/listen.js';
import { serveUi, type UiConfig } from '../ui/serve.js';
import { UsageError } from './remote.js';

/** Options of {@link startUi}. */
export interface UiServerOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

/** A running `timestep ui` server. */
export interface UiServer {
  /** Where the UI is, e.g. `http://127.0.0.1:8080/ui/`. */
  url: string;
  close(): Promise<void>;
}

/** Headers that belong to one connection (RFC 9110 §7.6.1) or to the browser, never forwarded. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'origin',
  'referer',
  'cookie',
  'content-length',
]);

function forwardHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED.has(name) || name.startsWith('sec-') || name.startsWith('proxy-'))
      continue;
    out[name] = value;
  }
  return out;
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    error: { code: status, status: status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE', message },
  });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Forward one request to `target` + `rest`, streaming both bodies. */
function proxy(req: IncomingMessage, res: ServerResponse, target: URL, rest: string): void {
  const basePath = target.pathname.replace(/\/+$/, '');
  const url = new URL(target.href);
  const queryAt = rest.indexOf('?');
  url.pathname = `${basePath}${queryAt === -1 ? rest : rest.slice(0, queryAt)}` || '/';
  url.search = queryAt === -1 ? '' : rest.slice(queryAt);
  const headers = forwardHeaders(req.headers);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send(url, { method: req.method ?? 'GET', headers }, (answer) => {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !DROPPED.has(name) && name !== 'set-cookie') out[name] = value;
    }
    if (answer.headers['content-length'] !== undefined)
      out['content-length'] = answer.headers['content-length'];
    res.writeHead(answer.statusCode ?? 502, out);
    // Send SSE headers at once: the page waits for them before it reads events.
    res.flushHeaders();
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('error', (err) =>
    sendError(
      res,
      502,
      `Could not reach ${target.href} (${err.message}). Is the agent running? Restart \`timestep ui\` with its right URL.`,
    ),
  );
  // A page that stops reading (closed tab, cancelled stream) closes the upstream request too.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/**
 * Serve the web UI for the agents at `urls` on `host:port`: `/ui/` (pre-connected to them) and the
 * proxy `/agents/<n>/…` → `urls[n]`.
 */
export async function startUi(urls: string[], options: UiServerOptions = {}): Promise<UiServer> {
  const targets = urls.map((u) => new URL(u.replace(/\/+$/, '')));
  const config: UiConfig = {
    agents: targets.map((t, i) => ({ url: `/agents/${i}`, target: t.href.replace(/\/+$/, '') })),
  };
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const rawUrl = req.url ?? '/';
    const path = rawUrl.split('?', 1)[0]!;
    if (path === '/' || path === '') {
      res.writeHead(302, { Location: '/ui/' });
      res.end();
      return;
    }
    if (path === '/ui' || path.startsWith('/ui/')) {
      serveUi(req, res, { config });
      return;
    }
    const match = /^\/agents\/(\d+)(\/.*)?$/.exec(path);
    const target = match ? targets[Number(match[1])] : undefined;
    if (!match || !target) {
      req.resume();
      sendError(
        res,
        404,
        `Nothing at ${path}: the web UI is at /ui/, the agents at /agents/0 … /agents/${targets.length - 1}.`,
      );
      return;
    }
    proxy(req, res, target, rawUrl.slice(`/agents/${match[1]}`.length) || '/');
  });
  const { baseUrl } = await listenHttp(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: `${baseUrl}/ui/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `timestep ui <url…> [--port N] [--host H]`: serve the UI until the process is stopped. */
export async function uiCommand(args: string[]): Promise<UiServer> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  if (positionals.length === 0)
    throw new UsageError('ui needs at least one agent URL, e.g. `timestep ui http://127.0.0.1:9999`.');
  for (const url of positionals) {
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`'${url}' is not an http(s) URL.`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, not '${values.port}'.`);
  const server = await startUi(positionals, { port, host: values.host });
  process.stdout.write(`Timestep web UI at ${server.url}\n`);
  positionals.forEach((url, i) => {
    process.stdout.write(`  agent ${i}: ${url}  (proxied at /agents/${i})\n`);
  });
  process.stdout.write('Press Ctrl-C to stop.\n');
  return server;
}
