/**
 * Webhook signature checks. Both forges sign the raw request body with HMAC-SHA256 keyed by the webhook
 * secret: GitHub sends `X-Hub-Signature-256: sha256=<hex>` (docs.github.com "Validating webhook
 * deliveries"); Gitea sends `X-Gitea-Signature: <hex>` (bare hex, `services/webhook/deliver.go`) and also
 * the GitHub-style header. Comparison is constant-time (`crypto.timingSafeEqual`).
 *
 * The webhook server computes the HMAC while the body streams in (`createHmac` + `update` per chunk), so
 * it uses {@link parseSignature} and {@link signatureMatches} rather than `verify` of
 * `@octokit/webhooks-methods`, which takes the whole body as one string (docs/decisions.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `body` under `secret`. */
export function signBody(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * The 32 signature bytes of a header value (bare hex, or `sha256=`-prefixed hex, any case), or null
 * when the value is missing or is not a SHA-256 signature.
 */
export function parseSignature(header: string | undefined): Buffer | null {
  if (header === undefined) {
    return null;
  }
  const hex = header.trim().replace(/^sha256=/i, '');
  return /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : null;
}

/** True when `digest` (raw HMAC bytes) equals `signature` (from {@link parseSignature}); constant-time. */
export function signatureMatches(digest: Buffer, signature: Buffer | null): boolean {
  return (
    signature !== null && digest.length === signature.length && timingSafeEqual(digest, signature)
  );
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
  return signatureMatches(
    createHmac('sha256', secret).update(body).digest(),
    parseSignature(signature),
  );
}
