/**
 * Project memory across tickets, end to end on real PGlite, BullMQ/Redis and git (forge in memory, pair
 * engine stand-in, scripted models whose every request is recorded). What a ticket leaves reaches the next
 * prompts:
 * - T1's first run is blocked; its `/retry` gets the diagnosis (why, what was tried) in its ticket,
 *   which the engine renders into every phase prompt, and can find it with `search_memory`;
 * - T1's review ("changes requested") is remembered; T2 of the same request gets that feedback;
 * - a second request's PM prompt carries the first request's approved spec, and its Architect prompt
 *   (as sent to the model) carries T1's review feedback and blocked run.
 * Without project memory the same flow sends none of it. Runs on PGlite with BullMQ on Redis and on a
 * PostgreSQL server carrying state and jobs (vitest.config.ts, `ON_BOTH_DATABASES`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startingCheckpoint } from '../../src/agents/checkpoint.js';
import { phasePrompt } from '../../src/agents/prompts.js';
import type { ForgeEvent } from '../../src/forge/forge-event.js';
import type { ModelRequest } from '../../src/llm/types.js';
import { createLogger } from '../../src/log/logger.js';
import { DrizzleMemoryStore } from '../../src/memory/drizzle-memory-store.js';
import { ProjectMemory } from '../../src/memory/project-memory.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { getTicket, ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import { createGitPairRunner } from './git-pair-runner.js';
import {
  base,
  comment,
  issueInfo,
  POLICY,
  prInfo,
  REPO,
  SCRIPT,
  startHarness,
  until,
  type Harness,
} from './harness.js';

/** The harness's script, plus a second request ("Import CSV files") and its plan. */
const TWO_REQUESTS = `${SCRIPT}- match: { role: pm, step: decide, contains: Import CSV }
  json:
    action: spec
    spec:
      title: CSV import
      slug: csv-import
      summary: Import rows from a CSV file.
      userStories: [As a user I can upload a CSV file]
      acceptanceCriteria: [importCsv reads a header line]
- match: { role: architect, step: plan }
  json:
    tickets:
      - { key: T1, title: CSV reader, description: Read rows from CSV, acceptanceCriteria: [header line read], dependsOn: [], likelyFiles: [src/csv.js] }
`;

const REVIEW_POINT = 'Quote fields that contain newlines.';
const DIAGNOSIS = 'the suite stayed red after 3 attempts';

const userPrompt = (r: ModelRequest): string =>
  r.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');

describe('project memory across tickets and requests', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(memory: boolean, prompts: ModelRequest[]) {
    // T1's first run is blocked; every other run finishes.
    const pairs = createGitPairRunner({ behaviour: (_i, n) => (n === 1 ? 'blocked' : 'done') });
    h = await startHarness({
      files: { '.github/tandem.yml': POLICY },
      script: TWO_REQUESTS,
      pairs,
      prompts,
      ...(memory
        ? {
            memory: (db) =>
              new ProjectMemory({
                store: new DrizzleMemoryStore({ db }),
                logger: createLogger({ level: 'silent' }),
              }),
          }
        : {}),
    });
    return { x: h, pairs };
  }

  /**
   * Files issue `n` (title `title`) as request `id` (its row id: requests are numbered in filing order)
   * and waits for its spec PR; answers the PR number.
   */
  async function fileRequest(x: Harness, n: number, id: number, title: string): Promise<number> {
    const issue = { ...issueInfo(n, ['tandem']), title };
    x.forge.issues.set(n, issue);
    await x.send({
      ...base(),
      type: 'issue.labeled',
      sender: { login: 'alice', bot: false },
      issue,
      label: 'tandem',
    });
    const request = await until('spec review', async () => {
      const r = await getRequest(x.database.db, id).catch(() => null);
      return r?.state === 'spec_review' ? r : undefined;
    });
    return request.specPrNumber!;
  }

  /** Request 1 to T2's run: T1 blocked, retried, reviewed with changes requested, revised, merged. */
  async function firstRequest(x: Harness, pairs: ReturnType<typeof createGitPairRunner>) {
    const specPr = await fileRequest(x, 1, 1, 'Export the report as CSV');
    await x.send(comment(specPr, 'maria', '/approve', true));
    const t1 = await until('T1 blocked', async () => {
      const [t] = await ticketsOfRequest(x.database.db, 1);
      return t?.state === 'blocked' ? t : undefined;
    });
    await x.send(comment(t1.issueNumber!, 'maria', '/retry'));
    const reviewed = await until('T1 in review', async () => {
      const t = await getTicket(x.database.db, t1.id);
      return t.state === 'review' ? t : undefined;
    });
    const pr = x.forge.pulls.get(reviewed.prNumber!)!;
    x.forge.reviewComments.set(pr.number, [
      { id: 9, body: REVIEW_POINT, author: 'maria', path: 'src/csv.js', line: 3, reviewId: 77 },
    ]);
    const review: ForgeEvent = {
      ...base(),
      type: 'review.submitted',
      sender: { login: 'maria', bot: false },
      pullRequest: prInfo(pr.number, pr.headRef, false),
      review: {
        id: 77,
        state: 'changes_requested',
        body: 'Please handle newlines.',
        author: 'maria',
      },
    };
    await x.send(review);
    await until('T1 revised', () =>
      x.forge.comments.find(
        (c) => c.number === pr.number && c.body.includes('Revised for the review'),
      ),
    );
    await until('T1 back in review', async () => {
      const t = await getTicket(x.database.db, t1.id);
      return pairs.runs.length === 3 && t.state === 'review';
    });
    await x.forge.mergePullRequest(REPO, pr.number);
    await x.send({
      ...base(),
      type: 'pull_request.closed',
      sender: { login: 'maria', bot: false },
      pullRequest: prInfo(pr.number, pr.headRef),
    });
    await until('T2 ran', () => pairs.runs.length >= 4);
    return t1;
  }

  it('brings a blocked run’s diagnosis and a review’s feedback into the next prompts', async () => {
    const prompts: ModelRequest[] = [];
    const { x, pairs } = await start(true, prompts);
    const t1 = await firstRequest(x, pairs);
    const [blockedRun, retry, revise, t2] = pairs.runs;

    // The first run had nothing to recall about its own ticket.
    expect(blockedRun!.ticket.memory ?? '').not.toContain(DIAGNOSIS);
    // The retry sees why the ticket was blocked and what was tried, in the prompt the engine builds.
    expect(retry!.ticket.memory).toContain('What earlier runs and reviews of this ticket left');
    expect(retry!.ticket.memory).toContain(DIAGNOSIS);
    expect(retry!.ticket.memory).toContain('green attempt 1 with script: suite failed');
    const firstPrompt = phasePrompt(
      retry!.ticket,
      // The checkpoint a fresh run starts from.
      startingCheckpoint(retry!.ticket.acceptanceCriteria, '', ''),
      'Write a failing test for criterion 1.',
      '(map)',
    );
    expect(firstPrompt).toContain(`From project memory:`);
    expect(firstPrompt).toContain(DIAGNOSIS);
    // …and finds it again with its search_memory tool.
    const found = await retry!.searchMemory!({ query: 'suite stayed red', limit: 3 });
    expect(found.count).toBeGreaterThan(0);
    expect(found.results).toContain(DIAGNOSIS);
    expect(revise!.runKey).toBe(`t${t1.id}-rev1`);

    // T2 of the same request gets T1's review feedback (and its blocked run) as related work.
    expect(t2!.ticket.title).toBe('Export command');
    expect(t2!.ticket.memory).toContain('Related reviews and blocked runs of other tickets');
    expect(t2!.ticket.memory).toContain(REVIEW_POINT);

    // A second request: the PM's prompt as sent carries the first approved spec…
    const before = prompts.length;
    const specPr2 = await fileRequest(x, 10, 2, 'Import CSV files');
    const pm = prompts.slice(before).find((r) => r.role === 'pm' && r.step === 'decide');
    expect(userPrompt(pm!)).toContain('From project memory:');
    expect(userPrompt(pm!)).toContain('Approved spec for #1');
    // …and the Architect's prompt as sent carries T1's review feedback and its blocked run.
    await x.send(comment(specPr2, 'maria', '/approve', true));
    const architect = await until('second plan prompt', () =>
      prompts.slice(before).find((r) => r.role === 'architect' && r.step === 'plan'),
    );
    const sent = userPrompt(architect);
    expect(sent).toContain('From project memory:');
    expect(sent).toContain(REVIEW_POINT);
    expect(sent).toContain(DIAGNOSIS);
  }, 180_000);

  it('sends none of it without project memory', async () => {
    const prompts: ModelRequest[] = [];
    const { x, pairs } = await start(false, prompts);
    await firstRequest(x, pairs);
    expect(pairs.runs.map((r) => r.ticket.memory)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(pairs.runs.every((r) => r.searchMemory === undefined)).toBe(true);
    expect(prompts.map(userPrompt).join('\n')).not.toContain('From project memory');
  }, 180_000);
});
