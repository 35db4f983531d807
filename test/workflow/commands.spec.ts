/**
 * Command paths and recovery of the workflow on real PGlite, BullMQ/Redis and git (forge in memory,
 * pair engine stand-in): `/status`, `/escalate`, `/stop` + `/retry` with the same run key, revise after
 * "changes requested" on the same branch, a blocked ticket (label, comment, dashboard reason) and
 * `/retry`, `/pause` + `/resume`, refusals through the cached permission check, a burst of comments
 * answered once, and a plan job that dies after creating a ticket issue.
 */
import type { ScriptedProvider } from '../../src/llm/providers/scripted-provider.js';
import { execa } from 'execa';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { modelCalls } from '../../src/db/schema.js';
import type { ForgeEvent } from '../../src/forge/forge-event.js';
import { getRepository } from '../../src/workflow/repository-store.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import {
  getTicket,
  ticketsOfRequest,
  type TicketRow,
} from '../../src/workflow/tickets/ticket-store.js';
import { createGitPairRunner, type PairBehaviour } from './git-pair-runner.js';
import {
  base,
  comment,
  POLICY,
  prInfo,
  SCRIPT,
  settle,
  startAtSpecReview,
  until,
  type Harness,
  type HarnessOptions,
} from './harness.js';

const ESCALATING = `${POLICY}  developer: { alias: script, escalation: [big] }\n  tester: { alias: script, escalation: [big] }\n`;

describe('workflow commands and recovery', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** Starts the harness at request #1's spec PR under review (kept in `h` for the clean-up). */
  async function toSpecReview(options: HarnessOptions): Promise<Harness & { specPr: number }> {
    const x = await startAtSpecReview(options);
    h = x;
    return x;
  }

  const ticketsOf = (x: Harness): Promise<TicketRow[]> => ticketsOfRequest(x.database.db, 1);
  const answer = (x: Harness, thread: number, command: string) =>
    until(`answer to /${command}`, () =>
      x.forge.comments.find(
        (c) => c.number === thread && new RegExp(`tandem:cmd-\\d+-${command} `).test(c.body),
      ),
    );
  const review = (pr: number, head: string, id: number, body: string): ForgeEvent => ({
    ...base(),
    type: 'review.submitted',
    sender: { login: 'maria', bot: false },
    pullRequest: prInfo(pr, head, false),
    review: { id, state: 'changes_requested', body, author: 'maria' },
  });

  it('/status, /escalate, /stop then /retry on the same run key, and revise after changes requested', async () => {
    const pairs = createGitPairRunner({ behaviour: (_i, n) => (n === 1 ? 'hold' : 'done') });
    const x = await toSpecReview({
      files: { '.github/tandem.yml': ESCALATING },
      pairs,
    });
    await x.send(comment(1, 'maria', '/approve'));
    const [t1] = await until('T1 running', async () => {
      const t = await ticketsOf(x);
      return t[0]?.state === 'in_progress' && pairs.holding() === 1 ? t : undefined;
    });
    const ticketIssue = t1!.issueNumber!;

    // /status is open to readers and answers with a table.
    await x.send(comment(1, 'reader', '/status'));
    const status = await answer(x, 1, 'status');
    expect(status.body).toContain('Request #1 is `in_progress`.');
    expect(status.body).toContain(`| #${ticketIssue} | CSV writer | in_progress |  |  |`);
    expect(status.body).toMatch(/\| #\d+ \| Export command \| backlog \|/);

    // /escalate moves both roles one step up their chains; a second one says they are exhausted.
    await x.send(comment(ticketIssue, 'maria', '/escalate'));
    expect((await answer(x, ticketIssue, 'escalate')).body).toContain(
      'Escalated: developer → big, tester → big.',
    );
    expect((await getTicket(x.database.db, t1!.id)).escalation).toEqual({
      developer: 1,
      tester: 1,
    });

    // /stop aborts the running job at its safe point: ticket back to todo, nothing pushed.
    await x.send(comment(ticketIssue, 'maria', '/stop'));
    await until(
      'stopped',
      async () => (await getTicket(x.database.db, t1!.id)).state === 'todo',
      15_000,
    );
    await until('stop comment', () =>
      x.forge.comments.find(
        (c) => c.number === ticketIssue && c.body.includes('Stopped at a safe point'),
      ),
    );
    expect(x.forge.issues.get(ticketIssue)?.labels).toContain('tandem:todo');
    expect(x.forge.issues.get(ticketIssue)?.labels).not.toContain('tandem:in-progress');
    await settle(500);
    expect(pairs.runs).toHaveLength(1);

    // /retry resumes: same run key (the engine's checkpoint), the escalated positions.
    await x.send(comment(ticketIssue, 'maria', '/retry'));
    const inReview = await until('T1 in review', async () => {
      const t = await getTicket(x.database.db, t1!.id);
      return t.state === 'review' ? t : undefined;
    });
    expect(pairs.runs).toHaveLength(2);
    expect(pairs.runs[1]!.runKey).toBe(pairs.runs[0]!.runKey);
    expect(pairs.runs[1]!.escalation).toEqual({ developer: 1, tester: 1 });
    const pr = x.forge.pulls.get(inReview.prNumber!)!;
    const firstHead = pr.headSha;

    // Changes requested → revise job on the same branch, new commits, PR updated (not a new one).
    x.forge.reviewComments.set(pr.number, [
      {
        id: 9,
        body: 'Quote fields that contain newlines.',
        author: 'maria',
        path: 'src/csv.js',
        line: 3,
        reviewId: 77,
      },
      { id: 10, body: 'from an older review', author: 'maria', path: 'x', line: 1, reviewId: 5 },
    ]);
    await x.send(review(pr.number, pr.headRef, 77, 'Please handle newlines.'));
    await until('revised comment', () =>
      x.forge.comments.find(
        (c) => c.number === pr.number && c.body.includes('Revised for the review'),
      ),
    );
    await until(
      'back in review',
      async () => (await getTicket(x.database.db, t1!.id)).state === 'review',
    );
    const revise = pairs.runs[2]!;
    expect(revise.runKey).toBe(`t${t1!.id}-rev1`);
    expect(revise.branch).toBe(pairs.runs[0]!.branch);
    expect(revise.ticket.acceptanceCriteria).toEqual([
      'header line first',
      'Review feedback is addressed: Please handle newlines.',
      'Review feedback is addressed: src/csv.js:3: Quote fields that contain newlines.',
    ]);
    const log = (
      await execa('git', ['--git-dir', x.bare, 'log', '--format=%s', `main..${pr.headRef}`])
    ).stdout.split('\n');
    expect(log).toHaveLength(4);
    expect(log[3]).toBe(`test(#${ticketIssue}): failing test`);
    const newHead = (await execa('git', ['--git-dir', x.bare, 'rev-parse', pr.headRef])).stdout;
    expect(newHead).not.toBe(firstHead);
    expect(x.forge.calls.filter((c) => c === `createPull ${pr.headRef}`)).toHaveLength(1);
    expect(x.forge.statuses).toContainEqual({
      sha: newHead,
      state: 'success',
      context: 'tandem/tdd',
    });
  }, 110_000);

  it('blocks a ticket with its reason on the label, comment and dashboard; /retry resumes it', async () => {
    const behaviour = (_i: unknown, n: number): PairBehaviour => (n === 1 ? 'blocked' : 'done');
    const pairs = createGitPairRunner({ behaviour });
    const x = await toSpecReview({ files: { '.github/tandem.yml': POLICY }, pairs });
    await x.send(comment(x.specPr, 'maria', '/approve', true));
    const t1 = await until('T1 blocked', async () => {
      const [t] = await ticketsOf(x);
      return t?.state === 'blocked' ? t : undefined;
    });
    expect(t1.blockedReason).toBe('escalation_exhausted: the suite stayed red after 3 attempts');
    const issue = x.forge.issues.get(t1.issueNumber!)!;
    const diagnosis = await until('blocked comment', () =>
      x.forge.comments.find((c) => c.number === issue.number && c.body.includes('**blocked**')),
    );
    expect(issue.labels).toContain('tandem:blocked');
    expect(diagnosis.body).toContain('AssertionError: expected 1 to be 2');
    const dashboard = await until('dashboard with the reason', () =>
      [...x.forge.issues.values()].find(
        (i) => i.title === 'Tandem dashboard' && i.body.includes('CSV writer: escalation'),
      ),
    );
    // The reason comes from the run: rendered escaped, so `_` cannot start emphasis.
    expect(dashboard.body).toContain(
      `#${issue.number} CSV writer: escalation\\_exhausted: the suite stayed red after 3 attempts`,
    );

    await x.send(comment(issue.number, 'maria', '/retry'));
    const done = await until('T1 in review', async () => {
      const t = await getTicket(x.database.db, t1.id);
      return t.state === 'review' ? t : undefined;
    });
    expect(done.blockedReason).toBeNull();
    expect(x.forge.issues.get(issue.number)?.labels).not.toContain('tandem:blocked');
    expect(pairs.runs.map((r) => r.runKey)).toEqual([`t${t1.id}`, `t${t1.id}`]);
  }, 90_000);

  it('/pause holds all new work, refuses readers (one cached lookup), /resume starts it', async () => {
    const x = await toSpecReview({ files: { '.github/tandem.yml': POLICY } });
    await x.send(comment(1, 'reader', '/pause'));
    await until('refusal', () =>
      x.forge.comments.find((c) => c.number === 1 && c.body.includes('tandem:refusal-')),
    );
    await x.send(comment(1, 'reader', '/resume'));
    await until(
      'second refusal',
      () =>
        x.forge.comments.filter((c) => c.number === 1 && c.body.includes('tandem:refusal-'))
          .length === 2,
    );
    expect(x.forge.calls.filter((c) => c === 'getPermission reader')).toHaveLength(1);
    expect((await getRepository(x.database.db, 1)).paused).toBe(false);

    await x.send(comment(1, 'maria', '/pause'));
    await answer(x, 1, 'pause');
    expect((await getRepository(x.database.db, 1)).paused).toBe(true);
    await x.send(comment(1, 'maria', '/approve'));
    await answer(x, 1, 'approve');
    await settle(2_500);
    expect((await getRequest(x.database.db, 1)).state).toBe('approved');
    expect(await ticketsOf(x)).toHaveLength(0);
    expect(x.pairs.runs).toHaveLength(0);

    await x.send(comment(1, 'maria', '/resume'));
    await until('T1 in review after resume', async () => {
      const t = await ticketsOf(x);
      return t[0]?.state === 'review';
    });
    expect((await getRepository(x.database.db, 1)).paused).toBe(false);
    expect((await getRequest(x.database.db, 1)).state).toBe('in_progress');
  }, 90_000);

  it('answers a burst of comments on the spec PR with one PM run, on the newest comment', async () => {
    const script = `${SCRIPT}
- match: { role: pm, step: reply }
  times: always
  json: { reply: 'Noted; the spec already covers it.', approval: none }
`;
    const x = await toSpecReview({
      files: { '.github/tandem.yml': POLICY, 'src/csv.js': 'export function writeRows(rows) {}\n' },
      script,
    });
    const burst = [1, 2, 3].map((i) => comment(x.specPr, 'alice', `thought number ${i}`, true));
    for (const c of burst) {
      await x.send(c);
    }
    const last = burst[2]!.type === 'comment.created' ? burst[2].comment.id : 0;
    await until(
      'PM reply',
      () => x.forge.comments.find((c) => c.body.includes('tandem:pm-reply-')),
      20_000,
    );
    await settle(6_000);
    const replies = x.forge.comments.filter((c) => c.body.includes('tandem:pm-reply-'));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain(`tandem:pm-reply-${last} `);
    expect(replies[0]!.number).toBe(x.specPr);
    const [pmReplies] = await x.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(modelCalls)
      .where(eq(modelCalls.role, 'pm'));
    // One call to draft the spec, one to answer the burst.
    expect(pmReplies?.n).toBe(2);
    // The PM answers with the code in view, as when it drafts.
    const provider = (await x.models.provider('script')) as ScriptedProvider;
    const reply = provider.received.find((r) => r.step === 'reply');
    expect(reply?.messages.map((m) => m.content).join('\n')).toMatch(
      /Repository map:[\s\S]*writeRows/,
    );
  }, 60_000);

  it('never duplicates a ticket issue when the plan job dies after creating one', async () => {
    const x = await toSpecReview({ files: { '.github/tandem.yml': POLICY } });
    x.forge.failAfter('createIssue');
    await x.send(comment(1, 'maria', '/approve'));
    const tickets = await until(
      'two tickets after the retry',
      async () => {
        const t = await ticketsOf(x);
        return t.length === 2 && t[0]!.state === 'review' ? t : undefined;
      },
      40_000,
    );
    const ticketIssues = [...x.forge.issues.values()].filter((i) =>
      i.labels.includes('tandem:ticket'),
    );
    expect(ticketIssues.map((i) => i.title).sort()).toEqual(['CSV writer', 'Export command']);
    expect(x.forge.calls.filter((c) => c === 'createIssue CSV writer')).toHaveLength(1);
    expect(x.forge.calls).toContain(`findIssueByMarker ticket-1-T1`);
    expect(tickets.map((t) => t.issueNumber).sort()).toEqual(
      ticketIssues.map((i) => i.number).sort(),
    );
    expect(tickets[1]!.dependsOn).toEqual([tickets[0]!.id]);
    const [architect] = await x.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(modelCalls)
      .where(eq(modelCalls.role, 'architect'));
    expect(architect?.n).toBe(1);
  }, 90_000);
});
