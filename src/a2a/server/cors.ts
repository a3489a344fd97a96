/**
 * CORS for the A2A server: lets a web page on another origin (the web UI of another agent, or a
 * page on a developer's machine) call the agent from a browser.
 *
 * The default is deliberately narrow: only loopback origins (`http://127.0.0.1:*`,
 * `http://localhost:*`, `http://[::1]:*`, and their https forms), which is what the web UI of the
 * agents on one machine needs. Anything wider is an explicit list of origins, or `'*'`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which browser origins may call the agent. */
export interface CorsOptions {
  /**
   * Allowed origins: `'*'` (any), or a list of exact origins (`https://app.example.com`), each
   * optionally with a `:*` port wildcard (`http://localhost:*`). Default: loopback origins only.
   */
  origins?: '*' | readonly string[];
  /** How long a browser may cache a preflight answer, in seconds (default 600). */
  maxAgeSeconds?: number;
}

const LOOPBACK = /^https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/;
const METHODS = 'GET, POST, DELETE, OPTIONS';
/** Request headers an A2A client sends; echoed `Access-Control-Request-Headers` are allowed too. */
const DEFAULT_HEADERS =
  'Content-Type, A2A-Version, A2A-Extensions, X-A2A-Extensions, Authorization, Last-Event-ID';
/** Response headers a page may read. */
const EXPOSED = 'A2A-Extensions, X-A2A-Extensions, Retry-After, WWW-Authenticate';

/** Decides and writes the CORS headers of one server. */
export class Cors {
  readonly #any: boolean;
  readonly #exact: Set<string>;
  readonly #portWildcards: string[];
  readonly #loopback: boolean;
  readonly #maxAge: string;

  constructor(options: CorsOptions = {}) {
    const origins = options.origins;
    this.#any = origins === '*';
    this.#loopback = origins === undefined;
    this.#exact = new Set();
    this.#portWildcards = [];
    if (Array.isArray(origins)) {
      for (const origin of origins as readonly string[]) {
        const trimmed = origin.trim().replace(/\/+$/, '');
        if (trimmed.endsWith(':*')) this.#portWildcards.push(trimmed.slice(0, -1));
        else this.#exact.add(trimmed);
      }
    }
    this.#maxAge = String(options.maxAgeSeconds ?? 600);
  }

  /** Whether a page from `origin` may call the agent. */
  allows(origin: string): boolean {
    if (this.#any) return true;
    if (this.#loopback) return LOOPBACK.test(origin);
    if (this.#exact.has(origin)) return true;
    for (const prefix of this.#portWildcards) {
      if (origin.startsWith(prefix) && /^\d{1,5}$/.test(origin.slice(prefix.length))) return true;
    }
    return false;
  }

  /**
   * Handle the CORS side of a request that carries an `Origin` header. A preflight (`OPTIONS` with
   * `Access-Control-Request-Method`) is answered here and `true` returned; for any other request the
   * allow headers are set on `res` (when the origin is allowed) and `false` returned so the request
   * goes on to the bindings.
   */
  handle(req: IncomingMessage, res: ServerResponse, origin: string): boolean {
    const allowed = this.allows(origin);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      req.resume();
      if (!allowed) {
        const text = `Origin ${origin} may not call this agent. Allow it with the server's cors option (cors: { origins: ['${origin}'] }).\n`;
        res.writeHead(403, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(text),
          Vary: 'Origin',
        });
        res.end(text);
        return true;
      }
      const requested = req.headers['access-control-request-headers'];
      const headers: Record<string, string> = {
        'Access-Control-Allow-Origin': this.#any ? '*' : origin,
        'Access-Control-Allow-Methods': METHODS,
        'Access-Control-Allow-Headers': requested ? `${DEFAULT_HEADERS}, ${requested}` : DEFAULT_HEADERS,
        'Access-Control-Max-Age': this.#maxAge,
        Vary: 'Origin, Access-Control-Request-Headers',
        'Content-Length': '0',
      };
      // Chrome's Private Network Access asks before a public page may reach a private address.
      if (req.headers['access-control-request-private-network'] === 'true') {
        headers['Access-Control-Allow-Private-Network'] = 'true';
      }
      res.writeHead(204, headers);
      res.end();
      return true;
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', this.#any ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED);
      res.setHeader('Vary', 'Origin');
    }
    return false;
  }
}
