/**
 * Serving the web UI's files (`serveUi`): content types, ETag revalidation, `/ui` → `/ui/`, refused
 * path traversal, 404 and 405, and the start configuration. Requests go over real HTTP with raw
 * paths (no client-side normalisation), as an attacker would send them.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveUi, type UiConfig } from '../src/ui/serve.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function rawBytes(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function raw(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('serveUi', () => {
  let server: Server;
  let port: number;
  const config: UiConfig = { agents: [{ url: '/agents/0', target: 'http://127.0.0.1:1234' }] };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/custom')) serveUi(req, res, { basePath: '/custom', config });
      else serveUi(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('redirects /ui to /ui/ (keeping the query)', async () => {
    const answer = await raw(port, '/ui?x=1');
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe('/ui/?x=1');
  });

  it('serves the page at /ui/ with its content type, an ETag and security headers', async () => {
    const answer = await raw(port, '/ui/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.body).toBe(readFileSync(new URL('../src/ui/assets/index.html', import.meta.url), 'utf8'));
    expect(answer.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await raw(port, '/ui/index.html')).body).toBe(answer.body);
  });

  it('gives each asset its content type', async () => {
    expect((await raw(port, '/ui/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw(port, '/ui/a2a.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw(port, '/ui/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 304 to a matching If-None-Match, and 200 to a stale one', async () => {
    const first = await raw(port, '/ui/app.js');
    const etag = first.headers.etag!;
    const again = await raw(port, '/ui/app.js', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect((await raw(port, '/ui/app.js', { headers: { 'If-None-Match': `W/${etag}` } })).status).toBe(304);
    const stale = await raw(port, '/ui/app.js', { headers: { 'If-None-Match': '"old"' } });
    expect(stale.status).toBe(200);
    expect(stale.body).toBe(first.body);
  });

  it('answers HEAD without a body', async () => {
    const head = await raw(port, '/ui/style.css', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
    expect(head.body).toBe('');
  });

  it('refuses paths that try to leave the assets folder', async () => {
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/..%2f..%2fpackage.json',
      '/ui/assets/..%5c..%5cpackage.json',
      '/ui/./app.js',
      '/ui/%00',
    ]) {
      const answer = await raw(port, path);
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).not.toContain('"name"');
    }
    expect((await raw(port, '/ui/%E0%A4%A')).status).toBe(400);
  });

  it('answers 404 for unknown files and 405 for other methods', async () => {
    const missing = await raw(port, '/ui/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/ui/');
    const post = await raw(port, '/ui/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('tells the page which agents to connect to', async () => {
    expect(JSON.parse((await raw(port, '/ui/config.json')).body)).toEqual({ self: true });
    const custom = await raw(port, '/custom/config.json');
    expect(JSON.parse(custom.body)).toEqual(config);
    expect((await raw(port, '/custom/')).headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('sends text assets gzipped to clients that accept it, with their own ETag', async () => {
    const plain = await raw(port, '/ui/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    const zipped = await rawBytes(port, '/ui/app.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(Buffer.byteLength(plain.body) / 2);
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body);
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    const revalidated = await rawBytes(port, '/ui/app.js', {
      'Accept-Encoding': 'gzip',
      'If-None-Match': zipped.headers.etag!,
    });
    expect(revalidated.status).toBe(304);
    const refused = await raw(port, '/ui/app.js', { headers: { 'Accept-Encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });
});

describe('the web UI on a plain A2AServer', () => {
  it('is served at /ui by any A2A server (timestep serve), and not with ui: false', async () => {
    const { A2AServer } = await import('../src/a2a/server/server.js');
    const withUi = new A2AServer({
      card: { name: 'Echo', description: 'Echoes' },
      worker: (ctx) => ctx.complete(ctx.userText),
      store: 'memory',
    });
    const without = new A2AServer({
      card: { name: 'Quiet', description: 'No UI' },
      worker: (ctx) => ctx.complete(ctx.userText),
      store: 'memory',
      ui: false,
    });
    try {
      const a = await withUi.listen({ port: 0 });
      const b = await without.listen({ port: 0 });
      const page = await raw(a.port, '/ui/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('<title>');
      const none = await raw(b.port, '/ui/');
      expect(none.status).toBe(404);
      // A2A still answers beside it.
      const card = await raw(a.port, '/.well-known/agent-card.json');
      expect(JSON.parse(card.body).name).toBe('Echo');
    } finally {
      await withUi.close();
      await without.close();
    }
  });
});
