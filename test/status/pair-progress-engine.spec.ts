/**
 * The real pair engine's progress reaches the status page's rows: the engine pair runner with the
 * worker's own hooks (`workerInstruments`), a real Docker sandbox, PGlite, a local bare remote and the
 * engine's scripted two-cycle fixture. Every run leaves `pair.progress` rows that follow the protocol
 * (red before green, cycles counting up, the last one green with its tests passing), no row holds model
 * text, and the finished run's budget use is observed.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ticket } from '../../src/agents/ticket.js';
import { loadPolicy } from '../../src/config/load-policy.js';
import { events, tickets } from '../../src/db/schema.js';
import { loadModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { createTandemMetrics } from '../../src/metrics/tandem-metrics.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import { readStatus } from '../../src/status/read-status.js';
import { createEnginePairRunner } from '../../src/workflow/tickets/engine-pair-runner.js';
import { workerInstruments } from '../../worker/worker-metrics.js';
import { FIXTURES, makeLocalRepo } from '../engine/local-repo.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { parseExposition, valueOf } from '../metrics/exposition-format.js';

const logger = createLogger({ level: 'silent' });
let provider: DockerSandboxProvider;
let db: PgliteDatabaseHandle;
let dir = '';

beforeAll(async () => {
  provider = new DockerSandboxProvider({ logger, poolSize: 1, workerId: `test-${randomUUID()}` });
  await provider.start();
  db = await createTestDatabase();
});

afterAll(async () => {
  await provider?.close();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pair progress from the real engine', () => {
  it('is recorded as pair.progress rows that follow the run', async () => {
    const local = await makeLocalRepo('two-cycles.yaml');
    dir = local.dir;
    const bare = join(dir, 'calc.git');
    await execa('git', ['clone', '-q', '--bare', local.repo, bare]);
    const ticket = Ticket.parse(
      parseYaml(await readFile(join(FIXTURES, 'ticket.yaml'), 'utf8')) as unknown,
    );
    const [row] = await db.db
      .insert(tickets)
      .values({
        title: ticket.title,
        acceptanceCriteria: ticket.acceptanceCriteria,
        state: 'in_progress',
      })
      .returning();
    const { policy } = await loadPolicy((p) =>
      readFile(join(local.repo, p), 'utf8').catch(() => undefined),
    );
    const catalog = await loadModelCatalog(local.catalog);
    const metrics = createTandemMetrics({ processMetrics: false });
    const instruments = workerInstruments({ metrics, catalog, db: db.db, logger });
    const models = new ModelManager({ catalog, logger, gate: instruments.gate });
    try {
      const result = await createEnginePairRunner({
        db: db.db,
        models,
        sandboxes: provider,
        ...instruments.pairHooks,
      }).run({
        ticketId: row!.id,
        repositoryId: 1,
        ticket,
        policy,
        runKey: 'ticket-progress-1',
        remote: bare,
        branch: 'tandem/7-multiply',
        baseBranch: 'main',
        escalation: {},
        jobDir: join(dir, 'jobs', 'progress'),
        signal: new AbortController().signal,
        logger,
      });
      expect(result.status).toBe('done');
    } finally {
      await models.close();
    }
    const read = async () =>
      (
        await db.db
          .select()
          .from(events)
          .where(eq(events.kind, 'pair.progress'))
          .orderBy(asc(events.id))
      ).map((e): Record<string, unknown> => ({ ...(e.data as object), ticketId: e.ticketId }));
    // The hooks write in the background; the run's end flushes its last report.
    await expect.poll(async () => (await read()).at(-1)?.phase).toBe('done');
    const rows = await read();
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.every((r) => r.ticketId === row!.id)).toBe(true);
    const phases = rows.map((r) => String(r.phase));
    expect(phases.indexOf('red')).toBeLessThan(phases.indexOf('green'));
    const cycles = rows.map((r) => Number(r.cycle));
    expect(cycles).toEqual([...cycles].sort((a, b) => a - b));
    expect(Math.max(...cycles)).toBe(2);
    const last = rows.at(-1)!;
    expect(Number(last.passing)).toBeGreaterThan(0);
    expect(last.failing).toBe(0);
    expect(Number(last.tokens)).toBeGreaterThan(0);
    // Messages are Tandem's words (phase steps, tool names, paths), never what the model wrote.
    for (const r of rows) {
      expect(String(r.message).length).toBeLessThanOrEqual(200);
      expect(String(r.message)).not.toMatch(/def |assert |return /);
    }
    // The run is no longer running: the page lists no pair for it.
    expect((await readStatus(db.db)).pairs).toEqual([]);
    const m = parseExposition(await metrics.registry.metrics());
    expect(valueOf(m, 'tandem_ticket_budget_used_ratio_count', { resource: 'tokens' })).toBe(1);
    expect(valueOf(m, 'tandem_model_slot_wait_seconds_count', { alias: 'script' })).toBeGreaterThan(
      0,
    );
  }, 240_000);
});
