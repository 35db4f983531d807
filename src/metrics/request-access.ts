/**
 * Who may read operational pages (`/metrics`, the status page): a request from this machine, or one
 * that carries the page's token. Such pages name aliases, queues and (the status page) repositories, so
 * they are never open to whoever reaches the webhook port.
 *
 * Loopback means the TCP peer is 127.0.0.0/8 or ::1 AND the request carries no forwarding header
 * (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`): behind a reverse proxy on the same host every request
 * arrives from loopback, and the proxy's header is what tells them apart. A client can add such a header
 * to refuse itself, never to admit itself.
 *
 * The token is compared in constant time (SHA-256 digests of both, so lengths never leak). It may come as
 * `Authorization: Bearer <token>` (Prometheus's `authorization` setting, curl), as a cookie, or once as
 * `?token=` (a link), which the caller answers with a redirect that moves it into an HttpOnly cookie so it
 * leaves the address bar, the history and Referer headers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { cookieOf } from '../ingest/cookie-of.js';

/** What a page accepts besides loopback. */
export interface AccessRule {
  /** The page's token; absent: only loopback is allowed. */
  token?: string;
  /** Name of the cookie that may carry the token (absent: no cookie, no `?token=`). */
  cookie?: string;
}

/** The decision for one request. */
export type Access =
  | { kind: 'allowed'; via: 'loopback' | 'bearer' | 'cookie' }
  /** A good `?token=`: redirect to `location` setting the cookie. */
  | { kind: 'set-cookie'; location: string; cookie: string }
  | { kind: 'refused' };

/** Decides whether `req` may read a page guarded by `rule`. */
export function checkAccess(req: IncomingMessage, rule: AccessRule): Access {
  const [path = '/', query = ''] = (req.url ?? '/').split('?');
  const params = new URLSearchParams(query);
  const fromQuery = rule.cookie ? params.get('token') : null;
  if (fromQuery !== null) {
    if (rule.token === undefined || !sameToken(fromQuery, rule.token)) {
      return { kind: 'refused' };
    }
    params.delete('token');
    const secure = first(req.headers['x-forwarded-proto']) === 'https' ? '; Secure' : '';
    return {
      kind: 'set-cookie',
      location: params.size > 0 ? `${path}?${params.toString()}` : path,
      cookie: `${rule.cookie}=${encodeURIComponent(fromQuery)}; Path=/; HttpOnly; SameSite=Lax${secure}`,
    };
  }
  if (isLoopbackRequest(req)) {
    return { kind: 'allowed', via: 'loopback' };
  }
  if (rule.token === undefined) {
    return { kind: 'refused' };
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(first(req.headers.authorization) ?? '')?.[1];
  if (bearer !== undefined) {
    return sameToken(bearer, rule.token) ? { kind: 'allowed', via: 'bearer' } : { kind: 'refused' };
  }
  const cookie = rule.cookie ? cookieOf(req, rule.cookie) : undefined;
  if (cookie !== undefined && sameToken(cookie, rule.token)) {
    return { kind: 'allowed', via: 'cookie' };
  }
  return { kind: 'refused' };
}

/** True when the peer is a loopback address and no proxy forwarded the request (see the module comment). */
export function isLoopbackRequest(req: IncomingMessage): boolean {
  const h = req.headers;
  if (
    h.forwarded !== undefined ||
    h['x-forwarded-for'] !== undefined ||
    h['x-real-ip'] !== undefined
  ) {
    return false;
  }
  return isLoopbackAddress(req.socket.remoteAddress ?? '');
}

/** 127.0.0.0/8, ::1, or either mapped into IPv6 (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    return v4.startsWith('127.');
  }
  return isIP(address) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(address);
}

function sameToken(given: string, expected: string): boolean {
  const digest = (t: string) => createHash('sha256').update(t).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function first(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
}
