/**
 * Job metrics: how long jobs wait in their queue, how their attempts end and how long they take (from
 * the BullMQ workers' events), and how many jobs each queue holds (read at scrape time).
 */
import { Gauge } from 'prom-client';
import type { Logger } from '../log/logger.js';
import type { TandemMetrics } from './tandem-metrics.js';

/** The fields of a BullMQ job the metrics read (timestamps in ms since the epoch). */
export interface ObservedJob {
  /** Job name: the kind (`spec`, `ticket`, an event type …). */
  name: string;
  /** When the job was added. */
  timestamp: number;
  /** Delay it was added with, in ms. */
  delay?: number;
  /** When the current attempt started. */
  processedOn?: number;
  /** When the job finished (completed, or failed for good). */
  finishedOn?: number;
  /** Attempts made before the current one started (BullMQ counts a failed attempt when it ends). */
  attemptsMade: number;
}

/** What the process's workers tell the metrics; `queue` is the BullMQ queue name. */
export interface JobObserver {
  /** An attempt started. */
  active(queue: string, job: ObservedJob): void;
  /** An attempt ended: `completed`, `failed` for good, or `retried` (another attempt follows). */
  ended(queue: string, job: ObservedJob, state: 'completed' | 'failed' | 'retried'): void;
}

/**
 * The observer that feeds `tandem_queue_wait_seconds` (first attempts only: the time from being added,
 * less its delay, to its start), `tandem_jobs_total` and `tandem_job_duration_seconds`.
 */
export function jobObserver(
  metrics: Pick<TandemMetrics, 'queueWait' | 'jobs' | 'jobDuration'>,
  now: () => number = Date.now,
): JobObserver {
  return {
    active(queue, job) {
      if (job.attemptsMade === 0) {
        const waited = (job.processedOn ?? now()) - job.timestamp - (job.delay ?? 0);
        metrics.queueWait.observe({ queue, kind: job.name }, Math.max(0, waited) / 1_000);
      }
    },
    ended(queue, job, state) {
      metrics.jobs.inc({ queue, kind: job.name, state });
      if (job.processedOn !== undefined) {
        const took = (job.finishedOn ?? now()) - job.processedOn;
        metrics.jobDuration.observe({ queue, kind: job.name }, Math.max(0, took) / 1_000);
      }
    },
  };
}

/** A queue whose job counts can be read (a BullMQ `Queue`). */
export interface CountedQueue {
  readonly name: string;
  getJobCounts(...types: QueueJobState[]): Promise<Partial<Record<string, number>>>;
}

/** The job states published by {@link collectQueueDepth}. */
export const QUEUE_JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/**
 * Registers `tandem_queue_jobs{queue, state}`, read from every queue at scrape time (one round trip per
 * queue). A queue that cannot be read (Redis away) is left out of that scrape and logged at debug.
 */
export function collectQueueDepth(
  metrics: Pick<TandemMetrics, 'registry'>,
  queues: readonly CountedQueue[],
  logger?: Logger,
): void {
  new Gauge({
    name: 'tandem_queue_jobs',
    help: 'Jobs in a queue now, by state (waiting, prioritized, delayed, active, failed).',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          try {
            const counts = await queue.getJobCounts(...QUEUE_JOB_STATES);
            for (const state of QUEUE_JOB_STATES) {
              this.set({ queue: queue.name, state }, counts[state] ?? 0);
            }
          } catch (error) {
            logger?.debug({ err: error, queue: queue.name }, 'queue depth could not be read');
          }
        }),
      );
    },
  });
}
