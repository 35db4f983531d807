/**
 * The `plan` job: the Architect reads the approved spec and a map of the repository, and the plan
 * becomes ticket issues (`tandem:ticket`, acceptance criteria, "Depends on #…", likely files), listed as
 * a task list on the request issue; the spec PR is merged (or labelled `tandem:approved` when the policy
 * says `mergeSpec: false`); the request moves to `in_progress` and ready tickets start.
 *
 * Idempotent on retry: tickets already created for the request are reused (matched by title), so a
 * job that died half-way creates only the missing ones.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRepoMap } from '../agents/repo-map.js';
import { GitWorkspace } from '../git/git-workspace.js';
import { planTickets } from '../planning/architect-agent.js';
import type { PlannedTicket } from '../planning/ticket-plan.js';
import type { Forge, RepoRef } from '../forge/types.js';
import { updateDashboard } from './dashboard.js';
import { recordEvent } from './event-log.js';
import { policyForJob } from './policy-guard.js';
import { getRepository, repoRefOf } from './repository-store.js';
import { currentSpecFile } from './request-flow.js';
import { getRequest, transitionRequest } from './request-store.js';
import { forgeKind, scheduleTickets, TANDEM_LABELS } from './ticket-flow.js';
import { createTicket, ticketsOfRequest, type TicketRow } from './ticket-store.js';
import type { PlanJob } from './work-jobs.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Runs a `plan` job. */
export async function runPlanJob(deps: WorkflowDeps, data: PlanJob, jobId: string): Promise<void> {
  let request = await getRequest(deps.db, data.requestId);
  const repo = await getRepository(deps.db, request.repositoryId);
  const policy = await policyForJob(deps, repo);
  if (policy === null || repo.paused) {
    return;
  }
  if (request.state === 'approved') {
    request = await transitionRequest(deps.db, request, 'planning');
  }
  if (request.state !== 'planning') {
    return;
  }
  const forge = deps.forgeFor(forgeKind(repo));
  const ref = repoRefOf(repo);
  let existing = await ticketsOfRequest(deps.db, request.id);
  if (existing.length === 0) {
    const spec = await currentSpecFile(deps, repo, policy, request);
    const base = policy.branches.base || (await forge.getDefaultBranch(ref));
    const repoMap = await mapRepository(deps, ref, forgeKind(repo), base, jobId);
    const planned = await planTickets(deps.planningModel({ policy, repositoryId: repo.id }), {
      issue: { number: request.issueNumber, title: request.title },
      specMarkdown: spec?.content ?? '',
      repoMap,
    });
    await recordEvent(deps.db, {
      kind: 'plan.created',
      repositoryId: repo.id,
      requestId: request.id,
      jobId,
      data: {
        tickets: planned.map((t) => ({ key: t.key, title: t.title, dependsOn: t.dependsOn })),
      },
    });
    await forge.ensureLabels(ref, TANDEM_LABELS);
    existing = await createTicketIssues(deps, forge, ref, repo.id, request, planned);
  }
  await forge.ensureComment(
    ref,
    request.issueNumber,
    'tasks',
    [
      `The Architect split the approved spec into ${existing.length} ticket${existing.length === 1 ? '' : 's'}:`,
      '',
      ...existing.map(
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
  await transitionRequest(deps.db, request, 'in_progress', {}, { tickets: existing.length });
  await scheduleTickets(deps, await getRepository(deps.db, repo.id), policy);
  await updateDashboard(deps.db, forge, repo.id);
}

async function createTicketIssues(
  deps: WorkflowDeps,
  forge: Forge,
  ref: RepoRef,
  repositoryId: number,
  request: { id: number; issueNumber: number },
  planned: readonly PlannedTicket[],
): Promise<TicketRow[]> {
  const byKey = new Map<string, TicketRow>();
  const rows: TicketRow[] = [];
  for (const t of planned) {
    const deps_ = t.dependsOn.map((k) => byKey.get(k)).filter((r): r is TicketRow => !!r);
    const issue = await forge.createIssue(ref, {
      title: t.title,
      body: ticketIssueBody(t, request.issueNumber, deps_),
      labels: ['tandem:ticket'],
    });
    const row = await createTicket(deps.db, {
      requestId: request.id,
      repositoryId,
      issueNumber: issue.number,
      title: t.title,
      description: t.description,
      acceptanceCriteria: t.acceptanceCriteria,
      dependsOn: deps_.map((d) => d.id),
      likelyFiles: t.likelyFiles,
    });
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

/** Clones the base branch into a scratch directory and builds the repository map. */
async function mapRepository(
  deps: WorkflowDeps,
  ref: RepoRef,
  kind: 'github' | 'gitea',
  base: string,
  jobId: string,
): Promise<string> {
  const forge = deps.forgeFor(kind);
  const remote = deps.remoteUrl(kind, ref);
  const dir = join(deps.workDir, `plan-${jobId.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  try {
    const credentials = remote.includes('://') ? await forge.pushCredentials(ref) : undefined;
    const ws = await GitWorkspace.open({
      remote,
      baseBranch: base,
      branch: `tandem-plan-${Date.now().toString(36)}`,
      gitDir: join(dir, 'git'),
      workTree: join(dir, 'tree'),
      ...(credentials ? { credentials } : {}),
    });
    const files = await ws.listFiles();
    return await buildRepoMap(files, (p) => readFile(join(ws.workTree, p), 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
