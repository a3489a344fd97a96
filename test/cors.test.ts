/**
 * CORS on the A2A server: loopback pages by default, configurable origins or `'*'`, preflights
 * answered before routing, nothing added to requests without an Origin (every non-browser client).
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Cors } from '../src/a2a/server/cors.js';
import { A2AServer, type A2AServerOptions } from '../src/a2a/server/server.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function raw(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: options.method ?? 'GET', headers: options.headers },
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
    req.end(options.body);
  });
}

const servers: A2AServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
});

async function start(cors?: A2AServerOptions['cors']): Promise<string> {
  const server = new A2AServer({
    card: { name: 'Echo', description: 'Echoes.' },
    worker: (ctx) => ctx.complete(`Echo: ${ctx.userText}`),
    store: 'memory',
    ...(cors !== undefined ? { cors } : {}),
  });
  servers.push(server);
  return (await server.listen({ port: 0 })).url;
}

const SEND = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'SendMessage',
  params: { message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] } },
});
const JSON_HEADERS = { 'Content-Type': 'application/json', 'A2A-Version': '1.0' };

function preflight(origin: string, headers = 'content-type, a2a-version') {
  return {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': headers,
    },
  };
}

describe('Cors: which origins are allowed', () => {
  it('allows loopback origins by default, on any port, and nothing else', () => {
    const cors = new Cors();
    for (const origin of [
      'http://127.0.0.1:9999',
      'http://localhost:3000',
      'http://[::1]:8080',
      'http://localhost',
    ]) {
      expect(cors.allows(origin), origin).toBe(true);
    }
    for (const origin of [
      'https://evil.example',
      'http://127.0.0.1.evil.example',
      'http://localhost.evil.example:80',
      'http://10.0.0.1:9999',
      'null',
    ]) {
      expect(cors.allows(origin), origin).toBe(false);
    }
  });

  it('allows exactly the listed origins, with :* port wildcards', () => {
    const cors = new Cors({ origins: ['https://app.example.com/', 'http://dev.example.com:*'] });
    expect(cors.allows('https://app.example.com')).toBe(true);
    expect(cors.allows('http://dev.example.com:5173')).toBe(true);
    expect(cors.allows('http://dev.example.com:5173.evil.example')).toBe(false);
    expect(cors.allows('https://app.example.com.evil.example')).toBe(false);
    expect(cors.allows('http://127.0.0.1:9999')).toBe(false);
  });

  it("allows any origin with '*'", () => {
    expect(new Cors({ origins: '*' }).allows('https://anything.example')).toBe(true);
  });
});

describe('A2AServer with CORS', () => {
  it('adds nothing to a request without Origin', async () => {
    const url = await start();
    const answer = await raw(url, '/', { method: 'POST', headers: JSON_HEADERS, body: SEND });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers.vary).toBeUndefined();
  });

  it('answers a loopback page’s preflight and lets it read the answer', async () => {
    const url = await start();
    const origin = 'http://localhost:5173';
    const pre = await raw(url, '/', preflight(origin, 'content-type, a2a-version, x-custom'));
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(origin);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toMatch(/A2A-Version/i);
    expect(pre.headers['access-control-allow-headers']).toContain('x-custom');
    expect(pre.headers['access-control-max-age']).toBe('600');
    const answer = await raw(url, '/', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Origin: origin },
      body: SEND,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(origin);
    expect(answer.headers.vary).toContain('Origin');
    expect(JSON.parse(answer.body).result.task.artifacts[0].parts[0].text).toBe('Echo: hi');
    // REST routes and the card too.
    const card = await raw(url, '/.well-known/agent-card.json', {
      headers: { Origin: origin, 'A2A-Version': '1.0' },
    });
    expect(card.headers['access-control-allow-origin']).toBe(origin);
    const pre2 = await raw(url, '/tasks/abc:cancel', preflight(origin));
    expect(pre2.status).toBe(204);
  });

  it('refuses a preflight from another origin, saying how to allow it, and adds no allow header', async () => {
    const url = await start();
    const pre = await raw(url, '/', preflight('https://evil.example'));
    expect(pre.status).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.body).toContain("cors: { origins: ['https://evil.example'] }");
    const answer = await raw(url, '/', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Origin: 'https://evil.example' },
      body: SEND,
    });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('uses a configured list of origins', async () => {
    const url = await start({ origins: ['https://app.example.com'] });
    expect(
      (await raw(url, '/', preflight('https://app.example.com'))).headers['access-control-allow-origin'],
    ).toBe('https://app.example.com');
    expect((await raw(url, '/', preflight('http://127.0.0.1:3000'))).status).toBe(403);
  });

  it("answers '*' when any origin is allowed", async () => {
    const url = await start({ origins: '*' });
    const pre = await raw(url, '/', preflight('https://anything.example'));
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    const answer = await raw(url, '/', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Origin: 'https://anything.example' },
      body: SEND,
    });
    expect(answer.headers['access-control-allow-origin']).toBe('*');
  });

  it('does no CORS at all with cors: false', async () => {
    const url = await start(false);
    const pre = await raw(url, '/', preflight('http://localhost:5173'));
    expect(pre.status).toBe(404);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const answer = await raw(url, '/', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Origin: 'http://localhost:5173' },
      body: SEND,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
