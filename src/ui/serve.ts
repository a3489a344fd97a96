/**
 * Serves the web UI's static assets (work in progress).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How the UI is served. */
export interface UiOptions {
  /** The URL prefix the UI lives under (default `/ui`). */
  basePath?: string;
}

/** Serve a request under the UI's base path. */
export function serveUi(_req: IncomingMessage, res: ServerResponse, _options: UiOptions = {}): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('The web UI is not built yet.\n');
}
