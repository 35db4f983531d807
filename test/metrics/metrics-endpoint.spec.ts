/**
 * `/metrics` after real work, as `tandem start` wires it (one registry for both sides): the HTTP side on a
 * PGlite data directory with BullMQ's PostgreSQL backend, the workers with the worker side's own metered
 * parts (`workerInstruments`), the real `ModelManager` with a scripted model, the in-memory forge over a
 * bare git repository. A signed Gitea delivery (fixture `issues-label_updated`) goes through the outbox
 * and the router to a `spec` job whose PM call the scripted model answers; then the endpoint is scraped
 * and read with a strict reader of the text format (`exposition-format.ts`), cross-checked by the npm
 * package `parse-prometheus-text-format`, and the values are compared with what really happened: the
 * `model_calls` rows, the request's state, the jobs that ran.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { rowsOf } from '../../src/db/rows-of.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { createTandemMetrics } from '../../src/metrics/tandem-metrics.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { EVENTS_QUEUE, PAIRS_QUEUE, WORK_QUEUE } from '../../src/workflow/work-jobs.js';
import { startHttpSide, type HttpSide } from '../../worker/http-side.js';
import { startWorkers, type RunningWorkers } from '../../worker/start-workers.js';
import { workerInstruments } from '../../worker/worker-metrics.js';
import { postDelivery } from '../ingest/post-delivery.js';
import { createGitPairRunner } from '../workflow/git-pair-runner.js';
import { issueInfo, PM_SCRIPT, POLICY, until } from '../workflow/harness.js';
import { createBareRepo, createMemoryForge, type MemoryForge } from '../workflow/memory-forge.js';
import { parseExposition, valueOf, type Family } from './exposition-format.js';

const SECRET = 'gitea-hook-secret-0123';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

let dir = '';
let database: DatabaseHandle;
let backend: QueueBackend;
let http: HttpSide;
let running: RunningWorkers;
let models: ModelManager;
let forge: MemoryForge;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-metrics-'));
  database = await createDatabase({ dataDir: dir });
  await migrateDatabase(database);
  backend = await createQueueBackend({}, { database });
  const logger = createLogger({ level: 'silent' });
  const metrics = createTandemMetrics();
  const bare = await createBareRepo(dir, { '.github/tandem.yml': POLICY, 'README.md': '# w\n' });
  forge = createMemoryForge(bare);
  await writeFile(join(dir, 'script.yaml'), PM_SCRIPT);
  const catalog = parseModelCatalog(
    `models:\n  script: { provider: scripted, model: demo, maxConcurrent: 2, script: ${join(dir, 'script.yaml')} }\n`,
    {},
  );
  const instruments = workerInstruments({ metrics, catalog, db: database.db, logger });
  models = new ModelManager({
    catalog,
    recorder: instruments.recorder(new DrizzleModelCallRecorder({ db: database.db })),
    gate: instruments.gate,
  });
  running = await startWorkers({
    backend,
    maxPairJobs: 1,
    observer: instruments.jobObserver!,
    deps: {
      db: database.db,
      forgeFor: () => forge,
      planningModel: ({ policy, repositoryId }) => models.forTicket({ policy, repositoryId }),
      pairs: createGitPairRunner(),
      permissions: createPermissionChecker({ ttlMs: 60_000 }),
      remoteUrl: () => bare,
      workDir: join(dir, 'jobs'),
      logger,
    },
    reconcile: { firstDelayMs: 60_000 },
  });
  instruments.watch(
    () => ({ ready: 0, starting: 0 }),
    [EVENTS_QUEUE, WORK_QUEUE, PAIRS_QUEUE].map((q) => running.enqueuer.queue(q)),
  );
  const env = {
    HOST: '127.0.0.1',
    PORT: '1',
    TANDEM_DATA_DIR: dir,
    GITEA_URL: 'http://127.0.0.1:9',
    GITEA_TOKEN: 'gitea-token-0123456789',
    GITEA_WEBHOOK_SECRET: SECRET,
    TANDEM_METRICS_TOKEN: METRICS_TOKEN,
  };
  const config = loadServerConfig(env);
  http = await startHttpSide({
    config: { ...config, port: 0, gitea: { ...config.gitea!, botLogin: 'tandem-bot' } },
    database,
    backend,
    logger,
    metrics,
  });
});

afterAll(async () => {
  await http?.close();
  await running?.close();
  await backend?.close();
  await models?.close();
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Scrapes `/metrics` and reads it with both parsers. */
async function scrape(headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await fetch(`${http.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const families = parseExposition(text);
  // A second, independent reader agrees on every family and its type.
  const other = parsePrometheusTextFormat(text);
  expect(new Map(other.map((f) => [f.name, f.type.toLowerCase()]))).toEqual(
    new Map([...families.values()].map((f) => [f.name, f.type])),
  );
  return families;
}

async function one<T>(query: ReturnType<typeof sql>): Promise<T> {
  return rowsOf<T>(await database.db.execute(query))[0]!;
}

describe('/metrics', () => {
  it('counts a delivery, its jobs and its model call, matching the database', async () => {
    const payload = JSON.parse(
      await readFile('test/fixtures/gitea/issues-label_updated.json', 'utf8'),
    ) as { issue: { number: number } };
    forge.issues.set(payload.issue.number, issueInfo(payload.issue.number, ['tandem']));
    const delivery = {
      forge: 'gitea' as const,
      event: 'issues',
      id: 'm-1',
      payload,
      secret: SECRET,
    };
    expect((await postDelivery(http.url, delivery)).body).toEqual({ status: 'accepted' });
    expect((await postDelivery(http.url, delivery)).body).toEqual({ status: 'duplicate' });
    const forged = await postDelivery(http.url, { ...delivery, id: 'm-2', signWith: 'wrong' });
    expect(forged.status).toBe(401);
    await until('spec review', async () => {
      const row = await one<{ state: string } | undefined>(sql`select state from requests`);
      return row?.state === 'spec_review';
    });
    // The spec job counts as completed once BullMQ moved it, a moment after its work is done.
    await until('spec job completed', async () => {
      const m = await scrape();
      return valueOf(m, 'tandem_jobs_total', { queue: WORK_QUEUE, kind: 'spec' }) === 1;
    });

    const m = await scrape();
    const deliveries = (outcome: string, event: string, status: string) =>
      valueOf(m, 'tandem_webhook_deliveries_total', { forge: 'gitea', event, outcome, status });
    expect(deliveries('accepted', 'issues', '200')).toBe(1);
    expect(deliveries('duplicate', 'issues', '200')).toBe(1);
    expect(deliveries('rejected', 'unauthenticated', '401')).toBe(1);

    expect(
      valueOf(m, 'tandem_jobs_total', {
        queue: EVENTS_QUEUE,
        kind: 'issue.labeled',
        state: 'completed',
      }),
    ).toBe(1);
    expect(
      valueOf(m, 'tandem_jobs_total', { queue: WORK_QUEUE, kind: 'spec', state: 'completed' }),
    ).toBe(1);
    expect(valueOf(m, 'tandem_queue_wait_seconds_count', { queue: WORK_QUEUE, kind: 'spec' })).toBe(
      1,
    );
    expect(
      valueOf(m, 'tandem_job_duration_seconds_count', { queue: WORK_QUEUE, kind: 'spec' }),
    ).toBe(1);

    const calls = await one<{ n: string; input: string; output: string; ok: string }>(sql`
      select count(*) as n, sum(input_tokens) as input, sum(output_tokens) as output,
             count(*) filter (where outcome = 'ok') as ok
      from model_calls where alias = 'script' and role = 'pm'`);
    expect(Number(calls.n)).toBeGreaterThan(0);
    const labels = { alias: 'script', role: 'pm' };
    expect(valueOf(m, 'tandem_model_calls_total', { ...labels, outcome: 'ok' })).toBe(
      Number(calls.ok),
    );
    expect(valueOf(m, 'tandem_model_tokens_total', { ...labels, direction: 'input' })).toBe(
      Number(calls.input),
    );
    expect(valueOf(m, 'tandem_model_tokens_total', { ...labels, direction: 'output' })).toBe(
      Number(calls.output),
    );
    expect(valueOf(m, 'tandem_model_call_duration_seconds_count', labels)).toBe(Number(calls.ok));
    expect(valueOf(m, 'tandem_model_slots', { alias: 'script' })).toBe(2);
    expect(valueOf(m, 'tandem_model_slots_busy', { alias: 'script' })).toBe(0);
    expect(valueOf(m, 'tandem_model_slot_waiters', { alias: 'script' })).toBe(0);
    expect(valueOf(m, 'tandem_model_slot_wait_seconds_count', { alias: 'script' })).toBe(
      Number(calls.n),
    );

    expect(valueOf(m, 'tandem_requests', { state: 'spec_review' })).toBe(1);
    expect(valueOf(m, 'tandem_requests', { state: 'done' })).toBe(0);
    expect(valueOf(m, 'tandem_tickets', { state: 'todo' })).toBe(0);
    expect(valueOf(m, 'tandem_outbox_pending')).toBe(0);
    expect(valueOf(m, 'tandem_pair_runs_running')).toBe(0);
    expect(valueOf(m, 'tandem_queue_jobs', { queue: WORK_QUEUE, state: 'waiting' })).toBe(0);
    expect(valueOf(m, 'tandem_sandbox_pool', { state: 'ready' })).toBe(0);
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
  });

  it('answers a forwarded request only with the metrics token', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    const refused = await fetch(`${http.url}/metrics`, { headers: forwarded });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('tandem_');
    const wrong = await fetch(`${http.url}/metrics`, {
      headers: { ...forwarded, authorization: 'Bearer not-the-token-0123456789' },
    });
    expect(wrong.status).toBe(403);
    const m = await scrape({ ...forwarded, authorization: `Bearer ${METRICS_TOKEN}` });
    expect(m.has('tandem_webhook_deliveries_total')).toBe(true);
  });
});
