/** Reading one cookie of a request, for the routes that keep a token in an HttpOnly cookie. */
import type { IncomingMessage } from 'node:http';

/**
 * The value of cookie `name` in the request's `Cookie` header (RFC 6265 `name=value` pairs split on `;`),
 * percent-decoded; the first one wins. Undefined when absent or when its value is not valid
 * percent-encoding.
 */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
