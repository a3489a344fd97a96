/**
 * Serves the web UI: the static assets in `src/ui/assets/` (plain HTML, CSS and ES modules; no build
 * step) under a base path (`/ui` on every agent, and in `timestep ui`), plus a small generated
 * `config.json` that tells the page which agents to connect to.
 *
 * The assets are read from `<package>/src/ui/assets/`, a path that exists both when running from the
 * sources (`src/ui/serve.ts`) and from the built package (`dist/ui/serve.js`; `package.json` ships the
 * folder in `files`), so the UI needs no copy step.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** An agent the page connects to when it opens. */
export interface UiAgent {
  /** The URL the page talks to (absolute, or a path on the page's own origin such as `/agents/0`). */
  url: string;
  /**
   * The agent's real base URL when `url` is a proxy for it: the endpoints in its card start with this
   * and are rewritten to `url`.
   */
  target?: string;
}

/** What the page is told at start (served as `<basePath>/config.json`). */
export interface UiConfig {
  /** Agents to connect to. */
  agents?: UiAgent[];
  /** The page is served by an agent: connect to the page's own origin too. */
  self?: boolean;
}

/** How the UI is served. */
export interface UiOptions {
  /** The URL prefix the UI lives under (default `/ui`). */
  basePath?: string;
  /** What the page is told at start (default `{ self: true }`: the agent serving it). */
  config?: UiConfig;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The gzip form of a text asset (compressed once, at load), with its own ETag. */
  gzip?: { body: Buffer; etag: string };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The page talks to agents on other origins (and to the proxy of `timestep ui`), so `connect-src`
 * allows http(s); everything else comes from the UI's own origin only.
 */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data: blob: http: https:; " +
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/** The assets folder: `<package>/src/ui/assets`, two levels up from this file in `src/ui` and `dist/ui`. */
export const UI_ASSETS_DIR = fileURLToPath(new URL('../../src/ui/assets/', import.meta.url));

let assets: Map<string, Asset> | undefined;

function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}

/** Read every asset once (the folder is small); later requests are served from memory. */
function loadAssets(): Map<string, Asset> {
  if (assets) return assets;
  const found = new Map<string, Asset>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else {
        const body = readFileSync(path);
        const type = TYPES[extname(entry.name)] ?? 'application/octet-stream';
        const etag = etagOf(body);
        const asset: Asset = { body, type, etag };
        if (body.length > 1024 && !type.startsWith('image/png')) {
          asset.gzip = { body: gzipSync(body, { level: 9 }), etag: `${etag.slice(0, -1)}-gz"` };
        }
        found.set(`${prefix}${entry.name}`, asset);
      }
    }
  };
  walk(UI_ASSETS_DIR, '');
  assets = found;
  return found;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  return typeof accept === 'string' && /\bgzip\b(?!;\s*q=0(?:\.0*)?\b)/.test(accept);
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const gzip = asset.gzip && acceptsGzip(req) ? asset.gzip : undefined;
  const etag = gzip ? gzip.etag : asset.etag;
  // Revalidate every time: the files are tiny and a new package version must show at once.
  const headers: Record<string, string> = {
    'Content-Type': asset.type,
    ETag: etag,
    'Cache-Control': 'no-cache',
    ...SECURITY_HEADERS,
  };
  if (asset.gzip) headers.Vary = 'Accept-Encoding';
  if (gzip) headers['Content-Encoding'] = 'gzip';
  const match = req.headers['if-none-match'];
  if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = gzip ? gzip.body : asset.body;
  res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const configCache = new WeakMap<UiConfig, Asset>();
const SELF_CONFIG: UiConfig = Object.freeze({ self: true });

function configAsset(config: UiConfig): Asset {
  let asset = configCache.get(config);
  if (!asset) {
    const body = Buffer.from(JSON.stringify(config));
    asset = { body, type: TYPES['.json']!, etag: etagOf(body) };
    configCache.set(config, asset);
  }
  return asset;
}

/**
 * Serve a request under the UI's base path: `<base>` redirects to `<base>/`, `<base>/` is the page,
 * `<base>/config.json` the start configuration, anything else one of the assets (ETag, revalidated on
 * each use). Paths that try to leave the assets folder are refused; unknown ones get 404.
 */
export function serveUi(req: IncomingMessage, res: ServerResponse, options: UiOptions = {}): void {
  const base = (options.basePath ?? '/ui').replace(/\/+$/, '');
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    req.resume();
    sendText(res, 405, `The web UI only answers GET and HEAD, not ${method}.\n`, { Allow: 'GET, HEAD' });
    return;
  }
  if (path === base) {
    res.writeHead(308, { Location: `${base}/${queryAt === -1 ? '' : rawUrl.slice(queryAt)}` });
    res.end();
    return;
  }
  if (!path.startsWith(`${base}/`)) {
    sendText(res, 404, `Nothing at ${path}: the web UI is at ${base}/.\n`);
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(path.slice(base.length + 1));
  } catch {
    sendText(res, 400, `${path} is not a valid URL path.\n`);
    return;
  }
  // Assets are served from an in-memory list of known files, so nothing outside the folder can be
  // reached anyway; a path that tries is refused outright rather than looked up.
  if (name.includes('\\') || name.includes('\0') || name.split('/').some((s) => s === '..' || s === '.')) {
    sendText(res, 400, `Refused ${path}: the path leaves the web UI's folder.\n`);
    return;
  }
  if (name === '' || name === 'index.html') name = 'index.html';
  if (name === 'config.json') {
    sendAsset(req, res, configAsset(options.config ?? SELF_CONFIG));
    return;
  }
  let asset: Asset | undefined;
  try {
    asset = loadAssets().get(name);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    sendText(res, 500, `The web UI's files could not be read (${reason}); reinstall the package.\n`);
    return;
  }
  if (!asset) {
    sendText(res, 404, `Nothing at ${path}: the web UI is at ${base}/.\n`);
    return;
  }
  sendAsset(req, res, asset);
}
