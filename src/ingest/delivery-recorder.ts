/**
 * Records an accepted delivery: the `webhook_deliveries` row (its primary key `<forge>-<delivery id>` is
 * the dedupe) and the normalized event in the `outbox`, in ONE transaction, so a delivery is either
 * fully recorded or not at all, and a redelivery records nothing. Redis is not involved: the relay moves
 * outbox rows to BullMQ afterwards (transactional outbox pattern, microservices.io "Transactional outbox").
 */
import type { Database } from '../db/create-database.js';
import { outbox, webhookDeliveries } from '../db/schema.js';
import type { ForgeEvent } from '../forge/forge-event.js';

/** The BullMQ queue that receives normalized forge events. */
export const EVENTS_QUEUE = 'events';

/** Header facts stored with the delivery row (no headers themselves, no secrets). */
export interface DeliveryFacts {
  /** Event header value, e.g. `issue_comment`. */
  event: string;
  /** Payload `action`, when it has one. */
  action: string | null;
}

export interface DeliveryRecorder {
  /**
   * @returns `recorded` when the delivery is new (outbox row written), `duplicate` when its id was seen.
   * @throws the database error when the transaction fails (the HTTP layer answers 500; nothing is kept).
   */
  record(event: ForgeEvent, facts: DeliveryFacts): Promise<'recorded' | 'duplicate'>;
}

/** Creates the recorder over Tandem's database. */
export function createDeliveryRecorder(db: Database): DeliveryRecorder {
  return {
    record: (event, facts) =>
      db.transaction(async (tx) => {
        const inserted = await tx
          .insert(webhookDeliveries)
          .values({
            id: event.deliveryId,
            forge: event.forge,
            event: facts.event,
            action: facts.action,
          })
          .onConflictDoNothing()
          .returning({ id: webhookDeliveries.id });
        if (inserted.length === 0) {
          return 'duplicate';
        }
        await tx
          .insert(outbox)
          .values({ deliveryId: event.deliveryId, queue: EVENTS_QUEUE, payload: event });
        return 'recorded';
      }),
  };
}
