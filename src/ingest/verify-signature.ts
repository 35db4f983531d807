/**
 * Webhook signature checks. Both forges sign the raw request body with HMAC-SHA256 keyed by the webhook
 * secret: GitHub sends `X-Hub-Signature-256: sha256=<hex>` (docs.github.com "Validating webhook
 * deliveries"); Gitea sends `X-Gitea-Signature: <hex>` (bare hex, `services/webhook/deliver.go`) and also
 * the GitHub-style header. Comparison is constant-time (`crypto.timingSafeEqual`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `body` under `secret`. */
export function signBody(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * True when `signature` (bare hex, or `sha256=`-prefixed hex) is the HMAC-SHA256 of `body`.
 * A missing or malformed signature is simply false.
 */
export function verifySignature(
  secret: string,
  body: Buffer,
  signature: string | undefined,
): boolean {
  if (signature === undefined) {
    return false;
  }
  const hex = signature.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    return false;
  }
  const expected = Buffer.from(signBody(secret, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}
