/**
 * SSRF guard for push-notification webhooks.
 *
 * A client chooses the webhook URL, so without a check any client could make the server POST to
 * its own loopback services, the private network or a cloud metadata endpoint (the A2A spec asks
 * servers not to trust these URLs blindly). {@link resolveWebhookTarget} resolves the host once
 * and checks every address it resolves to; the sender then connects to exactly that address, so a
 * DNS answer that changes between the check and the connect (DNS rebinding) cannot slip through.
 *
 * @module
 */

import dns from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';

/** Which otherwise-blocked webhook targets are allowed. Everything is blocked by default. */
export interface AddressPolicy {
  /**
   * Allow private networks: 10/8, 172.16/12, 192.168/16, fc00::/7, link-local (169.254/16,
   * fe80::/10), carrier-grade NAT 100.64/10, and loopback. Cloud metadata addresses stay blocked.
   */
  allowPrivateNetworks?: boolean;
  /** Allow loopback only (127/8, ::1), e.g. for local development and tests. */
  allowLoopback?: boolean;
  /**
   * Exact hostnames (or IP literals) that are always allowed, whatever they resolve to, including
   * metadata addresses. Compared case-insensitively, ignoring a trailing dot and IPv6 brackets.
   */
  allowedHosts?: string[];
  /** Allow plain `http:` URLs (default `true`); set `false` to require `https:`. */
  allowHttp?: boolean;
}

/** A checked webhook target: the parsed URL and the one address to connect to. */
export interface ResolvedTarget {
  url: URL;
  /** The address the request must be sent to (never resolve the hostname again). */
  address: string;
  family: 4 | 6;
}

/** The webhook URL may not be used; `reason` says why and how to allow it if that is intended. */
export class PushTargetRejectedError extends Error {
  override readonly name = 'PushTargetRejectedError';
  /** A sentence a person can act on. */
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

type AddressClass =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'metadata';

interface Classification {
  cls: AddressClass;
  /** Set when the class comes from an IPv4 address embedded in an IPv6 one. */
  embedded?: string;
}

const DESCRIPTIONS: Record<AddressClass, string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT (100.64.0.0/10) address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  metadata: 'a cloud metadata endpoint',
};

const HINTS: Record<AddressClass, string> = {
  loopback: 'allow it with push.allowLoopback',
  private: 'allow it with push.allowPrivateNetworks',
  'link-local': 'allow it with push.allowPrivateNetworks',
  cgnat: 'allow it with push.allowPrivateNetworks',
  unspecified: 'it is never a valid webhook target; list the host in push.allowedHosts to override',
  multicast: 'it is never a valid webhook target; list the host in push.allowedHosts to override',
  reserved: 'it is never a valid webhook target; list the host in push.allowedHosts to override',
  metadata:
    'it stays blocked even with push.allowPrivateNetworks; list the host in push.allowedHosts if this is intended',
};

function ipv4ToInt(address: string): number {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function intToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** True when `n` lies in `base/bits`. */
function inV4(n: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (n & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
}

function classifyV4(n: number): AddressClass | undefined {
  // Metadata first: these sit inside ranges that allowPrivateNetworks would otherwise open.
  // 100.100.100.200 is Alibaba Cloud's metadata service (inside CGNAT space).
  if (n === ipv4ToInt('169.254.169.254') || n === ipv4ToInt('100.100.100.200')) return 'metadata';
  if (inV4(n, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(n, '127.0.0.0', 8)) return 'loopback';
  if (inV4(n, '10.0.0.0', 8) || inV4(n, '172.16.0.0', 12) || inV4(n, '192.168.0.0', 16)) return 'private';
  if (inV4(n, '169.254.0.0', 16)) return 'link-local';
  if (inV4(n, '100.64.0.0', 10)) return 'cgnat';
  if (inV4(n, '224.0.0.0', 4)) return 'multicast';
  if (inV4(n, '240.0.0.0', 4)) return 'reserved';
  return undefined;
}

/** Parses an IPv6 address (optionally with a zone and an embedded dotted IPv4 tail) to 8 groups. */
function parseIPv6(address: string): number[] | undefined {
  let s = address;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (!isIPv6(s)) return undefined;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return undefined;
    const n = ipv4ToInt(tail);
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const zeros = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(zeros).fill('0'), ...rest].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** Classifies the IPv4 address carried in two IPv6 groups; `fallback` applies when it is public. */
function embeddedV4(hi: number, lo: number, fallback?: AddressClass): Classification | undefined {
  const n = ((hi << 16) | lo) >>> 0;
  const cls = classifyV4(n) ?? fallback;
  return cls ? { cls, embedded: intToIpv4(n) } : undefined;
}

function classifyV6(g: number[]): Classification | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const first80Zero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (first80Zero && g5 === 0) {
    if (g6 === 0 && g7 === 0) return { cls: 'unspecified' };
    if (g6 === 0 && g7 === 1) return { cls: 'loopback' };
    // Deprecated IPv4-compatible form (::a.b.c.d): no legitimate webhook uses it.
    return embeddedV4(g6, g7, 'reserved');
  }
  // IPv4-mapped (::ffff:a.b.c.d): the kernel connects to the embedded IPv4 address.
  if (first80Zero && g5 === 0xffff) return embeddedV4(g6, g7);
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the embedded IPv4 address through a gateway.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embeddedV4(g6, g7);
  if (g0 === 0x2002) return embeddedV4(g1, g2);
  // AWS's IPv6 metadata endpoint lives inside fc00::/7, so test it before the private range.
  if (
    g0 === 0xfd00 &&
    g1 === 0x0ec2 &&
    g2 === 0 &&
    g3 === 0 &&
    g4 === 0 &&
    g5 === 0 &&
    g6 === 0 &&
    g7 === 0x254
  ) {
    return { cls: 'metadata' };
  }
  if ((g0 & 0xfe00) === 0xfc00) return { cls: 'private' };
  if ((g0 & 0xffc0) === 0xfe80) return { cls: 'link-local' };
  // Deprecated site-local fec0::/10 still routes inside some networks.
  if ((g0 & 0xffc0) === 0xfec0) return { cls: 'private' };
  if ((g0 & 0xff00) === 0xff00) return { cls: 'multicast' };
  return undefined;
}

function classify(address: string): Classification | undefined | 'invalid' {
  if (isIPv4(address)) {
    const cls = classifyV4(ipv4ToInt(address));
    return cls ? { cls } : undefined;
  }
  const groups = parseIPv6(address);
  if (!groups) return 'invalid';
  return classifyV6(groups);
}

function allowedByPolicy(cls: AddressClass, policy: AddressPolicy): boolean {
  switch (cls) {
    case 'loopback':
      return policy.allowLoopback === true || policy.allowPrivateNetworks === true;
    case 'private':
    case 'link-local':
    case 'cgnat':
      return policy.allowPrivateNetworks === true;
    default:
      return false;
  }
}

/** The policy's verdict on one address: `undefined` when allowed, else what it is and how to allow it. */
function verdict(address: string, policy: AddressPolicy): { what: string; hint: string } | undefined {
  const c = classify(address);
  if (c === 'invalid') return { what: 'not an IP address', hint: 'the target must resolve to an IP address' };
  if (!c || allowedByPolicy(c.cls, policy)) return undefined;
  const what = c.embedded
    ? `${DESCRIPTIONS[c.cls]} (it embeds the IPv4 address ${c.embedded})`
    : DESCRIPTIONS[c.cls];
  return { what, hint: HINTS[c.cls] };
}

/**
 * Checks one IP address against the policy (no DNS, no allowedHosts: those are per hostname).
 *
 * @returns why the address is blocked and how to allow it, or `undefined` when it is allowed.
 *   Anything that is not an IP address is blocked.
 */
export function isBlockedAddress(address: string, policy: AddressPolicy = {}): string | undefined {
  const v = verdict(address, policy);
  return v ? `${address} is ${v.what}; ${v.hint}` : undefined;
}

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** The URL as shown in error messages: no credentials, query or fragment, which may carry secrets. */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Validates a webhook URL and resolves its host once.
 *
 * Only `http:` and `https:` URLs without credentials are accepted. The hostname is resolved with
 * a single `dns.promises.lookup({all: true})`, and the URL is rejected if ANY of the addresses is
 * blocked by the policy (an attacker controls which of several records a later lookup returns).
 * Connect to the returned `address` and never resolve the hostname again.
 *
 * @throws {PushTargetRejectedError} when the URL or one of its addresses is not allowed.
 * @throws the DNS error (e.g. `ENOTFOUND`, `EAI_AGAIN`) when the hostname does not resolve.
 */
export async function resolveWebhookTarget(url: string, policy: AddressPolicy = {}): Promise<ResolvedTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PushTargetRejectedError(`push URL ${JSON.stringify(url)} is not a valid absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PushTargetRejectedError(
      `push URL scheme ${parsed.protocol} is not allowed; use an https: (or http:) webhook URL`,
    );
  }
  if (parsed.protocol === 'http:' && policy.allowHttp === false) {
    throw new PushTargetRejectedError(
      `push URL ${displayUrl(parsed)} uses plain http; use https, or allow it with push.allowHttp`,
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new PushTargetRejectedError(
      `push URL ${displayUrl(parsed)} contains credentials; send them with the push config's authentication instead`,
    );
  }

  // The host as the HTTP client would use it (IPv6 without brackets); normalized only to compare.
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (hostname === '') throw new PushTargetRejectedError(`push URL ${JSON.stringify(url)} has no host`);
  const normalized = normalizeHost(hostname);
  const trusted = (policy.allowedHosts ?? []).some((h) => normalizeHost(h) === normalized);

  let addresses: { address: string; family: number }[];
  const literal = isIP(hostname);
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal }];
  } else {
    // verbatim keeps the resolver's order, so the first address is the one the OS prefers.
    addresses = await dns.promises.lookup(hostname, { all: true, verbatim: true });
    if (addresses.length === 0) {
      throw new PushTargetRejectedError(`push URL ${displayUrl(parsed)}: ${hostname} resolves to no address`);
    }
  }

  if (!trusted) {
    for (const { address } of addresses) {
      const v = verdict(address, policy);
      if (v) {
        throw new PushTargetRejectedError(
          `push URL ${displayUrl(parsed)} resolves to ${address}, ${v.what}; ${v.hint}`,
        );
      }
    }
  }

  const chosen = addresses[0]!;
  return { url: parsed, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}
