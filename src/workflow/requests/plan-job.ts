/**
 * The `plan` job: the Architect reads the approved spec and a map of the repository, and the plan
 * becomes ticket issues (`tandem:ticket`, acceptance criteria, "Depends on #…", likely files), listed as
 * a task list on the request issue; the spec PR is merged (or labelled `tandem:approved` when the policy
 * says `mergeSpec: false`); the request moves to `in_progress` and ready tickets start.
 *
 * Idempotent on retry. The plan is recorded (`plan.created`, full tickets) before any issue exists,
 * and a retry reuses it instead of asking the model again, so plan keys are stable. Each ticket issue
 * carries the hidden marker `ticket-<request>-<key>` in its body; a retry reuses the ticket's row when
 * there is one, else the issue found by that marker (a job that died between creating the issue and
 * inserting the row), and only then creates a new issue: never two issues for one planned ticket.
 */
import { and, desc, eq } from 'drizzle-orm';
import { buildRepoMap } from '../../agents/repo-map.js';
import { planTickets, type PlanInput } from '../../planning/architect-agent.js';
import { architectContext } from '../../planning/code-context.js';
import { PlannedTicket } from '../../planning/ticket-plan.js';
import { events } from '../../db/schema.js';
import { withMarker } from '../../forge/comment-marker.js';
import { z } from 'zod';
import type { Forge, RepoRef } from '../../forge/types.js';
import { recallForArchitect } from '../../memory/recall.js';
import { planMemories, specMemories } from '../../memory/workflow-memories.js';
import { withBaseCheckout } from '../base-checkout.js';
import { updateDashboard } from '../dashboard.js';
import { recordEvent } from '../event-log.js';
import { getRepository } from '../repository-store.js';
import { openRequestContext } from './request-context.js';
import { currentSpecFile, holdEditedSpecs } from './request-flow.js';
import { transitionRequest } from './request-store.js';
import { forgeKind, scheduleTickets, TANDEM_LABELS } from '../tickets/ticket-flow.js';
import {
  createTicket,
  findTicketByIssue,
  ticketsOfRequest,
  type TicketRow,
} from '../tickets/ticket-store.js';
import type { PlanJob } from '../work-jobs.js';
import { requestSessionScope } from '../director/repository-quota.js';
import type { WorkflowDeps } from '../workflow-deps.js';
import {
  enqueueCodeIndex,
  RECALL_BUDGET_TOKENS,
  recallText,
  remember,
} from '../workflow-memory.js';

/** Runs a `plan` job. */
export async function runPlanJob(deps: WorkflowDeps, data: PlanJob, jobId: string): Promise<void> {
  const context = await openRequestContext(deps, data.requestId);
  if (context === null) {
    return;
  }
  const { repo, policy, forge, ref } = context;
  let { request } = context;
  if (request.state === 'approved') {
    request = await transitionRequest(deps.db, request, 'planning');
  }
  if (request.state !== 'planning') {
    return;
  }
  await enqueueCodeIndex(deps, repo.id, policy);
  const recorded = await recordedPlan(deps, request.id);
  let planned = recorded;
  if (planned === null) {
    const spec = await currentSpecFile(deps, repo, policy, request);
    if (spec !== null && request.approvedSpecSha !== null && spec.sha !== request.approvedSpecSha) {
      // The spec changed after it was approved and before the Architect read it: never plan from a
      // version nobody approved. The request goes on hold and asks for a new `/approve`.
      await holdEditedSpecs(deps, repo, policy, request.id);
      await updateDashboard(deps.db, forge, repo.id);
      return;
    }
    const base = policy.branches.base || (await forge.getDefaultBranch(ref));
    const specMarkdown = spec?.content ?? '';
    const code = await readCode(deps, { ref, kind: forgeKind(repo), base, jobId }, specMarkdown);
    const scope = await requestSessionScope(deps, repo, policy, request.id);
    const memory = await recallText(deps, repo.id, policy, (m, memoryScope) =>
      recallForArchitect(
        m,
        memoryScope,
        specMarkdown || request.title,
        RECALL_BUDGET_TOKENS.architect,
      ),
    );
    planned = await planTickets(deps.planningModel(scope), {
      issue: { number: request.issueNumber, title: request.title },
      specMarkdown,
      ...code,
      ...(memory ? { memory } : {}),
    });
    if (spec !== null && request.specPath !== null) {
      const approved = { title: request.title, path: request.specPath, sha: spec.sha };
      await remember(
        deps,
        repo.id,
        policy,
        specMemories({
          ...approved,
          issueNumber: request.issueNumber,
          specPrNumber: request.specPrNumber,
          approvedBy: request.approvedBy,
          markdown: spec.content,
        }),
      );
    }
    await recordEvent(deps.db, {
      kind: 'plan.created',
      repositoryId: repo.id,
      requestId: request.id,
      jobId,
      data: { tickets: planned },
    });
  }
  const existing = await ticketsOfRequest(deps.db, request.id);
  if (existing.length < planned.length) {
    await forge.ensureLabels(ref, TANDEM_LABELS);
  }
  const tickets = await ensureTicketIssues(deps, forge, ref, repo.id, request, planned, {
    existing,
    retry: recorded !== null,
  });
  await remember(
    deps,
    repo.id,
    policy,
    planMemories(
      request,
      planned.map((ticket, i) => ({ ticket, issueNumber: tickets[i]?.issueNumber ?? null })),
    ),
  );
  await forge.ensureComment(
    ref,
    request.issueNumber,
    'tasks',
    [
      `The Architect split the approved spec into ${tickets.length} ticket${tickets.length === 1 ? '' : 's'}:`,
      '',
      ...tickets.map(
        (t) => `- [${t.state === 'done' ? 'x' : ' '}] #${t.issueNumber ?? '?'} ${t.title}`,
      ),
    ].join('\n'),
  );
  if (request.specPrNumber !== null) {
    const pr = await forge.getPullRequest(ref, request.specPrNumber);
    if (pr.state === 'open' && policy.mergeSpec) {
      await forge.mergePullRequest(ref, pr.number, { sha: pr.headSha });
    } else if (pr.state === 'open') {
      await forge.addLabels(ref, pr.number, ['tandem:approved']);
    }
  }
  await transitionRequest(deps.db, request, 'in_progress', {}, { tickets: tickets.length });
  await scheduleTickets(deps, await getRepository(deps.db, repo.id), policy);
  await updateDashboard(deps.db, forge, repo.id);
}

/** The hidden marker key of a planned ticket's issue. */
export function ticketMarker(requestId: number, key: string): string {
  return `ticket-${requestId}-${key}`;
}

const RecordedPlan = z.object({ tickets: z.array(PlannedTicket).min(1) });

/** The plan recorded by an earlier attempt for the request (newest), or null. */
async function recordedPlan(
  deps: WorkflowDeps,
  requestId: number,
): Promise<PlannedTicket[] | null> {
  const [row] = await deps.db
    .select({ data: events.data })
    .from(events)
    .where(and(eq(events.requestId, requestId), eq(events.kind, 'plan.created')))
    .orderBy(desc(events.id))
    .limit(1);
  const parsed = RecordedPlan.safeParse(row?.data);
  return parsed.success ? parsed.data.tickets : null;
}

/**
 * One ticket row and issue per planned ticket, in plan order: an existing row (same title in the
 * request) is reused; on a retry, an issue carrying the ticket's marker is adopted; otherwise the
 * issue is created. Rows are inserted right after their issue.
 */
async function ensureTicketIssues(
  deps: WorkflowDeps,
  forge: Forge,
  ref: RepoRef,
  repositoryId: number,
  request: { id: number; issueNumber: number },
  planned: readonly PlannedTicket[],
  state: { existing: readonly TicketRow[]; retry: boolean },
): Promise<TicketRow[]> {
  const byKey = new Map<string, TicketRow>();
  const unused = [...state.existing];
  const rows: TicketRow[] = [];
  for (const t of planned) {
    const deps_ = t.dependsOn.map((k) => byKey.get(k)).filter((r): r is TicketRow => !!r);
    const at = unused.findIndex((r) => r.title === t.title);
    let row = at >= 0 ? unused.splice(at, 1)[0] : undefined;
    if (row === undefined) {
      const marker = ticketMarker(request.id, t.key);
      const found = state.retry
        ? await forge.findIssueByMarker(ref, 'tandem:ticket', marker)
        : null;
      const issue =
        found ??
        (await forge.createIssue(ref, {
          title: t.title,
          body: withMarker(marker, ticketIssueBody(t, request.issueNumber, deps_)),
          labels: ['tandem:ticket'],
        }));
      row =
        (await findTicketByIssue(deps.db, repositoryId, issue.number)) ??
        (await createTicket(deps.db, {
          requestId: request.id,
          repositoryId,
          issueNumber: issue.number,
          title: t.title,
          description: t.description,
          acceptanceCriteria: t.acceptanceCriteria,
          dependsOn: deps_.map((d) => d.id),
          likelyFiles: t.likelyFiles,
        }));
    }
    byKey.set(t.key, row);
    rows.push(row);
  }
  return rows;
}

/** The body of a ticket issue. */
export function ticketIssueBody(
  t: PlannedTicket,
  requestIssue: number,
  dependsOn: readonly { issueNumber: number | null }[],
): string {
  return [
    `Part of #${requestIssue}.`,
    '',
    t.description,
    '',
    '## Acceptance criteria',
    '',
    ...t.acceptanceCriteria.map((c, i) => `${i + 1}. ${c}`),
    '',
    '## Depends on',
    '',
    dependsOn.length === 0
      ? '_nothing_'
      : dependsOn.map((d) => `- #${d.issueNumber ?? '?'}`).join('\n'),
    '',
    '## Likely files',
    '',
    t.likelyFiles.length === 0 ? '_not given_' : t.likelyFiles.map((f) => `- \`${f}\``).join('\n'),
    '',
  ].join('\n');
}

/**
 * What the Architect reads of the code on the base branch: the repository map, search hits for the
 * spec's key terms and the files they point to (`architectContext`, budgeted).
 */
async function readCode(
  deps: WorkflowDeps,
  target: { ref: RepoRef; kind: 'github' | 'gitea'; base: string; jobId: string },
  specMarkdown: string,
): Promise<Pick<PlanInput, 'repoMap' | 'searchHits' | 'files'>> {
  return withBaseCheckout(deps, target, async ({ workspace, files, paths }) => {
    const read = (p: string) => files.readFile(p);
    const repoMap = await buildRepoMap(paths, read);
    const context = await architectContext(specMarkdown, {
      files: paths,
      grep: (pattern, max) => workspace.grep(pattern, max),
      readFile: read,
    });
    return {
      repoMap,
      ...(context.searchHits ? { searchHits: context.searchHits } : {}),
      ...(context.files.length > 0 ? { files: context.files } : {}),
    };
  });
}
