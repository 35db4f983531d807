/**
 * Queue throughput and latency on both backends: Redis and BullMQ's PostgreSQL backend on an embedded
 * in-memory PGlite (served over its Unix socket). Two workers × concurrency 8, a no-op processor.
 *
 * - `*JobsPerSecond`: `addBulk` of JOBS jobs, then time until all are completed.
 * - `*LatencyP50Ms` / `*LatencyP95Ms`: LATENCY_JOBS jobs added one by one every 20 ms while the workers
 *   idle in between; latency = `finishedOn - timestamp` (add → completed, both stamped by the backend).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';

const JOBS = 1000;
const LATENCY_JOBS = 100;
const WORKERS = 2;
const CONCURRENCY = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function measure(backend: QueueBackend): Promise<Record<string, number>> {
  const name = `bench-${randomUUID()}`;
  const queue = backend.createQueue<{ i: number }, null>(name);
  let completed = 0;
  let allDone: () => void = () => {};
  const workers = Array.from({ length: WORKERS }, () => {
    const worker = backend.createWorker<{ i: number }, null>(name, () => Promise.resolve(null), {
      concurrency: CONCURRENCY,
      removeOnComplete: { count: 0 },
    });
    worker.on('completed', () => {
      completed += 1;
      if (completed === JOBS) {
        allDone();
      }
    });
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const started = performance.now();
  for (let i = 0; i < JOBS; i += 100) {
    await queue.addBulk(
      Array.from({ length: 100 }, (_, k) => ({ name: 'noop', data: { i: i + k } })),
    );
  }
  await done;
  const seconds = (performance.now() - started) / 1000;

  // Latency: keep finished jobs so finishedOn can be read.
  const latencyQueueName = `bench-${randomUUID()}`;
  const latencyQueue = backend.createQueue<object, null>(latencyQueueName);
  const latencyWorkers = Array.from({ length: WORKERS }, () =>
    backend.createWorker<object, null>(latencyQueueName, () => Promise.resolve(null), {
      concurrency: CONCURRENCY,
    }),
  );
  await Promise.all(latencyWorkers.map((w) => w.waitUntilReady()));
  await sleep(500);
  const ids: string[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    ids.push((await latencyQueue.add('ping', {})).id!);
    await sleep(20);
  }
  const deadline = Date.now() + 60_000;
  while ((await latencyQueue.getCompletedCount()) < LATENCY_JOBS && Date.now() < deadline) {
    await sleep(50);
  }
  const latencies: number[] = [];
  for (const id of ids) {
    const job = await latencyQueue.getJob(id);
    if (job?.finishedOn !== undefined) {
      latencies.push(job.finishedOn - job.timestamp);
    }
  }
  latencies.sort((a, b) => a - b);
  await Promise.all([...workers, ...latencyWorkers].map((w) => w.close()));
  await queue.obliterate({ force: true });
  await latencyQueue.obliterate({ force: true });
  return {
    jobsPerSecond: Math.round(JOBS / seconds),
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    latencySamples: latencies.length,
  };
}

export default async function queueBench(): Promise<Record<string, unknown>> {
  const redis = await createQueueBackend({
    redisUrl: process.env.TANDEM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  const redisFigures = await measure(redis).finally(() => redis.close());

  const database = await createDatabase({ inMemory: true });
  await migrateDatabase(database);
  const pglite = await createQueueBackend({}, { database });
  const pgliteFigures = await measure(pglite).finally(async () => {
    await pglite.close();
    await database.close();
  });

  const out: Record<string, unknown> = { jobs: JOBS, workers: WORKERS, concurrency: CONCURRENCY };
  for (const [prefix, figures] of [
    ['redis', redisFigures],
    ['pglite', pgliteFigures],
  ] as const) {
    for (const [key, value] of Object.entries(figures)) {
      out[`${prefix}${key[0]!.toUpperCase()}${key.slice(1)}`] = value;
    }
  }
  return out;
}
