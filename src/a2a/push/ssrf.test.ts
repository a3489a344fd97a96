import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isBlockedAddress, PushTargetRejectedError, resolveWebhookTarget } from './ssrf.js';

type LookupAll = (hostname: string, options: dns.LookupAllOptions) => Promise<dns.LookupAddress[]>;

/** Makes `dns.promises.lookup` answer from a table, so tests need no real DNS. */
function fakeDns(table: Record<string, dns.LookupAddress[]>) {
  const impl: LookupAll = async (hostname) => {
    const answer = table[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return vi.spyOn(dns.promises, 'lookup').mockImplementation(impl as unknown as typeof dns.promises.lookup);
}

async function rejection(url: string, policy?: Parameters<typeof resolveWebhookTarget>[1]): Promise<string> {
  try {
    await resolveWebhookTarget(url, policy);
  } catch (err) {
    expect(err).toBeInstanceOf(PushTargetRejectedError);
    return (err as PushTargetRejectedError).reason;
  }
  throw new Error(`expected ${url} to be rejected`);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('isBlockedAddress', () => {
  const blocked: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['::1', /loopback/],
    ['10.0.0.1', /private/],
    ['172.16.5.4', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /metadata/],
    ['169.254.1.1', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['240.0.0.1', /reserved/],
    ['255.255.255.255', /reserved/],
    ['::ffff:127.0.0.1', /loopback.*127\.0\.0\.1/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:169.254.169.254', /metadata/],
    ['::ffff:10.1.2.3', /private/],
    ['64:ff9b::a00:1', /private/],
    ['2002:7f00:1::', /loopback/],
    ['::127.0.0.1', /loopback/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fc00::1', /private/],
    ['fd12:3456::1', /private/],
    ['fd00:ec2::254', /metadata/],
    ['ff02::1', /multicast/],
    ['not-an-ip', /not an IP address/],
  ];
  it.each(blocked)('blocks %s', (address, pattern) => {
    expect(isBlockedAddress(address, {})).toMatch(pattern);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(isBlockedAddress(address, {})).toBeUndefined();
    },
  );

  it('says how to allow a blocked address', () => {
    expect(isBlockedAddress('127.0.0.1')).toBe(
      '127.0.0.1 is a loopback address; allow it with push.allowLoopback',
    );
    expect(isBlockedAddress('10.0.0.1')).toContain('push.allowPrivateNetworks');
  });

  it('allowLoopback opens loopback only', () => {
    const policy = { allowLoopback: true };
    expect(isBlockedAddress('127.0.0.1', policy)).toBeUndefined();
    expect(isBlockedAddress('::1', policy)).toBeUndefined();
    expect(isBlockedAddress('::ffff:127.0.0.1', policy)).toBeUndefined();
    expect(isBlockedAddress('10.0.0.1', policy)).toMatch(/private/);
    expect(isBlockedAddress('169.254.169.254', policy)).toMatch(/metadata/);
  });

  it('allowPrivateNetworks opens private, link-local, CGNAT and loopback but not metadata', () => {
    const policy = { allowPrivateNetworks: true };
    for (const a of [
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      'fc00::1',
      '169.254.1.1',
      'fe80::1',
      '100.64.0.1',
    ]) {
      expect(isBlockedAddress(a, policy)).toBeUndefined();
    }
    expect(isBlockedAddress('127.0.0.1', policy)).toBeUndefined();
    expect(isBlockedAddress('169.254.169.254', policy)).toMatch(/metadata.*allowedHosts/);
    expect(isBlockedAddress('fd00:ec2::254', policy)).toMatch(/metadata/);
    expect(isBlockedAddress('::ffff:169.254.169.254', policy)).toMatch(/metadata/);
    expect(isBlockedAddress('0.0.0.0', policy)).toMatch(/unspecified/);
    expect(isBlockedAddress('224.0.0.1', policy)).toMatch(/multicast/);
  });
});

describe('resolveWebhookTarget', () => {
  it.each([
    'http://127.0.0.1:9/x',
    'http://localhost:9/x',
    'http://[::1]:9/x',
    'http://10.0.0.1/x',
    'http://172.16.5.4/x',
    'http://192.168.1.1/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/x',
    'http://0.0.0.0/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://[fe80::1]/x',
    'http://[fc00::1]/x',
    'http://2130706433/x', // 127.0.0.1 as one decimal number
    'http://0x7f.1/x', // 127.0.0.1 in hex shorthand
  ])('rejects %s', async (url) => {
    await expect(resolveWebhookTarget(url)).rejects.toBeInstanceOf(PushTargetRejectedError);
  });

  it('gives an actionable reason', async () => {
    expect(await rejection('http://127.0.0.1:9/x?secret=1')).toBe(
      'push URL http://127.0.0.1:9/x resolves to 127.0.0.1, a loopback address; allow it with push.allowLoopback',
    );
  });

  it('rejects a hostname that resolves to loopback (real DNS: localhost)', async () => {
    expect(await rejection('http://localhost:9/x')).toMatch(
      /resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
  });

  it('rejects other schemes', async () => {
    expect(await rejection('ftp://example.com/x')).toMatch(/scheme ftp: is not allowed/);
    expect(await rejection('file:///etc/passwd')).toMatch(/scheme file:/);
    expect(await rejection('not a url')).toMatch(/not a valid absolute URL/);
  });

  it('rejects credentials in the URL without echoing them', async () => {
    const reason = await rejection('http://user:hunter2@example.com/x');
    expect(reason).toMatch(/contains credentials/);
    expect(reason).not.toContain('hunter2');
  });

  it('rejects plain http when allowHttp is false', async () => {
    fakeDns({ 'hooks.example.com': [{ address: '93.184.216.34', family: 4 }] });
    expect(await rejection('http://hooks.example.com/x', { allowHttp: false })).toMatch(/plain http/);
    const ok = await resolveWebhookTarget('https://hooks.example.com/x', { allowHttp: false });
    expect(ok.address).toBe('93.184.216.34');
  });

  it('rejects when ANY resolved address is blocked', async () => {
    fakeDns({
      'mixed.example.com': [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    });
    expect(await rejection('https://mixed.example.com/hook')).toMatch(
      /resolves to 10\.0\.0\.7, a private-network/,
    );
  });

  it('resolves once and returns the first address', async () => {
    const spy = fakeDns({
      'hooks.example.com': [
        { address: '2606:4700::6810:84e5', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
    const target = await resolveWebhookTarget('https://hooks.example.com/a?b=1');
    expect(spy).toHaveBeenCalledTimes(1);
    expect((spy.mock.calls[0] as unknown[] | undefined)?.[1]).toMatchObject({ all: true });
    expect(target.address).toBe('2606:4700::6810:84e5');
    expect(target.family).toBe(6);
    expect(target.url.href).toBe('https://hooks.example.com/a?b=1');
  });

  it('passes DNS failures through (they may be transient)', async () => {
    fakeDns({});
    await expect(resolveWebhookTarget('https://nowhere.example.com/')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('allows blocked classes when the policy says so', async () => {
    expect((await resolveWebhookTarget('http://127.0.0.1:9/x', { allowLoopback: true })).address).toBe(
      '127.0.0.1',
    );
    const v6 = await resolveWebhookTarget('http://[::1]:9/x', { allowLoopback: true });
    expect(v6).toMatchObject({ address: '::1', family: 6 });
    await expect(resolveWebhookTarget('http://10.0.0.1/x', { allowLoopback: true })).rejects.toThrow(
      /private/,
    );
    expect((await resolveWebhookTarget('http://10.0.0.1/x', { allowPrivateNetworks: true })).address).toBe(
      '10.0.0.1',
    );
    expect((await resolveWebhookTarget('http://localhost:9/', { allowLoopback: true })).url.hostname).toBe(
      'localhost',
    );
  });

  it('keeps metadata blocked unless the host is in allowedHosts', async () => {
    const url = 'http://169.254.169.254/latest/meta-data/';
    await expect(resolveWebhookTarget(url, { allowPrivateNetworks: true })).rejects.toThrow(/metadata/);
    const ok = await resolveWebhookTarget(url, { allowedHosts: ['169.254.169.254'] });
    expect(ok.address).toBe('169.254.169.254');
  });

  it('matches allowedHosts exactly, ignoring case and a trailing dot', async () => {
    fakeDns({ 'internal.example.': [{ address: '10.1.2.3', family: 4 }] });
    const ok = await resolveWebhookTarget('http://internal.example./x', {
      allowedHosts: ['INTERNAL.example'],
    });
    expect(ok.address).toBe('10.1.2.3');
    await expect(
      resolveWebhookTarget('http://internal.example./x', { allowedHosts: ['other.internal.example'] }),
    ).rejects.toThrow(/private/);
    expect((await resolveWebhookTarget('http://[::1]/x', { allowedHosts: ['[::1]'] })).address).toBe('::1');
  });
});
