/**
 * The port between the workflow and the pair engine (issue 6): the `ticket` and `revise` jobs call
 * `PairRunner.run` and turn its result into forge actions (PR, status, labels, comments). The worker
 * wires the real engine (`src/agents/pair-engine.ts`) behind it; the workflow never sees a sandbox.
 */
import type { MemorySearch } from '../../agents/agent-tools.js';
import type { RunRecord } from '../../agents/checkpoint.js';
import type { Ticket } from '../../agents/ticket.js';
import type { RepoPolicy, Role } from '../../config/repo-policy.js';
import type { PushCredentials } from '../../forge/types.js';
import type { Logger } from '../../log/logger.js';

/** One pair run: where the branch lives and what to build. */
export interface PairJobInput {
  /** Database ids (for the run store and `model_calls`). */
  ticketId: number;
  repositoryId: number;
  /** The ticket as the engine reads it (id = issue number). */
  ticket: Ticket;
  policy: RepoPolicy;
  /** Stable engine run key: the same key resumes the same checkpoint. */
  runKey: string;
  /** Git remote (URL or path, no credentials) and branches. */
  remote: string;
  branch: string;
  baseBranch: string;
  /** Push credentials (askpass); never logged. Absent for local remotes. */
  credentials?: PushCredentials;
  /** Position of each role in its escalation chain (`tickets.escalation`). */
  escalation: Partial<Record<Role, number>>;
  /** Per-job directory for the git dir and work tree. */
  jobDir: string;
  /** Aborted by `/stop` or shutdown: the engine stops at its next safe point (after a checkpoint). */
  signal: AbortSignal;
  /**
   * Aborted by the Resource Director (higher-priority work waits, or a quota is reached): the engine
   * finishes its current step, saves the checkpoint and stops (`stopped`) without aborting anything.
   */
  pause?: AbortSignal;
  logger: Logger;
  /**
   * The project memory search behind the pair's `search_memory` / `search_code` tools; absent when the
   * repository has no memory (the tools are then not offered). What memory recalls for the ticket is in
   * `ticket.memory`.
   */
  searchMemory?: MemorySearch;
}

/** How a pair run ended. `stopped`: stopped or paused at a safe point, checkpoint kept. */
export type PairJobResult =
  | {
      status: 'done' | 'blocked';
      record: RunRecord;
      /** Escalation positions to store back on the ticket. */
      escalation: Partial<Record<Role, number>>;
    }
  | { status: 'stopped' };

/** Runs or resumes a pair on a ticket branch; the branch is pushed by the runner. */
export interface PairRunner {
  /** @throws for infrastructure failures (git, sandbox, database); BullMQ retries the job. */
  run(input: PairJobInput): Promise<PairJobResult>;
}
