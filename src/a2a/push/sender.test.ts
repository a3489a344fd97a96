import dns from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamResponse, TaskPushNotificationConfig } from '../types.js';
import { PushDeliveryError, type PushErrorInfo, PushSender, type PushSenderOptions } from './sender.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  url: string;
  port: number;
  received: Received[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, received: Received, index: number) => void;

const servers: http.Server[] = [];
const senders: PushSender[] = [];

/** A real webhook receiver on 127.0.0.1; `handler` runs once the request body is read. */
async function startServer(handler: Handler): Promise<TestServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      handler(req, res, r, received.length - 1);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, received };
}

interface Reported {
  err: PushDeliveryError;
  info: PushErrorInfo;
}

function makeSender(options: PushSenderOptions = {}): { sender: PushSender; errors: Reported[] } {
  const errors: Reported[] = [];
  const sender = new PushSender({
    policy: { allowLoopback: true },
    baseDelayMs: 5,
    maxDelayMs: 50,
    ...options,
    onError: (err, info) => {
      expect(err).toBeInstanceOf(PushDeliveryError);
      errors.push({ err: err as PushDeliveryError, info });
    },
  });
  senders.push(sender);
  return { sender, errors };
}

function status(i: number): StreamResponse {
  return {
    statusUpdate: {
      taskId: 't1',
      contextId: 'c1',
      status: { state: 'TASK_STATE_WORKING', timestamp: new Date(0).toISOString() },
      metadata: { seq: i },
    },
  };
}

function seqOf(body: string): number {
  const parsed = JSON.parse(body) as { statusUpdate: { metadata: { seq: number } } };
  return parsed.statusUpdate.metadata.seq;
}

const ok: Handler = (_req, res) => {
  res.writeHead(200).end();
};

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of senders.splice(0)) s.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

describe('PushSender delivery', () => {
  it('POSTs the exact payload with token, Authorization and the original Host', async () => {
    const server = await startServer(ok);
    const { sender, errors } = makeSender();
    const config: TaskPushNotificationConfig = {
      id: 'cfg-1',
      url: `${server.url}/hooks/a2a?tenant=x`,
      token: 'tok-123',
      authentication: { scheme: 'Bearer', credentials: 'secret-jwt' },
    };
    const payload = status(1);
    sender.send('t1', config, payload);
    await sender.flush();

    expect(errors).toEqual([]);
    expect(server.received).toHaveLength(1);
    const r = server.received[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/hooks/a2a?tenant=x');
    expect(r.body).toBe(JSON.stringify(payload));
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)));
    expect(r.headers['x-a2a-notification-token']).toBe('tok-123');
    expect(r.headers.authorization).toBe('Bearer secret-jwt');
    expect(r.headers.host).toBe(`127.0.0.1:${server.port}`);
  });

  it('sends no token or Authorization header when the config has none', async () => {
    const server = await startServer(ok);
    const { sender } = makeSender();
    sender.send('t1', { url: server.url }, status(1));
    await sender.flush();
    expect(server.received[0]!.headers['x-a2a-notification-token']).toBeUndefined();
    expect(server.received[0]!.headers.authorization).toBeUndefined();
  });

  it('snapshots the payload when it is queued', async () => {
    const server = await startServer(ok);
    const { sender } = makeSender();
    const payload = status(1);
    sender.send('t1', { url: server.url }, payload);
    if ('statusUpdate' in payload) payload.statusUpdate.metadata = { seq: 99 };
    await sender.flush();
    expect(seqOf(server.received[0]!.body)).toBe(1);
  });

  it('delivers 20 rapid sends to one task in order, one at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await startServer((_req, res, _r, i) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Uneven answer times: an unordered sender would overtake itself here.
      setTimeout(
        () => {
          inFlight--;
          res.writeHead(204).end();
        },
        (20 - i) % 4,
      );
    });
    const { sender, errors } = makeSender();
    const config = { id: 'c', url: `${server.url}/hook` };
    for (let i = 0; i < 20; i++) sender.send('t1', config, status(i));
    await sender.flush();

    expect(errors).toEqual([]);
    expect(server.received.map((r) => seqOf(r.body))).toEqual([...Array(20).keys()]);
    expect(maxInFlight).toBe(1);
  });

  it('does not hold other tasks behind a slow one', async () => {
    let releaseSlow: (() => void) | undefined;
    const server = await startServer((req, res) => {
      if (req.url === '/slow') releaseSlow = () => res.writeHead(200).end();
      else {
        res.writeHead(200).end();
        // The fast task was delivered while the slow one was still in flight.
        releaseSlow?.();
      }
    });
    const { sender, errors } = makeSender();
    sender.send('slow-task', { url: `${server.url}/slow` }, status(1));
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    sender.send('fast-task', { url: `${server.url}/fast` }, status(2));
    await sender.flush();
    expect(errors).toEqual([]);
    expect(server.received.map((r) => r.path)).toEqual(['/slow', '/fast']);
  });
});

describe('PushSender SSRF guard', () => {
  it('rejects loopback targets without the policy and never connects', async () => {
    const server = await startServer(ok);
    const { sender, errors } = makeSender({ policy: {} });
    sender.send('t1', { id: 'c1', url: `${server.url}/x` }, status(1));
    await sender.flush();
    expect(server.received).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err.code).toBe('rejected_target');
    expect(errors[0]!.err.message).toMatch(
      /127\.0\.0\.1, a loopback address; allow it with push\.allowLoopback/,
    );
    expect(errors[0]!.info).toEqual({ taskId: 't1', configId: 'c1', url: `${server.url}/x` });
  });

  it('rejects a hostname that resolves to loopback (localhost)', async () => {
    const server = await startServer(ok);
    const { sender, errors } = makeSender({ policy: {} });
    sender.send('t1', { url: `http://localhost:${server.port}/x` }, status(1));
    await sender.flush();
    expect(server.received).toHaveLength(0);
    expect(errors.map((e) => e.err.code)).toEqual(['rejected_target']);
    expect(errors[0]!.err.message).toMatch(/a loopback address/);
  });

  it('resolves once per notification and connects to that address (no DNS rebinding)', async () => {
    const server = await startServer((_req, res, _r, i) => {
      res.writeHead(i === 0 ? 503 : 200).end();
    });
    // First answer passes the check; any later lookup would point into the private network.
    let lookups = 0;
    const fake = async (): Promise<dns.LookupAddress[]> =>
      lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
    vi.spyOn(dns.promises, 'lookup').mockImplementation(fake as unknown as typeof dns.promises.lookup);

    const { sender, errors } = makeSender();
    sender.send('t1', { url: `http://rebind.test:${server.port}/hook` }, status(1));
    await sender.flush();

    expect(errors).toEqual([]);
    expect(lookups).toBe(1);
    // 'rebind.test' does not exist: only the pinned lookup can have reached the server.
    expect(server.received).toHaveLength(2);
    expect(server.received.every((r) => r.headers.host === `rebind.test:${server.port}`)).toBe(true);
  });

  it('does not follow redirects', async () => {
    const other = await startServer(ok);
    const server = await startServer((_req, res) => {
      res.writeHead(302, { Location: `${other.url}/elsewhere` }).end();
    });
    const { sender, errors } = makeSender();
    sender.send('t1', { url: `${server.url}/hook` }, status(1));
    await sender.flush();
    expect(server.received).toHaveLength(1);
    expect(other.received).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err).toMatchObject({ code: 'redirect', status: 302, attempts: 1 });
    expect(errors[0]!.err.message).toMatch(/redirects are not followed/);
  });
});

describe('PushSender retries', () => {
  it('retries 503 and then succeeds', async () => {
    const server = await startServer((_req, res, _r, i) => {
      res.writeHead(i < 2 ? 503 : 200).end();
    });
    const { sender, errors } = makeSender();
    sender.send('t1', { url: server.url }, status(1));
    await sender.flush();
    expect(errors).toEqual([]);
    expect(server.received).toHaveLength(3);
    expect(new Set(server.received.map((r) => r.body)).size).toBe(1);
  });

  it('retries 429 and caps Retry-After by maxDelayMs', async () => {
    const server = await startServer((_req, res, _r, i) => {
      if (i === 0) res.writeHead(429, { 'Retry-After': '30' }).end();
      else res.writeHead(200).end();
    });
    const { sender, errors } = makeSender({ maxDelayMs: 50 });
    const started = Date.now();
    sender.send('t1', { url: server.url }, status(1));
    await sender.flush();
    expect(errors).toEqual([]);
    expect(server.received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not retry 400', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(400).end('bad');
    });
    const { sender, errors } = makeSender();
    sender.send('t1', { url: server.url }, status(1));
    await sender.flush();
    expect(server.received).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err).toMatchObject({ code: 'http_status', status: 400, attempts: 1 });
  });

  it('gives up after maxAttempts', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(500).end();
    });
    const { sender, errors } = makeSender({ maxAttempts: 3 });
    sender.send('t1', { url: server.url }, status(1));
    await sender.flush();
    expect(server.received).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err).toMatchObject({ code: 'http_status', status: 500, attempts: 3 });
  });

  it('times out a hanging attempt and retries', async () => {
    const server = await startServer((_req, res, _r, i) => {
      // The first request is never answered.
      if (i > 0) res.writeHead(200).end();
    });
    const { sender, errors } = makeSender({ timeoutMs: 100 });
    sender.send('t1', { url: server.url }, status(1));
    await sender.flush();
    expect(errors).toEqual([]);
    expect(server.received).toHaveLength(2);
  });

  it('retries connection errors and reports the last one', async () => {
    // Grab a free port, then close it, so connecting is refused.
    const probe = await startServer(ok);
    const port = probe.port;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const { sender, errors } = makeSender({ maxAttempts: 2 });
    sender.send('t1', { url: `http://127.0.0.1:${port}/` }, status(1));
    await sender.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err).toMatchObject({ code: 'network', attempts: 2 });
    expect(errors[0]!.err.message).toMatch(/ECONNREFUSED/);
  });

  it('reports an unusable token without sending or retrying', async () => {
    const server = await startServer(ok);
    const { sender, errors } = makeSender();
    sender.send('t1', { url: server.url, token: 'a\r\nX-Injected: 1' }, status(1));
    await sender.flush();
    expect(server.received).toHaveLength(0);
    expect(errors.map((e) => e.err.code)).toEqual(['invalid_request']);
  });
});

describe('PushSender queue bounds and lifecycle', () => {
  it('drops the oldest pending notification when a dead receiver lets the queue fill up', async () => {
    // Reads the request and never answers.
    const server = await startServer(() => {});
    const { sender, errors } = makeSender({ timeoutMs: 50, maxAttempts: 1, maxQueuePerTask: 3 });
    const config = { id: 'c', url: server.url };
    for (let i = 0; i < 10; i++) sender.send('t1', config, status(i));

    // #0 is in flight; #1..#6 were pushed out by #7..#9 at once.
    const overflow = errors.filter((e) => e.err.code === 'queue_overflow');
    expect(overflow).toHaveLength(6);
    await sender.flush();

    expect(server.received.map((r) => seqOf(r.body))).toEqual([0, 7, 8, 9]);
    expect(errors.filter((e) => e.err.code === 'timeout')).toHaveLength(4);
    expect(errors).toHaveLength(10);
    expect(errors.every((e) => e.info.taskId === 't1' && e.info.configId === 'c')).toBe(true);
  });

  it('keeps delivering when onError throws', async () => {
    const server = await startServer((_req, res, _r, i) => {
      res.writeHead(i === 0 ? 400 : 200).end();
    });
    const sender = new PushSender({
      policy: { allowLoopback: true },
      onError: () => {
        throw new Error('handler bug');
      },
    });
    senders.push(sender);
    sender.send('t1', { url: server.url }, status(1));
    sender.send('t1', { url: server.url }, status(2));
    await sender.flush();
    expect(server.received).toHaveLength(2);
  });

  it('close() drops pending work, aborts the request in flight and resolves flush()', async () => {
    const server = await startServer(() => {});
    const { sender, errors } = makeSender({ timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) sender.send('t1', { url: server.url }, status(i));
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    const flushed = sender.flush();
    sender.close();
    await flushed;
    sender.send('t1', { url: server.url }, status(9));
    await sender.flush();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.received).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('close() cancels a pending backoff', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(503, { 'Retry-After': '10' }).end();
    });
    const { sender, errors } = makeSender({ maxDelayMs: 10_000 });
    sender.send('t1', { url: server.url }, status(1));
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    const flushed = sender.flush();
    sender.close();
    await flushed;
    expect(errors).toEqual([]);
    expect(server.received).toHaveLength(1);
  });
});

describe('PushSender https', () => {
  it('connects to the pinned address and sends the hostname as TLS servername (SNI)', async () => {
    const names: string[] = [];
    // No certificate at all: the handshake fails right after the client says which name it wants.
    const tlsServer = tls.createServer({
      SNICallback: (name, cb) => {
        names.push(name);
        cb(new Error('no certificate here'), undefined);
      },
    });
    tlsServer.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as AddressInfo;
    const fake = async (): Promise<dns.LookupAddress[]> => [{ address: '127.0.0.1', family: 4 }];
    vi.spyOn(dns.promises, 'lookup').mockImplementation(fake as unknown as typeof dns.promises.lookup);

    const { sender, errors } = makeSender({ maxAttempts: 1 });
    sender.send('t1', { url: `https://hooks.push.test:${port}/hook` }, status(1));
    await sender.flush();
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));

    expect(names).toEqual(['hooks.push.test']);
    expect(errors.map((e) => e.err.code)).toEqual(['network']);
  });
});
