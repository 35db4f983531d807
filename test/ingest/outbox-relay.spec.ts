/**
 * The outbox relay with BullMQ's PostgreSQL backend (on PGlite) and with a queue that refuses one row:
 * a delivery whose payload PostgreSQL cannot store never fails its batch, and a row the queue refuses
 * on its own is parked instead of delaying the others.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outbox } from '../../src/db/schema.js';
import type { ForgeEvent } from '../../src/forge/forge-event.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import {
  createOutboxRelay,
  EVENT_JOB_OPTIONS,
  type RelayQueue,
} from '../../src/ingest/outbox-relay.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';

const log = createLogger({ level: 'silent' });

const comment = (id: string, body: string): ForgeEvent => ({
  type: 'comment.created',
  forge: 'gitea',
  deliveryId: id,
  sender: { login: 'alice', bot: false },
  repo: { owner: 'alice', name: 'widgets' },
  issue: {
    number: 1,
    title: 'Export',
    body: '',
    state: 'open',
    labels: [],
    author: 'alice',
    isPullRequest: false,
    url: '',
  },
  comment: { id: 7, author: 'alice', body, url: '', commands: [] },
});
const facts = { event: 'issue_comment', action: 'created' };

let t: PgliteDatabaseHandle;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.close());

describe('outbox relay', () => {
  it('relays a delivery with a NUL in a comment to the PostgreSQL queue backend with its batch', async () => {
    const backend: QueueBackend = await createQueueBackend({}, { database: t });
    try {
      const queue = backend.createQueue(EVENTS_QUEUE, { prefix: `t${randomUUID()}` });
      const relay = createOutboxRelay({ db: t.db, queues: { [EVENTS_QUEUE]: queue }, log });
      const recorder = createDeliveryRecorder(t.db, { onCommitted: (rows) => relay.offer(rows) });
      await Promise.all([
        recorder.record(comment('gitea-a', 'first'), facts),
        recorder.record(comment('gitea-nul', 'a\u0000b'), facts),
        recorder.record(comment('gitea-c', 'third'), facts),
      ]);
      expect(await relay.drain()).toBe(3);
      expect(await relay.pending()).toBe(0);
      const job = await queue.getJob('gitea-nul');
      expect((job?.data as { comment: { body: string } }).comment.body).toBe('a\uFFFDb');
      expect(job?.opts.attempts).toBe(EVENT_JOB_OPTIONS.attempts);
      expect(job?.opts.backoff).toEqual(EVENT_JOB_OPTIONS.backoff);
      expect(await queue.getJob('gitea-c')).toBeTruthy();
    } finally {
      await backend.close();
    }
  });

  it('parks a row the queue refuses on its own and relays the rest of the batch at once', async () => {
    const added: string[] = [];
    const picky: RelayQueue = {
      addBulk(jobs) {
        if (jobs.some((j) => (j.data as { comment: { body: string } }).comment.body === 'poison')) {
          return Promise.reject(new Error('payload refused'));
        }
        added.push(...jobs.map((j) => j.opts.jobId));
        return Promise.resolve();
      },
    };
    const recorder = createDeliveryRecorder(t.db);
    for (const [id, body] of [
      ['gitea-1', 'ok'],
      ['gitea-2', 'poison'],
      ['gitea-3', 'ok'],
    ] as const) {
      await recorder.record(comment(id, body), facts);
    }
    const relay = createOutboxRelay({ db: t.db, queues: { [EVENTS_QUEUE]: picky }, log });
    expect(await relay.drain()).toBe(2);
    expect(added).toEqual(['gitea-1', 'gitea-3']);
    expect(await relay.pending()).toBe(0);
    const [parked] = await t.db.select().from(outbox).where(eq(outbox.deliveryId, 'gitea-2'));
    expect(parked?.parkedAt).not.toBeNull();
    expect(parked?.relayedAt).toBeNull();
    expect(parked?.lastError).toBe('payload refused');
    // A later delivery is not held back by the parked one.
    await recorder.record(comment('gitea-4', 'ok'), facts);
    expect(await relay.drain()).toBe(1);
    expect(added).toContain('gitea-4');
  });

  it('parks nothing while the queue is away: the whole batch waits and is relayed when it is back', async () => {
    let up = false;
    const flaky: RelayQueue = {
      addBulk: () => (up ? Promise.resolve() : Promise.reject(new Error('connect ECONNREFUSED'))),
    };
    const recorder = createDeliveryRecorder(t.db);
    await recorder.record(comment('gitea-1', 'a'), facts);
    await recorder.record(comment('gitea-2', 'b'), facts);
    const relay = createOutboxRelay({ db: t.db, queues: { [EVENTS_QUEUE]: flaky }, log });
    await expect(relay.drain()).rejects.toThrow('ECONNREFUSED');
    const rows = await t.db.select().from(outbox);
    expect(rows.every((r) => r.parkedAt === null && r.attempts === 1)).toBe(true);
    up = true;
    expect(await relay.drain()).toBe(2);
  });
});
