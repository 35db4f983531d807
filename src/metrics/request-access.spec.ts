import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkAccess, isLoopbackAddress } from './request-access.js';

const TOKEN = 'status-token-0123456789';

/** The fields of a request that access depends on. */
function req(
  remoteAddress: string,
  url = '/',
  headers: Record<string, string> = {},
): IncomingMessage {
  return { url, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('checkAccess', () => {
  it('lets loopback in without a token, on IPv4, IPv6 and mapped addresses', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(checkAccess(req(address), {}), address).toEqual({ kind: 'allowed', via: 'loopback' });
    }
  });

  it('refuses other addresses without a token, and loopback behind a forwarding proxy', () => {
    for (const address of ['10.0.0.5', '192.168.1.2', '::ffff:192.168.1.2', 'fe80::1', '']) {
      expect(checkAccess(req(address), { token: TOKEN }).kind, address).toBe('refused');
    }
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      expect(checkAccess(req('127.0.0.1', '/', { [header]: '127.0.0.1' }), {}).kind).toBe(
        'refused',
      );
    }
  });

  it('accepts the right bearer token or cookie, and nothing close to it', () => {
    const rule = { token: TOKEN, cookie: 'tandem_status' };
    const from = (headers: Record<string, string>) =>
      checkAccess(req('10.1.2.3', '/', headers), rule);
    expect(from({ authorization: `Bearer ${TOKEN}` })).toEqual({ kind: 'allowed', via: 'bearer' });
    expect(from({ cookie: `a=b; tandem_status=${TOKEN}` })).toEqual({
      kind: 'allowed',
      via: 'cookie',
    });
    expect(from({ authorization: `Bearer ${TOKEN}x` }).kind).toBe('refused');
    expect(from({ authorization: `Basic ${TOKEN}` }).kind).toBe('refused');
    expect(from({ cookie: `tandem_status=${TOKEN.slice(1)}` }).kind).toBe('refused');
    expect(from({ cookie: `other=${TOKEN}` }).kind).toBe('refused');
    // A wrong bearer is refused even when a good cookie comes with it.
    expect(
      from({ authorization: 'Bearer wrong-token-0123456789', cookie: `tandem_status=${TOKEN}` })
        .kind,
    ).toBe('refused');
  });

  it('moves a good ?token= into an HttpOnly cookie, keeping the other parameters', () => {
    const rule = { token: TOKEN, cookie: 'tandem_status' };
    expect(checkAccess(req('10.1.2.3', `/?token=${TOKEN}&x=1`), rule)).toEqual({
      kind: 'set-cookie',
      location: '/?x=1',
      cookie: `tandem_status=${TOKEN}; Path=/; HttpOnly; SameSite=Lax`,
    });
    const https = checkAccess(
      req('10.1.2.3', `/?token=${TOKEN}`, { 'x-forwarded-proto': 'https' }),
      rule,
    );
    expect(https).toMatchObject({ kind: 'set-cookie', location: '/' });
    expect(https.kind === 'set-cookie' && https.cookie).toMatch(/; Secure$/);
    // A wrong query token is refused even from loopback; without a cookie rule `?token=` is ignored.
    expect(checkAccess(req('127.0.0.1', '/?token=nope'), rule).kind).toBe('refused');
    expect(checkAccess(req('10.1.2.3', `/?token=${TOKEN}`), { token: TOKEN }).kind).toBe('refused');
  });
});

describe('isLoopbackAddress', () => {
  it('knows the loopback forms and nothing else', () => {
    expect(isLoopbackAddress('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackAddress('128.0.0.1')).toBe(false);
    expect(isLoopbackAddress('::2')).toBe(false);
    expect(isLoopbackAddress('localhost')).toBe(false);
  });
});
