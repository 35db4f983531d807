/**
 * Slash commands on request, spec-PR and ticket threads (DESIGN.md "Commands"). Every command but
 * `/status` needs at least the policy's `approverPermission`; others get a polite refusal. Answers are
 * comments with a marker per (comment, command), so a redelivered event never answers twice.
 */
import type { ParsedCommand } from '../commands/parse-commands.js';
import type { Permission, RepoPolicy, Role } from '../config/repo-policy.js';
import type { CommentInfo } from '../forge/forge-event.js';
import { recordEvent } from './event-log.js';
import { repoRefOf, updateRepository, type RepositoryRow } from './repository-store.js';
import { approveRequest } from './request-flow.js';
import { transitionRequest, type RequestRow } from './request-store.js';
import { forgeKind, moveTicketOnForge, scheduleTickets } from './ticket-flow.js';
import { getTicket, ticketsOfRepository, updateTicket, type TicketRow } from './ticket-store.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Where the command was given. */
export interface CommandTarget {
  repo: RepositoryRow;
  policy: RepoPolicy;
  /** Issue or PR number the comment is on. */
  threadNumber: number;
  comment: CommentInfo;
  request: RequestRow | null;
  ticket: TicketRow | null;
}

const RANK: Record<Permission | 'none', number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

/** True when `actual` is at least `required`. */
export function hasPermission(actual: Permission | 'none', required: Permission): boolean {
  return RANK[actual] >= RANK[required];
}

/** Runs the commands of one comment, in order. */
export async function handleCommands(
  deps: WorkflowDeps,
  target: CommandTarget,
  commands: readonly ParsedCommand[],
): Promise<void> {
  const forge = deps.forgeFor(forgeKind(target.repo));
  const ref = repoRefOf(target.repo);
  let permission: Permission | 'none' | undefined;
  for (const command of commands) {
    const answer = (text: string): Promise<unknown> =>
      forge.ensureComment(
        ref,
        target.threadNumber,
        `cmd-${target.comment.id}-${command.name}`,
        text,
      );
    if (command.name !== 'status') {
      permission ??= await forge.getPermission(ref, target.comment.author);
      if (!hasPermission(permission, target.policy.approverPermission)) {
        await recordEvent(deps.db, {
          kind: 'command.refused',
          repositoryId: target.repo.id,
          data: { command: command.name, by: target.comment.author, permission },
        });
        await answer(
          `Sorry @${target.comment.author}, \`/${command.name}\` needs ${target.policy.approverPermission} ` +
            `permission on this repository (you have ${permission}).`,
        );
        continue;
      }
    }
    await recordEvent(deps.db, {
      kind: 'command.accepted',
      repositoryId: target.repo.id,
      requestId: target.request?.id ?? null,
      ticketId: target.ticket?.id ?? null,
      data: { command: command.name, args: command.args, by: target.comment.author },
    });
    await answer(await runCommand(deps, target, command));
  }
}

async function runCommand(
  deps: WorkflowDeps,
  t: CommandTarget,
  command: ParsedCommand,
): Promise<string> {
  const { repo, policy } = t;
  switch (command.name) {
    case 'approve': {
      if (!t.request) {
        return '`/approve` works on a request issue or its spec pull request.';
      }
      const ok = await approveRequest(deps, repo, policy, t.request, t.comment.author);
      return ok
        ? `Approved by @${t.comment.author}. The Architect is splitting the spec into tickets.`
        : `Nothing to approve: this request is \`${t.request.state}\`.`;
    }
    case 'reject': {
      if (!t.request || t.request.state !== 'spec_review') {
        return '`/reject` works on a request whose spec is under review.';
      }
      const why = command.args || 'no reason given';
      await transitionRequest(deps.db, t.request, 'drafting', {}, { rejectedBy: t.comment.author });
      await deps.enqueue.enqueue(
        'spec',
        { requestId: t.request.id, feedback: why },
        { dedupe: { id: `spec-${t.request.id}` }, priority: policy.priority },
      );
      return `Rejected: the PM will revise the spec (“${why}”).`;
    }
    case 'stop': {
      if (!t.ticket || t.ticket.state !== 'in_progress') {
        return '`/stop` works on a ticket a pair is working on.';
      }
      await recordEvent(deps.db, {
        kind: 'ticket.stop_requested',
        repositoryId: repo.id,
        ticketId: t.ticket.id,
        data: { by: t.comment.author },
      });
      return 'Stopping at the next safe point; the checkpoint is kept. `/retry` resumes.';
    }
    case 'retry': {
      if (t.ticket && (t.ticket.state === 'blocked' || t.ticket.state === 'todo')) {
        if (t.ticket.state === 'blocked') {
          await moveTicketOnForge(deps, repo, t.ticket, 'todo', { blockedReason: null });
        }
        await scheduleTickets(deps, repo, policy);
        return 'Retrying from the last checkpoint.';
      }
      if (t.request?.state === 'blocked' || t.request?.state === 'drafting') {
        await deps.enqueue.enqueue(
          'spec',
          { requestId: t.request.id },
          { dedupe: { id: `spec-${t.request.id}` }, priority: policy.priority },
        );
        return 'Retrying the spec.';
      }
      return 'Nothing to retry here.';
    }
    case 'pause':
      await updateRepository(deps.db, repo.id, { paused: true });
      return 'Paused: running jobs finish their step, nothing new starts. `/resume` continues.';
    case 'resume': {
      await updateRepository(deps.db, repo.id, { paused: false });
      await scheduleTickets(deps, { ...repo, paused: false }, policy);
      return 'Resumed.';
    }
    case 'status':
      return statusTable(await ticketsOfRepository(deps.db, repo.id), t.request);
    case 'escalate': {
      if (!t.ticket) {
        return '`/escalate` works on a ticket.';
      }
      const fresh = await getTicket(deps.db, t.ticket.id);
      const next: Record<string, number> = { ...fresh.escalation };
      const moved: string[] = [];
      for (const role of ['developer', 'tester'] as Role[]) {
        const chain = [policy.models[role].alias, ...policy.models[role].escalation];
        const at = next[role] ?? 0;
        if (at + 1 < chain.length) {
          next[role] = at + 1;
          moved.push(`${role} → ${chain[at + 1] ?? ''}`);
        }
      }
      await updateTicket(deps.db, fresh.id, { escalation: next });
      return moved.length > 0
        ? `Escalated: ${moved.join(', ')}. Takes effect from the next step.`
        : 'The escalation chains are exhausted; nothing to escalate to.';
    }
  }
}

/** The `/status` answer: a Markdown table of the repository's tickets (the request's first when given). */
export function statusTable(tickets: readonly TicketRow[], request: RequestRow | null): string {
  const rows = request ? tickets.filter((x) => x.requestId === request.id) : tickets;
  const head = request ? `Request #${request.issueNumber} is \`${request.state}\`.\n\n` : '';
  if (rows.length === 0) {
    return `${head}No tickets yet.`;
  }
  return [
    `${head}| ticket | title | state | PR | note |`,
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (x) =>
        `| #${x.issueNumber ?? '?'} | ${x.title.replace(/\|/g, '\\|')} | ${x.state} | ${x.prNumber ? `#${x.prNumber}` : ''} | ${x.blockedReason ?? ''} |`,
    ),
  ].join('\n');
}
