/**
 * What happens to the work of a job that failed for good (its last attempt, an error a retry cannot fix,
 * or a job BullMQ gave up on after it stalled): it is never left looking busy. A ticket still
 * `in_progress` and a request still drafting or planning move to `blocked` with the reason, and one
 * comment says so and how to go on (`/retry`); a chat job that failed says so on its thread. Each
 * comment carries a marker, so a second report of the same failure (the processor and the reconciler
 * both seeing it) changes nothing.
 */
import { TandemError } from '../errors/index.js';
import { redactSecrets } from '../errors/redact-secrets.js';
import { StaleStateError } from '../errors/stale-state-error.js';
import { InvalidTransitionError } from '../errors/invalid-transition-error.js';
import { failedRunMemory } from '../memory/workflow-memories.js';
import { getRepository, repoRefOf } from './repository-store.js';
import { getRequest, transitionRequest } from './requests/request-store.js';
import { canMoveRequest, RequestState } from './requests/request-state.js';
import { currentActivation, forgeKind, moveTicketOnForge } from './tickets/ticket-flow.js';
import { getTicket } from './tickets/ticket-store.js';
import type { ChatJob } from './work-jobs.js';
import type { WorkflowDeps } from './workflow-deps.js';
import { remember } from './workflow-memory.js';
import { policyForJob } from './policy-guard.js';

/** A short reason for a failure, safe to show on the forge: the error's code and its redacted message. */
export function failureReason(error: unknown): string {
  const message = redactSecrets(error instanceof Error ? error.message : String(error)).slice(
    0,
    300,
  );
  return error instanceof TandemError ? `${error.code}: ${message}` : message;
}

/** Request states a failed `spec` or `plan` job leaves behind; they move to `blocked`. */
const BUSY_REQUEST_STATES: ReadonlySet<RequestState> = new Set([
  'new',
  'drafting',
  'approved',
  'planning',
]);

/**
 * Blocks a ticket whose pair job failed for good, when it is still `in_progress` (a ticket the job
 * already moved on is left alone).
 * @returns true when it was blocked now
 */
export async function blockTicketAfterFailure(
  deps: WorkflowDeps,
  ticketId: number,
  reason: string,
): Promise<boolean> {
  const ticket = await getTicket(deps.db, ticketId);
  if (ticket.state !== 'in_progress' || ticket.repositoryId === null) {
    return false;
  }
  const repo = await getRepository(deps.db, ticket.repositoryId);
  const activation = await currentActivation(deps, ticket.id);
  const blocked = await ignoreRace(
    moveTicketOnForge(deps, repo, ticket, 'blocked', {
      blockedReason: `job failed: ${reason}`.slice(0, 500),
    }),
  );
  if (blocked && ticket.issueNumber !== null) {
    const issue = ticket.issueNumber;
    const policy = await policyForJob(deps, repo).catch(() => null);
    if (policy !== null) {
      const key = `job-${activation?.number ?? 0}`;
      await remember(deps, repo.id, policy, [failedRunMemory({ ticketIssue: issue, key, reason })]);
    }
    await deps
      .forgeFor(forgeKind(repo))
      .ensureComment(
        repoRefOf(repo),
        ticket.issueNumber,
        `job-failed-${ticket.id}-${activation?.number ?? 0}`,
        [
          `The pair job on this ticket failed and was not retried further: ${reason}`,
          '',
          'The work so far is kept (branch and checkpoint). `/retry` resumes from the last checkpoint.',
        ].join('\n'),
      );
  }
  return blocked;
}

/**
 * Blocks a request whose `spec` or `plan` job failed for good, when it is still in the state that job
 * works on; the transition records where it was (`from`), which `/retry` resumes.
 * @returns true when it was blocked now
 */
export async function blockRequestAfterFailure(
  deps: WorkflowDeps,
  requestId: number,
  job: 'spec' | 'plan',
  reason: string,
): Promise<boolean> {
  const request = await getRequest(deps.db, requestId);
  const state = RequestState.parse(request.state);
  if (!BUSY_REQUEST_STATES.has(state) || !canMoveRequest(state, 'blocked')) {
    return false;
  }
  const blocked = await ignoreRace(
    transitionRequest(
      deps.db,
      request,
      'blocked',
      { blockedReason: `${job} job failed: ${reason}`.slice(0, 500) },
      { job, reason },
    ),
  );
  if (blocked) {
    const repo = await getRepository(deps.db, request.repositoryId);
    await deps
      .forgeFor(forgeKind(repo))
      .ensureComment(
        repoRefOf(repo),
        request.issueNumber,
        `request-failed-${request.id}-${job}-${Date.parse(String(request.updatedAt)) || 0}`,
        [
          `The ${job === 'spec' ? 'PM (drafting the spec)' : 'Architect (planning the tickets)'} failed and was not retried further: ${reason}`,
          '',
          'This request is **blocked**. `/retry` starts that step again.',
        ].join('\n'),
      );
  }
  return blocked;
}

/** Tells a comment's author that the PM could not answer it (the request itself is not blocked). */
export async function reportChatFailure(
  deps: WorkflowDeps,
  data: ChatJob,
  reason: string,
): Promise<void> {
  const request = await getRequest(deps.db, data.requestId);
  const repo = await getRepository(deps.db, request.repositoryId);
  await deps
    .forgeFor(forgeKind(repo))
    .ensureComment(
      repoRefOf(repo),
      data.threadNumber,
      `chat-failed-${data.comment.id}`,
      `The PM could not answer this comment (${reason}). Comment again, or \`/retry\` to redraft the spec.`,
    );
}

/** Resolves true when the move was made, false when another process moved the row first. */
async function ignoreRace(move: Promise<unknown>): Promise<boolean> {
  try {
    await move;
    return true;
  } catch (error) {
    if (error instanceof StaleStateError || error instanceof InvalidTransitionError) {
      return false;
    }
    throw error;
  }
}
