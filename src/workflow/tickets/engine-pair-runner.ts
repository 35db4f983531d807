/**
 * The real {@link PairRunner}: the pair engine (`runPair`, issue 6) behind the workflow's port. Per job:
 *
 * 1. the run row is opened (or found) under the job's run key, so a retried or restarted job resumes
 *    its checkpoint; a run left `blocked` is reopened at the phase it was blocked in (that is `/retry`);
 * 2. a sandbox comes from the provider's warm pool (`acquire`, `TANDEM_SANDBOX_POOL_SIZE`) with its own
 *    fresh workspace directory, which becomes the git work tree; the git directory lives in the job
 *    directory, outside the mount, and push credentials reach git through askpass only;
 * 3. the engine runs the policy's `sandbox.setup` command first (with a network only under
 *    `network: setup`; a failing setup blocks the ticket as `setup_failed`);
 * 4. the engine runs with the ticket's model session (escalation positions carried over from the ticket;
 *    the engine restores the tokens already used from its checkpoint), the run store, and the job's AbortSignal (`/stop`, shutdown);
 * 5. the branch is pushed (the engine pushes after every commit and at the end), the sandbox destroyed.
 *
 * An abort surfaces as `{ status: 'stopped' }` (the last checkpoint is kept); every other failure throws,
 * so BullMQ retries the job. The workflow, not the engine's store, moves the ticket: this runner's store
 * records the run's end on `runs` only (the workflow's transitions are validated and mirrored as labels).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq, ne, sql } from 'drizzle-orm';
import { Checkpoint, type RunRecord } from '../../agents/checkpoint.js';
import { createDbRunStore } from '../../agents/db-run-store.js';
import { runPair, type PairProgress } from '../../agents/pair-engine.js';
import type { RunStore } from '../../agents/run-store.js';
import { sessionModels } from '../../agents/session-models.js';
import type { RepoPolicy, Role } from '../../config/repo-policy.js';
import type { Database } from '../../db/create-database.js';
import { modelCalls, runs } from '../../db/schema.js';
import { GitWorkspace, type GitIdentity } from '../../git/git-workspace.js';
import type { ModelManager } from '../../llm/model-manager.js';
import type { ModelSession } from '../../llm/model-session.js';
import type { SandboxProvider } from '../../sandbox/types.js';
import type { PairJobInput, PairJobResult, PairRunner } from './pair-runner.js';

/** Collaborators of {@link createEnginePairRunner}. */
export interface EnginePairRunnerOptions {
  db: Database;
  /**
   * The process's model manager (one per worker); each job gets a session from it, and the catalog
   * entry of an alias (`samples`, `temperature`).
   */
  models: Pick<ModelManager, 'forTicket' | 'entry'>;
  /** Docker sandbox provider (warm pool). */
  sandboxes: Pick<SandboxProvider, 'acquire'>;
  /** Author/committer of the pair's commits (default `Tandem <tandem@localhost>`). */
  identity?: GitIdentity;
  /** Engine limits, mainly for tests: model calls per phase attempt, identical tool calls in a row. */
  maxSteps?: number;
  loopLimit?: number;
  /** Sandbox pids limit (default 256). */
  pids?: number;
  /** The operator's extra protected paths (`TANDEM_PROTECTED_PATHS`), on top of the built-in list. */
  protectedPaths?: readonly string[];
  /** Told of the engine's progress (the status page records it); must not throw. */
  onProgress?: (run: PairRunIds, progress: PairProgress) => void;
  /** Told when a run ends, with its record when it finished one (metrics); must not throw. */
  onRunEnd?: (run: PairRunIds, ended: { policy: RepoPolicy; record: RunRecord } | null) => void;
}

/** The ids of one pair run. */
export interface PairRunIds {
  runId: number;
  ticketId: number;
  repositoryId: number;
  /** The run key (BullMQ job id). */
  jobId: string;
}

/** Creates the runner. Stateless between jobs: everything lives in the database and the branch. */
export function createEnginePairRunner(options: EnginePairRunnerOptions): PairRunner {
  return {
    async run(input: PairJobInput): Promise<PairJobResult> {
      if (input.signal.aborted || input.pause?.aborted) {
        return { status: 'stopped' };
      }
      try {
        return await runOnce(options, input);
      } catch (error) {
        if (input.signal.aborted || (input.pause?.aborted && error === input.pause.reason)) {
          input.logger.info({ runKey: input.runKey }, 'pair stopped at a safe point');
          return { status: 'stopped' };
        }
        throw error;
      }
    },
  };
}

async function runOnce(o: EnginePairRunnerOptions, input: PairJobInput): Promise<PairJobResult> {
  const { logger } = input;
  const store = workflowRunStore(o.db, input.ticketId);
  const engineTicket = { ...input.ticket, id: String(input.ticket.id) };
  const stored = await store.openRun({ jobId: input.runKey, ticket: engineTicket });
  await o.db
    .update(runs)
    .set({ kind: /-rev\d+$/.test(input.runKey) ? 'revise' : 'pair' })
    .where(eq(runs.id, stored.runId));
  let checkpoint = stored.checkpoint;
  if (checkpoint?.phase === 'blocked') {
    checkpoint = reopen(checkpoint);
    await store.saveCheckpoint(stored.runId, checkpoint);
    await store.appendEvent(stored.runId, 'pair.reopened', { phase: checkpoint.phase });
  }
  // Revise runs share the ticket's token and dollar budgets: this run gets what earlier runs left.
  const policy = await remainingBudgets(o.db, input.policy, input.ticketId, stored.runId);
  const escalation = startingEscalation(input.escalation, checkpoint);
  let session: ModelSession | undefined;
  // The engine re-opens the session with what the checkpoint says was used (budgets hold on resume).
  const models = sessionModels(
    (used) => {
      session = o.models.forTicket({
        policy,
        repositoryId: input.repositoryId,
        ticketId: input.ticketId,
        runId: stored.runId,
        priority: policy.priority,
        escalation,
        ...(used ? { used } : {}),
      });
      return session;
    },
    { settingsOf: (alias) => o.models.entry(alias) },
  );
  const sandbox = await o.sandboxes.acquire({
    image: policy.sandbox.image,
    limits: { cpus: policy.sandbox.cpus, memoryMb: policy.sandbox.memoryMb, pids: o.pids ?? 256 },
    network: policy.sandbox.network,
    jobId: input.runKey,
  });
  const ids: PairRunIds = {
    runId: stored.runId,
    ticketId: input.ticketId,
    repositoryId: input.repositoryId,
    jobId: input.runKey,
  };
  let ended: { policy: RepoPolicy; record: RunRecord } | null = null;
  try {
    const workspace = await GitWorkspace.open({
      remote: input.remote,
      ...(input.baseBranch ? { baseBranch: input.baseBranch } : {}),
      branch: input.branch,
      gitDir: join(input.jobDir, 'git'),
      workTree: sandbox.spec.workspaceDir,
      ...(o.identity ? { identity: o.identity } : {}),
      ...(input.credentials ? { credentials: input.credentials } : {}),
    });
    await sandbox.chownWorkspace();
    const record = await runPair({
      ticket: engineTicket,
      policy,
      models,
      store,
      jobId: input.runKey,
      workspace,
      sandbox,
      logger,
      signal: input.signal,
      ...(input.pause ? { pause: input.pause } : {}),
      onProgress: (p: PairProgress) => {
        logger.debug({ ...p }, 'pair progress');
        o.onProgress?.(ids, p);
      },
      ...(o.maxSteps === undefined ? {} : { maxSteps: o.maxSteps }),
      ...(o.loopLimit === undefined ? {} : { loopLimit: o.loopLimit }),
      ...(o.protectedPaths ? { protectedPaths: o.protectedPaths } : {}),
      ...(input.searchMemory ? { searchMemory: input.searchMemory } : {}),
    });
    ended = { policy, record };
    await rm(input.jobDir, { recursive: true, force: true });
    return { status: record.status, record, escalation: session?.escalationState() ?? escalation };
  } finally {
    o.onRunEnd?.(ids, ended);
    await sandbox.destroy();
  }
}

/**
 * A blocked checkpoint made runnable again (`/retry` after `/escalate` or a fix by hand): back to the
 * phase it was blocked in, with fresh attempts and no diagnosis. The history (`tried`, escalations)
 * stays.
 */
export function reopen(checkpoint: Checkpoint): Checkpoint {
  const { diagnosis, ...rest } = checkpoint;
  const phase = diagnosis && diagnosis.phase !== 'blocked' ? diagnosis.phase : 'red';
  return Checkpoint.parse({
    ...rest,
    phase: phase === 'done' ? 'final' : phase,
    attempts: 0,
    tried: [...rest.tried, 'retried after being blocked'],
  });
}

/**
 * Escalation positions to open the session with. The engine re-applies the escalations recorded in a
 * checkpoint when it resumes, so those are subtracted from the ticket's stored positions (which already
 * include them, plus any `/escalate`), per role, never below 0.
 */
export function startingEscalation(
  ticket: Partial<Record<Role, number>>,
  checkpoint: Checkpoint | null,
): Partial<Record<Role, number>> {
  const out: Partial<Record<Role, number>> = {};
  for (const [role, at] of Object.entries(ticket) as [Role, number][]) {
    const replayed = checkpoint?.escalations.filter((e) => e.role === role).length ?? 0;
    out[role] = Math.max(0, at - replayed);
  }
  return out;
}

/**
 * The engine's {@link RunStore} for workflow jobs: `createDbRunStore` linked to the ticket row. It never
 * touches `tickets`: the ticket job moves the ticket through its validated transitions and mirrors the
 * column label.
 */
export function workflowRunStore(db: Database, ticketId: number): RunStore {
  return createDbRunStore(db, { ticketId });
}

/**
 * The policy with its per-ticket token and dollar budgets reduced by what the ticket's other runs used
 * (from `model_calls`), never below 0: a revise run continues the ticket's budget instead of starting a
 * fresh one. With nothing used before, the policy is returned as it is.
 */
export async function remainingBudgets(
  db: Database,
  policy: RepoPolicy,
  ticketId: number,
  runId: number,
): Promise<RepoPolicy> {
  const [before] = await db
    .select({
      tokens: sql<number>`coalesce(sum(${modelCalls.inputTokens} + ${modelCalls.outputTokens}), 0)::int`,
      costUsd: sql<number>`coalesce(sum(${modelCalls.costUsd}), 0)::float8`,
    })
    .from(modelCalls)
    .where(and(eq(modelCalls.ticketId, ticketId), ne(modelCalls.runId, runId)));
  if (!before || (before.tokens === 0 && before.costUsd === 0)) {
    return policy;
  }
  return {
    ...policy,
    budgets: {
      ...policy.budgets,
      tokens: Math.max(0, policy.budgets.tokens - before.tokens),
      costUsd: Math.max(0, policy.budgets.costUsd - before.costUsd),
    },
  };
}
