/**
 * The `spec` job: the PM's first move on a request (clarifying questions in one comment, or a spec PR),
 * or a revision of the spec after `/reject <why>` / requested changes. Idempotent: a retried job finds
 * the request already moved and the comments carry markers.
 */
import { join } from 'node:path';
import { buildRepoMap } from '../../agents/repo-map.js';
import { GitCommandError } from '../../errors/index.js';
import { decideOnRequest, reviseSpec } from '../../planning/pm-agent.js';
import type { PmDecision } from '../../planning/pm-decision.js';
import type { RepoPolicy } from '../../config/repo-policy.js';
import { recallForPm } from '../../memory/recall.js';
import { specFeedbackMemory } from '../../memory/workflow-memories.js';
import { withBaseCheckout } from '../base-checkout.js';
import { updateDashboard } from '../dashboard.js';
import { repoRefOf, type RepositoryRow } from '../repository-store.js';
import { openPmContext } from './request-context.js';
import { currentSpecFile } from './request-flow.js';
import { transitionRequest, type RequestRow } from './request-store.js';
import { publishSpec } from './spec-publisher.js';
import { forgeKind } from '../tickets/ticket-flow.js';
import type { SpecJob } from '../work-jobs.js';
import type { WorkflowDeps } from '../workflow-deps.js';
import { RECALL_BUDGET_TOKENS, recallText, remember } from '../workflow-memory.js';

/** Runs a `spec` job. `jobId` names the scratch directory. */
export async function runSpecJob(deps: WorkflowDeps, data: SpecJob, jobId: string): Promise<void> {
  const context = await openPmContext(deps, data.requestId);
  if (context === null) {
    return;
  }
  const { repo, policy, forge, issue, model } = context;
  let { request } = context;
  if (data.feedback === undefined) {
    if (request.state === 'new') {
      request = await transitionRequest(deps.db, request, 'drafting');
    }
    if (request.state !== 'drafting' || request.specPrNumber !== null) {
      return;
    }
    const repoMap = await pmRepoMap(deps, repo, policy, jobId);
    const memory = await pmMemory(deps, repo.id, policy, issue);
    const decision = await decideOnRequest(model, { issue, comments: [], ...repoMap, ...memory });
    await applyDecision(deps, repo, policy, request, decision, jobId, issue.number);
    await updateDashboard(deps.db, forge, repo.id);
    return;
  }
  if (request.state !== 'drafting') {
    return;
  }
  const current = await currentSpecFile(deps, repo, policy, request);
  const spec = await reviseSpec(model, {
    issue,
    comments: [],
    ...(await pmRepoMap(deps, repo, policy, jobId)),
    ...(await pmMemory(deps, repo.id, policy, issue)),
    specMarkdown: current?.content ?? '',
    feedback: data.feedback,
  });
  await applyDecision(deps, repo, policy, request, { action: 'spec', spec }, jobId, issue.number);
  await remember(deps, repo.id, policy, [
    specFeedbackMemory({
      issueNumber: request.issueNumber,
      feedback: data.feedback,
      revised: spec,
    }),
  ]);
  await updateDashboard(deps.db, forge, repo.id);
}

/**
 * Acts on a PM decision for a drafting request: questions → one comment on the issue (marker
 * `pm-questions-<key>`); spec → commit + push + PR, request → `spec_review`, link comment.
 */
export async function applyDecision(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  request: RequestRow,
  decision: PmDecision,
  jobId: string,
  replyTo: number,
  markerKey = jobId,
): Promise<RequestRow> {
  const forge = deps.forgeFor(forgeKind(repo));
  const ref = repoRefOf(repo);
  if (decision.action === 'ask') {
    await forge.ensureComment(
      ref,
      replyTo,
      `pm-questions-${markerKey}`,
      [
        'Before I write a spec, a few questions:',
        '',
        ...decision.questions.map((q, i) => `${i + 1}. ${q}`),
        '',
        'Answer in a comment and I will continue.',
      ].join('\n'),
    );
    return request;
  }
  const { pullRequest, path } = await publishSpec({
    forge,
    repo: ref,
    remote: deps.remoteUrl(forgeKind(repo), ref),
    policy,
    issueNumber: request.issueNumber,
    spec: decision.spec,
    existingPath: request.specPath,
    alias: policy.models.pm.alias,
    jobDir: join(deps.workDir, `spec-${request.id}-${safe(jobId)}`),
    revision: request.specPath !== null,
  });
  const moved = await transitionRequest(
    deps.db,
    request,
    'spec_review',
    { specPrNumber: pullRequest.number, specPath: path },
    { pr: pullRequest.number },
  );
  await forge.ensureComment(
    ref,
    request.issueNumber,
    'spec-pr',
    `I drafted a spec in #${pullRequest.number} (\`${path}\`). Comment there or here to change it; ` +
      '`/approve` starts the work.',
  );
  return moved;
}

/** Earlier specs and decisions of the repository near the issue (`{ memory }`), or nothing. */
async function pmMemory(
  deps: WorkflowDeps,
  repositoryId: number,
  policy: RepoPolicy,
  issue: { title: string; body: string },
): Promise<{ memory?: string }> {
  const memory = await recallText(deps, repositoryId, policy, (m, scope) =>
    recallForPm(m, scope, `${issue.title}\n${issue.body}`, RECALL_BUDGET_TOKENS.pm),
  );
  return memory ? { memory } : {};
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * The repository map of the base branch for the PM (`{ repoMap }`), or nothing when the repository
 * cannot be read (e.g. it has no commit yet): the PM can still write a spec from the issue alone.
 */
export async function pmRepoMap(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  jobId: string,
): Promise<{ repoMap?: string }> {
  const ref = repoRefOf(repo);
  const kind = forgeKind(repo);
  try {
    const base = policy.branches.base || (await deps.forgeFor(kind).getDefaultBranch(ref));
    const repoMap = await withBaseCheckout(deps, { ref, kind, base, jobId: `pm-${jobId}` }, (c) =>
      buildRepoMap(c.paths, (p) => c.files.readFile(p)),
    );
    return repoMap ? { repoMap } : {};
  } catch (error) {
    if (!(error instanceof GitCommandError)) {
      throw error;
    }
    deps.logger.warn(
      { repo: repo.id, code: error.code },
      'pm: no repository map, the base branch could not be read',
    );
    return {};
  }
}
