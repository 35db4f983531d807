/**
 * One BullMQ behaviour suite, run on every queue backend: Redis (ioredis), and BullMQ's PostgreSQL backend
 * on an embedded PGlite served over its socket and on a real PostgreSQL server (a database of its own on
 * `TANDEM_TEST_POSTGRES_URL`). Redis at 127.0.0.1:6379 unless TANDEM_TEST_REDIS_URL.
 */
/* eslint-disable @typescript-eslint/require-await -- BullMQ processors return promises; several here compute synchronously */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend, TandemQueue } from '../../src/queue/queue-backend.js';
import {
  describeOnServer,
  PGLITE_BACKEND,
  SERVER_BACKEND,
  type TestDatabaseBackend,
} from '../helpers/database-backends.js';

const redisUrl = process.env.TANDEM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Setup {
  /** Opens a backend; `database` is shared between backends opened by one setup (PGlite). */
  open(): Promise<QueueBackend>;
  dispose(): Promise<void>;
}

function redisSetup(): Setup {
  return { open: () => createQueueBackend({ redisUrl }), dispose: async () => {} };
}

/** BullMQ's PostgreSQL backend in a fresh database of the given kind. */
function postgresSetup(backend: TestDatabaseBackend): Setup {
  let database: Promise<DatabaseHandle> | undefined;
  return {
    async open() {
      database ??= backend.create();
      return createQueueBackend({}, { database: await database });
    },
    async dispose() {
      await (await database)?.close();
    },
  };
}

/** Resolves when `predicate` holds, polling every 20 ms; fails after `timeoutMs`. */
async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await sleep(20);
  }
}

describe('queue backend [redis]', () => queueSuite(redisSetup(), 'redis'));
describe(`queue backend: BullMQ's PostgreSQL backend ${PGLITE_BACKEND.label}`, () =>
  queueSuite(postgresSetup(PGLITE_BACKEND), 'pglite'));
describeOnServer(`queue backend: BullMQ's PostgreSQL backend ${SERVER_BACKEND.label}`, () =>
  queueSuite(postgresSetup(SERVER_BACKEND), 'postgres'),
);

function queueSuite(setup: Setup, description: QueueBackend['description']): void {
  let backend: QueueBackend;
  const queues: { obliterate(opts: { force: boolean }): Promise<void> }[] = [];

  beforeAll(async () => {
    backend = await setup.open();
    expect(backend.description).toBe(description);
  });
  afterEach(async () => {
    // Remove what each test left (Redis keys outlive the test; PGlite is discarded anyway).
    for (const queue of queues.splice(0)) {
      await queue.obliterate({ force: true });
    }
  });
  afterAll(async () => {
    await backend?.close();
    await setup.dispose();
  });

  function newQueue<D, R>(): { name: string; queue: TandemQueue<D, R> } {
    const name = `test-${randomUUID()}`;
    const queue = backend.createQueue<D, R>(name);
    queues.push(queue);
    return { name, queue };
  }

  it('adds and processes a job, returning its result', async () => {
    const { name, queue } = newQueue<{ x: number }, number>();
    const worker = backend.createWorker<{ x: number }, number>(name, async (job) => job.data.x * 2);
    try {
      const job = await queue.add('double', { x: 21 });
      await until(async () => (await queue.getJobState(job.id!)) === 'completed');
      expect((await queue.getJob(job.id!))?.returnvalue).toBe(42);
    } finally {
      await worker.close();
    }
  });

  it('wakes an idle worker for a new job without waiting for its poll timeout', async () => {
    const { name, queue } = newQueue<object, string>();
    // drainDelay is how long an idle worker blocks (s): only a notification can wake it sooner.
    const worker = backend.createWorker<object, string>(name, async () => 'ok', { drainDelay: 60 });
    try {
      await worker.waitUntilReady();
      await sleep(1000); // let it go idle and block
      const job = await queue.add('ping', {});
      await until(async () => (await queue.getJobState(job.id!)) === 'completed', 20_000);
    } finally {
      await worker.close();
    }
  });

  it('retries with exponential backoff and honours attempts', async () => {
    const { name, queue } = newQueue<{ failTimes: number }, string>();
    const seen = new Map<string, number[]>();
    const worker = backend.createWorker<{ failTimes: number }, string>(name, async (job) => {
      const times = seen.get(job.id!) ?? [];
      times.push(Date.now());
      seen.set(job.id!, times);
      if (times.length <= job.data.failTimes) {
        throw new Error(`attempt ${times.length} fails`);
      }
      return 'done';
    });
    try {
      const backoff = { type: 'exponential', delay: 300 } as const;
      const recovers = await queue.add('recovers', { failTimes: 2 }, { attempts: 3, backoff });
      const exhausted = await queue.add('exhausted', { failTimes: 99 }, { attempts: 2, backoff });
      await until(async () => (await queue.getJobState(recovers.id!)) === 'completed');
      await until(async () => (await queue.getJobState(exhausted.id!)) === 'failed');

      const t = seen.get(recovers.id!)!;
      expect(t).toHaveLength(3);
      // Exponential: 300 ms before the 2nd attempt, 600 ms before the 3rd.
      expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(280);
      expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(580);
      const done = await queue.getJob(recovers.id!);
      expect(done?.attemptsMade).toBe(3);
      expect(done?.returnvalue).toBe('done');

      await sleep(800); // a third attempt would have started by now
      expect(seen.get(exhausted.id!)).toHaveLength(2);
      const failed = await queue.getJob(exhausted.id!);
      expect(failed?.attemptsMade).toBe(2);
      expect(failed?.failedReason).toBe('attempt 2 fails');
    } finally {
      await worker.close();
    }
  });

  it('does not process a delayed job before its delay', async () => {
    const { name, queue } = newQueue<object, number>();
    const worker = backend.createWorker<object, number>(name, async () => Date.now());
    try {
      const job = await queue.add('later', {}, { delay: 1500 });
      const addedAt = job.timestamp;
      await sleep(700);
      expect(await queue.getJobState(job.id!)).toBe('delayed');
      await until(async () => (await queue.getJobState(job.id!)) === 'completed');
      const ranAt = (await queue.getJob(job.id!))!.returnvalue;
      expect(ranAt - addedAt).toBeGreaterThanOrEqual(1500);
    } finally {
      await worker.close();
    }
  });

  it('runs a flow parent after its children and gives it their results', async () => {
    const { name: parentQueue, queue } = newQueue<object, number>();
    const { name: childQueue } = newQueue<{ n: number }, number>();
    const order: string[] = [];
    const children = backend.createWorker<{ n: number }, number>(childQueue, async (job) => {
      await sleep(100);
      order.push(`child ${job.data.n}`);
      return job.data.n * 10;
    });
    const parents = backend.createWorker<object, number>(parentQueue, async (job: Job) => {
      order.push('parent');
      const values = (await job.getChildrenValues()) as Record<string, number>;
      return Object.values(values).reduce((a, b) => a + b, 0);
    });
    const flows = backend.createFlowProducer();
    try {
      const tree = await flows.add({
        name: 'sum',
        queueName: parentQueue,
        data: {},
        children: [
          { name: 'part', queueName: childQueue, data: { n: 1 } },
          { name: 'part', queueName: childQueue, data: { n: 2 } },
        ],
      });
      const parentId = tree.job.id!;
      expect(await queue.getJobState(parentId)).toBe('waiting-children');
      await until(async () => (await queue.getJobState(parentId)) === 'completed');
      expect(order.at(-1)).toBe('parent');
      expect(order.slice(0, 2).sort()).toEqual(['child 1', 'child 2']);
      expect((await queue.getJob(parentId))?.returnvalue).toBe(30);
    } finally {
      await Promise.all([children.close(), parents.close(), flows.close()]);
    }
  });

  it('keeps one job when the same job id is added twice', async () => {
    const { name, queue } = newQueue<{ v: number }, number>();
    const first = await queue.add('once', { v: 1 }, { jobId: 'delivery-abc' });
    const second = await queue.add('once', { v: 2 }, { jobId: 'delivery-abc' });
    expect(second.id).toBe(first.id);
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'delayed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);

    const processed: number[] = [];
    const worker = backend.createWorker<{ v: number }, number>(name, async (job) => {
      processed.push(job.data.v);
      return job.data.v;
    });
    try {
      await until(async () => (await queue.getJobState('delivery-abc')) === 'completed');
      await sleep(200);
      expect(processed).toEqual([1]);
    } finally {
      await worker.close();
    }
  });

  it('waits on close for the job in flight and loses nothing', async () => {
    const own = await setup.open();
    const name = `test-${randomUUID()}`;
    let finished = false;
    let started = false;
    const queue = own.createQueue<object, string>(name);
    own.createWorker<object, string>(name, async () => {
      started = true;
      await sleep(1000);
      finished = true;
      return 'finished';
    });
    const job = await queue.add('slow', {});
    await until(() => started);
    const closed = own.close().then(() => finished);
    expect(await closed).toBe(true);

    // A fresh backend on the same store sees the job completed, not active or stalled.
    const check = backend.createQueue<object, string>(name);
    queues.push(check);
    expect(await check.getJobState(job.id!)).toBe('completed');
    expect((await check.getJob(job.id!))?.returnvalue).toBe('finished');
    expect(() => own.createQueue('after-close')).toThrow(/closing/);
  });
}
