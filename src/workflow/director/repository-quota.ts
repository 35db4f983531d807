/**
 * Per-repository quotas and per-request budgets (the Resource Director's accounting), counted from the
 * recorded model calls (`model_calls`), so every worker on every host sees the same figures:
 *
 * - `quotas.tokensPerDay`: input + output tokens since 00:00 UTC today;
 * - `quotas.costUsdPerMonth`: dollars since 00:00 UTC on the first of this month;
 * - `budgets.requestTokens` / `budgets.requestCostUsd`: the request's PM and Architect calls plus the
 *   calls of its tickets.
 *
 * A repository at a quota pauses: nothing new starts, running pairs stop at their next safe point with
 * their checkpoints kept, and one comment on the dashboard issue says why and when work resumes. The
 * reconciler, which runs every minute, starts work again once the next period has begun.
 */
import { and, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import { effectiveQuotas } from '../../config/check-policy-against-server.js';
import type { QuotaKey, RepoPolicy } from '../../config/repo-policy.js';
import { modelCalls, tickets } from '../../db/schema.js';
import { costBudgetExhausted, tokenBudgetExhausted } from '../../llm/budget-rule.js';
import { updateDashboard } from '../dashboard.js';
import { recordEvent } from '../event-log.js';
import { getRepository, repoRefOf, type RepositoryRow } from '../repository-store.js';
import type { SessionScope, WorkflowDeps } from '../workflow-deps.js';

export type { QuotaKey } from '../../config/repo-policy.js';

/** A quota that is used up: what was used of what, and when its period ends. */
export interface QuotaStop {
  key: QuotaKey;
  /** Tokens or US dollars used in the period. */
  used: number;
  limit: number;
  periodStart: Date;
  /** Start of the next period: work resumes then. */
  resumesAt: Date;
}

/** Tokens and dollars used. */
export interface Usage {
  tokens: number;
  costUsd: number;
}

/** The UTC calendar period of `key` that contains `now`: a day or a month, as [start, end). */
export function quotaPeriod(key: QuotaKey, now: Date): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (key === 'tokensPerDay') {
    const d = now.getUTCDate();
    return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
  }
  return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}

/** The clock of the workflow (`deps.now`, default the system clock). */
export function nowOf(deps: Pick<WorkflowDeps, 'now'>): Date {
  return deps.now?.() ?? new Date();
}

/** Tokens and dollars a repository's model calls used in [start, end). */
export async function repositoryUsage(
  deps: Pick<WorkflowDeps, 'db'>,
  repositoryId: number,
  start: Date,
  end: Date,
): Promise<Usage> {
  const [row] = await deps.db
    .select({
      tokens: sql<number>`coalesce(sum(${modelCalls.inputTokens} + ${modelCalls.outputTokens}), 0)::float8`,
      costUsd: sql<number>`coalesce(sum(${modelCalls.costUsd}), 0)::float8`,
    })
    .from(modelCalls)
    .where(
      and(
        eq(modelCalls.repositoryId, repositoryId),
        gte(modelCalls.at, start),
        lt(modelCalls.at, end),
      ),
    );
  return { tokens: Number(row?.tokens ?? 0), costUsd: Number(row?.costUsd ?? 0) };
}

/**
 * The first of the repository's quotas that is used up now, or null. Tokens are used up at the quota;
 * dollars by the one budget rule (only paid calls spend them).
 */
export async function quotaReached(
  deps: Pick<WorkflowDeps, 'db' | 'serverLimits' | 'now'>,
  repositoryId: number,
  policy: RepoPolicy,
): Promise<QuotaStop | null> {
  const quotas = effectiveQuotas(policy, deps.serverLimits?.caps);
  const now = nowOf(deps);
  for (const key of ['tokensPerDay', 'costUsdPerMonth'] as const) {
    const limit = quotas[key];
    if (limit === undefined) {
      continue;
    }
    const { start, end } = quotaPeriod(key, now);
    const usage = await repositoryUsage(deps, repositoryId, start, end);
    const stop =
      key === 'tokensPerDay'
        ? tokenBudgetExhausted(usage.tokens, limit)
        : costBudgetExhausted(usage.costUsd, limit);
    if (stop) {
      const used = key === 'tokensPerDay' ? usage.tokens : usage.costUsd;
      return { key, used, limit, periodStart: start, resumesAt: end };
    }
  }
  return null;
}

/** The comment that pauses a repository at a quota (numbers and fixed words only, no outside text). */
export function renderQuotaPause(stop: QuotaStop): string {
  // Only the limit and the period, not the running figure: the comment stays the same all period long.
  const what =
    stop.key === 'tokensPerDay'
      ? `${stop.limit.toLocaleString('en')} tokens for ${stop.periodStart.toISOString().slice(0, 10)} (UTC)`
      : `$${stop.limit.toFixed(2)} for ${stop.periodStart.toISOString().slice(0, 7)} (UTC)`;
  const title = stop.key === 'tokensPerDay' ? 'daily token quota' : 'monthly dollar quota';
  return [
    `**Paused: ${title} reached.** This repository used its quota of ${what} (\`quotas.${stop.key}\`).`,
    '',
    'Nothing new starts, and running pairs pause at their next safe point with their checkpoints kept.',
    `Work resumes on its own at ${stop.resumesAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `To resume sooner, raise \`quotas.${stop.key}\` in the repository's Tandem policy (within this server's limit).`,
  ].join('\n');
}

/**
 * Says once per period that the repository is paused at `stop`: one comment on the dashboard issue
 * (created if needed; the marker names the quota and the period, so a repeat is the same comment), one
 * `repository.quota_reached` event, and the dashboard updated to show the pause.
 */
export async function announceQuotaPause(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  stop: QuotaStop,
): Promise<void> {
  const forge = deps.forgeFor(repo.forge === 'gitea' ? 'gitea' : 'github');
  const marker = `quota-${stop.key}-${stop.periodStart.toISOString().slice(0, 10)}`;
  const issue =
    (await getRepository(deps.db, repo.id)).dashboardIssueNumber ??
    (await updateDashboard(deps.db, forge, repo.id));
  const result = await forge.ensureComment(repoRefOf(repo), issue, marker, renderQuotaPause(stop));
  if (result.action === 'created') {
    await recordEvent(deps.db, {
      kind: 'repository.quota_reached',
      repositoryId: repo.id,
      data: { key: stop.key, used: stop.used, limit: stop.limit, resumesAt: stop.resumesAt },
    });
    deps.logger.info({ repo: repo.id, quota: stop.key }, 'repository paused at its quota');
    // The dashboard reads the pause from that event.
    await updateDashboard(deps.db, forge, repo.id);
  }
}

/**
 * True when the repository may start work now; otherwise announces the pause (once per period) and
 * returns false.
 */
export async function withinQuota(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
): Promise<boolean> {
  const stop = await quotaReached(deps, repo.id, policy);
  if (stop === null) {
    return true;
  }
  await announceQuotaPause(deps, repo, stop);
  return false;
}

/** Tokens and dollars a request used: its PM and Architect calls plus its tickets' calls. */
export async function requestUsage(
  deps: Pick<WorkflowDeps, 'db'>,
  requestId: number,
): Promise<Usage> {
  const ticketIds = deps.db
    .select({ id: tickets.id })
    .from(tickets)
    .where(eq(tickets.requestId, requestId));
  const [row] = await deps.db
    .select({
      tokens: sql<number>`coalesce(sum(${modelCalls.inputTokens} + ${modelCalls.outputTokens}), 0)::float8`,
      costUsd: sql<number>`coalesce(sum(${modelCalls.costUsd}), 0)::float8`,
    })
    .from(modelCalls)
    .where(or(eq(modelCalls.requestId, requestId), inArray(modelCalls.ticketId, ticketIds)));
  return { tokens: Number(row?.tokens ?? 0), costUsd: Number(row?.costUsd ?? 0) };
}

/** True when the request's token or dollar budget is used up (the one budget rule). */
export function requestBudgetExhausted(usage: Usage, policy: RepoPolicy): boolean {
  return (
    tokenBudgetExhausted(usage.tokens, policy.budgets.requestTokens) ||
    costBudgetExhausted(usage.costUsd, policy.budgets.requestCostUsd)
  );
}

/**
 * The model session scope of a PM or Architect job: the request's budgets (not a ticket's) with what
 * the request already used, so planning calls share one budget across jobs instead of a fresh one each.
 */
export async function requestSessionScope(
  deps: Pick<WorkflowDeps, 'db'>,
  repo: RepositoryRow,
  policy: RepoPolicy,
  requestId: number,
): Promise<SessionScope> {
  const usage = await requestUsage(deps, requestId);
  return {
    policy: {
      ...policy,
      budgets: {
        ...policy.budgets,
        tokens: policy.budgets.requestTokens,
        costUsd: policy.budgets.requestCostUsd,
      },
    },
    repositoryId: repo.id,
    requestId,
    // The split of tokens into input and output does not matter to the budget rule.
    used: { inputTokens: usage.tokens, outputTokens: 0, costUsd: usage.costUsd },
  };
}
