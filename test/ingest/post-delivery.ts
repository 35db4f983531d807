/** Test helpers: sign and post a webhook delivery the way GitHub or Gitea would. */
import { signBody } from '../../src/ingest/verify-signature.js';

export interface PostDelivery {
  forge: 'github' | 'gitea';
  event: string;
  id: string;
  /** JSON payload, or the raw body text (for broken bodies). */
  payload?: unknown;
  raw?: string;
  secret: string;
  /** Sign with this secret instead (a wrong signature). */
  signWith?: string;
  contentType?: string;
}

/** Posts to `<baseUrl>/api/<forge>/webhooks`; returns status and parsed JSON answer. */
export async function postDelivery(
  baseUrl: string,
  d: PostDelivery,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = d.raw ?? JSON.stringify(d.payload);
  const signature = signBody(d.signWith ?? d.secret, body);
  const headers: Record<string, string> = { 'content-type': d.contentType ?? 'application/json' };
  if (d.forge === 'github') {
    Object.assign(headers, {
      'x-github-event': d.event,
      'x-github-delivery': d.id,
      'x-hub-signature-256': `sha256=${signature}`,
    });
  } else {
    // Gitea sends both its own headers and GitHub-style ones (services/webhook/deliver.go).
    Object.assign(headers, {
      'x-gitea-event': d.event,
      'x-gitea-delivery': d.id,
      'x-gitea-signature': signature,
      'x-github-event': d.event,
      'x-github-delivery': d.id,
      'x-hub-signature-256': `sha256=${signature}`,
    });
  }
  const res = await fetch(`${baseUrl}/api/${d.forge}/webhooks`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
