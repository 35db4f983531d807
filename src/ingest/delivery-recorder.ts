/**
 * Records accepted deliveries: the `webhook_deliveries` row (its primary key `<forge>-<delivery id>` is
 * the dedupe) and the normalized event in the `outbox`, in ONE atomic statement, so a delivery is either
 * fully recorded or not at all, and a redelivery records nothing. Redis is not involved: the relay moves
 * outbox rows to BullMQ afterwards (transactional outbox pattern, microservices.io "Transactional outbox").
 *
 * Group commit: deliveries that arrive while a write is in flight are written together in the next
 * one (multi-row inserts), as databases batch WAL flushes. A BEGIN/insert/insert/COMMIT transaction cost
 * ~6 ms on PGlite under load (ingestion capped near 150/s); one statement per batch keeps the cost per
 * delivery small while each caller still learns its own outcome only after its rows are committed.
 */
import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/rows-of.js';
import type { Database } from '../db/create-database.js';
import { outbox, webhookDeliveries } from '../db/schema.js';
import type { ForgeEvent } from '../forge/forge-event.js';
import { toStorableJson } from '../db/storable-json.js';

/** The BullMQ queue that receives normalized forge events. */
export const EVENTS_QUEUE = 'events';

/** Header facts stored with the delivery row (no headers themselves, no secrets). */
export interface DeliveryFacts {
  /** Event header value, e.g. `issue_comment`. */
  event: string;
  /** Payload `action`, when it has one. */
  action: string | null;
}

export type RecordResult = 'recorded' | 'duplicate';

export interface DeliveryRecorder {
  /**
   * Resolves once the delivery's rows are committed (or found to exist).
   * @returns `recorded` when the delivery is new (outbox row written), `duplicate` when its id was seen.
   * @throws the database error when its transaction fails (the HTTP layer answers 500; nothing is kept).
   */
  record(event: ForgeEvent, facts: DeliveryFacts): Promise<RecordResult>;
}

/** An outbox row just committed: its id, the delivery id (future job id), the queue and the event. */
export interface CommittedRow {
  id: number;
  deliveryId: string;
  queue: string;
  payload: ForgeEvent;
}

/** Options of {@link createDeliveryRecorder}. */
export interface DeliveryRecorderOptions {
  /** Most deliveries written in one statement (default 128). */
  maxBatch?: number;
  /**
   * Called after each commit with the outbox rows it wrote (e.g. `relay.offer`), so the relay can
   * enqueue them without reading them back from the database.
   */
  onCommitted?: (rows: CommittedRow[]) => void;
}

interface Pending {
  event: ForgeEvent;
  facts: DeliveryFacts;
  resolve: (result: RecordResult) => void;
  reject: (error: unknown) => void;
}

/** Creates the recorder over Tandem's database. */
export function createDeliveryRecorder(
  db: Database,
  options: DeliveryRecorderOptions = {},
): DeliveryRecorder {
  const maxBatch = options.maxBatch ?? 128;
  let waiting: Pending[] = [];
  let busy = false;

  /**
   * Writes one batch in ONE statement (a data-modifying CTE is atomic, so no BEGIN/COMMIT round trips):
   * insert the delivery rows, skipping known ids, and insert outbox rows only for the ids just inserted.
   * Returns each item's outcome, in order; of equal ids within a batch only the first can be new.
   */
  async function write(batch: Pending[]): Promise<RecordResult[]> {
    const seen = new Set<string>();
    const unique = batch.filter(
      (p) => !seen.has(p.event.deliveryId) && seen.add(p.event.deliveryId),
    );
    const deliveries = sql.join(
      unique.map(
        (p) => sql`(${p.event.deliveryId}, ${p.event.forge}, ${p.facts.event}, ${p.facts.action})`,
      ),
      sql`, `,
    );
    const events = sql.join(
      unique.map((p) => sql`(${p.event.deliveryId}, ${JSON.stringify(p.event)}::jsonb)`),
      sql`, `,
    );
    const result = await db.execute<{ id: number | string; delivery_id: string }>(sql`
      with inserted as (
        insert into ${webhookDeliveries} (id, forge, event, action)
        values ${deliveries}
        on conflict do nothing
        returning id
      )
      insert into ${outbox} (delivery_id, queue, payload)
      select e.delivery_id, ${EVENTS_QUEUE}, e.payload
      from (values ${events}) as e (delivery_id, payload)
      join inserted on inserted.id = e.delivery_id
      returning id, delivery_id`);
    const written = rowsOf<{ id: number | string; delivery_id: string }>(result);
    const outboxIds = new Map(written.map((r) => [r.delivery_id, Number(r.id)]));
    const committed: CommittedRow[] = [];
    const results = batch.map((p): RecordResult => {
      const id = outboxIds.get(p.event.deliveryId);
      if (id === undefined) {
        return 'duplicate';
      }
      outboxIds.delete(p.event.deliveryId);
      committed.push({ id, deliveryId: p.event.deliveryId, queue: EVENTS_QUEUE, payload: p.event });
      return 'recorded';
    });
    if (committed.length > 0 && options.onCommitted) {
      try {
        options.onCommitted(committed);
      } catch {
        // The rows are committed; a failing listener must not turn them into errors. The relay's
        // database poll picks them up anyway.
      }
    }
    return results;
  }

  async function flush(): Promise<void> {
    busy = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      try {
        const results = await write(batch);
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (error) {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          continue;
        }
        // One bad delivery must not fail the others: retry each on its own.
        for (const p of batch) {
          try {
            p.resolve((await write([p]))[0]!);
          } catch (single) {
            p.reject(single);
          }
        }
      }
    }
    busy = false;
  }

  return {
    record(event, facts) {
      return new Promise<RecordResult>((resolve, reject) => {
        // Made storable once, here: the same payload goes to the outbox row and, in memory, to the
        // relay, and neither PostgreSQL's jsonb nor BullMQ's PostgreSQL backend accepts a NUL.
        waiting.push({ event: toStorableJson(event), facts, resolve, reject });
        if (!busy) {
          // Start the write after the current I/O phase, so deliveries parsed in the same event-loop
          // turn share one statement (measured: one statement per delivery otherwise).
          busy = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
