/**
 * Free-text approval on a spec PR and the per-repository cap on active tickets, on real PGlite,
 * BullMQ/Redis and git (forge in memory, scripted model, stand-in pair runner):
 * - by default a writer's "looks good" is classified as approval but acted upon only through
 *   `/approve`: the PM asks for the command and nothing is planned;
 * - with `inferApproval: true`, the same words from a reader change nothing, from a writer they start
 *   the Architect;
 * - with `maxActiveTickets: 1`, two independent tickets run one after the other.
 */
import { eq } from 'drizzle-orm';
import { events } from '../../src/db/schema.js';
import { afterEach, describe, expect, it } from 'vitest';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import { createGitPairRunner } from './git-pair-runner.js';
import {
  comment,
  PM_SCRIPT,
  POLICY,
  SCRIPT,
  settle,
  startAtSpecReview,
  until,
  type Harness,
  type HarnessOptions,
} from './harness.js';

/** The PM classifies every free-text comment on the spec as approval. */
const APPROVING = `${SCRIPT}
- match: { role: pm, step: reply }
  times: always
  json: { reply: 'Thanks for the review.', approval: approve }
`;

/** The Architect plans two independent tickets. */
const INDEPENDENT = `${PM_SCRIPT}- match: { role: architect, step: plan }
  json:
    tickets:
      - { key: T1, title: CSV writer, description: Write rows as CSV, acceptanceCriteria: [header line first], dependsOn: [], likelyFiles: [src/csv.js] }
      - { key: T2, title: TSV writer, description: Write rows as TSV, acceptanceCriteria: [tabs between fields], dependsOn: [], likelyFiles: [src/tsv.js] }
`;

describe('free-text approval and the active-ticket cap', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function toSpecReview(options: HarnessOptions): Promise<Harness & { specPr: number }> {
    const x = await startAtSpecReview(options);
    h = x;
    return x;
  }

  const pmReplies = (x: Harness) =>
    x.forge.comments.filter((c) => c.body.includes('tandem:pm-reply-'));

  it('asks a writer for /approve instead of acting on words, by default', async () => {
    const x = await toSpecReview({ files: { '.github/tandem.yml': POLICY }, script: APPROVING });
    await x.send(comment(x.specPr, 'maria', 'Looks good to me, ship it.', true));
    const reply = await until('PM reply', () => pmReplies(x)[0]);
    expect(reply.body).toContain('Thanks for the review.');
    expect(reply.body).toContain('please comment `/approve`');
    await settle(2_000);
    expect((await getRequest(x.database.db, 1)).state).toBe('spec_review');
    expect(await ticketsOfRequest(x.database.db, 1)).toEqual([]);
  }, 60_000);

  it('with inferApproval, takes a writer’s words as approval; a reader is not heard', async () => {
    const x = await toSpecReview({
      files: { '.github/tandem.yml': `${POLICY}inferApproval: true\n` },
      script: APPROVING,
    });
    // A reader is not heard by the PM at all (chatPermission: write), so their words approve nothing.
    await x.send(comment(x.specPr, 'reader', 'LGTM', true));
    await until('reader ignored', async () => {
      const rows = await x.database.db
        .select()
        .from(events)
        .where(eq(events.kind, 'comment.ignored'));
      return rows.length === 1;
    });
    await settle(2_000);
    expect(pmReplies(x)).toEqual([]);
    expect((await getRequest(x.database.db, 1)).state).toBe('spec_review');

    await x.send(comment(x.specPr, 'maria', 'LGTM, go ahead.', true));
    const second = await until('PM reply to the writer', () => pmReplies(x)[0]);
    expect(second.body).toContain('Taking that as approval');
    const tickets = await until('tickets', async () => {
      const all = await ticketsOfRequest(x.database.db, 1);
      return all.length === 2 ? all : undefined;
    });
    expect(tickets.map((t) => t.title)).toEqual(['CSV writer', 'Export command']);
    await until(
      'request in progress',
      async () => (await getRequest(x.database.db, 1)).state === 'in_progress',
    );
  }, 60_000);

  it('runs independent tickets one at a time under maxActiveTickets: 1', async () => {
    const pairs = createGitPairRunner({ behaviour: () => 'hold' });
    const x = await toSpecReview({
      files: { '.github/tandem.yml': `${POLICY}maxActiveTickets: 1\n` },
      script: INDEPENDENT,
      pairs,
    });
    await x.send(comment(x.specPr, 'maria', '/approve', true));
    const db = x.database.db;
    const states = async () => (await ticketsOfRequest(db, 1)).map((t) => t.state);
    await until('one ticket running', () => pairs.holding() === 1);
    await settle(2_000);
    expect(pairs.holding()).toBe(1);
    expect(await states()).toEqual(['in_progress', 'todo']);

    pairs.release();
    await until('T1 in review, T2 running', async () => {
      const s = await states();
      return s[0] === 'review' && s[1] === 'in_progress' && pairs.holding() === 1;
    });
    expect(pairs.runs.map((r) => r.ticketId)).toEqual(
      (await ticketsOfRequest(db, 1)).map((t) => t.id),
    );
    pairs.release();
    await until('both in review', async () => (await states()).every((s) => s === 'review'));
  }, 60_000);
});
