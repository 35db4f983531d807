/**
 * kill -9 of a worker process in the middle of a ticket, then a restart: exactly one PR, no duplicate
 * comments, the same final tree as an uninterrupted run. The parent runs what outlives workers: PGlite
 * (served on the wire for the worker processes), the ingestion server with its outbox relay, Redis
 * (BullMQ), an HTTP fake of Gitea's API over a memory store and a bare git remote. Worker processes
 * (`kill-worker-child.ts`) run the real `startWorkers` with the Gitea forge and the stand-in pair
 * runner; the first one is killed with SIGKILL after the red commit is pushed, the second picks up the
 * stalled job (BullMQ lock expiry) and finishes the ticket.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { servePglite, type PgliteServer } from '../../src/db/serve-pglite.js';
import { EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { startIngestion, type Ingestion } from '../../src/ingest/start-ingestion.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { getRequest } from '../../src/workflow/request-store.js';
import { getTicket, ticketsOfRequest } from '../../src/workflow/ticket-store.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { postDelivery } from '../ingest/post-delivery.js';
import { POLICY, SCRIPT, until } from '../workflow/harness.js';
import { createBareRepo, createMemoryForge } from '../workflow/memory-forge.js';
import { giteaRoutes } from './gitea-api-fake.js';
import { GITEA_NAME, GITEA_OWNER, giteaComment, giteaIssueLabeled } from './gitea-payloads.js';

const TOKEN = 'gitea-bot-token-kill-test';
const git = async (bare: string, args: string[]): Promise<string> =>
  (await execa('git', ['--git-dir', bare, ...args])).stdout;

describe('kill -9 of a worker during a ticket', () => {
  let dir = '';
  let database: PgliteDatabaseHandle | undefined;
  let pg: PgliteServer | undefined;
  let backend: QueueBackend | undefined;
  let ingestion: Ingestion | undefined;
  let http: Server | undefined;
  const children: ResultPromise[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGTERM');
      await child.catch(() => undefined);
    }
    await ingestion?.close();
    await backend?.close();
    await pg?.stop();
    await database?.close();
    await new Promise((r) => (http ? http.close(r) : r(undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  it('restarted worker finishes the ticket: one PR, no duplicate comments, the same tree', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-kill-'));
    const bare = await createBareRepo(dir, { '.github/tandem.yml': POLICY });
    const store = createMemoryForge(bare);
    store.permissions.set('maria', 'write');
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        void routes
          .handle(
            req.method ?? 'GET',
            req.url ?? '/',
            text ? (JSON.parse(text) as unknown) : undefined,
            req.headers.authorization,
          )
          .then(([status, json]) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(json === '' ? '' : JSON.stringify(json));
          });
      });
    });
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const giteaUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const routes = giteaRoutes(store, GITEA_OWNER, GITEA_NAME, giteaUrl);

    database = await createTestDatabase();
    pg = await servePglite(database, { transport: 'tcp' });
    backend = await createQueueBackend({ redisUrl: 'redis://127.0.0.1:6379' });
    const prefix = `test-${randomUUID()}`;
    const secret = `whsec-${randomUUID()}`;
    ingestion = await startIngestion({
      db: database.db,
      eventsQueue: backend.createQueue(EVENTS_QUEUE, { prefix }),
      log: createLogger({ level: 'silent' }),
      port: 0,
      giteaWebhookSecret: secret,
      botLogins: ['tandem-bot'],
    });
    const script = join(dir, 'script.yaml');
    await writeFile(script, SCRIPT);
    const signalFile = join(dir, 'red-pushed');
    const spawnWorker = async (pauseAfterRed: boolean): Promise<{ child: ResultPromise }> => {
      const child = execa(process.execPath, ['--import', 'tsx', 'test/e2e/kill-worker-child.ts'], {
        env: {
          TANDEM_E2E_CHILD: JSON.stringify({
            databaseUrl: pg!.connectionString,
            prefix,
            giteaUrl,
            token: TOKEN,
            bare,
            workDir: join(dir, 'jobs'),
            script,
            pauseAfterRed,
            signalFile,
          }),
        },
        buffer: false,
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.catch(reject);
      });
      return { child };
    };
    const deliver = async (event: string, payload: unknown): Promise<void> => {
      const res = await postDelivery(ingestion!.server.url, {
        forge: 'gitea',
        event,
        id: randomUUID(),
        payload,
        secret,
      });
      expect(res.status).toBe(200);
    };
    const db = database.db;

    const { child: first } = await spawnWorker(true);
    const request = await store.createIssue(
      { owner: GITEA_OWNER, name: GITEA_NAME },
      { title: 'Export the report as CSV', body: 'Please add CSV export.', labels: ['tandem'] },
    );
    await deliver('issues', giteaIssueLabeled(request.number, request.title, 'tandem'));
    await until(
      'spec review',
      async () => (await getRequest(db, 1).catch(() => null))?.state === 'spec_review',
      40_000,
    );
    await deliver('issue_comment', giteaComment(request.number, 'maria', '/approve', false));
    await until('red pushed', () => existsSync(signalFile), 40_000);
    const [t1] = await ticketsOfRequest(db, 1);
    const branch = t1!.branch!;
    expect(await git(bare, ['log', '--format=%s', `main..${branch}`])).toBe(
      `test(#${t1!.issueNumber}): failing test`,
    );

    // kill -9 in the middle of the ticket, then a fresh worker process.
    first.kill('SIGKILL');
    await first.catch(() => undefined);
    expect(first.killed).toBe(true);
    await spawnWorker(false);
    const done = await until(
      'T1 in review after the restart',
      async () => {
        const t = await getTicket(db, t1!.id);
        return t.state === 'review' ? t : undefined;
      },
      60_000,
    );

    // Exactly one PR; the branch holds red then green once each; the tree of an uninterrupted run.
    expect(store.calls.filter((c) => c === `createPull ${branch}`)).toHaveLength(1);
    expect(store.pulls.get(done.prNumber!)?.body).toContain(`Closes #${t1!.issueNumber}`);
    const n = t1!.issueNumber!;
    expect(
      (await git(bare, ['log', '--reverse', '--format=%s', `main..${branch}`])).split('\n'),
    ).toEqual([`test(#${n}): failing test`, `feat(#${n}): make it pass`]);
    expect((await git(bare, ['ls-tree', '-r', '--name-only', branch])).split('\n')).toEqual([
      '.github/tandem.yml',
      'docs/specs/1-csv-export.md',
      `src/t${n}.js`,
      `test/t${n}-1.spec.js`,
    ]);
    expect(await git(bare, ['show', `${branch}:src/t${n}.js`])).toBe('export const v1 = 1;');
    const markers = store.comments.map((c) => `${c.number} ${c.body.split('\n')[0]}`);
    expect(new Set(markers).size).toBe(markers.length);
    expect(store.statuses.filter((s) => s.context === 'tandem/tdd')).toHaveLength(1);
    expect(routes.fake.unknown).toEqual([]);
  }, 150_000);
});
