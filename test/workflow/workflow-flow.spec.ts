/**
 * The workflow end to end on real infrastructure: PGlite and BullMQ on the local Redis, or a PostgreSQL
 * server carrying both (vitest projects `pglite` and `postgres … server`), a real bare git remote, the
 * real ModelManager with a scripted model. Only the forge is in memory.
 * issue → spec PR → /approve refused (reader) then accepted (writer) → two tickets, the second depending
 * on the first → PRs with red-before-green history → merges → request done, dashboard right; an edited
 * spec puts the request on hold; an invalid policy opens one error issue, closed when fixed.
 */
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import {
  base,
  comment,
  issueInfo,
  POLICY,
  prInfo,
  REPO as repo,
  startHarness,
  until,
  type Harness,
} from './harness.js';
import { pushAsPerson, type MemoryForge } from './memory-forge.js';

describe('workflow on real storage, BullMQ and git', () => {
  let h: Harness | undefined;
  let forge: MemoryForge;
  let bare: string;
  let database: Harness['database'];
  const send = (e: Parameters<Harness['send']>[0]) => h!.send(e);

  async function setUp(files: Record<string, string>): Promise<void> {
    h = await startHarness({ files });
    ({ forge, bare, database } = h);
  }

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('takes an issue to merged, tested PRs and a done request', async () => {
    await setUp({ '.github/tandem.yml': POLICY, 'package.json': '{"name":"app"}\n' });
    const request = forge.issues.size + 1;
    forge.issues.set(request, { ...issueInfo(request, ['tandem']), author: 'alice' });
    await send({
      ...base(),
      type: 'issue.labeled',
      sender: { login: 'alice', bot: false },
      issue: issueInfo(request, ['tandem']),
      label: 'tandem',
    });

    const specPr = await until('spec PR', () =>
      [...forge.pulls.values()].find((p) => p.headRef === `tandem/spec-${request}`),
    );
    const specFile = await forge.getFile(repo, 'docs/specs/1-csv-export.md', specPr.headRef);
    expect(specFile?.content).toContain('**AC1**: exportCsv returns a header line');
    expect(specPr.body).toContain(`#${request}`);

    await until(
      'spec review',
      async () => (await getRequest(database.db, 1)).state === 'spec_review',
    );
    await send(comment(specPr.number, 'reader', '/approve', true));
    await until('refusal', () =>
      forge.comments.find((c) => c.body.includes('it needs **write** permission')),
    );
    const held = await getRequest(database.db, 1);
    expect(held.state).toBe('spec_review');

    await send(comment(specPr.number, 'maria', '/approve', true));
    const tickets = await until('two tickets in progress or todo', async () => {
      const t = await ticketsOfRequest(database.db, 1);
      return t.length === 2 && t[0]!.state === 'review' ? t : undefined;
    });
    expect(forge.pulls.get(specPr.number)?.merged).toBe(true);
    expect(tickets[1]!.state).toBe('backlog');
    expect(tickets[1]!.dependsOn).toEqual([tickets[0]!.id]);
    const tasks = forge.comments.find(
      (c) => c.number === request && c.body.includes('tandem:tasks'),
    );
    expect(tasks?.body).toContain(`#${tickets[0]!.issueNumber} CSV writer`);

    const pr1 = forge.pulls.get(tickets[0]!.prNumber!)!;
    expect(pr1.body).toContain(`Closes #${tickets[0]!.issueNumber}`);
    expect(pr1.body).toContain('| AC1 | header line first |');
    const log = (
      await execa('git', ['--git-dir', bare, 'log', '--format=%s', `main..${pr1.headRef}`])
    ).stdout.split('\n');
    expect(log).toEqual([
      `feat(#${tickets[0]!.issueNumber}): make it pass`,
      `test(#${tickets[0]!.issueNumber}): failing test`,
    ]);
    expect(forge.statuses).toContainEqual({
      sha: pr1.headSha,
      state: 'success',
      context: 'tandem/tdd',
    });
    expect(forge.issues.get(tickets[0]!.issueNumber!)?.labels).toContain('tandem:review');

    await forge.mergePullRequest(repo, pr1.number);
    await send({
      ...base(),
      type: 'pull_request.closed',
      sender: { login: 'maria', bot: false },
      pullRequest: prInfo(pr1.number, pr1.headRef),
    });
    const second = await until('second ticket PR', async () => {
      const t = await ticketsOfRequest(database.db, 1);
      return t[1]!.state === 'review' ? t[1] : undefined;
    });
    const pr2 = forge.pulls.get(second.prNumber!)!;
    await forge.mergePullRequest(repo, pr2.number);
    await send({
      ...base(),
      type: 'pull_request.closed',
      sender: { login: 'maria', bot: false },
      pullRequest: prInfo(pr2.number, pr2.headRef),
    });
    await until('request done', async () => (await getRequest(database.db, 1)).state === 'done');

    // The request is done in the database first; the dashboard follows in the same job.
    const dashboard = await until('dashboard done', () =>
      [...forge.issues.values()].find(
        (i) => i.title === 'Tandem dashboard' && i.body.includes('### Done (2)'),
      ),
    );
    expect(dashboard.body).toContain(`#${request} Export the report as CSV: \`done\``);
    expect(forge.calls.filter((c) => c.startsWith('createPull'))).toHaveLength(3);
    expect(forge.calls.filter((c) => c === 'createIssue Tandem dashboard')).toHaveLength(1);
  }, 90_000);

  it('puts an approved request on hold when its spec is edited, until /approve again', async () => {
    await setUp({ '.github/tandem.yml': `${POLICY}mergeSpec: false\nmaxActiveTickets: 1\n` });
    forge.issues.set(1, issueInfo(1, ['tandem']));
    await send({
      ...base(),
      type: 'issue.opened',
      sender: { login: 'alice', bot: false },
      issue: issueInfo(1, ['tandem']),
    });
    const specPr = await until('spec PR', () => [...forge.pulls.values()][0]);
    await until(
      'spec review',
      async () => (await getRequest(database.db, 1)).state === 'spec_review',
    );
    await send(comment(1, 'maria', '/approve'));
    await until(
      'in progress',
      async () => (await getRequest(database.db, 1)).state === 'in_progress',
    );
    expect(forge.issues.get(specPr.number) ?? forge.pulls.get(specPr.number)).toBeDefined();
    await pushAsPerson(bare, specPr.headRef, { 'docs/specs/1-csv-export.md': '# changed\n' });
    await send({
      ...base(),
      type: 'pull_request.synchronized',
      sender: { login: 'alice', bot: false },
      pullRequest: { ...prInfo(specPr.number, specPr.headRef), state: 'open', merged: false },
    });
    await until('on hold', async () => (await getRequest(database.db, 1)).state === 'on_hold');
    expect(forge.comments.some((c) => c.number === 1 && c.body.includes('on hold'))).toBe(true);
    await send(comment(1, 'maria', '/approve'));
    await until(
      'approved again',
      async () => (await getRequest(database.db, 1)).state === 'in_progress',
    );
  }, 90_000);

  it('opens one configuration-error issue for an invalid policy and closes it when fixed', async () => {
    await setUp({ '.github/tandem.yml': 'budgets:\n  cycles: lots\n' });
    forge.issues.set(1, issueInfo(1, ['tandem']));
    await send({
      ...base(),
      type: 'issue.opened',
      sender: { login: 'alice', bot: false },
      issue: issueInfo(1, ['tandem']),
    });
    await send({
      ...base(),
      type: 'issue.labeled',
      sender: { login: 'alice', bot: false },
      issue: issueInfo(1, ['tandem']),
      label: 'tandem',
    });
    const errorIssue = await until('config issue', () =>
      [...forge.issues.values()].find((i) => i.title === 'Tandem configuration error'),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(errorIssue.body).toContain('`budgets.cycles` (line 2)');
    expect(
      [...forge.issues.values()].filter((i) => i.title === 'Tandem configuration error'),
    ).toHaveLength(1);
    expect(forge.pulls.size).toBe(0);
    await pushAsPerson(bare, 'main', { '.github/tandem.yml': POLICY });
    await send({
      ...base(),
      type: 'push',
      sender: { login: 'alice', bot: false },
      ref: 'refs/heads/main',
      before: '',
      after: '',
      commitCount: 1,
    });
    await until('config issue closed', () => errorIssue.state === 'closed');
  }, 60_000);
});
