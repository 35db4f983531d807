/**
 * The per-repository "Tandem dashboard" issue (DESIGN.md: the board lives in the forge): tickets by
 * column with links, what waits and why (paused, a quota, its place in the to-do queue, a pair slot),
 * running jobs, blocked tickets with their reasons, and model usage totals.
 * Rendered from the database and written in place (one issue per repository, number stored on the row).
 */
import { escapeInline } from './markdown.js';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/create-database.js';
import { modelCalls, requests, runs, tickets } from '../db/schema.js';
import type { Forge } from '../forge/types.js';
import { getRepository, repoRefOf, updateRepository } from './repository-store.js';
import { TICKET_LABELS, TicketState } from './tickets/ticket-state.js';
import {
  currentQuotaPause,
  preemptedTickets,
  waitNotes,
  type WaitNotes,
} from './director/wait-reasons.js';

export const DASHBOARD_TITLE = 'Tandem dashboard';

const COLUMNS: readonly TicketState[] = [
  'backlog',
  'todo',
  'in_progress',
  'review',
  'blocked',
  'done',
];
const COLUMN_TITLES: Record<TicketState, string> = {
  backlog: 'Backlog',
  todo: 'To do',
  in_progress: 'In progress',
  review: 'Review',
  blocked: 'Blocked',
  done: 'Done',
};

/** Everything the dashboard shows, read from the database. */
export interface DashboardData {
  paused: boolean;
  tickets: {
    id: number;
    issueNumber: number | null;
    title: string;
    state: TicketState;
    prNumber: number | null;
    blockedReason: string | null;
  }[];
  requests: { issueNumber: number; title: string; state: string }[];
  running: { issueNumber: number | null; kind: string; phase: string; cycle: number }[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number; calls: number };
  /** Why work waits: the repository (paused, at a quota) and each waiting ticket. */
  waits: WaitNotes;
}

/** Reads the dashboard data of a repository; `now` decides whether a quota pause still holds. */
export async function readDashboard(
  db: Database,
  repositoryId: number,
  now: Date = new Date(),
): Promise<DashboardData> {
  const repo = await getRepository(db, repositoryId);
  const ticketRows = await db
    .select()
    .from(tickets)
    .where(eq(tickets.repositoryId, repositoryId))
    .orderBy(tickets.id);
  const requestRows = await db
    .select()
    .from(requests)
    .where(eq(requests.repositoryId, repositoryId))
    .orderBy(requests.id);
  const ids = ticketRows.map((t) => t.id);
  const runRows =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(runs)
          .where(and(inArray(runs.ticketId, ids), eq(runs.status, 'running')));
  const [usage] = await db
    .select({
      inputTokens: sql<number>`coalesce(sum(${modelCalls.inputTokens}), 0)::int`,
      outputTokens: sql<number>`coalesce(sum(${modelCalls.outputTokens}), 0)::int`,
      costUsd: sql<number>`coalesce(sum(${modelCalls.costUsd}), 0)::float8`,
      calls: sql<number>`count(*)::int`,
    })
    .from(modelCalls)
    .where(eq(modelCalls.repositoryId, repositoryId));
  const byId = new Map(ticketRows.map((t) => [t.id, t]));
  const busy = ticketRows.filter((t) => t.state === 'in_progress').map((t) => t.id);
  const preempted = await preemptedTickets(db, busy);
  // A paused run keeps its `running` row; the dashboard is written when the pause queues it again.
  const waits = waitNotes({
    tickets: ticketRows,
    paused: repo.paused,
    quota: await currentQuotaPause(db, repositoryId, now),
    running: new Set(runRows.map((r) => r.ticketId).filter((id) => !preempted.has(id))),
    preempted,
  });
  return {
    waits,
    paused: repo.paused,
    tickets: ticketRows.map((t) => ({
      id: t.id,
      issueNumber: t.issueNumber,
      title: t.title,
      state: TicketState.parse(t.state),
      prNumber: t.prNumber,
      blockedReason: t.blockedReason,
    })),
    requests: requestRows.map((r) => ({
      issueNumber: r.issueNumber,
      title: r.title,
      state: r.state,
    })),
    running: runRows.map((r) => ({
      issueNumber: byId.get(r.ticketId)?.issueNumber ?? null,
      kind: r.kind,
      phase: r.phase,
      cycle: r.cycle,
    })),
    usage: usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 },
  };
}

const ref = (n: number | null): string => (n === null ? '(local)' : `#${n}`);

/** Renders the dashboard issue body (Markdown; `#n` links work on GitHub and Gitea). */
export function renderDashboard(data: DashboardData): string {
  const lines = [
    'This issue is updated by Tandem; edits are overwritten.',
    '',
    data.paused ? '**Paused** (`/resume` to continue).' : 'Status: **active**.',
    '',
    ...(data.waits.repository && !data.paused ? [`**${data.waits.repository}**`, ''] : []),
    '## Requests',
    '',
    ...(data.requests.length === 0
      ? ['_none yet_']
      : data.requests.map((r) => `- #${r.issueNumber} ${escapeInline(r.title)}: \`${r.state}\``)),
    '',
    '## Tickets',
    '',
  ];
  for (const column of COLUMNS) {
    const inColumn = data.tickets.filter((t) => t.state === column);
    const label = TICKET_LABELS[column];
    lines.push(
      `### ${COLUMN_TITLES[column]} (${inColumn.length})${label ? ` \`${label}\`` : ''}`,
      '',
    );
    lines.push(
      ...(inColumn.length === 0
        ? ['_empty_']
        : inColumn.map(
            (t) =>
              `- ${ref(t.issueNumber)} ${escapeInline(t.title)}${t.prNumber ? ` (PR #${t.prNumber})` : ''}`,
          )),
      '',
    );
  }
  const waiting = data.tickets.flatMap((t) => {
    const note = data.waits.tickets.get(t.id);
    return note ? [`- ${ref(t.issueNumber)} ${escapeInline(t.title)}: ${escapeInline(note)}`] : [];
  });
  lines.push('## Waiting', '', ...(waiting.length === 0 ? ['_nothing waits_'] : waiting), '');
  lines.push('## Running jobs', '');
  lines.push(
    ...(data.running.length === 0
      ? ['_none_']
      : data.running.map(
          (r) => `- ${ref(r.issueNumber)}: ${r.kind}, phase \`${r.phase}\`, cycle ${r.cycle}`,
        )),
    '',
    '## Blocked',
    '',
  );
  const blocked = data.tickets.filter((t) => t.state === 'blocked');
  lines.push(
    ...(blocked.length === 0
      ? ['_nothing blocked_']
      : blocked.map(
          (t) =>
            `- ${ref(t.issueNumber)} ${escapeInline(t.title)}: ${escapeInline(t.blockedReason ?? 'no reason recorded')}`,
        )),
    '',
    '## Model usage',
    '',
    `${data.usage.calls} calls, ${data.usage.inputTokens} tokens in, ${data.usage.outputTokens} tokens out, $${data.usage.costUsd.toFixed(4)}.`,
    '',
  );
  return lines.join('\n');
}

/**
 * Creates or updates the dashboard issue of a repository from the database. Returns its number.
 * Forge failures propagate.
 */
export async function updateDashboard(
  db: Database,
  forge: Forge,
  repositoryId: number,
): Promise<number> {
  const repo = await getRepository(db, repositoryId);
  const body = renderDashboard(await readDashboard(db, repositoryId));
  const refOf = repoRefOf(repo);
  if (repo.dashboardIssueNumber === null) {
    const issue = await forge.createIssue(refOf, { title: DASHBOARD_TITLE, body });
    await updateRepository(db, repositoryId, { dashboardIssueNumber: issue.number });
    return issue.number;
  }
  await forge.updateIssue(refOf, repo.dashboardIssueNumber, { body });
  return repo.dashboardIssueNumber;
}
