/**
 * Collaborators of every workflow step, passed in by the worker (no module-level state). Tests build
 * them with a real database, real BullMQ queues, an in-memory or nock-backed forge and a scripted model.
 */
import type { PermissionChecker } from '../commands/permission-checker.js';
import type { ServerLimits } from '../config/check-policy-against-server.js';
import type { RepoPolicy } from '../config/repo-policy.js';
import type { Database } from '../db/create-database.js';
import type { ForgeKind, RepoRef } from '../forge/forge-event.js';
import type { Forge } from '../forge/types.js';
import type { Logger } from '../log/logger.js';
import type { ProjectMemory } from '../memory/project-memory.js';
import type { PlanningModel } from '../planning/planning-model.js';
import type { PairRunner } from './tickets/pair-runner.js';
import type { WorkEnqueuer } from './work-jobs.js';

/** What a model session is opened for (budgets come from the policy; ids go to `model_calls`). */
export interface SessionScope {
  policy: RepoPolicy;
  repositoryId: number;
  ticketId?: number;
  /** The request of a PM or Architect session (its calls count against the request's budget). */
  requestId?: number;
  /** What the request already used (the session's budget counts it as spent). */
  used?: { inputTokens: number; outputTokens: number; costUsd: number };
}

/** Everything a workflow step may use. */
export interface WorkflowDeps {
  db: Database;
  /** The forge of a repository's kind. @throws when that forge is not configured on this server. */
  forgeFor(kind: ForgeKind): Forge;
  /** A model session for a PM or Architect step. */
  planningModel(scope: SessionScope): PlanningModel;
  enqueue: WorkEnqueuer;
  /**
   * Collaborator permission checks with the process's TTL cache (`TANDEM_PERMISSION_CACHE_SECONDS`);
   * when absent, each comment's commands are checked without a cache across events.
   */
  permissions?: PermissionChecker;
  /** Runs pair jobs (the pair engine behind a port). */
  pairs: PairRunner;
  /** Git remote of a repository (default `forge.cloneUrl(repo)`; tests give a bare repository path). */
  remoteUrl(kind: ForgeKind, repo: RepoRef): string;
  /** Directory for job workspaces (git dirs and work trees), one sub-directory per job. */
  workDir: string;
  /** Operator limits checked against each policy (sandbox images, catalog aliases). */
  serverLimits?: ServerLimits;
  logger: Logger;
  /** The clock of quotas and their periods (default the system clock; tests inject one). */
  now?: () => Date;
  /**
   * Project memory (specs, plans, reviews, diagnoses, facts, code index); absent when the server runs
   * without it. Writing to it never fails a step (see `workflow-memory.ts`).
   */
  memory?: ProjectMemory;
  /** Base URL of the status page, for links in comments (optional). */
  publicUrl?: string;
}
