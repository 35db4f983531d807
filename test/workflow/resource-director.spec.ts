/**
 * The Resource Director in the workflow, on real PGlite, BullMQ/Redis and git (forge in memory, pair
 * stand-in): a repository at its daily token quota pauses with one comment and resumes when the next day
 * starts (injected clock, the reconciler); a request's budget counts its PM calls, so the Architect is
 * refused once the request used it up; a running pair pauses at a safe point when higher-priority work
 * waits for a pair slot, and resumes from its checkpoint after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { modelCalls } from '../../src/db/schema.js';
import { getRepository } from '../../src/workflow/repository-store.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { getTicket, ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import { createGitPairRunner } from './git-pair-runner.js';
import { comment, POLICY, startAtSpecReview, until, type Harness } from './harness.js';

const DAY_MS = 24 * 3600 * 1000;

/** Records `tokens` of model use for repository 1 now (as the model layer records a call). */
async function used(x: Harness, tokens: number, requestId?: number): Promise<void> {
  const request = await getRequest(x.database.db, 1);
  await x.database.db.insert(modelCalls).values({
    alias: 'script',
    provider: 'scripted',
    model: 'demo',
    role: 'pm',
    repositoryId: request.repositoryId,
    ...(requestId === undefined ? {} : { requestId }),
    inputTokens: tokens,
    outputTokens: 0,
    outcome: 'ok',
  });
}

describe('Resource Director (workflow)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('pauses a repository at its daily token quota with one comment, and resumes the next day', async () => {
    const clock = { now: new Date() };
    const x = await startAtSpecReview({
      files: { '.github/tandem.yml': `${POLICY}quotas:\n  tokensPerDay: 50000\n` },
      now: () => clock.now,
    });
    h = x;
    await used(x, 50_000);
    await x.send(comment(1, 'maria', '/approve'));
    const notices = () =>
      x.forge.comments.filter((c) => c.body.includes('Paused: daily token quota reached'));
    await until('quota comment', () => notices().length === 1);
    const repo = await getRepository(
      x.database.db,
      (await getRequest(x.database.db, 1)).repositoryId,
    );
    expect(notices()[0]!.number).toBe(repo.dashboardIssueNumber);
    expect(notices()[0]!.body).toContain('`quotas.tokensPerDay`');
    const dashboard = x.forge.issues.get(repo.dashboardIssueNumber!)!;
    expect(dashboard.body).toContain('Paused at `quotas.tokensPerDay` until');
    await x.send(comment(1, 'reader', '/status'));
    const status = await until('status answer', () =>
      x.forge.comments.find((c) => c.number === 1 && c.body.includes('Request #1 is')),
    );
    expect(status.body).toContain('Paused at `quotas.tokensPerDay` until');
    // The Architect did not run: the request waits, approved, with no tickets.
    expect((await getRequest(x.database.db, 1)).state).toBe('approved');
    expect(await ticketsOfRequest(x.database.db, 1)).toEqual([]);

    // Later the same day the reconciler adds nothing and says nothing more.
    clock.now = new Date(clock.now.getTime() + 60_000);
    expect((await x.running.reconcileNow()).requestJobsAdded).toEqual([]);
    expect(notices()).toHaveLength(1);

    // The next day: the reconciler adds the plan job, and the tickets run.
    clock.now = new Date(clock.now.getTime() + DAY_MS);
    expect((await x.running.reconcileNow()).requestJobsAdded).toEqual([1]);
    await until('first ticket in review', async () => {
      const [first] = await ticketsOfRequest(x.database.db, 1);
      return first?.state === 'review';
    });
    expect(notices()).toHaveLength(1);
  });

  it("counts the PM's calls in the request's budget, so the Architect is refused once it is used up", async () => {
    const x = await startAtSpecReview({
      files: { '.github/tandem.yml': `${POLICY}budgets:\n  requestTokens: 20000\n` },
    });
    h = x;
    // The PM's drafting (recorded against the request) plus this brings the request to its budget.
    await used(x, 20_000, 1);
    await x.send(comment(1, 'maria', '/approve'));
    const blocked = await until('request blocked', async () => {
      const r = await getRequest(x.database.db, 1);
      return r.state === 'blocked' ? r : undefined;
    });
    expect(blocked.blockedReason).toMatch(/budget_exceeded: model tokens budget exceeded/);
    expect(await ticketsOfRequest(x.database.db, 1)).toEqual([]);
  });

  it('pauses a running pair at a safe point when higher-priority work waits, and resumes it after', async () => {
    // Run 1 (T1) holds until paused; run 2 (T2, outranking it) holds until released; run 3 (T1
    // resumed) finishes.
    const pairs = createGitPairRunner({ behaviour: (_input, n) => (n <= 2 ? 'hold' : 'done') });
    const script = `- match: { role: pm, step: decide }
  json:
    action: spec
    spec: { title: Two, slug: two, summary: Two tickets., userStories: [a], acceptanceCriteria: [b] }
- match: { role: architect, step: plan }
  json:
    tickets:
      - { key: T1, title: One, description: One, acceptanceCriteria: [one], dependsOn: [], likelyFiles: [] }
      - { key: T2, title: Two, description: Two, acceptanceCriteria: [two], dependsOn: [], likelyFiles: [] }
`;
    const x = await startAtSpecReview({
      files: { '.github/tandem.yml': `${POLICY}priority: 8\n` },
      script,
      pairs,
      maxPairJobs: 1,
      pause: { pollMs: 100, preemptAfterMs: 0 },
    });
    h = x;
    await x.send(comment(1, 'maria', '/approve'));
    await until('T1 holding', () => pairs.holding() === 1);
    const [t1, t2] = await ticketsOfRequest(x.database.db, 1);
    const statusOf = async (n: number): Promise<string> => {
      const before = x.forge.comments.length;
      await x.send(comment(1, 'reader', '/status'));
      const answer = await until(`status answer ${n}`, () =>
        x.forge.comments.slice(before).find((c) => c.body.includes('| ticket |')),
      );
      return answer.body;
    };
    expect(await statusOf(1)).toContain(
      `| #${t2!.issueNumber} | Two | in_progress |  | pair queue 1 of 1: waits for a pair slot |`,
    );
    // T2's job waits for the one pair slot; raise it above T1's priority, as a higher-priority
    // repository's job would be.
    const waiting = await x.running.enqueuer.waitingJobs('ticket');
    expect(waiting.map((j) => j.priority)).toEqual([8]);
    const job = await x.running.enqueuer.queue('tandem-pairs').getJob(waiting[0]!.id);
    await job!.changePriority({ priority: 2 });

    await until('T1 paused', () =>
      x.forge.comments.find(
        (c) => c.number === t1!.issueNumber && c.body.includes('Paused at a safe point'),
      ),
    );
    expect(
      x.forge.comments.filter((c) => c.body.includes('higher-priority work (priority 2)')),
    ).toHaveLength(1);
    await until('T2 holding', () => pairs.runs.length === 2 && pairs.holding() === 1);
    expect(pairs.runs[1]!.ticketId).toBe(t2!.id);
    // T1 is queued again behind T2, and /status says where and why.
    expect(await statusOf(2)).toContain(
      `| #${t1!.issueNumber} | One | in_progress |  | pair queue 1 of 1: waits for a pair slot, paused for higher-priority work |`,
    );
    const repo = await getRepository(x.database.db, t1!.repositoryId!);
    expect(x.forge.issues.get(repo.dashboardIssueNumber!)!.body).toContain(
      `#${t1!.issueNumber} One: waits for a pair slot, paused for higher-priority work`,
    );
    pairs.release();
    await until('both in review', async () => {
      const a = await getTicket(x.database.db, t1!.id);
      const b = await getTicket(x.database.db, t2!.id);
      return a.state === 'review' && b.state === 'review';
    });
    // T2 ran before T1 resumed; T1's resumed run used the same engine run key (its checkpoint).
    expect(pairs.runs.map((r) => r.ticketId)).toEqual([t1!.id, t2!.id, t1!.id]);
    expect(pairs.runs[2]!.runKey).toBe(pairs.runs[0]!.runKey);
  });
});
