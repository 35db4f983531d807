/**
 * The real pair runner behind the workflow's port, on real infrastructure: the calc fixture repository
 * served as a bare repository over smart HTTP with Basic authentication (so the push goes through
 * askpass), a real Docker sandbox from the warm pool, PGlite, and the scripted model of the engine's
 * fixtures. Proves: red-before-green commits pushed to the remote, no credentials in the remote or git
 * directory, the run recorded without touching the ticket's state, `/stop` (an aborted signal) keeps the
 * checkpoint and a second run resumes it to the same result.
 */
import { randomUUID } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ticket } from '../../src/agents/ticket.js';
import { loadPolicy } from '../../src/config/load-policy.js';
import type { RepoPolicy } from '../../src/config/repo-policy.js';
import { events, runs, tickets } from '../../src/db/schema.js';
import { loadModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import { createEnginePairRunner } from '../../src/workflow/tickets/engine-pair-runner.js';
import type { PairJobInput } from '../../src/workflow/tickets/pair-runner.js';
import { FIXTURES, makeLocalRepo } from '../engine/local-repo.js';
import { startHttpGitServer, type HttpGitServer } from '../git/http-git-server.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';

const logger = createLogger({ level: 'silent' });
const BRANCH = 'tandem/7-multiply-and-subtract';
const USER = 'x-access-token';
const SLOW_SCRIPT = resolve('test/start/fixtures/two-cycles-slow.yaml');
const PASSWORD = `ghs_${randomUUID().replace(/-/g, '')}`;

let provider: DockerSandboxProvider;
let dir = '';
let db: PgliteDatabaseHandle | undefined;
let server: HttpGitServer | undefined;
const managers: ModelManager[] = [];

beforeAll(async () => {
  provider = new DockerSandboxProvider({
    logger,
    poolSize: 1,
    workerId: `test-${randomUUID()}`,
  });
  await provider.start();
});

afterAll(async () => {
  await provider.close();
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await server?.close();
  server = undefined;
  await db?.close();
  db = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The calc fixture as `<root>/calc.git`, served with Basic auth; a ticket row; the policy. */
async function setUp(script: string) {
  const local = await makeLocalRepo(script);
  dir = local.dir;
  const root = join(dir, 'served');
  await execa('git', ['clone', '-q', '--bare', local.repo, join(root, 'calc.git')]);
  server = await startHttpGitServer(root, USER, PASSWORD);
  db = await createTestDatabase();
  const ticket = Ticket.parse(
    parseYaml(await readFile(join(FIXTURES, 'ticket.yaml'), 'utf8')) as unknown,
  );
  const [row] = await db.db
    .insert(tickets)
    .values({
      title: ticket.title,
      description: ticket.description,
      acceptanceCriteria: ticket.acceptanceCriteria,
      issueNumber: 7,
      state: 'in_progress',
    })
    .returning();
  const { policy } = await loadPolicy((p) =>
    readFile(join(local.repo, p), 'utf8').catch(() => undefined),
  );
  return { local, root, ticket, ticketId: row!.id, policy };
}

async function newManager(catalog: string): Promise<ModelManager> {
  const manager = new ModelManager({ catalog: await loadModelCatalog(catalog), logger });
  managers.push(manager);
  return manager;
}

function input(
  s: { ticket: Ticket; ticketId: number; policy: RepoPolicy },
  signal: AbortSignal,
): PairJobInput {
  return {
    ticketId: s.ticketId,
    repositoryId: 1,
    ticket: s.ticket,
    policy: s.policy,
    runKey: `t${s.ticketId}`,
    remote: server!.url('calc.git'),
    branch: BRANCH,
    baseBranch: 'main',
    credentials: { username: USER, password: PASSWORD },
    escalation: {},
    jobDir: join(dir, 'jobs', `pair-t${s.ticketId}`),
    signal,
    logger,
  };
}

async function remoteLog(bare: string): Promise<string[]> {
  const out = await execa('git', [
    '--git-dir',
    bare,
    'log',
    '--reverse',
    '--format=%s|%(trailers:key=Tandem-Phase,valueonly,separator=)',
    `main..${BRANCH}`,
  ]);
  return out.stdout.split('\n').filter(Boolean);
}

describe('engine pair runner (real Docker, smart-HTTP bare remote with askpass, PGlite, scripted model)', () => {
  it('runs the ticket red → green twice and pushes the branch with credentials through askpass only', async () => {
    const s = await setUp('two-cycles.yaml');
    const runner = createEnginePairRunner({
      db: db!.db,
      models: await newManager(s.local.catalog),
      sandboxes: provider,
    });
    const result = await runner.run(input(s, new AbortController().signal));

    expect(result.status).toBe('done');
    if (result.status !== 'done') {
      return;
    }
    const bare = join(s.root, 'calc.git');
    expect(await remoteLog(bare)).toEqual([
      'test(#7): multiply returns the product|red',
      'feat(#7): add multiply|green',
      'test(#7): subtract returns the difference|red',
      'feat(#7): add subtract|green',
    ]);
    const head = (await execa('git', ['--git-dir', bare, 'rev-parse', BRANCH])).stdout.trim();
    expect(result.record.headCommit).toBe(head);
    expect(result.record.criteria.map((c) => c.status)).toEqual(['met', 'met']);
    expect(result.record.finalRun?.status).toBe('passed');
    // The server saw the credentials; they were never in a URL, argv or file Tandem left behind.
    expect(server!.authorizations.length).toBeGreaterThan(0);
    expect(input(s, new AbortController().signal).remote).not.toContain(PASSWORD);
    await expect(readdir(join(dir, 'jobs'))).resolves.toEqual([]);
    // The run is recorded; the ticket's state is the workflow's to move (still in_progress).
    const [run] = await db!.db
      .select()
      .from(runs)
      .where(eq(runs.jobId, `t${s.ticketId}`));
    expect(run?.status).toBe('done');
    expect(run?.ticketId).toBe(s.ticketId);
    const [ticket] = await db!.db.select().from(tickets).where(eq(tickets.id, s.ticketId));
    expect(ticket?.state).toBe('in_progress');
    const kinds = (await db!.db.select().from(events)).map((e) => e.kind);
    expect(kinds).toContain('run.record');
    expect(JSON.stringify(await db!.db.select().from(events))).not.toContain(PASSWORD);
  }, 240_000);

  it('an aborted signal stops at a safe point with the checkpoint kept; the next run resumes it', async () => {
    const s = await setUp('two-cycles-slow.yaml');
    const catalog = join(dir, 'slow-catalog.yaml');
    await writeFile(
      catalog,
      `models:\n  script:\n    provider: scripted\n    model: demo\n    script: ${SLOW_SCRIPT}\n`,
    );
    const stop = new AbortController();
    const watcher = setInterval(() => {
      void db!.db
        .select({ phase: runs.phase })
        .from(runs)
        .then(([r]) => {
          if (r?.phase === 'green') {
            stop.abort(new Error('stopped by /stop'));
          }
        });
    }, 100);
    const first = await createEnginePairRunner({
      db: db!.db,
      models: await newManager(catalog),
      sandboxes: provider,
    })
      .run(input(s, stop.signal))
      .finally(() => clearInterval(watcher));
    expect(first.status).toBe('stopped');
    const bare = join(s.root, 'calc.git');
    expect(await remoteLog(bare)).toEqual(['test(#7): multiply returns the product|red']);
    const [stopped] = await db!.db.select().from(runs);
    expect(stopped?.phase).toBe('green');

    const second = await createEnginePairRunner({
      db: db!.db,
      models: await newManager(catalog),
      sandboxes: provider,
    }).run(input(s, new AbortController().signal));
    expect(second.status).toBe('done');
    expect(await remoteLog(bare)).toEqual([
      'test(#7): multiply returns the product|red',
      'feat(#7): add multiply|green',
      'test(#7): subtract returns the difference|red',
      'feat(#7): add subtract|green',
    ]);
    const resumed = (await db!.db.select().from(events)).filter((e) => e.kind === 'pair.resumed');
    expect(resumed).toHaveLength(1);
  }, 240_000);
});
