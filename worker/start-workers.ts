/**
 * The worker process's job processors on BullMQ: `events` (the router, concurrency 1 so the events of
 * a repository are applied in order), `tandem-work` (`spec`, `chat`, `plan`, `memory-index`) and `tandem-pairs`
 * (`ticket`, `revise`, capped by `maxPairJobs` in this process and by the queue's global concurrency
 * across all workers). What a retry cannot fix (bad configuration, an invalid transition) is thrown as
 * `UnrecoverableError`. A job that fails for good never leaves its work looking busy: a pair job blocks its
 * ticket, a `spec` or `plan` job its request, with the reason (`job-failure.ts`); and the reconciler
 * (`reconcile-work.ts`) repairs what a crash between a state change and its job left behind.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { ForgeEvent } from '../src/forge/forge-event.js';
import type { QueueBackend, TandemWorker } from '../src/queue/queue-backend.js';
import { TandemError } from '../src/errors/index.js';
import { runChatJob } from '../src/workflow/requests/chat-job.js';
import { handleEvent } from '../src/workflow/handle-event.js';
import { runMemoryIndexJob } from '../src/workflow/memory-index-job.js';
import { runPlanJob } from '../src/workflow/requests/plan-job.js';
import { runSpecJob } from '../src/workflow/requests/spec-job.js';
import { runTicketJob } from '../src/workflow/tickets/ticket-job.js';
import {
  blockRequestAfterFailure,
  blockTicketAfterFailure,
  failureReason,
  reportChatFailure,
} from '../src/workflow/job-failure.js';
import { reconcileWork, type ReconcileReport } from '../src/workflow/reconcile-work.js';
import {
  ChatJob,
  EVENTS_QUEUE,
  PAIRS_QUEUE,
  MemoryIndexJob,
  PlanJob,
  ReviseJob,
  SpecJob,
  TicketJob,
  WORK_QUEUE,
} from '../src/workflow/work-jobs.js';
import type { WorkflowDeps } from '../src/workflow/workflow-deps.js';
import { createBullmqEnqueuer, type BullmqEnqueuer } from './bullmq-enqueuer.js';
import type { JobObserver } from '../src/metrics/job-metrics.js';

/** Options of {@link startWorkers}. */
export interface StartWorkersOptions {
  backend: QueueBackend;
  /** Workflow collaborators; `enqueue` is supplied here. */
  deps: Omit<WorkflowDeps, 'enqueue'>;
  /** Pair jobs at once in this process and across all workers (`TANDEM_MAX_PAIR_JOBS`). */
  maxPairJobs: number;
  /** Planning jobs at once in this process (default 2). */
  workConcurrency?: number;
  /** BullMQ key prefix (tests give each test its own). */
  prefix?: string;
  /**
   * Lock of a running pair job, in ms (default 60 000), and how often workers look for jobs whose
   * lock expired (a worker killed mid-job), in ms (BullMQ's default 30 000). Tests shorten both.
   */
  pairLock?: { durationMs: number; stalledIntervalMs: number };
  /**
   * The reconciler (stuck work repaired): first pass after `firstDelayMs` (default 1 000), then every
   * `intervalMs` (default 60 000), skipping rows changed in the last `graceMs` (default 30 000).
   */
  reconcile?: { intervalMs?: number; firstDelayMs?: number; graceMs?: number };
  /**
   * The Resource Director's checks in running pair jobs: every `pollMs` (default 10 000), quotas and
   * higher-priority work waiting after `preemptAfterMs` of run time (default 60 000). Tests shorten both.
   */
  pause?: { pollMs?: number; preemptAfterMs?: number };
  /** Told when job attempts start and end (metrics). */
  observer?: JobObserver;
}

/** Running workers. */
export interface RunningWorkers {
  enqueuer: BullmqEnqueuer;
  workers: TandemWorker[];
  /** One reconciler pass now, with no grace period (tests, operators). */
  reconcileNow(): Promise<ReconcileReport>;
  /** Stops taking jobs and waits for running ones (the backend closes the rest). */
  close(): Promise<void>;
}

// A used-up budget stays used up on retry (the request's budget counts every earlier attempt).
const UNRECOVERABLE = new Set([
  'config_invalid',
  'invalid_transition',
  'invalid_plan',
  'budget_exceeded',
]);

/** Rethrows errors a retry cannot fix as `UnrecoverableError`. */
function classify(error: unknown): never {
  if (error instanceof TandemError && UNRECOVERABLE.has(error.code)) {
    throw new UnrecoverableError(`${error.code}: ${error.message}`);
  }
  throw error;
}

/** Creates the three workers (they start at once). */
export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { backend, prefix } = options;
  const enqueuer = createBullmqEnqueuer(backend, prefix);
  const deps: WorkflowDeps = { ...options.deps, enqueue: enqueuer };
  const common = prefix ? { prefix } : {};
  const events = backend.createWorker(
    EVENTS_QUEUE,
    async (job: Job) => handleEvent(deps, ForgeEvent.parse(job.data)).catch(classify),
    { ...common, concurrency: 1 },
  );
  const work = backend.createWorker(
    WORK_QUEUE,
    async (job: Job) => {
      const id = job.id ?? job.name;
      try {
        if (job.name === 'spec') {
          return await runSpecJob(deps, SpecJob.parse(job.data), id);
        }
        if (job.name === 'chat') {
          return await runChatJob(deps, ChatJob.parse(job.data), id);
        }
        if (job.name === 'plan') {
          return await runPlanJob(deps, PlanJob.parse(job.data), id);
        }
        if (job.name === 'memory-index') {
          return await runMemoryIndexJob(deps, MemoryIndexJob.parse(job.data), id);
        }
        throw new UnrecoverableError(`unknown job ${job.name}`);
      } catch (error) {
        if (isFinalFailure(job, error)) {
          await reportWorkFailure(deps, job, error);
        }
        return classify(error);
      }
    },
    { ...common, concurrency: options.workConcurrency ?? 2 },
  );
  await enqueuer.queue(PAIRS_QUEUE).setGlobalConcurrency(options.maxPairJobs);
  const pairs = backend.createWorker(
    PAIRS_QUEUE,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      const data = job.name === 'revise' ? ReviseJob.parse(job.data) : TicketJob.parse(job.data);
      try {
        return await runTicketJob(deps, data, job.id ?? job.name, {
          ...(signal ? { signal } : {}),
          ...(options.pause?.pollMs === undefined ? {} : { pausePollMs: options.pause.pollMs }),
          ...(options.pause?.preemptAfterMs === undefined
            ? {}
            : { preemptAfterMs: options.pause.preemptAfterMs }),
        });
      } catch (error) {
        if (isFinalFailure(job, error)) {
          await blockTicketAfterFailure(deps, data.ticketId, failureReason(error)).catch(
            (failure: unknown) => logFailureReport(deps, job, failure),
          );
        }
        return classify(error);
      }
    },
    {
      ...common,
      concurrency: options.maxPairJobs,
      lockDuration: options.pairLock?.durationMs ?? 60_000,
      ...(options.pairLock ? { stalledInterval: options.pairLock.stalledIntervalMs } : {}),
    },
  );
  const workers = [events, work, pairs] as TandemWorker[];
  const observer = options.observer;
  for (const w of workers) {
    w.on('failed', (job, err) => {
      deps.logger.warn({ jobId: job?.id, queue: w.name, err: err.message }, 'job failed');
      if (job && observer) {
        const final =
          err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
        observer.ended(w.name, job, final ? 'failed' : 'retried');
      }
    });
    if (observer) {
      w.on('active', (job) => observer.active(w.name, job));
      w.on('completed', (job) => observer.ended(w.name, job, 'completed'));
    }
  }
  events.on('failed', (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      deps.logger.error(
        { jobId: job.id, event: job.name, err: err.message },
        'event failed for good: its delivery is dropped (the forge may redeliver it under a new id)',
      );
    }
  });
  const reconciler = startReconciler(deps, options.reconcile);
  return {
    enqueuer,
    workers,
    reconcileNow: () => reconcileWork(deps, { graceMs: 0 }),
    async close() {
      reconciler.stop();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/** True when BullMQ will not run the job again: its last attempt, or an error a retry cannot fix. */
function isFinalFailure(job: Job, error: unknown): boolean {
  return (
    error instanceof UnrecoverableError ||
    (error instanceof TandemError && UNRECOVERABLE.has(error.code)) ||
    job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
  );
}

/** A `spec` or `plan` job that failed for good blocks its request; a `chat` job says so on its thread. */
async function reportWorkFailure(deps: WorkflowDeps, job: Job, error: unknown): Promise<void> {
  const reason = failureReason(error);
  try {
    if (job.name === 'chat') {
      await reportChatFailure(deps, ChatJob.parse(job.data), reason);
    } else if (job.name === 'spec' || job.name === 'plan') {
      await blockRequestAfterFailure(deps, PlanJob.parse(job.data).requestId, job.name, reason);
    }
  } catch (failure) {
    logFailureReport(deps, job, failure);
  }
}

/** The failure could not be reported now (forge or database away); the reconciler tries again later. */
function logFailureReport(deps: WorkflowDeps, job: Job, failure: unknown): void {
  deps.logger.warn(
    { jobId: job.id, err: failure instanceof Error ? failure.message : String(failure) },
    'could not report a failed job; the reconciler retries',
  );
}

/** Runs {@link reconcileWork} now and every `intervalMs`; errors are logged and retried next time. */
function startReconciler(
  deps: WorkflowDeps,
  options: StartWorkersOptions['reconcile'] = {},
): { stop(): void } {
  const intervalMs = options.intervalMs ?? 60_000;
  let running = false;
  const pass = (): void => {
    if (running) {
      return;
    }
    running = true;
    reconcileWork(deps, options.graceMs === undefined ? {} : { graceMs: options.graceMs })
      .then((report) => {
        const repaired =
          report.ticketJobsAdded.length +
          report.ticketsBlocked.length +
          report.requestJobsAdded.length +
          report.repositoriesScheduled.length;
        if (repaired > 0) {
          deps.logger.info(report, 'reconciler repaired stuck work');
        }
      })
      .catch((error: unknown) => {
        deps.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'reconciler pass failed; retrying at the next interval',
        );
      })
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(pass, options.firstDelayMs ?? 1_000);
  const timer = setInterval(pass, intervalMs);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
