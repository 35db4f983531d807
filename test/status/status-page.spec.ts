/**
 * The status page in a real browser: Debian's Chromium, headless, driven by playwright-core, against the
 * HTTP side as `tandem server` starts it (PGlite data directory, BullMQ's PostgreSQL backend). The
 * database is filled through Tandem's own stores (a Gitea repository, a request, tickets, a running pair
 * whose progress the worker's recorder writes), and the page must follow what happens without a reload:
 * new progress of the pair, a ticket moving to review. Through a forwarding proxy on this machine (a
 * request that is not loopback, as behind nginx) the page and its feed are refused without the status
 * token, and served with it, the token moved from the address bar into an HttpOnly cookie. Titles are
 * shown as text, never as markup. A screenshot is kept in `test/artifacts/status-page.png`.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbRunStore } from '../../src/agents/db-run-store.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { FairShareSlots } from '../../src/llm/fair-share-slots.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { createLogger } from '../../src/log/logger.js';
import { MeteredGate } from '../../src/metrics/metered-gate.js';
import { createTandemMetrics } from '../../src/metrics/tandem-metrics.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import {
  createPairProgressRecorder,
  type PairProgressRecorder,
  type PairProgressReport,
  type ProgressRun,
} from '../../src/status/pair-progress-recorder.js';
import { upsertRepository } from '../../src/workflow/repository-store.js';
import { createRequest, transitionRequest } from '../../src/workflow/requests/request-store.js';
import {
  createTicket,
  getTicket,
  transitionTicket,
} from '../../src/workflow/tickets/ticket-store.js';
import { startHttpSide, type HttpSide } from '../../worker/http-side.js';
import { findChromium } from '../helpers/find-chromium.js';

const STATUS_TOKEN = 'status-token-0123456789abcdef';
const GITEA_TOKEN = 'gitea-token-secret-0123456789';
const EVIL = '<img src=x onerror="document.title=\'pwned\'">Export <b>all</b>';
const ARTIFACTS = 'test/artifacts';

let dir = '';
let database: DatabaseHandle;
let backend: QueueBackend;
let http: HttpSide;
let proxy: Server;
let proxyUrl = '';
let context: BrowserContext;
let progress: PairProgressRecorder;
let run: ProgressRun;
const ids = { t7: 0, t8: 0 };

/** A reverse proxy on loopback that forwards like nginx (`X-Forwarded-For`), streaming answers. */
async function startForwardingProxy(target: string): Promise<Server> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, 'x-forwarded-for': '198.51.100.23', host: to.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const report = (over: Partial<PairProgressReport>): PairProgressReport => ({
  phase: 'red',
  cycle: 1,
  criterion: 0,
  criteria: 2,
  passing: 3,
  failing: 1,
  tokens: 1_234,
  elapsedMs: 95_000,
  message: 'tester: write_file tests/test_csv.py',
  ...over,
});

beforeAll(async () => {
  // Throws (the suite fails, never skips) naming the package when the browser is missing.
  const executablePath = findChromium();
  dir = await mkdtemp(join(tmpdir(), 'tandem-status-'));
  database = await createDatabase({ dataDir: dir });
  await migrateDatabase(database);
  backend = await createQueueBackend({}, { database });
  const db = database.db;
  const repo = await upsertRepository(db, 'gitea', { owner: 'acme', name: 'widgets' });
  let { request } = await createRequest(db, repo.id, 5, 'CSV export');
  for (const to of ['drafting', 'spec_review', 'approved', 'planning', 'in_progress'] as const) {
    request = await transitionRequest(db, request, to);
  }
  const ticket = (issueNumber: number, title: string) =>
    createTicket(db, { requestId: request.id, repositoryId: repo.id, issueNumber, title });
  let t7 = await ticket(7, 'CSV writer');
  let t8 = await ticket(8, EVIL);
  t7 = await transitionTicket(db, await transitionTicket(db, t7, 'todo'), 'in_progress');
  t8 = await transitionTicket(db, t8, 'todo');
  ids.t7 = t7.id;
  ids.t8 = t8.id;
  const store = createDbRunStore(db, { ticketId: t7.id });
  const opened = await store.openRun({
    jobId: 'ticket-1-1',
    ticket: { id: '7', title: 'CSV writer', description: '', acceptanceCriteria: ['a', 'b'] },
  });
  run = { runId: opened.runId, ticketId: t7.id, repositoryId: repo.id, jobId: 'ticket-1-1' };
  progress = createPairProgressRecorder({ db });
  progress.record(run, report({}));
  await progress.end(run.runId);
  const calls = new DrizzleModelCallRecorder({ db });
  for (const [outcome, latencyMs] of [
    ['ok', 1_200],
    ['ok', 1_800],
    ['error', 0],
  ] as const) {
    await calls.record({
      ...{ alias: 'local-coder', provider: 'ollama', model: 'qwen2.5-coder:7b', role: 'developer' },
      ...{ repositoryId: repo.id, ticketId: t7.id, runId: run.runId, costUsd: 0, outcome },
      ...{ inputTokens: outcome === 'ok' ? 900 : 0, outputTokens: outcome === 'ok' ? 300 : 0 },
      latencyMs,
    });
  }

  // This process's model slots: one of two busy, as while a call runs.
  const metrics = createTandemMetrics({ processMetrics: false });
  const limits = { 'local-coder': 2 };
  const gate = new MeteredGate({ inner: new FairShareSlots({ limits }), limits, metrics });
  await gate.acquire('local-coder', { priority: 5 });

  const config = loadServerConfig({
    HOST: '127.0.0.1',
    TANDEM_DATA_DIR: dir,
    GITEA_URL: 'https://git.acme.test',
    GITEA_TOKEN,
    GITEA_WEBHOOK_SECRET: 'hook-secret-0123',
    TANDEM_STATUS_TOKEN: STATUS_TOKEN,
  });
  http = await startHttpSide({
    config: { ...config, port: 0, gitea: { ...config.gitea!, botLogin: 'tandem-bot' } },
    database,
    backend,
    logger: createLogger({ level: 'silent' }),
    metrics,
    statusFeed: { intervalMs: 200 },
  });
  proxy = await startForwardingProxy(http.url);
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  await http?.close();
  await backend?.close();
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Waits until the page says its feed is live. */
async function live(page: Page): Promise<void> {
  await page.locator('#live', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
}

describe('status page', () => {
  it('shows requests, tickets, the running pair and slots, and follows them live', async () => {
    const page = await context.newPage();
    const answer = await page.goto(`${http.url}/`);
    expect(answer?.status()).toBe(200);
    await live(page);
    // Browser-side code: `globalThis` is the page's window there.
    await page.evaluate(() => {
      (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });

    const pair = page.locator(`#pairs tr[data-run="${run.runId}"]`);
    await expect.poll(() => pair.innerText()).toContain('3 passing');
    expect(await pair.innerText()).toMatch(
      /acme\/widgets[\s\S]*#7 CSV writer[\s\S]*red[\s\S]*1 failing[\s\S]*1,234/,
    );
    expect(await page.locator('#slots').innerText()).toMatch(/local-coder\s+1 \/ 2\s+0/);
    expect(await page.locator('#requests').innerText()).toMatch(/#5\s+CSV export\s+in progress/);
    expect(await page.locator('#models').innerText()).toMatch(
      /local-coder\s+3\s+1\s+1,800\s+600\s+1500 ms/,
    );
    expect(await page.locator('a', { hasText: '#7' }).first().getAttribute('href')).toBe(
      'https://git.acme.test/acme/widgets/issues/7',
    );
    // A title full of markup is text: no image, no script ran, the words are shown as written.
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('#tickets').innerText()).toContain(EVIL);
    expect(await page.title()).toBe('Tandem status');
    const html = await page.content();
    for (const secret of [GITEA_TOKEN, STATUS_TOKEN]) {
      expect(html).not.toContain(secret);
    }

    // New progress from the worker's recorder: the pair's row changes without a reload.
    progress.record(run, report({ phase: 'green', passing: 4, failing: 0, tokens: 2_500 }));
    await progress.end(run.runId);
    await expect.poll(() => pair.innerText(), { timeout: 10_000 }).toContain('4 passing');
    expect(await pair.innerText()).toMatch(/green[\s\S]*0 failing[\s\S]*2,500/);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });

    // The ticket moves (as the ticket job does when its PR opens): its row follows.
    await transitionTicket(database.db, await getTicket(database.db, ids.t7), 'review', {
      prNumber: 12,
    });
    await page
      .locator('#tickets tr[data-ticket="7"][data-state="review"]')
      .waitFor({ timeout: 10_000 });
    expect(
      await page.locator('#tickets tr[data-ticket="7"] a', { hasText: '#12' }).getAttribute('href'),
    ).toBe('https://git.acme.test/acme/widgets/pulls/12');
    expect(await page.locator('#events').innerText()).toMatch(
      /ticket\.transition[\s\S]*in progress\s*→\s*review/,
    );
    expect(await page.locator('#pairs').innerText()).toContain('No pair is running.');
    const stillLoaded = () => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce;
    expect(await page.evaluate(stillLoaded)).toBe(true);
    await page.close();
  });

  it('refuses a forwarded request without the token, and serves it live with the token', async () => {
    const page = await context.newPage();
    const refused = await page.goto(`${proxyUrl}/`);
    expect(refused?.status()).toBe(403);
    expect(await page.innerText('body')).toContain('TANDEM_STATUS_TOKEN');
    expect(await page.content()).not.toContain('acme/widgets');
    const feed = await fetch(`${proxyUrl}/status/events`);
    expect(feed.status).toBe(403);
    expect((await page.goto(`${proxyUrl}/?token=not-the-token-0123456789`))?.status()).toBe(403);

    const opened = await page.goto(`${proxyUrl}/?token=${STATUS_TOKEN}`);
    expect(opened?.status()).toBe(200);
    expect(page.url()).toBe(`${proxyUrl}/`);
    const cookies = () =>
      (globalThis as unknown as { document: { cookie: string } }).document.cookie;
    expect(await page.evaluate(cookies)).toBe('');
    await live(page);
    await transitionTicket(database.db, await getTicket(database.db, ids.t8), 'in_progress');
    await page
      .locator('#tickets tr[data-ticket="8"][data-state="in_progress"]')
      .waitFor({ timeout: 10_000 });
    await page.close();
  });
});
