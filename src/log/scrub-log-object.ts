import { pino } from 'pino';
import { redactSecrets } from '../errors/redact-secrets.js';

const CENSOR = '[REDACTED]';
const MAX_DEPTH = 10;

/** Key names (lower-case, without `-`/`_`) whose value is always a secret, at any depth. */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'xhubsignature',
  'xhubsignature256',
  'xgiteasignature',
  'xgogssignature',
  'connectionstring',
  'passwd',
  'pem',
]);

/** Key endings that mark a secret: `token`, `giteaToken`, `WEBHOOK_SECRET`, `apiKey`, `privateKey`… */
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'apikey', 'privatekey', 'credentials'];

/**
 * True when a key's value must never be logged. Matched on the key lower-cased with `-` and `_`
 * removed, so `x-hub-signature-256`, `GITEA_TOKEN` and `accessToken` are all caught; counters such
 * as `tokensIn` or `maxTokens` are not (they do not END with `token`).
 */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

/**
 * Returns a copy of a log object with secrets removed, for pino's `formatters.log`:
 * values under secret keys ({@link isSecretKey}) become `[REDACTED]` at any depth (pino's own
 * `redact` paths only reach fixed depths); every string goes through `redactSecrets(s, known)`
 * (tokens in URLs, headers, PEM keys, known values); `Error`s are first serialised with pino's
 * standard `err` serializer (type, message and stack with causes folded in, own properties) and then scrubbed.
 * Cycles become `[Circular]`; beyond 10 levels, `[Truncated]`. Non-plain objects (Date, Buffer…)
 * are kept as they are.
 */
export function scrubLogObject(
  value: Record<string, unknown>,
  known: readonly string[] = [],
): Record<string, unknown> {
  return scrub(value, known, 0, new WeakSet()) as Record<string, unknown>;
}

function scrub(
  value: unknown,
  known: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === 'string') {
    return redactSecrets(value, known);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (seen.has(value)) {
    return '[Circular]';
  }
  if (depth >= MAX_DEPTH) {
    return '[Truncated]';
  }
  seen.add(value);
  try {
    if (value instanceof Error) {
      // The serializer's result has its own prototype; spread it into a plain object to scrub it.
      return scrub({ ...pino.stdSerializers.err(value) }, known, depth + 1, seen);
    }
    if (Array.isArray(value)) {
      return value.map((v) => scrub(v, known, depth + 1, seen));
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return value;
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && v !== undefined && v !== null
          ? CENSOR
          : scrub(v, known, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
