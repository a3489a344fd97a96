/**
 * Authentication: a hook that turns a request into a `Principal`, with API-key and Bearer
 * implementations out of the box. What is configured here is also declared in the agent card.
 *
 * @module
 */

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../runtime/worker.js';
import type { SecurityRequirement, SecurityScheme } from '../types.js';

/** Outcome of checking one request. */
export type AuthResult = Principal | undefined | Promise<Principal | undefined>;

/** One way to authenticate, with how it is declared in the card. */
export interface Authenticator {
  /** Name of the scheme in the card's `securitySchemes`. */
  readonly name: string;
  /** The card declaration. */
  readonly scheme: SecurityScheme;
  /** `WWW-Authenticate` challenge for 401 answers. */
  readonly challenge: string;
  /** The principal of a request, or undefined when this scheme's credentials are absent or wrong. */
  authenticate(req: IncomingMessage): AuthResult;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Options of `apiKeyAuth`. */
export interface ApiKeyAuthOptions {
  /** Header carrying the key. Default `X-API-Key`. */
  header?: string;
  /** Valid keys mapped to principal ids, or a function that checks a key. */
  keys: Record<string, string> | ((key: string) => AuthResult);
  /** Scheme name in the card. Default `apiKey`. */
  name?: string;
}

/** Authenticate with an API key in a header. */
export function apiKeyAuth(options: ApiKeyAuthOptions): Authenticator {
  const header = options.header ?? 'X-API-Key';
  const lower = header.toLowerCase();
  const { keys } = options;
  const check =
    typeof keys === 'function'
      ? keys
      : (key: string): Principal | undefined => {
          for (const [valid, id] of Object.entries(keys))
            if (safeEqual(key, valid)) return { id, scheme: 'apiKey' };
          return undefined;
        };
  return {
    name: options.name ?? 'apiKey',
    scheme: { apiKeySecurityScheme: { location: 'header', name: header } },
    challenge: `ApiKey header="${header}"`,
    authenticate(req) {
      const value = req.headers[lower];
      const key = Array.isArray(value) ? value[0] : value;
      return key ? check(key) : undefined;
    },
  };
}

/** Options of `bearerAuth`. */
export interface BearerAuthOptions {
  /** Check a token; return its principal, or undefined when it is not valid. */
  verify: (token: string) => AuthResult;
  /** Format hint for the card, e.g. `JWT`. */
  bearerFormat?: string;
  /** Scheme name in the card. Default `bearer`. */
  name?: string;
}

/** Authenticate with `Authorization: Bearer <token>`. */
export function bearerAuth(options: BearerAuthOptions): Authenticator {
  const scheme: SecurityScheme = {
    httpAuthSecurityScheme: {
      scheme: 'Bearer',
      ...(options.bearerFormat ? { bearerFormat: options.bearerFormat } : {}),
    },
  };
  return {
    name: options.name ?? 'bearer',
    scheme,
    challenge: 'Bearer',
    authenticate(req) {
      const value = req.headers.authorization;
      if (!value || !/^bearer /i.test(value)) return undefined;
      const principal = options.verify(value.slice(7).trim());
      return principal;
    },
  };
}

/** Card declarations for a set of authenticators (any one of them suffices). */
export function securityDeclarations(authenticators: readonly Authenticator[]): {
  securitySchemes: Record<string, SecurityScheme>;
  securityRequirements: SecurityRequirement[];
} {
  return {
    securitySchemes: Object.fromEntries(authenticators.map((a) => [a.name, a.scheme])),
    securityRequirements: authenticators.map((a) => ({ schemes: { [a.name]: { list: [] } } })),
  };
}

/** The principal of a request under any of the authenticators (first match wins). */
export async function authenticate(
  authenticators: readonly Authenticator[],
  req: IncomingMessage,
): Promise<Principal | undefined> {
  for (const authenticator of authenticators) {
    const principal = await authenticator.authenticate(req);
    if (principal) return principal;
  }
  return undefined;
}
