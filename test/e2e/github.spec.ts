/**
 * GitHub end to end through the real ingestion path: real `@octokit/webhooks-examples` payloads
 * retargeted at `octo/app`, signed and POSTed to Tandem's HTTP server (src/ingest), recorded with the
 * outbox and relayed to the `events` queue on the local Redis, routed by the real workers (BullMQ), the
 * real GitHub forge (Probot installation auth) talking to a stateful nock fake of the GitHub API whose
 * every request is checked against `@octokit/openapi`, a real bare git remote, PGlite and a scripted
 * model. issue → spec PR → `/approve` refused (reader) then accepted (writer) → two tickets, the second
 * depending on the first → PRs with red before green → changes requested → revised → merged → request
 * done, dashboard right.
 *
 * The pair step is the stand-in runner of test/workflow (git commits, no sandbox): see the report of
 * issue 7 part B for why the real engine is not used here.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { startIngestion, type Ingestion } from '../../src/ingest/start-ingestion.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { getRequest } from '../../src/workflow/request-store.js';
import { getTicket, ticketsOfRequest } from '../../src/workflow/ticket-store.js';
import { startWorkers, type RunningWorkers } from '../../worker/start-workers.js';
import { createTestProbot } from '../forge/test-probot.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { useHttpMock } from '../http-mock.js';
import { postDelivery } from '../ingest/post-delivery.js';
import { createGitPairRunner } from '../workflow/git-pair-runner.js';
import { POLICY, SCRIPT, until } from '../workflow/harness.js';
import { createBareRepo, createMemoryForge, type MemoryForge } from '../workflow/memory-forge.js';
import { fakeGithubApi, type GithubApiFake } from './github-api-fake.js';
import {
  commentCreated,
  issueLabeled,
  NAME,
  OWNER,
  pullClosed,
  reviewSubmitted,
  type PullFields,
} from './github-payloads.js';

const http = useHttpMock();
const SECRET = `whsec-${randomUUID()}`;
const logger = createLogger({ level: 'silent' });
const REPO = { owner: OWNER, name: NAME };

describe('GitHub end to end (webhooks → ingestion → workers → GitHub API)', () => {
  let dir = '';
  let database: PgliteDatabaseHandle | undefined;
  let backend: QueueBackend | undefined;
  let ingestion: Ingestion | undefined;
  let running: RunningWorkers | undefined;
  let models: ModelManager | undefined;

  afterEach(async () => {
    await ingestion?.close();
    await running?.close();
    await backend?.close();
    await models?.close();
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a labelled issue to reviewed, revised and merged PRs and a done request', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-e2e-gh-'));
    const bare = await createBareRepo(dir, {
      '.github/tandem.yml': POLICY,
      'package.json': '{"name":"app"}\n',
    });
    // The GitHub side: state in a memory store, served by the nock fake of the REST API.
    const github: MemoryForge = createMemoryForge(bare);
    github.permissions.set('reader', 'read');
    github.permissions.set('maria', 'write');
    const api: GithubApiFake = fakeGithubApi(http.github(), github, OWNER, NAME);
    const request = await github.createIssue(REPO, {
      title: 'Export the report as CSV',
      body: 'Please add CSV export.',
      labels: ['tandem'],
    });
    request.author = 'alice';

    database = await createTestDatabase();
    backend = await createQueueBackend({ redisUrl: 'redis://127.0.0.1:6379' });
    const prefix = `test-${randomUUID()}`;
    await writeFile(join(dir, 'script.yaml'), SCRIPT);
    models = new ModelManager({
      catalog: parseModelCatalog(
        `models:\n  script: { provider: scripted, model: demo, script: ${join(dir, 'script.yaml')} }\n`,
        {},
      ),
      recorder: new DrizzleModelCallRecorder({ db: database.db }),
    });
    const probot = createTestProbot();
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    const m = models;
    running = await startWorkers({
      backend,
      prefix,
      maxPairJobs: 2,
      deps: {
        db: database.db,
        forgeFor: () => forge,
        planningModel: ({ policy, repositoryId }) => m.forTicket({ policy, repositoryId }),
        pairs: createGitPairRunner(),
        permissions: createPermissionChecker({ ttlMs: 60_000 }),
        remoteUrl: () => bare,
        workDir: join(dir, 'jobs'),
        logger,
      },
    });
    ingestion = await startIngestion({
      db: database.db,
      eventsQueue: backend.createQueue(EVENTS_QUEUE, { prefix }),
      log: logger,
      port: 0,
      githubWebhookSecret: SECRET,
      botLogins: ['tandem-e2e[bot]'],
    });
    const url = ingestion.server.url;
    let delivery = 0;
    const deliver = async (event: string, payload: unknown): Promise<void> => {
      const res = await postDelivery(url, {
        forge: 'github',
        event,
        id: `${randomUUID()}-${++delivery}`,
        payload,
        secret: SECRET,
      });
      expect(res.status).toBe(200);
    };
    const db = database.db;
    const requestState = async () => (await getRequest(db, 1).catch(() => null))?.state;

    // 1. The trigger label → the PM's spec PR.
    await deliver('issues', issueLabeled(request.number, request.title, 'tandem'));
    await until('spec review', async () => (await requestState()) === 'spec_review', 40_000);
    const specPr = [...github.pulls.values()].find((p) => p.headRef === `tandem/spec-1`)!;
    expect(specPr.body).toContain(`#${request.number}`);
    expect(
      (await github.getFile(REPO, 'docs/specs/1-csv-export.md', specPr.headRef))?.content,
    ).toContain('exportCsv quotes commas');

    // 2. /approve from a reader is refused politely; from a writer it is accepted.
    await deliver('issue_comment', commentCreated(specPr.number, 'reader', '/approve', true));
    const refusal = await until('refusal', () =>
      github.comments.find((c) => c.number === specPr.number && c.body.includes('tandem:refusal-')),
    );
    expect(refusal.body).toContain('@reader');
    expect(await requestState()).toBe('spec_review');
    await deliver('issue_comment', commentCreated(specPr.number, 'maria', '/approve', true));
    const t1 = await until(
      'T1 in review',
      async () => {
        const t = await ticketsOfRequest(db, 1);
        return t.length === 2 && t[0]!.state === 'review' ? t[0] : undefined;
      },
      40_000,
    );
    const [, t2] = await ticketsOfRequest(db, 1);
    expect(t2!.state).toBe('backlog');
    expect(t2!.dependsOn).toEqual([t1.id]);
    expect(github.pulls.get(specPr.number)?.merged).toBe(true);
    expect(github.issues.get(t1.issueNumber!)?.labels).toEqual(['tandem:ticket', 'tandem:review']);
    const pr1 = github.pulls.get(t1.prNumber!)!;
    expect(pr1.body).toContain(`Closes #${t1.issueNumber}`);
    const log = async (head: string) =>
      (
        await execa('git', ['--git-dir', bare, 'log', '--reverse', '--format=%s', `main..${head}`])
      ).stdout.split('\n');
    expect(await log(pr1.headRef)).toEqual([
      `test(#${t1.issueNumber}): failing test`,
      `feat(#${t1.issueNumber}): make it pass`,
    ]);
    expect(github.statuses).toContainEqual({
      sha: pr1.headSha,
      state: 'success',
      context: 'tandem/tdd',
    });

    // 3. Changes requested → revised on the same branch and PR.
    github.reviewComments.set(pr1.number, [
      {
        id: 31,
        body: 'Quote fields with newlines.',
        author: 'maria',
        path: 'src/csv.js',
        line: 2,
        reviewId: 501,
      },
    ]);
    const fields = (pr: typeof pr1, merged = false): PullFields => ({
      number: pr.number,
      head: pr.headRef,
      sha: pr.headSha,
      merged,
    });
    await deliver('pull_request_review', reviewSubmitted(fields(pr1), 501, 'Almost there.'));
    await until('revised', () =>
      github.comments.find((c) => c.number === pr1.number && c.body.includes('Revised for')),
    );
    await until('T1 back in review', async () => (await getTicket(db, t1.id)).state === 'review');
    expect(await log(pr1.headRef)).toHaveLength(4);

    // 4. Merged → T2 starts → its PR → merged → request done.
    await github.mergePullRequest(REPO, pr1.number);
    await deliver('pull_request', pullClosed(fields(pr1, true)));
    const t2Review = await until(
      'T2 in review',
      async () => {
        const t = await getTicket(db, t2!.id);
        return t.state === 'review' ? t : undefined;
      },
      40_000,
    );
    const pr2 = github.pulls.get(t2Review.prNumber!)!;
    expect(await log(pr2.headRef)).toEqual([
      `test(#${t2!.issueNumber}): failing test`,
      `feat(#${t2!.issueNumber}): make it pass`,
    ]);
    await github.mergePullRequest(REPO, pr2.number);
    await deliver('pull_request', pullClosed(fields(pr2, true)));
    await until('request done', async () => (await requestState()) === 'done', 30_000);

    // The forge's view: dashboard right, no duplicates, every request a route of the real API.
    const dashboard = await until('dashboard done', () =>
      [...github.issues.values()].find(
        (i) => i.title === 'Tandem dashboard' && i.body.includes('### Done (2)'),
      ),
    );
    expect(dashboard.body).toContain(`#${request.number} Export the report as CSV: \`done\``);
    expect(github.calls.filter((c) => c.startsWith('createPull'))).toHaveLength(3);
    expect(github.calls.filter((c) => c === 'createIssue Tandem dashboard')).toHaveLength(1);
    const markers = github.comments.map((c) => `${c.number} ${c.body.split('\n')[0]}`);
    expect(new Set(markers).size).toBe(markers.length);
    expect(github.issues.get(t1.issueNumber!)?.labels).toContain('tandem:done');
    expect(api.unknown).toEqual([]);
    expect(api.requests.length).toBeGreaterThan(50);
    expect(api.requests).toContainEqual(
      expect.stringMatching(/^PUT \/repos\/octo\/app\/pulls\/\d+\/merge$/),
    );
  }, 120_000);
});
