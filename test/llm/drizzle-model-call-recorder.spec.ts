import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { modelCalls } from '../../src/db/schema.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { ScriptedProvider, parseModelScript } from '../../src/llm/providers/scripted-provider.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';

describe('DrizzleModelCallRecorder (PGlite)', () => {
  let t: PgliteDatabaseHandle;
  beforeEach(async () => {
    t = await createTestDatabase();
  });
  afterEach(() => t.close());

  it('writes one model_calls row per attempt with alias, role, ticket, tokens, cost and outcome', async () => {
    const catalog = parseModelCatalog(
      'models: { paid: { provider: scripted, model: demo-1, script: x, priceInPerMTok: 3, priceOutPerMTok: 15, remote: true } }',
      {},
    );
    const manager = new ModelManager({
      catalog,
      recorder: new DrizzleModelCallRecorder({ db: t.db }),
      sleep: () => Promise.resolve(),
      providerFactory: (alias) =>
        Promise.resolve(
          new ScriptedProvider({
            alias,
            responses: parseModelScript(`
- error: { message: busy, status: 429 }
- text: done
  usage: { inputTokens: 2000, outputTokens: 400 }
  latencyMs: 5
`),
          }),
        ),
    });
    const policy = RepoPolicy.parse({ models: { privacy: 'any', developer: { alias: 'paid' } } });
    const session = manager.forTicket({ policy, ticketId: 42, runId: 8 });
    await session.complete('developer', { messages: [{ role: 'user', content: 'go' }] });

    const rows = await t.db.select().from(modelCalls).where(eq(modelCalls.ticketId, 42));
    expect(rows.map((r) => r.outcome)).toEqual(['error', 'ok']);
    expect(rows[0]).toMatchObject({ errorCode: 'model_call_failed', inputTokens: 0, costUsd: 0 });
    expect(rows[1]).toMatchObject({
      alias: 'paid',
      provider: 'scripted',
      model: 'demo-1',
      role: 'developer',
      ticketId: 42,
      runId: 8,
      repositoryId: null,
      inputTokens: 2000,
      outputTokens: 400,
      errorCode: null,
    });
    expect(rows[1]!.costUsd).toBeCloseTo(0.012); // 2000×3/1M + 400×15/1M
    expect(rows[1]!.latencyMs).toBeGreaterThanOrEqual(4);
  });

  it('a failing insert is logged and never fails the model call', async () => {
    const warnings: unknown[] = [];
    const recorder = new DrizzleModelCallRecorder({
      db: t.db,
      logger: { warn: (obj: unknown) => warnings.push(obj) } as never,
    });
    await t.close();
    await recorder.record({
      alias: 'a',
      provider: 'scripted',
      model: 'm',
      role: 'pm',
      inputTokens: 1,
      outputTokens: 1,
      latencyMs: 1,
      costUsd: 0,
      outcome: 'ok',
    });
    expect(warnings).toHaveLength(1);
  });
});
