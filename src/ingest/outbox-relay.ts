/**
 * Moves outbox rows to BullMQ. Rows just written by this process are handed over in memory
 * (`offer`, from the recorder's `onCommitted`), so the hot path never reads payloads back; rows left
 * over (a failed add, a restart, another server's rows) are found by polling the database. Each row
 * becomes a job whose `jobId` is the delivery id
 * (`<forge>-<delivery id>`, no `:`), so adding the same row twice (a crash between add and mark, two
 * relays racing) still yields one job: BullMQ ignores an add whose job id exists. Rows are marked
 * `relayed_at` after the add succeeds. When the queue is unreachable (Redis down) the add times out or
 * fails, the attempt is recorded on the rows, and the relay retries with exponential backoff until the
 * queue is back; deliveries keep being accepted meanwhile, since they only need the database.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/create-database.js';
import { outbox } from '../db/schema.js';
import { toStorableJson } from '../db/storable-json.js';
import { redactSecrets } from '../errors/redact-secrets.js';
import type { Logger } from '../log/logger.js';

/** Options of one relayed job: its id is the delivery id; the rest is {@link EVENT_JOB_OPTIONS}. */
export type RelayJobOptions = typeof EVENT_JOB_OPTIONS & { jobId: string };

/** The part of a BullMQ `Queue` the relay uses (`Queue#addBulk`). */
export interface RelayQueue {
  addBulk(jobs: { name: string; data: unknown; opts: RelayJobOptions }[]): Promise<unknown>;
}

/**
 * BullMQ options of every event job. A failing event (the forge or the database briefly away) is
 * retried with exponential backoff (1, 2, 4, 8 s) rather than lost: a redelivery of the same delivery
 * would be dropped as a duplicate at ingestion. The router is idempotent, so a retry after a partial
 * run finishes the work without doing any of it twice. Completed jobs are kept a day so the job id
 * (the delivery id) still deduplicates a relay that adds a row twice.
 */
export const EVENT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
} as const;

/** Settings and collaborators of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  db: Database;
  /** Queue per outbox `queue` name (today only `events`). */
  queues: Record<string, RelayQueue>;
  log: Logger;
  /** Rows per batch (default 200). */
  batchSize?: number;
  /** How long one `addBulk` may take before it counts as failed, in ms (default 5 000). */
  addTimeoutMs?: number;
  /** First retry delay after a failure, in ms (default 250); doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Longest retry delay, in ms (default 10 000). */
  maxBackoffMs?: number;
  /** Poll interval when idle and not nudged, in ms (default 1 000): catches rows of other servers. */
  idleMs?: number;
  /**
   * After a nudge, wait this long (ms, default 5) so deliveries arriving together are relayed in one
   * batch: one select, one `addBulk`, one update instead of one of each per delivery.
   */
  gatherMs?: number;
}

/** An outbox row to relay. */
export interface RelayRow {
  id: number;
  deliveryId: string;
  queue: string;
  payload: unknown;
}

export interface OutboxRelay {
  /** Starts the loop (idempotent). */
  start(): void;
  /**
   * Hands over rows just committed (bounded: beyond 10 000 waiting rows the extra ones are left to the
   * database poll) and wakes the loop.
   */
  offer(rows: readonly RelayRow[]): void;
  /** Wakes the loop now (call after recording a delivery). */
  nudge(): void;
  /** Stops the loop and waits for the batch in flight. */
  stop(): Promise<void>;
  /** Relays until no pending row is left; resolves with how many rows were relayed (for tests/CLI). */
  drain(): Promise<number>;
  /** Pending (not yet relayed) rows. */
  pending(): Promise<number>;
}

function errorText(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`queue add timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Creates a relay; call `start()` to run it in the background. */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, log } = options;
  const batchSize = options.batchSize ?? 200;
  const addTimeoutMs = options.addTimeoutMs ?? 5_000;
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const idleMs = options.idleMs ?? 1_000;
  const gatherMs = options.gatherMs ?? 5;

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let nudged = false;
  let failures = 0;
  const fresh: RelayRow[] = [];
  const MAX_FRESH = 10_000;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (nudged && failures === 0) {
        nudged = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        nudged = false;
        resolve();
      }
      wake = done;
    });

  /** The oldest pending rows in the database. */
  function pollBatch(): Promise<RelayRow[]> {
    return db
      .select({
        id: outbox.id,
        deliveryId: outbox.deliveryId,
        queue: outbox.queue,
        payload: outbox.payload,
      })
      .from(outbox)
      .where(and(isNull(outbox.relayedAt), isNull(outbox.parkedAt)))
      .orderBy(asc(outbox.id))
      .limit(batchSize);
  }

  /** Wakes an idle loop; during a backoff the wake-up waits for the backoff to end. */
  function nudge(): void {
    nudged = true;
    if (failures === 0) {
      wake?.();
    }
  }

  /** Relays one batch; returns the number of rows relayed (0: nothing pending). */
  async function relayBatch(): Promise<number> {
    // Rows handed over in memory first; on failure they stay pending in the database for the poll.
    const rows: RelayRow[] = fresh.length > 0 ? fresh.splice(0, batchSize) : await pollBatch();
    if (rows.length === 0) {
      return 0;
    }
    const byQueue = new Map<string, RelayRow[]>();
    for (const row of rows) {
      byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
    }
    let relayed = 0;
    for (const [name, group] of byQueue) {
      relayed += await relayGroup(name, group);
    }
    return relayed;
  }

  /** Adds the rows of one queue; returns how many were relayed. @throws when none could be added */
  async function relayGroup(name: string, group: RelayRow[]): Promise<number> {
    try {
      await add(name, group);
      await markRelayed(group);
      return group.length;
    } catch (error) {
      if (group.length === 1) {
        await recordFailure(group, error);
        throw error;
      }
      return relayOneByOne(name, group, error);
    }
  }

  /**
   * After a failed batch, each row on its own: one row the queue cannot take must not hold back the
   * others. When some rows go through, the queue is reachable and a row it refused again is bad data:
   * it is parked (kept, logged, no longer retried). When none goes through, the queue is away: the
   * error is rethrown and the whole batch waits for the backoff.
   */
  async function relayOneByOne(name: string, group: RelayRow[], first: unknown): Promise<number> {
    const refused: { row: RelayRow; error: unknown }[] = [];
    let relayed = 0;
    for (const row of group) {
      try {
        await add(name, [row]);
        await markRelayed([row]);
        relayed++;
      } catch (error) {
        refused.push({ row, error });
      }
    }
    if (relayed === 0) {
      await recordFailure(group, first);
      throw first;
    }
    for (const { row, error } of refused) {
      const message = errorText(error);
      await db
        .update(outbox)
        .set({ attempts: sql`${outbox.attempts} + 1`, lastError: message, parkedAt: sql`now()` })
        .where(eq(outbox.id, row.id));
      log.error(
        { deliveryId: row.deliveryId, outboxId: row.id, err: message },
        'outbox relay: the queue refused this delivery alone; parked (kept, not retried)',
      );
    }
    return relayed;
  }

  async function add(name: string, rows: RelayRow[]): Promise<void> {
    const queue = options.queues[name];
    if (!queue) {
      throw new Error(`no queue named ${name}`);
    }
    await withTimeout(
      queue.addBulk(
        rows.map((r) => ({
          name: (r.payload as { type?: string }).type ?? 'event',
          // Rows written before payloads were made storable at ingestion may still hold a NUL.
          data: toStorableJson(r.payload),
          opts: { ...EVENT_JOB_OPTIONS, jobId: r.deliveryId },
        })),
      ),
      addTimeoutMs,
    );
  }

  async function markRelayed(rows: RelayRow[]): Promise<void> {
    await db
      .update(outbox)
      .set({ relayedAt: sql`now()`, attempts: sql`${outbox.attempts} + 1`, lastError: null })
      .where(
        and(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
          isNull(outbox.relayedAt),
        ),
      );
  }

  async function recordFailure(rows: RelayRow[], error: unknown): Promise<void> {
    await db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, lastError: errorText(error) })
      .where(
        inArray(
          outbox.id,
          rows.map((r) => r.id),
        ),
      );
  }

  async function run(): Promise<void> {
    while (running) {
      try {
        const n = await relayBatch();
        if (failures > 0) {
          log.info({ failures }, 'outbox relay: queue reachable again');
        }
        failures = 0;
        if (n === 0) {
          await sleep(idleMs);
          if (gatherMs > 0) {
            await new Promise((resolve) => setTimeout(resolve, gatherMs));
          }
        }
      } catch (error) {
        failures++;
        const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (failures - 1));
        const message = errorText(error);
        if (failures === 1 || failures % 10 === 0) {
          log.warn(
            { failures, delayMs: delay, err: message },
            'outbox relay: enqueue failed, retrying',
          );
        }
        await sleep(delay);
      }
    }
  }

  return {
    start() {
      if (!running) {
        running = true;
        loop = run();
      }
    },
    offer(rows) {
      if (fresh.length + rows.length <= MAX_FRESH) {
        fresh.push(...rows);
      }
      nudge();
    },
    nudge,
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
    },
    async drain() {
      let total = 0;
      for (let n = await relayBatch(); n > 0; n = await relayBatch()) {
        total += n;
      }
      return total;
    },
    async pending() {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(outbox)
        .where(and(isNull(outbox.relayedAt), isNull(outbox.parkedAt)));
      return row?.n ?? 0;
    },
  };
}
