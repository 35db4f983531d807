/**
 * The `chat` job: the PM answers a free-text comment on a request or its spec PR. While drafting, the
 * comment is taken as an answer to the PM's questions (questions again, or the spec PR); under review,
 * the PM replies, revises the spec when asked, and classifies approval: acted upon only when the policy
 * sets `inferApproval` and the commenter has the approver permission, otherwise the PM asks for
 * `/approve`. Comments carry a marker per answered comment, so a retried job never posts twice.
 */
import { decideOnRequest, replyOnSpec } from '../../planning/pm-agent.js';
import { updateDashboard } from '../dashboard.js';
import { approveRequest, currentSpecFile } from './request-flow.js';
import { openPmContext } from './request-context.js';
import { getRequest, transitionRequest } from './request-store.js';
import { applyDecision, pmRepoMap } from './spec-job.js';
import type { ChatJob } from '../work-jobs.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/** Runs a `chat` job. */
export async function runChatJob(deps: WorkflowDeps, data: ChatJob, jobId: string): Promise<void> {
  const context = await openPmContext(deps, data.requestId);
  if (context === null) {
    return;
  }
  const { repo, policy, forge, ref, issue, model } = context;
  let { request } = context;
  const marker = `pm-reply-${data.comment.id}`;
  // The PM answers with the code in view, as when it drafts.
  const repoMap = await pmRepoMap(deps, repo, policy, jobId);
  if (request.state === 'new') {
    request = await transitionRequest(deps.db, request, 'drafting');
  }
  if (request.state === 'drafting' && request.specPrNumber === null) {
    const decision = await decideOnRequest(model, {
      issue,
      comments: [{ author: data.comment.author, body: data.comment.body }],
      ...repoMap,
    });
    await applyDecision(
      deps,
      repo,
      policy,
      request,
      decision,
      jobId,
      data.threadNumber,
      String(data.comment.id),
    );
    await updateDashboard(deps.db, forge, repo.id);
    return;
  }
  const spec = await currentSpecFile(deps, repo, policy, request);
  const reply = await replyOnSpec(model, {
    issue,
    comments: [],
    ...repoMap,
    specMarkdown: spec?.content ?? '(no spec yet)',
    comment: { author: data.comment.author, body: data.comment.body },
  });
  const notes: string[] = [];
  if (reply.revisedSpec && (request.state === 'spec_review' || request.state === 'drafting')) {
    if (request.state === 'spec_review') {
      request = await transitionRequest(deps.db, request, 'drafting', {}, { by: 'comment' });
    }
    await applyDecision(
      deps,
      repo,
      policy,
      request,
      { action: 'spec', spec: reply.revisedSpec },
      jobId,
      data.threadNumber,
    );
    request = await getRequest(deps.db, request.id);
    notes.push(`I updated the spec in #${request.specPrNumber ?? ''}.`);
  }
  if (reply.approval === 'approve') {
    if (policy.inferApproval && data.mayApprove) {
      const ok = await approveRequest(deps, repo, policy, request, data.comment.author);
      notes.push(ok ? 'Taking that as approval: the Architect is planning the tickets.' : '');
    } else {
      notes.push('If you approve this spec, please comment `/approve` to start the work.');
    }
  }
  await forge.ensureComment(
    ref,
    data.threadNumber,
    marker,
    [reply.reply, ...notes.filter((n) => n !== '')].join('\n\n'),
  );
  await updateDashboard(deps.db, forge, repo.id);
}
