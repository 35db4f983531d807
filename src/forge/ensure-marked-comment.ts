/**
 * The forge-neutral half of `Forge.ensureComment`: find the comment carrying a hidden marker
 * (`comment-marker.ts`), leave it when its text is already right, else update it, else create one. The
 * forge supplies the three API calls; each forge client maps its own routes and response schemas.
 */
import { hasMarker, withMarker } from './comment-marker.js';
import type { EnsuredComment } from './types.js';

/** The comments of one issue or pull request, as a forge client exposes them to {@link ensureMarkedComment}. */
export interface MarkedCommentThread {
  /** Every comment of the thread (all pages), oldest first. */
  list(): Promise<readonly { id: number; body?: string | null | undefined }[]>;
  /** Replaces the text of comment `id`. */
  update(id: number, body: string): Promise<unknown>;
  /** Posts a new comment; resolves to its id. */
  create(body: string): Promise<{ id: number }>;
}

/**
 * Makes `thread` hold exactly one comment with `marker`, whose text is `body` below the marker line.
 * The first comment carrying the marker is the one kept up to date.
 * @throws whatever the thread's calls throw (`ForgeRequestError` in both forge clients).
 */
export async function ensureMarkedComment(
  thread: MarkedCommentThread,
  marker: string,
  body: string,
): Promise<EnsuredComment> {
  const text = withMarker(marker, body);
  const comments = await thread.list();
  const existing = comments.find((c) => hasMarker(marker, c.body));
  if (existing?.body === text) {
    return { id: existing.id, action: 'unchanged' };
  }
  if (existing) {
    await thread.update(existing.id, text);
    return { id: existing.id, action: 'updated' };
  }
  const created = await thread.create(text);
  return { id: created.id, action: 'created' };
}
