/**
 * Shared set-up of the kill -9 tests (`kill-worker.spec.ts` with the stand-in pair runner,
 * `kill-worker-engine.spec.ts` with the real pair engine in Docker). The parent process runs what
 * outlives workers: PGlite (served on the wire for the worker processes), the ingestion server with its
 * outbox relay, BullMQ on the local Redis (own key prefix), an HTTP fake of Gitea's API over a memory
 * store, and a bare git remote holding `files`. Worker processes (`kill-worker-child.ts`) are spawned
 * with {@link KillHarness.spawnWorker}; each resolves once the child printed `tandem-child-ready`
 * (a word no log line carries).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';
import type { Database } from '../../src/db/create-database.js';
import { servePglite, type PgliteServer } from '../../src/db/serve-pglite.js';
import { EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { startIngestion, type Ingestion } from '../../src/ingest/start-ingestion.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { postDelivery } from '../ingest/post-delivery.js';
import { until } from '../workflow/harness.js';
import { createBareRepo, createMemoryForge, type MemoryForge } from '../workflow/memory-forge.js';
import { giteaRoutes } from './gitea-api-fake.js';
import { GITEA_NAME, GITEA_OWNER, giteaComment, giteaIssueLabeled } from './gitea-payloads.js';

const TOKEN = 'gitea-bot-token-kill-test';

/**
 * What a worker process runs besides the shared settings (see `ChildConfig` in kill-worker-child.ts):
 * the stand-in pair runner (optionally pausing after its red push) or the real engine with a fixed
 * sandbox worker id.
 */
export type WorkerSettings =
  | { runner: 'stand-in'; script: string; pauseAfterRed: boolean; signalFile: string }
  | {
      runner: 'engine';
      script: string;
      /** Sandbox worker id, the same for every process of the test (orphans are found by it). */
      workerId: string;
      /** Where the provider makes sandbox workspaces (inside the test's temp dir). */
      workspaceRoot: string;
      /** The child appends `<role> <step>` here when a model call starts (before the provider answers). */
      modelCallLog: string;
    };

/** The running parent side of a kill test. */
export interface KillHarness {
  /** Temp dir of the test (removed by `close`). */
  dir: string;
  /** The bare remote (`<dir>/remote.git`). */
  bare: string;
  store: MemoryForge;
  /** Request paths the Gitea fake could not serve (must stay empty). */
  unknownRoutes: string[];
  /** The parent's handle on the database the workers use. */
  db: Database;
  /**
   * Spawns a worker process; resolves once it is ready (workers and sandbox provider started). The
   * process is wrapped: an execa result is a thenable, which an async function would unwrap.
   */
  spawnWorker(settings: WorkerSettings): Promise<{ child: ResultPromise }>;
  /** Signs and POSTs a Gitea delivery to the ingestion server; expects 200. */
  deliver(event: string, payload: unknown): Promise<void>;
  /**
   * Files request #1 with the trigger label, waits for its spec under review (40 s) and approves it as
   * `maria`: the Architect's tickets and the first pair job follow.
   */
  fileAndApprove(): Promise<void>;
  /** `git --git-dir <bare> …`, stdout. */
  git(args: string[]): Promise<string>;
  /** SIGTERMs the children still running, stops everything and removes the temp dir. */
  close(): Promise<void>;
}

/** Starts the parent side over a bare remote whose `main` holds `files`; `maria` may write. */
export async function startKillHarness(files: Record<string, string>): Promise<KillHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-kill-'));
  const children: ResultPromise[] = [];
  let database: PgliteDatabaseHandle | undefined;
  let pg: PgliteServer | undefined;
  let backend: QueueBackend | undefined;
  let ingestion: Ingestion | undefined;
  let http: Server | undefined;
  const close = async (): Promise<void> => {
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
  };
  try {
    const bare = await createBareRepo(dir, files);
    const store = createMemoryForge(bare);
    store.permissions.set('maria', 'write');
    const server = createServer((req, res) => {
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
    http = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const giteaUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
    const ingestUrl = ingestion.server.url;
    const databaseUrl = pg.connectionString;
    const db = database.db;
    const deliver = async (event: string, payload: unknown): Promise<void> => {
      const res = await postDelivery(ingestUrl, {
        forge: 'gitea',
        event,
        id: randomUUID(),
        payload,
        secret,
      });
      expect(res.status).toBe(200);
    };
    return {
      dir,
      bare,
      store,
      unknownRoutes: routes.fake.unknown,
      db,
      async spawnWorker(settings) {
        const child = execa(
          process.execPath,
          ['--import', 'tsx', 'test/e2e/kill-worker-child.ts'],
          {
            env: {
              TANDEM_E2E_CHILD: JSON.stringify({
                databaseUrl,
                prefix,
                giteaUrl,
                token: TOKEN,
                bare,
                workDir: join(dir, 'jobs'),
                ...settings,
              }),
            },
            buffer: false,
          },
        );
        children.push(child);
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr = `${stderr}${d.toString()}`.slice(-4_000)));
        await new Promise<void>((resolve, reject) => {
          child.stdout.on(
            'data',
            (d: Buffer) => d.toString().includes('tandem-child-ready') && resolve(),
          );
          void child.then(
            () => reject(new Error(`worker exited before ready:\n${stderr}`)),
            (error: unknown) =>
              reject(new Error(`worker failed before ready:\n${stderr}`, { cause: error })),
          );
        });
        return { child };
      },
      deliver,
      async fileAndApprove() {
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
      },
      async git(args) {
        return (await execa('git', ['--git-dir', bare, ...args])).stdout;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
