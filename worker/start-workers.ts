/**
 * The worker process's job processors on BullMQ: `events` (the router, concurrency 1 so the events of
 * a repository are applied in order), `tandem-work` (`spec`, `chat`, `plan`) and `tandem-pairs`
 * (`ticket`, `revise`, capped by `maxPairJobs` in this process and by the queue's global concurrency
 * across all workers). What a retry cannot fix (bad configuration, an invalid transition) is thrown as
 * `UnrecoverableError`; a pair job that fails its last attempt blocks its ticket with the reason.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { ForgeEvent } from '../src/forge/forge-event.js';
import type { QueueBackend, TandemWorker } from '../src/queue/queue-backend.js';
import { TandemError } from '../src/errors/index.js';
import { runChatJob } from '../src/workflow/chat-job.js';
import { handleEvent } from '../src/workflow/handle-event.js';
import { runPlanJob } from '../src/workflow/plan-job.js';
import { runSpecJob } from '../src/workflow/spec-job.js';
import { runTicketJob } from '../src/workflow/ticket-job.js';
import { getRepository } from '../src/workflow/repository-store.js';
import { getTicket } from '../src/workflow/ticket-store.js';
import { moveTicketOnForge } from '../src/workflow/ticket-flow.js';
import {
  ChatJob,
  EVENTS_QUEUE,
  PAIRS_QUEUE,
  PlanJob,
  ReviseJob,
  SpecJob,
  TicketJob,
  WORK_QUEUE,
} from '../src/workflow/work-jobs.js';
import type { WorkflowDeps } from '../src/workflow/workflow-deps.js';
import { createBullmqEnqueuer, type BullmqEnqueuer } from './bullmq-enqueuer.js';

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
}

/** Running workers. */
export interface RunningWorkers {
  enqueuer: BullmqEnqueuer;
  workers: TandemWorker[];
  /** Stops taking jobs and waits for running ones (the backend closes the rest). */
  close(): Promise<void>;
}

const UNRECOVERABLE = new Set(['config_invalid', 'invalid_transition', 'invalid_plan']);

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
        throw new UnrecoverableError(`unknown job ${job.name}`);
      } catch (error) {
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
        return await runTicketJob(deps, data, job.id ?? job.name, signal ? { signal } : {});
      } catch (error) {
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          await blockAfterFailure(deps, data.ticketId, error).catch(() => undefined);
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
  for (const w of workers) {
    w.on('failed', (job, err) => {
      deps.logger.warn({ jobId: job?.id, queue: w.name, err: err.message }, 'job failed');
    });
  }
  return {
    enqueuer,
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

async function blockAfterFailure(
  deps: WorkflowDeps,
  ticketId: number,
  error: unknown,
): Promise<void> {
  const ticket = await getTicket(deps.db, ticketId);
  if (ticket.state !== 'in_progress' || ticket.repositoryId === null) {
    return;
  }
  const repo = await getRepository(deps.db, ticket.repositoryId);
  const reason = error instanceof TandemError ? error.code : 'infrastructure failure';
  await moveTicketOnForge(deps, repo, ticket, 'blocked', {
    blockedReason: `job failed after retries (${reason})`,
  });
}
