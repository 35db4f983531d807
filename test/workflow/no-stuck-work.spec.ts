/**
 * No stuck work, on real PGlite, BullMQ/Redis and git (forge in memory, pair stand-in): an event that
 * fails is retried and finishes its work; a review whose job was never added after the ticket moved is
 * repaired by the retried event; a ticket moved to `in_progress` whose job was lost is repaired by the
 * reconciler; a pair job that fails with an error no retry can fix blocks its ticket at once; a plan job
 * that fails for good blocks the request (one comment) and `/retry` plans again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ForgeEvent } from '../../src/forge/forge-event.js';
import { ConfigError } from '../../src/errors/config-error.js';
import type { WorkJobName } from '../../src/workflow/work-jobs.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import {
  getTicket,
  ticketsOfRequest,
  type TicketRow,
} from '../../src/workflow/tickets/ticket-store.js';
import type { PairRunner } from '../../src/workflow/tickets/pair-runner.js';
import {
  base,
  comment,
  issueInfo,
  labeled,
  POLICY,
  prInfo,
  startAtSpecReview,
  startHarness,
  until,
  type Harness,
  type HarnessOptions,
} from './harness.js';

const FILES = { '.github/tandem.yml': POLICY };

describe('no stuck work', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function atSpecReview(options: Partial<HarnessOptions> = {}) {
    const x = await startAtSpecReview({ files: FILES, ...options });
    h = x;
    return x;
  }
  const ticketsOf = (x: Harness): Promise<TicketRow[]> => ticketsOfRequest(x.database.db, 1);

  /** Makes the next enqueue of `name` fail once, as a worker dying right before it would. */
  function loseNextEnqueue(x: Harness, name: WorkJobName): { lost: () => boolean } {
    const enqueuer = x.running.enqueuer;
    const original = enqueuer.enqueue.bind(enqueuer);
    let lost = false;
    enqueuer.enqueue = (job, data, options) => {
      if (job === name && !lost) {
        lost = true;
        return Promise.reject(new Error(`worker died before adding the ${name} job`));
      }
      return original(job, data, options);
    };
    return { lost: () => lost };
  }

  it('retries an event that failed, and its work gets done', async () => {
    const x = await startHarness({ files: FILES });
    h = x;
    const getFile = x.forge.getFile.bind(x.forge);
    let failures = 0;
    x.forge.getFile = (...args) => {
      if (failures === 0) {
        failures++;
        return Promise.reject(new Error('forge unreachable'));
      }
      return getFile(...args);
    };
    x.forge.issues.set(1, issueInfo(1, ['tandem']));
    await x.send(labeled(1));
    await until(
      'spec review after a retried event',
      async () => (await getRequest(x.database.db, 1).catch(() => null))?.state === 'spec_review',
    );
    expect(failures).toBe(1);
  });

  it('finishes a review whose revise job was lost after the ticket moved, when the event is retried', async () => {
    const x = await atSpecReview();
    await x.send(comment(1, 'maria', '/approve'));
    const [first] = await until('first ticket in review', async () => {
      const t = await ticketsOf(x);
      return t[0]?.state === 'review' && t[0].prNumber !== null ? t : undefined;
    });
    const lost = loseNextEnqueue(x, 'revise');
    const review: ForgeEvent = {
      ...base(),
      type: 'review.submitted',
      sender: { login: 'maria', bot: false },
      pullRequest: prInfo(first!.prNumber!, first!.branch!, false),
      review: {
        id: 91,
        state: 'changes_requested',
        body: 'Name the header constant.',
        author: 'maria',
      },
    };
    await x.send(review);
    await until('revised', () =>
      x.forge.comments.find(
        (c) => c.number === first!.prNumber && c.body.includes('Revised for the review'),
      ),
    );
    expect(lost.lost()).toBe(true);
    expect((await getTicket(x.database.db, first!.id)).state).toBe('review');
  });

  it('repairs a ticket moved to in_progress whose job was never added (reconciler)', async () => {
    const x = await atSpecReview();
    const lost = loseNextEnqueue(x, 'ticket');
    await x.send(comment(1, 'maria', '/approve'));
    // The plan job fails at the lost add and is retried; the ticket is in_progress with no job.
    const [first] = await until('ticket in progress', async () => {
      const t = await ticketsOf(x);
      return t[0]?.state === 'in_progress' && lost.lost() ? t : undefined;
    });
    await until(
      'plan finished',
      async () => (await getRequest(x.database.db, 1)).state === 'in_progress',
    );
    const report = await x.running.reconcileNow();
    expect(report.ticketJobsAdded).toEqual([first!.id]);
    await until(
      'ticket in review',
      async () => (await getTicket(x.database.db, first!.id)).state === 'review',
    );
    // A second pass finds nothing to repair.
    expect((await x.running.reconcileNow()).ticketJobsAdded).toEqual([]);
  });

  it('blocks a ticket at once when its job fails with an error no retry can fix, and /retry resumes it', async () => {
    let calls = 0;
    const x = await atSpecReview({
      wrapPairs: (runner: PairRunner): PairRunner => ({
        run(input) {
          calls++;
          return calls === 1
            ? Promise.reject(new ConfigError('the sandbox image is not allowed', []))
            : runner.run(input);
        },
      }),
    });
    await x.send(comment(1, 'maria', '/approve'));
    const [first] = await until('ticket blocked', async () => {
      const t = await ticketsOf(x);
      return t[0]?.state === 'blocked' ? t : undefined;
    });
    expect(first!.blockedReason).toContain('config_invalid');
    expect(calls).toBe(1);
    // The note follows the state change in the same failure handler: wait for it, then count.
    const failed = (): typeof x.forge.comments =>
      x.forge.comments.filter((c) => c.body.includes('failed and was not retried further'));
    await until('the blocked note', () => (failed().length > 0 ? true : undefined));
    expect(failed()).toHaveLength(1);
    await x.send(comment(first!.issueNumber!, 'maria', '/retry'));
    await until(
      'ticket in review after /retry',
      async () => (await getTicket(x.database.db, first!.id)).state === 'review',
    );
  });

  it('blocks a request whose plan job fails for good, says so once, and /retry plans again', async () => {
    const x = await atSpecReview();
    const createIssue = x.forge.createIssue.bind(x.forge);
    let refusals = 0;
    x.forge.createIssue = () => {
      refusals++;
      return Promise.reject(new Error('issue creation refused'));
    };
    await x.send(comment(1, 'maria', '/approve'));
    const blocked = await until('request blocked', async () => {
      const r = await getRequest(x.database.db, 1);
      return r.state === 'blocked' ? r : undefined;
    });
    // Every attempt of the plan job ran, then the request was blocked, not left in `planning`.
    expect(refusals).toBe(3);
    expect(blocked.blockedReason).toBe('plan job failed: issue creation refused');
    const notes = () =>
      x.forge.comments.filter((c) =>
        c.body.includes('The Architect (planning the tickets) failed'),
      );
    await until('failure comment', () => notes().length === 1);
    x.forge.createIssue = createIssue;
    await x.send(comment(1, 'maria', '/retry'));
    await until(
      'planned after /retry',
      async () => (await getRequest(x.database.db, 1)).state === 'in_progress',
    );
    expect((await ticketsOf(x)).map((t) => t.title)).toEqual(['CSV writer', 'Export command']);
    expect(notes()).toHaveLength(1);
    expect((await getRequest(x.database.db, 1)).blockedReason).toBeNull();
  });
});
