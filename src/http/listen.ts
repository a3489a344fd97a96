/**
 * Starting a `node:http` server: the one place that turns "listen on host:port" into a URL
 * clients can use (shared by the A2A server, the Environment and the Agent).
 *
 * @module
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listen on `host:port` (port 0: any free one); resolves with the port and the base URL. */
export async function listenHttp(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; baseUrl: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  // A wildcard address is not one a client can dial: show loopback instead.
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { port: bound, baseUrl: `http://${shown}:${bound}` };
}
