import { eq } from 'drizzle-orm';
import { webhookDeliveries } from '../../db/schema.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/**
 * When the delivery `deliveryId` reached ingestion (its `webhook_deliveries` row), or null for an event
 * that did not come through ingestion. Events are routed later than they arrive (a queue in between), so
 * "what happened first" between two deliveries is decided by this, not by when each was processed.
 */
export async function deliveryArrival(
  deps: Pick<WorkflowDeps, 'db'>,
  deliveryId: string,
): Promise<Date | null> {
  const [row] = await deps.db
    .select({ at: webhookDeliveries.receivedAt })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, deliveryId));
  return row?.at ?? null;
}
