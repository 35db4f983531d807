/**
 * The BullMQ jobs of the workflow: names, queues and data shapes (zod; job data crosses a process
 * boundary through Redis or Postgres, so it is parsed on the way out). Job data carries database ids
 * and the little text a job needs (a comment body, review feedback): never a token or a secret.
 *
 * Queues: `events` holds normalized forge events (filled by the ingestion outbox relay, job id = delivery
 * id); `tandem-work` runs the planning jobs (`spec`, `chat`, `plan`) and `memory-index`; `tandem-pairs` runs the pair jobs
 * (`ticket`, `revise`) with a global concurrency cap.
 */
import { z } from 'zod';

export const EVENTS_QUEUE = 'events';
export const WORK_QUEUE = 'tandem-work';
export const PAIRS_QUEUE = 'tandem-pairs';

const Id = z.number().int().positive();

/** `spec`: the PM's first move on a request (questions or a spec PR), or a revision after `/reject`. */
export const SpecJob = z.object({
  requestId: Id,
  /** `/reject <why>` text or requested changes; absent for the first draft. */
  feedback: z.string().max(20_000).optional(),
});
export type SpecJob = z.infer<typeof SpecJob>;

/** `chat`: a free-text comment on a request or its spec PR, for the PM to answer. */
export const ChatJob = z.object({
  requestId: Id,
  /** Issue or PR number the comment was made on (where the PM answers). */
  threadNumber: Id,
  comment: z.object({
    id: z.number().int(),
    author: z.string(),
    body: z.string().max(65_536),
  }),
  /** Whether the commenter has the approver permission (for inferred approval). */
  mayApprove: z.boolean(),
});
export type ChatJob = z.infer<typeof ChatJob>;

/** `plan`: the Architect turns an approved spec into ticket issues. */
export const PlanJob = z.object({ requestId: Id });
export type PlanJob = z.infer<typeof PlanJob>;

/** `ticket`: a pair works a ticket; `runKey` names the engine run (same key = resume its checkpoint). */
export const TicketJob = z.object({ ticketId: Id, runKey: z.string().regex(/^[A-Za-z0-9_-]+$/) });
export type TicketJob = z.infer<typeof TicketJob>;

/** `revise`: the pair addresses review feedback on the ticket's branch. */
export const ReviseJob = TicketJob.extend({
  feedback: z.array(z.string().max(20_000)).min(1).max(50),
});
export type ReviseJob = z.infer<typeof ReviseJob>;

/** `memory-index`: the code index of a repository follows its base branch (project memory). */
export const MemoryIndexJob = z.object({ repositoryId: Id });
export type MemoryIndexJob = z.infer<typeof MemoryIndexJob>;

/** Every work job by name. */
export const WORK_JOB_SCHEMAS = {
  spec: SpecJob,
  chat: ChatJob,
  plan: PlanJob,
  ticket: TicketJob,
  revise: ReviseJob,
  'memory-index': MemoryIndexJob,
} as const;
export type WorkJobName = keyof typeof WORK_JOB_SCHEMAS;
export type WorkJobData<N extends WorkJobName> = z.infer<(typeof WORK_JOB_SCHEMAS)[N]>;

/** Scheduling options of one job (mapped onto BullMQ's job options by the worker). */
export interface EnqueueOptions {
  /** Stable job id; BullMQ ids may not contain `:` nor be all digits. */
  jobId?: string;
  /**
   * Deduplication key: while a job with this key is waiting (or within `ttlMs`), another add is
   * folded into it; with `replace`, the newest data wins (a burst of comments runs once, on the last).
   */
  dedupe?: { id: string; ttlMs?: number; replace?: boolean };
  /** 1 (highest) to 10, the repository policy's `priority`. */
  priority?: number;
  /** Start no earlier than this many ms from now. */
  delayMs?: number;
}

/**
 * Where a job is: BullMQ's states (`waiting`, `active`, `delayed`, `prioritized`, `waiting-children`,
 * `completed`, `failed`) or `missing` (never added, or removed after finishing); `failedReason` for
 * `failed`.
 */
export interface JobStatus {
  state: string;
  failedReason?: string;
}

/** States in which a job will still run (or is running). */
export const LIVE_JOB_STATES: ReadonlySet<string> = new Set([
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
]);

/** A job waiting in a queue (not yet running), for the Resource Director and `/status`. */
export interface WaitingJob {
  id: string;
  name: string;
  /** BullMQ priority: 1 (highest) to 10; 0 when the job was added without one (served first). */
  priority: number;
  /** When it was added, ms since the epoch. */
  addedAt: number;
}

/** Adds work jobs and looks them up; the worker implements it with BullMQ queues. */
export interface WorkEnqueuer {
  enqueue<N extends WorkJobName>(
    name: N,
    data: WorkJobData<N>,
    options?: EnqueueOptions,
  ): Promise<void>;
  /** The status of the job `jobId` of kind `name` (its queue follows from the name). */
  jobStatus(name: WorkJobName, jobId: string): Promise<JobStatus>;
  /** True while a job added with deduplication key `dedupeId` is waiting or running. */
  hasDedupedJob(name: WorkJobName, dedupeId: string): Promise<boolean>;
  /**
   * Jobs waiting in the queue of `name` (all job names of that queue), in the order the queue serves
   * them: jobs without a priority first, then by priority, then oldest first. At most `limit` (default 200).
   */
  waitingJobs(name: WorkJobName, limit?: number): Promise<WaitingJob[]>;
}

/** Sorts waiting jobs into the order BullMQ serves them (see {@link WorkEnqueuer.waitingJobs}). */
export function servingOrder(jobs: readonly WaitingJob[]): WaitingJob[] {
  return [...jobs].sort((a, b) => a.priority - b.priority || a.addedAt - b.addedAt);
}

/** Which queue a job name goes to. */
export function queueOf(name: WorkJobName): string {
  return name === 'ticket' || name === 'revise' ? PAIRS_QUEUE : WORK_QUEUE;
}
