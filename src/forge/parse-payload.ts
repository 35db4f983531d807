/**
 * Validation of a webhook body against the zod schema of its event, shared by both normalizers
 * (`github/normalize-github-event.ts`, `gitea/normalize-gitea-event.ts`).
 */
import type { z } from 'zod';
import { WebhookPayloadError } from '../errors/webhook-payload-error.js';
import type { ForgeKind, RawDelivery } from './forge-event.js';

/**
 * Parses `delivery.payload` with `schema`.
 * @returns the parsed (and transformed) payload.
 * @throws WebhookPayloadError naming `forge`, the event and every zod issue as `path: message`
 *   (`(root)` for the body itself), with the zod error as `cause`; the payload is not kept.
 */
export function parsePayload<T extends z.ZodType>(
  forge: ForgeKind,
  schema: T,
  delivery: RawDelivery,
): z.infer<T> {
  const result = schema.safeParse(delivery.payload);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new WebhookPayloadError(forge, delivery.event, issues, { cause: result.error });
  }
  return result.data;
}
