/**
 * The webhook routes of the ingestion server, one per configured forge: the headers each forge sends,
 * which secret a delivery must be signed with, and its normalizer.
 *
 * GitHub signs every delivery of an App with the App's one webhook secret. Gitea signs with the secret of
 * the hook that sent it: with one shared secret (`GITEA_WEBHOOK_SECRET`) for every repository, anyone who
 * knows it (any repository admin who configured a hook with it) can sign a delivery that names any other
 * repository, and the payload's repository and sender are trusted as given. A repository listed with its
 * own secret (`GITEA_WEBHOOK_SECRETS_FILE`) is accepted only when signed with that secret, so neither the
 * shared secret nor another repository's secret can forge its events. Because the repository is named in
 * the body, such a delivery's body is parsed before its signature is known to be good (its size still
 * bounded by the cap and the body budget).
 */
import { createHmac } from 'node:crypto';
import type { ForgeKind, Normalized, NormalizeOptions, RawDelivery } from '../forge/forge-event.js';
import { normalizeGiteaEvent } from '../forge/gitea/normalize-gitea-event.js';
import { normalizeGithubEvent } from '../forge/github/normalize-github-event.js';
import { signatureMatches } from './verify-signature.js';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhooks';
export const GITEA_WEBHOOK_PATH = '/api/gitea/webhooks';

/** A signature check's outcome; a good one may carry the payload it had to parse. */
export type Verdict =
  { ok: true; payload?: unknown } | { ok: false; reason: string; detail?: string };

/** One forge's webhook route. */
export interface WebhookRoute {
  forge: ForgeKind;
  eventHeader: string;
  deliveryHeader: string;
  /** Headers that may carry the signature, in order of preference. */
  signatureHeaders: readonly string[];
  /** Secret known before the body is read: its HMAC is computed while the body streams in. */
  sharedSecret?: string;
  /**
   * Checks the signature of a complete body.
   * @param digest HMAC-SHA256 of `body` under `sharedSecret` (null without one)
   * @param signature the 32 bytes of the signature header
   */
  verify(body: Buffer, digest: Buffer | null, signature: Buffer): Verdict;
  normalize(delivery: RawDelivery, options: NormalizeOptions): Normalized;
}

/** The secrets that decide which routes exist. */
export interface WebhookRouteSecrets {
  githubWebhookSecret?: string;
  giteaWebhookSecret?: string;
  /** Lower-case `owner/repo` → that repository's own Gitea webhook secret. */
  giteaRepositorySecrets?: ReadonlyMap<string, string>;
}

const BAD_SIGNATURE = { ok: false, reason: 'bad signature' } as const;

/** The routes for the configured secrets, keyed by path. */
export function createWebhookRoutes(secrets: WebhookRouteSecrets): Map<string, WebhookRoute> {
  const routes = new Map<string, WebhookRoute>();
  if (secrets.githubWebhookSecret) {
    routes.set(GITHUB_WEBHOOK_PATH, {
      forge: 'github',
      eventHeader: 'x-github-event',
      deliveryHeader: 'x-github-delivery',
      signatureHeaders: ['x-hub-signature-256'],
      sharedSecret: secrets.githubWebhookSecret,
      verify: (_body, digest, signature) =>
        digest !== null && signatureMatches(digest, signature) ? { ok: true } : BAD_SIGNATURE,
      normalize: normalizeGithubEvent,
    });
  }
  const own = secrets.giteaRepositorySecrets ?? new Map<string, string>();
  if (secrets.giteaWebhookSecret || own.size > 0) {
    routes.set(GITEA_WEBHOOK_PATH, {
      forge: 'gitea',
      eventHeader: 'x-gitea-event',
      deliveryHeader: 'x-gitea-delivery',
      signatureHeaders: ['x-gitea-signature', 'x-hub-signature-256'],
      ...(secrets.giteaWebhookSecret ? { sharedSecret: secrets.giteaWebhookSecret } : {}),
      verify: (body, digest, signature) => verifyGitea(own, body, digest, signature),
      normalize: normalizeGiteaEvent,
    });
  }
  return routes;
}

function verifyGitea(
  own: ReadonlyMap<string, string>,
  body: Buffer,
  digest: Buffer | null,
  signature: Buffer,
): Verdict {
  const shared = digest !== null && signatureMatches(digest, signature);
  if (own.size === 0) {
    return shared ? { ok: true } : BAD_SIGNATURE;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    // No repository to look up: only the shared secret can vouch for it (then it answers 400 later).
    return shared ? { ok: true } : BAD_SIGNATURE;
  }
  const repo = repositoryOf(payload);
  const secret = repo === null ? undefined : own.get(repo);
  if (secret === undefined) {
    return shared ? { ok: true, payload } : BAD_SIGNATURE;
  }
  const mine = createHmac('sha256', secret).update(body).digest();
  return signatureMatches(mine, signature)
    ? { ok: true, payload }
    : {
        ...BAD_SIGNATURE,
        detail: 'the repository has its own secret; the delivery is not signed with it',
      };
}

/**
 * Lower-case `owner/name` of the repository a payload names, read from the same fields the normalizers
 * use for the event's repository (`repository.owner.login`, `repository.name`); null when absent.
 */
export function repositoryOf(payload: unknown): string | null {
  const repository = (
    payload as { repository?: { name?: unknown; owner?: { login?: unknown } } } | null
  )?.repository;
  const owner = repository?.owner?.login;
  const name = repository?.name;
  return typeof owner === 'string' && typeof name === 'string'
    ? `${owner}/${name}`.toLowerCase()
    : null;
}
