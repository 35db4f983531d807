/**
 * The `ticket` and `revise` jobs: a pair works the ticket on its branch through the {@link PairRunner}
 * port; the outcome becomes forge actions. Done → PR "Closes #t" (found or created: never two), body
 * from the run record, commit status `tandem/tdd` on the head, ticket → review. Blocked → diagnosis
 * comment, ticket → blocked. Stopped (`/stop`) → ticket → todo, checkpoint kept for `/retry`. Paused by
 * the Resource Director (a quota, or higher-priority work waiting: `pause-reason.ts`) → ticket → todo
 * between engine steps, checkpoint kept, and queued again by the scheduler.
 * `/stop` is seen through the event log (polled every `stopPollMs`), so it works across worker hosts.
 */
import { join } from 'node:path';
import { and, eq, gt, sql } from 'drizzle-orm';
import { events, modelCalls } from '../../db/schema.js';
import { updateDashboard } from '../dashboard.js';
import { recordEvent } from '../event-log.js';
import type { PairJobResult } from './pair-runner.js';
import { policyForJob } from '../policy-guard.js';
import { codeBlock, escapeInline, inlineCode } from '../markdown.js';
import { renderPrBody, type RoleUsage } from './pr-body.js';
import { specExcerpt } from '../../planning/spec-excerpt.js';
import { currentSpecFile } from '../requests/request-flow.js';
import { getRequest } from '../requests/request-store.js';
import { getRepository, repoRefOf, type RepositoryRow } from '../repository-store.js';
import { memoryScope } from '../../memory/project-memory.js';
import { memoryToolSearch, recallForPair } from '../../memory/recall.js';
import {
  diagnosisMemory,
  REVIEW_CRITERION_PREFIX,
  reviewMemory,
  runFactMemories,
} from '../../memory/workflow-memories.js';
import { currentActivation, forgeKind, moveTicketOnForge, scheduleTickets } from './ticket-flow.js';
import { getTicket, updateTicket, type TicketRow } from './ticket-store.js';
import { pauseReason, renderPauseComment, type PauseReason } from '../director/pause-reason.js';
import { announceQuotaPause } from '../director/repository-quota.js';
import type { RepoPolicy } from '../../config/repo-policy.js';
import type { ReviseJob, TicketJob } from '../work-jobs.js';
import type { WorkflowDeps } from '../workflow-deps.js';
import { RECALL_BUDGET_TOKENS, recallText, remember } from '../workflow-memory.js';

/** Options of {@link runTicketJob}. */
export interface TicketJobOptions {
  /** BullMQ's processor signal (worker closing); `/stop` is added to it. */
  signal?: AbortSignal;
  /** How often the event log is checked for `/stop`, in ms (default 1 000). */
  stopPollMs?: number;
  /** How often the Resource Director checks quotas and waiting higher-priority work, in ms (default 10 000). */
  pausePollMs?: number;
  /** Run time before waiting higher-priority work may pause this pair, in ms (default 60 000). */
  preemptAfterMs?: number;
}

/** Runs a `ticket` job, or a `revise` job when `data` carries review feedback. */
export async function runTicketJob(
  deps: WorkflowDeps,
  data: TicketJob | ReviseJob,
  jobId: string,
  options: TicketJobOptions = {},
): Promise<PairJobResult['status'] | 'skipped'> {
  const ticket = await getTicket(deps.db, data.ticketId);
  if (
    ticket.state !== 'in_progress' ||
    ticket.repositoryId === null ||
    ticket.issueNumber === null
  ) {
    return 'skipped';
  }
  const repo = await getRepository(deps.db, ticket.repositoryId);
  const policy = await policyForJob(deps, repo);
  if (policy === null) {
    return 'skipped';
  }
  const forge = deps.forgeFor(forgeKind(repo));
  const ref = repoRefOf(repo);
  const base = policy.branches.base || (await forge.getDefaultBranch(ref));
  const branch =
    ticket.branch ?? `${policy.branches.ticket}${ticket.issueNumber}-${slugify(ticket.title)}`;
  if (ticket.branch === null) {
    await updateTicket(deps.db, ticket.id, { branch });
  }
  const remote = deps.remoteUrl(forgeKind(repo), ref);
  const credentials = remote.includes('://') ? await forge.pushCredentials(ref) : undefined;
  const feedback = 'feedback' in data ? data.feedback : [];
  const stop = new AbortController();
  const [mark] = await deps.db
    .select({ id: sql<number>`coalesce(max(${events.id}), 0)::int` })
    .from(events);
  const since = mark?.id ?? 0;
  const poll = setInterval(() => {
    void stopRequested(deps, ticket.id, since).then(
      (yes) => yes && stop.abort(new Error('stopped by /stop')),
      () => undefined,
    );
  }, options.stopPollMs ?? 1_000);
  const pause = new AbortController();
  let paused: PauseReason | null = null;
  const started = performance.now();
  let checking = false;
  const pausePoll = setInterval(() => {
    if (checking || pause.signal.aborted) {
      return;
    }
    checking = true;
    const check = {
      repo,
      policy,
      ranMs: performance.now() - started,
      preemptAfterMs: options.preemptAfterMs ?? 60_000,
    };
    void pauseReason(deps, check)
      .then((reason) => {
        if (reason !== null) {
          paused = reason;
          pause.abort(new Error(`paused: ${reason.kind}`));
        }
      })
      .catch((err: unknown) => deps.logger.warn({ err, ticket: ticket.id }, 'pause check failed'))
      .finally(() => {
        checking = false;
      });
  }, options.pausePollMs ?? 10_000);
  const acceptanceCriteria = [
    ...ticket.acceptanceCriteria,
    ...feedback.map((f) => `${REVIEW_CRITERION_PREFIX}${f}`),
  ];
  // What the Architect and the spec say about the ticket reaches the pair's prompts.
  const spec =
    ticket.requestId === null
      ? null
      : await currentSpecFile(deps, repo, policy, await getRequest(deps.db, ticket.requestId));
  const excerpt = spec
    ? specExcerpt(spec.content, { title: ticket.title, acceptanceCriteria })
    : '';
  // What earlier runs and reviews of this ticket left (a retry after a block sees what was tried), the
  // repository's facts, related work and code: in the pair's prompts, and searchable through its tools.
  const recallTicket = {
    issueNumber: ticket.issueNumber,
    title: ticket.title,
    description: ticket.description,
    acceptanceCriteria,
  };
  const memory = await recallText(deps, repo.id, policy, (m, scope) =>
    recallForPair(m, scope, recallTicket, RECALL_BUDGET_TOKENS.pair),
  );
  const searchMemory =
    deps.memory !== undefined && policy.memory.enabled
      ? memoryToolSearch(deps.memory, memoryScope(repo.id, policy))
      : undefined;
  let result: PairJobResult;
  try {
    result = await deps.pairs.run({
      ticketId: ticket.id,
      repositoryId: repo.id,
      ticket: {
        id: ticket.issueNumber,
        title: ticket.title,
        description: ticket.description,
        acceptanceCriteria,
        ...(ticket.likelyFiles.length > 0 ? { likelyFiles: ticket.likelyFiles.slice(0, 30) } : {}),
        ...(excerpt ? { specExcerpt: excerpt } : {}),
        ...(memory ? { memory } : {}),
      },
      ...(searchMemory ? { searchMemory } : {}),
      policy,
      runKey: data.runKey,
      remote,
      branch,
      baseBranch: base,
      ...(credentials ? { credentials } : {}),
      escalation: ticket.escalation,
      jobDir: join(deps.workDir, `pair-${data.runKey}`),
      signal: options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal,
      pause: pause.signal,
      logger: deps.logger.child({ jobId, ticket: ticket.issueNumber }),
    });
  } finally {
    clearInterval(poll);
    clearInterval(pausePoll);
  }
  const fresh = await getTicket(deps.db, ticket.id);
  const pausedFor = paused as PauseReason | null;
  if (result.status === 'stopped' && pausedFor !== null && !stop.signal.aborted) {
    return pauseTicket(deps, { repo, policy, ticket: fresh, jobId, reason: pausedFor });
  }
  if (result.status === 'stopped') {
    await moveTicketOnForge(deps, repo, fresh, 'todo', {}, { stopped: true });
    await forge.ensureComment(
      ref,
      ticket.issueNumber,
      `stopped-${jobId}`,
      'Stopped at a safe point; the checkpoint is kept. `/retry` resumes from it.',
    );
    await updateDashboard(deps.db, forge, repo.id);
    return 'stopped';
  }
  await updateTicket(deps.db, ticket.id, {
    escalation: result.escalation,
  });
  if (result.status === 'blocked') {
    const d = result.record.diagnosis;
    const reason = d ? `${d.reason}: ${d.whatFailed}` : 'blocked';
    // Remembered before the ticket moves: a job that dies after this point is retried and writes it again.
    if (d) {
      const memory = { ticketIssue: ticket.issueNumber, title: ticket.title, branch, diagnosis: d };
      await remember(deps, repo.id, policy, [diagnosisMemory({ ...memory, runKey: data.runKey })]);
    }
    // The reason, what was tried and the test output come from the run: escaped and fenced, never Markdown.
    await moveTicketOnForge(deps, repo, fresh, 'blocked', { blockedReason: reason.slice(0, 500) });
    await forge.ensureComment(
      ref,
      ticket.issueNumber,
      `blocked-${data.runKey}`,
      [
        `The pair is **blocked** on this ticket (${escapeInline(reason)}). The work so far is on ${inlineCode(branch)}.`,
        '',
        ...(d
          ? [
              'What was tried:',
              ...d.tried.map((x) => `- ${escapeInline(x)}`),
              '',
              codeBlock(d.lastTestOutput.slice(-3_000)),
            ]
          : []),
        '',
        'Fix it by hand, or `/escalate` then `/retry`.',
      ].join('\n'),
    );
    await updateDashboard(deps.db, forge, repo.id);
    await scheduleTickets(deps, await getRepository(deps.db, repo.id), policy);
    return 'blocked';
  }
  const body = renderPrBody(ticket.issueNumber, result.record, await usageByRole(deps, ticket.id));
  const { pullRequest, created } = await forge.findOrCreatePullRequest(ref, {
    head: branch,
    base,
    title: `#${ticket.issueNumber} ${ticket.title}`,
    body,
  });
  if (!created && pullRequest.body !== body) {
    await forge.updatePullRequest(ref, pullRequest.number, { body });
  }
  await forge.setCommitStatus(ref, result.record.headCommit, {
    state: 'success',
    context: 'tandem/tdd',
    description: `red→green: ${result.record.cycles.length} cycles, ${result.record.finalRun?.passed ?? 0} tests passing`,
  });
  if (feedback.length > 0) {
    await forge.ensureComment(
      ref,
      pullRequest.number,
      `revised-${data.runKey}`,
      `Revised for the review (${feedback.length} point${feedback.length === 1 ? '' : 's'}); the branch is updated.`,
    );
  }
  const { setup, test, testGlobs } = policy.sandbox;
  await remember(deps, repo.id, policy, [
    ...runFactMemories({ setup, test, testGlobs, record: result.record }),
    ...(feedback.length > 0
      ? [
          reviewMemory({
            ticketIssue: ticket.issueNumber,
            prNumber: pullRequest.number,
            reviewId: (await currentActivation(deps, ticket.id))?.work.reviewId ?? null,
            runKey: data.runKey,
            feedback,
            record: result.record,
          }),
        ]
      : []),
  ]);
  await moveTicketOnForge(deps, repo, fresh, 'review', { prNumber: pullRequest.number });
  await recordEvent(deps.db, {
    kind: 'ticket.pr',
    repositoryId: repo.id,
    ticketId: ticket.id,
    jobId,
    data: { pr: pullRequest.number, created, head: result.record.headCommit },
  });
  await scheduleTickets(deps, await getRepository(deps.db, repo.id), policy);
  await updateDashboard(deps.db, forge, repo.id);
  return 'done';
}

/**
 * A pair paused by the Resource Director: the ticket goes back to `todo` (checkpoint kept) with one
 * comment saying why, the dashboard is updated, and the scheduler runs: after a preemption it queues
 * the ticket again at its own priority (behind the work that outranked it); at a quota it starts
 * nothing and the reconciler resumes it when the next period begins.
 */
async function pauseTicket(
  deps: WorkflowDeps,
  o: {
    repo: RepositoryRow;
    policy: RepoPolicy;
    ticket: TicketRow;
    jobId: string;
    reason: PauseReason;
  },
): Promise<'stopped'> {
  const { repo, policy, ticket, reason } = o;
  const forge = deps.forgeFor(forgeKind(repo));
  await moveTicketOnForge(deps, repo, ticket, 'todo', {}, { paused: reason.kind });
  if (ticket.issueNumber !== null) {
    await forge.ensureComment(
      repoRefOf(repo),
      ticket.issueNumber,
      `paused-${o.jobId}`,
      renderPauseComment(reason),
    );
  }
  if (reason.kind === 'quota') {
    await announceQuotaPause(deps, repo, reason.stop);
  }
  deps.logger.info({ ticket: ticket.id, reason: reason.kind }, 'pair paused at a safe point');
  await scheduleTickets(deps, await getRepository(deps.db, repo.id), policy);
  await updateDashboard(deps.db, forge, repo.id);
  return 'stopped';
}

async function stopRequested(
  deps: WorkflowDeps,
  ticketId: number,
  since: number,
): Promise<boolean> {
  const rows = await deps.db
    .select({ id: events.id })
    .from(events)
    .where(
      and(
        eq(events.ticketId, ticketId),
        eq(events.kind, 'ticket.stop_requested'),
        gt(events.id, since),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/** Model usage per role on a ticket, from `model_calls`. */
export async function usageByRole(deps: WorkflowDeps, ticketId: number): Promise<RoleUsage[]> {
  return deps.db
    .select({
      role: modelCalls.role,
      inputTokens: sql<number>`sum(${modelCalls.inputTokens})::int`,
      outputTokens: sql<number>`sum(${modelCalls.outputTokens})::int`,
      latencyMs: sql<number>`sum(${modelCalls.latencyMs})::int`,
      costUsd: sql<number>`sum(${modelCalls.costUsd})::float8`,
    })
    .from(modelCalls)
    .where(eq(modelCalls.ticketId, ticketId))
    .groupBy(modelCalls.role)
    .orderBy(modelCalls.role);
}

/** A short branch-safe slug of a title (`Add CSV export!` → `add-csv-export`). */
export function slugify(title: string): string {
  const s = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || 'ticket';
}
