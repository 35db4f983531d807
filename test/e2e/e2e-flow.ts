/**
 * The end-to-end flow shared by the GitHub and Gitea tests. {@link startTandem} runs the real pieces
 * (PGlite and BullMQ on Redis, or a PostgreSQL server carrying both: `test/helpers/workflow-stores.ts`;
 * the HTTP ingestion server with its outbox relay, the workers with the given
 * real forge, a bare git remote, a scripted model, the stand-in pair runner); {@link issueToDone} drives
 * one request from the trigger label to done through signed webhook deliveries and checks what a user
 * sees on the forge (state kept by a {@link MemoryForge} behind the nock fake of the forge's API).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { execa } from 'execa';
import { expect } from 'vitest';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import type { ForgeKind } from '../../src/forge/forge-event.js';
import type { Forge, ForgeReviewComment, RepoRef } from '../../src/forge/types.js';
import { EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { startIngestion, type Ingestion } from '../../src/ingest/start-ingestion.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import { createEnginePairRunner } from '../../src/workflow/tickets/engine-pair-runner.js';
import type { PairRunner } from '../../src/workflow/tickets/pair-runner.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { getTicket, ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import { startWorkers, type RunningWorkers } from '../../worker/start-workers.js';
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { openWorkflowStores } from '../helpers/workflow-stores.js';
import { postDelivery } from '../ingest/post-delivery.js';
import { createGitPairRunner } from '../workflow/git-pair-runner.js';
import { POLICY, SCRIPT, until } from '../workflow/harness.js';
import { createBareRepo, createMemoryForge, type MemoryForge } from '../workflow/memory-forge.js';

/**
 * The flow's logger: everything to stdout with `TANDEM_TEST_LOG=1`; otherwise warnings and errors are
 * kept in `lines` (the last 40) so a timed-out wait can say what went wrong.
 */
function flowLogger(): { logger: Logger; lines: string[] } {
  if (process.env.TANDEM_TEST_LOG) {
    return { logger: createLogger({ level: 'debug' }), lines: [] };
  }
  const lines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: {
      write(line: string) {
        lines.push(line.trimEnd().slice(0, 1_500));
        lines.splice(0, Math.max(0, lines.length - 40));
      },
    },
  });
  return { logger, lines };
}
/** How long a pair run may take in the flow (the engine runs pytest in Docker), in ms. */
const PAIR_MS = 120_000;

/** A pull request as the payload builders need it. */
export interface PullRef {
  number: number;
  head: string;
  sha: string;
}

/** Webhook bodies of one forge, with the header event name each is sent under. */
export interface ForgePayloads {
  labeled(n: number, title: string): [string, unknown];
  comment(n: number, author: string, body: string, onPull: boolean): [string, unknown];
  changesRequested(pr: PullRef, reviewId: number, body: string): [string, unknown];
  merged(pr: PullRef): [string, unknown];
}

/** What the flow needs from the forge under test. */
export interface ForgeUnderTest {
  kind: ForgeKind;
  repo: RepoRef;
  /** The real forge (GitHub or Gitea client) whose HTTP goes to the nock fake. */
  createForge(): Forge;
  /** Installs the nock fake over `store`; returns its record of unserved routes. */
  fake(store: MemoryForge): { unknown: string[]; requests: string[] };
  payloads: ForgePayloads;
  botLogins: string[];
}

/** Tandem running against one forge. */
export interface RunningTandem {
  dir: string;
  bare: string;
  store: MemoryForge;
  api: { unknown: string[]; requests: string[] };
  database: DatabaseHandle;
  pairs: PairRunner;
  /** What the database and the logs say now: for the message of a failed wait. */
  diagnose(): Promise<string>;
  /** Signs and POSTs one delivery; expects 200. */
  deliver(payload: [string, unknown]): Promise<void>;
  close(): Promise<void>;
}

/** The policy of the engine flavour: Python calc fixture, scripted pair, pytest in the sandbox. */
export const ENGINE_POLICY = `${POLICY}  developer: { alias: script }
  tester: { alias: script }
budgets: { attemptsPerPhase: 2, cycles: 6 }
sandbox:
  test: [python3, -B, -m, pytest, -q, -p, no:cacheprovider, '--junitxml={junit}']
  testGlobs: ['tests/**']
  memoryMb: 512
  commandTimeoutSeconds: 60
`;

/** Which pair runner the flow uses. */
export type PairFlavour = 'stand-in' | 'engine';

/** The bare remote's `main` of a flavour: the policy, and for `engine` the calc fixture. */
export async function repoFiles(flavour: PairFlavour): Promise<Record<string, string>> {
  if (flavour === 'stand-in') {
    return { '.github/tandem.yml': POLICY, 'package.json': '{"name":"app"}\n' };
  }
  const calc = join('test', 'fixtures', 'engine', 'calc');
  return {
    '.github/tandem.yml': ENGINE_POLICY,
    '.gitignore': await readFile(join(calc, 'gitignore.txt'), 'utf8'),
    'calc.py': await readFile(join(calc, 'calc.py'), 'utf8'),
    'tests/test_add.py': await readFile(join(calc, 'tests', 'test_add.py'), 'utf8'),
  };
}

/**
 * Starts everything; `reader` may read and `maria` may write on the store. `flavour: 'engine'` runs
 * the real pair engine (`createEnginePairRunner`) in Docker sandboxes on the calc fixture with the
 * script `test/fixtures/workflow/engine-e2e.yaml`.
 */
export async function startTandem(
  side: ForgeUnderTest,
  flavour: PairFlavour = 'stand-in',
): Promise<RunningTandem> {
  const dir = await mkdtemp(join(tmpdir(), `tandem-e2e-${side.kind}-`));
  const { logger, lines } = flowLogger();
  const bare = await createBareRepo(dir, await repoFiles(flavour));
  const store = createMemoryForge(bare);
  store.permissions.set('reader', 'read');
  store.permissions.set('maria', 'write');
  const api = side.fake(store);
  const { database, backend } = await openWorkflowStores();
  const prefix = `test-${randomUUID()}`;
  const secret = `whsec-${randomUUID()}`;
  await writeFile(
    join(dir, 'script.yaml'),
    flavour === 'engine'
      ? await readFile(join('test', 'fixtures', 'workflow', 'engine-e2e.yaml'), 'utf8')
      : SCRIPT,
  );
  const models = new ModelManager({
    catalog: parseModelCatalog(
      `models:\n  script: { provider: scripted, model: demo, script: ${join(dir, 'script.yaml')} }\n`,
      {},
    ),
    recorder: new DrizzleModelCallRecorder({ db: database.db }),
  });
  const forge = side.createForge();
  const sandboxes =
    flavour === 'engine'
      ? new DockerSandboxProvider({ logger, poolSize: 1, workerId: `test-${randomUUID()}` })
      : undefined;
  await sandboxes?.start();
  const pairs: PairRunner = sandboxes
    ? createEnginePairRunner({ db: database.db, models, sandboxes })
    : createGitPairRunner();
  let running: RunningWorkers | undefined;
  let ingestion: Ingestion | undefined;
  try {
    running = await startWorkers({
      backend,
      prefix,
      maxPairJobs: 2,
      deps: {
        db: database.db,
        forgeFor: () => forge,
        planningModel: ({ policy, repositoryId }) => models.forTicket({ policy, repositoryId }),
        pairs,
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
      ...(side.kind === 'github'
        ? { githubWebhookSecret: secret }
        : { giteaWebhookSecret: secret }),
      botLogins: side.botLogins,
    });
  } catch (error) {
    await running?.close();
    await backend.close();
    await sandboxes?.close();
    throw error;
  }
  const url = ingestion.server.url;
  return {
    dir,
    bare,
    store,
    api,
    database,
    pairs,
    async diagnose() {
      const rows = async (query: string) =>
        JSON.stringify((await database.db.execute(sql.raw(query))).rows);
      return [
        `requests: ${await rows('select id, state from requests order by id')}`,
        `tickets: ${await rows('select id, state, blocked_reason from tickets order by id')}`,
        `runs: ${await rows('select id, ticket_id, job_id, status, phase, diagnosis from runs order by id')}`,
        `last events: ${await rows('select kind, job_id, data from events order by id desc limit 12')}`,
        `warnings and errors logged:\n${lines.join('\n')}`,
      ].join('\n');
    },
    async deliver([event, payload]) {
      const res = await postDelivery(url, {
        forge: side.kind,
        event,
        id: randomUUID(),
        payload,
        secret,
      });
      expect(res.status).toBe(200);
    },
    async close() {
      await ingestion?.close();
      await running?.close();
      await backend.close();
      await models.close();
      await sandboxes?.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * issue → spec PR → `/approve` refused (reader) then accepted (writer) → two tickets, the second
 * depending on the first → PRs with red before green → changes requested → revised on the same branch
 * → merged → the second ticket → merged → request done, dashboard right, no duplicate comments or PRs,
 * and every API request served by a real route of the forge's API.
 */
/** What differs between the pair flavours: the review's points and the revised commits' phases. */
export interface FlowExpectations {
  reviewBody: string;
  reviewComments: ForgeReviewComment[];
  /** `Tandem-Phase` of the commits the revision adds, oldest first. */
  revisedPhases: string[];
}

/** The stand-in flavour: a review body and one line comment; the revision is one red/green cycle. */
export const STAND_IN_FLOW: FlowExpectations = {
  reviewBody: 'Almost there.',
  reviewComments: [
    {
      id: 31,
      body: 'Quote fields with newlines.',
      author: 'maria',
      path: 'src/csv.js',
      line: 2,
      reviewId: 501,
    },
  ],
  revisedPhases: ['red', 'green'],
};

/** The engine flavour: the first criterion is already met (red only), the review's point is red/green. */
export const ENGINE_FLOW: FlowExpectations = {
  reviewBody: 'multiply(a, b) must reject strings with a TypeError.',
  reviewComments: [],
  revisedPhases: ['red', 'red', 'green'],
};

export async function issueToDone(
  side: ForgeUnderTest,
  t: RunningTandem,
  expected: FlowExpectations = STAND_IN_FLOW,
): Promise<void> {
  const { store, bare } = t;
  /** `until`, whose timeout error also says what the database and the logs show. */
  const wait = <T>(
    what: string,
    fn: () => Promise<T | undefined | false> | T | undefined | false,
    ms?: number,
  ): Promise<T> =>
    until(what, fn, ms).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await t.diagnose()}`);
    });
  const db = t.database.db;
  const request = await store.createIssue(side.repo, {
    title: 'Export the report as CSV',
    body: 'Please add CSV export.',
    labels: ['tandem'],
  });
  request.author = 'alice';
  const requestState = async () => (await getRequest(db, 1).catch(() => null))?.state;
  /** `<phase> <subject>` of the branch's commits since main, oldest first. */
  const log = async (head: string) =>
    (
      await execa('git', [
        '--git-dir',
        bare,
        'log',
        '--reverse',
        '--format=%(trailers:key=Tandem-Phase,valueonly,separator=) %s',
        `main..${head}`,
      ])
    ).stdout.split('\n');
  const phases = (lines: string[]) => lines.map((l) => l.split(' ')[0]);
  /** Red (a `test(#n)` commit) then green (`feat(#n)`), as the PR history must show. */
  const redThenGreen = (lines: string[], n: number | null) => {
    expect(phases(lines)).toEqual(['red', 'green']);
    expect(lines[0]).toMatch(new RegExp(`^red test\\(#${n}\\): `));
    expect(lines[1]).toMatch(new RegExp(`^green feat\\(#${n}\\): `));
  };

  // 1. The trigger label → the PM's spec PR.
  await t.deliver(side.payloads.labeled(request.number, request.title));
  await wait('spec review', async () => (await requestState()) === 'spec_review', 40_000);
  const specPr = [...store.pulls.values()].find((p) => p.headRef === 'tandem/spec-1')!;
  expect(specPr.body).toContain(`#${request.number}`);
  const spec = await store.getFile(side.repo, 'docs/specs/1-csv-export.md', specPr.headRef);
  expect(spec?.content).toContain('exportCsv quotes commas');

  // 2. /approve from a reader is refused politely; from a writer it is accepted.
  await t.deliver(side.payloads.comment(specPr.number, 'reader', '/approve', true));
  const refusal = await wait('refusal', () =>
    store.comments.find((c) => c.number === specPr.number && c.body.includes('tandem:refusal-')),
  );
  expect(refusal.body).toContain('@reader');
  expect(await requestState()).toBe('spec_review');
  await t.deliver(side.payloads.comment(specPr.number, 'maria', '/approve', true));
  const t1 = await wait(
    'T1 in review',
    async () => {
      const all = await ticketsOfRequest(db, 1);
      return all.length === 2 && all[0]!.state === 'review' ? all[0] : undefined;
    },
    PAIR_MS,
  );
  const [, t2] = await ticketsOfRequest(db, 1);
  expect(t2!.state).toBe('backlog');
  expect(t2!.dependsOn).toEqual([t1.id]);
  expect(store.pulls.get(specPr.number)?.merged).toBe(true);
  // The database moves first, then the column label follows on the forge.
  await wait(
    'T1 column label',
    () => store.issues.get(t1.issueNumber!)?.labels.join() === 'tandem:ticket,tandem:review',
    5_000,
  );
  const pr1 = store.pulls.get(t1.prNumber!)!;
  expect(pr1.body).toContain(`Closes #${t1.issueNumber}`);
  redThenGreen(await log(pr1.headRef), t1.issueNumber);
  expect(store.statuses).toContainEqual({
    sha: pr1.headSha,
    state: 'success',
    context: 'tandem/tdd',
  });

  // 3. Changes requested → revised on the same branch and PR.
  store.reviewComments.set(pr1.number, expected.reviewComments);
  const ref = (pr: typeof pr1): PullRef => ({
    number: pr.number,
    head: pr.headRef,
    sha: pr.headSha,
  });
  await t.deliver(side.payloads.changesRequested(ref(pr1), 501, expected.reviewBody));
  await wait(
    'revised',
    () => store.comments.find((c) => c.number === pr1.number && c.body.includes('Revised for')),
    PAIR_MS,
  );
  await wait('T1 back in review', async () => (await getTicket(db, t1.id)).state === 'review');
  const revised = await log(pr1.headRef);
  expect(phases(revised)).toEqual(['red', 'green', ...expected.revisedPhases]);

  // 4. Merged → T2 starts → its PR → merged → request done.
  await store.mergePullRequest(side.repo, pr1.number);
  await t.deliver(side.payloads.merged(ref(pr1)));
  const t2Review = await wait(
    'T2 in review',
    async () => {
      const row = await getTicket(db, t2!.id);
      return row.state === 'review' ? row : undefined;
    },
    PAIR_MS,
  );
  const pr2 = store.pulls.get(t2Review.prNumber!)!;
  redThenGreen(await log(pr2.headRef), t2!.issueNumber);
  await store.mergePullRequest(side.repo, pr2.number);
  await t.deliver(side.payloads.merged(ref(pr2)));
  await wait('request done', async () => (await requestState()) === 'done', 40_000);

  // What the forge shows: dashboard right, nothing duplicated, only real API routes used.
  const dashboard = await wait('dashboard done', () =>
    [...store.issues.values()].find(
      (i) => i.title === 'Tandem dashboard' && i.body.includes('### Done (2)'),
    ),
  );
  expect(dashboard.body).toContain(`#${request.number} Export the report as CSV: \`done\``);
  expect(store.calls.filter((c) => c.startsWith('createPull'))).toHaveLength(3);
  expect(store.calls.filter((c) => c === 'createIssue Tandem dashboard')).toHaveLength(1);
  const markers = store.comments.map((c) => `${c.number} ${c.body.split('\n')[0]}`);
  expect(new Set(markers).size).toBe(markers.length);
  expect(store.issues.get(t1.issueNumber!)?.labels).toContain('tandem:done');
  expect(
    store.comments.find((c) => c.number === request.number && c.body.includes('is **done**')),
  ).toBeDefined();
  expect(t.api.unknown).toEqual([]);
  expect(t.api.requests.length).toBeGreaterThan(50);
}
