/**
 * `WorkEnqueuer` on BullMQ: each job name goes to its queue (`queueOf`), with Tandem's scheduling
 * options mapped to BullMQ's: `jobId`, `deduplication` (`replace` becomes BullMQ's debounce mode: the
 * job is delayed by the window, and a newer add within it replaces the data and restarts the delay),
 * `priority`, `delay`; three attempts with exponential backoff; finished jobs kept for a while.
 */
import type { JobsOptions } from 'bullmq';
import { toStorableJson } from '../src/db/storable-json.js';
import type { QueueBackend, TandemQueue } from '../src/queue/queue-backend.js';
import {
  LIVE_JOB_STATES,
  queueOf,
  servingOrder,
  WORK_JOB_SCHEMAS,
  type EnqueueOptions,
  type WorkEnqueuer,
  type WorkJobData,
  type WorkJobName,
} from '../src/workflow/work-jobs.js';

/** A `WorkEnqueuer` plus access to its queues (for shutdown and tests). */
export interface BullmqEnqueuer extends WorkEnqueuer {
  queue(name: string): TandemQueue;
}

/**
 * Maps {@link EnqueueOptions} to BullMQ job options. Finished jobs are kept a while (a day, at most
 * 1,000 completed; a week, at most 1,000 failed) so the reconciler can tell a job that finished from one
 * that was never added: job ids are unique per piece of work (a ticket's activation, a comment), never
 * reused.
 */
export function toJobsOptions(options: EnqueueOptions = {}): JobsOptions {
  const delay = options.dedupe?.replace ? (options.dedupe.ttlMs ?? 5_000) : options.delayMs;
  return {
    attempts: 3,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: { age: 24 * 3600, count: 1_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 1_000 },
    ...(options.jobId ? { jobId: options.jobId } : {}),
    ...(options.priority ? { priority: options.priority } : {}),
    ...(delay ? { delay } : {}),
    ...(options.dedupe ? { deduplication: dedupeOptions(options.dedupe, delay) } : {}),
  };
}

function dedupeOptions(
  dedupe: NonNullable<EnqueueOptions['dedupe']>,
  delay: number | undefined,
): NonNullable<JobsOptions['deduplication']> {
  if (dedupe.replace) {
    return { id: dedupe.id, ttl: delay ?? 5_000, extend: true, replace: true };
  }
  return dedupe.ttlMs ? { id: dedupe.id, ttl: dedupe.ttlMs } : { id: dedupe.id };
}

/** Creates the enqueuer; queues are created on first use with `prefix` (per test, or `bull`). */
export function createBullmqEnqueuer(backend: QueueBackend, prefix?: string): BullmqEnqueuer {
  const queues = new Map<string, TandemQueue>();
  const queue = (name: string): TandemQueue => {
    let q = queues.get(name);
    if (!q) {
      q = backend.createQueue(name, prefix ? { prefix } : {});
      queues.set(name, q);
    }
    return q;
  };
  return {
    queue,
    async enqueue<N extends WorkJobName>(
      name: N,
      data: WorkJobData<N>,
      options?: EnqueueOptions,
    ): Promise<void> {
      // Comment and review text may hold a NUL, which BullMQ's PostgreSQL backend cannot store.
      const parsed: unknown = toStorableJson(WORK_JOB_SCHEMAS[name].parse(data));
      await queue(queueOf(name)).add(name, parsed, toJobsOptions(options));
    },
    async jobStatus(name, jobId) {
      const job = await queue(queueOf(name)).getJob(jobId);
      if (!job) {
        return { state: 'missing' };
      }
      const state = await job.getState();
      return state === 'failed' ? { state, failedReason: job.failedReason } : { state };
    },
    async hasDedupedJob(name, dedupeId) {
      const id = await queue(queueOf(name)).getDeduplicationJobId(dedupeId);
      if (!id) {
        return false;
      }
      const job = await queue(queueOf(name)).getJob(id);
      return job !== undefined && LIVE_JOB_STATES.has(await job.getState());
    },
    async waitingJobs(name, limit = 200) {
      const jobs = await queue(queueOf(name)).getJobs(['waiting', 'prioritized'], 0, limit - 1);
      return servingOrder(
        jobs
          .filter((j) => j?.id !== undefined)
          .map((j) => ({
            id: j.id!,
            name: j.name,
            priority: j.priority,
            addedAt: j.timestamp,
          })),
      );
    },
  };
}
