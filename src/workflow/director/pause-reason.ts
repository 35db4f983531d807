/**
 * The Resource Director's safe-point pause of a running pair: why a ticket should pause now, checked
 * periodically by the ticket job. A pair pauses (between engine steps, checkpoint kept) when
 *
 * - its repository reached a quota (it resumes when the next period starts), or
 * - a pair job of strictly higher priority waits for a pair slot (`TANDEM_MAX_PAIR_JOBS` are busy) and
 *   this pair has run at least `preemptAfterMs`, so that two priorities cannot thrash: it is re-queued at
 *   its own priority and resumes after the higher-priority work.
 */
import type { RepoPolicy } from '../../config/repo-policy.js';
import { quotaReached, type QuotaStop } from './repository-quota.js';
import type { RepositoryRow } from '../repository-store.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/** Why a running pair pauses. */
export type PauseReason =
  | { kind: 'quota'; stop: QuotaStop }
  | {
      kind: 'preempted';
      /** Priority of the waiting job that outranks this one. */
      priority: number;
    };

/** What {@link pauseReason} looks at. */
export interface PauseCheck {
  repo: RepositoryRow;
  policy: RepoPolicy;
  /** How long this pair has been running, in ms. */
  ranMs: number;
  /** Minimum run before higher-priority work may pause it, in ms. */
  preemptAfterMs: number;
}

/** The reason the pair of `check` should pause now, or null to go on. */
export async function pauseReason(
  deps: WorkflowDeps,
  check: PauseCheck,
): Promise<PauseReason | null> {
  const stop = await quotaReached(deps, check.repo.id, check.policy);
  if (stop !== null) {
    return { kind: 'quota', stop };
  }
  if (check.ranMs < check.preemptAfterMs) {
    return null;
  }
  // Jobs added without a priority (0) are served first anyway; they do not preempt.
  const outranking = (await deps.enqueue.waitingJobs('ticket'))
    .map((j) => j.priority)
    .filter((p) => p > 0 && p < check.policy.priority);
  return outranking.length === 0 ? null : { kind: 'preempted', priority: Math.min(...outranking) };
}

/** The comment on a ticket paused at a safe point (fixed words and numbers only). */
export function renderPauseComment(reason: PauseReason): string {
  if (reason.kind === 'preempted') {
    return (
      `Paused at a safe point: higher-priority work (priority ${reason.priority}) is waiting for a pair ` +
      'slot. The checkpoint is kept; the pair is queued again and resumes from it after that work.'
    );
  }
  return (
    `Paused at a safe point: the repository reached \`quotas.${reason.stop.key}\`. The checkpoint is kept; ` +
    `the pair resumes from it after ${reason.stop.resumesAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (see the dashboard issue).`
  );
}
