/**
 * A worker process for the kill -9 tests (spawned with `node --import tsx`): the real `startWorkers`
 * against the parent's PGlite (served on the wire), BullMQ on the local Redis, the real Gitea forge on
 * the parent's HTTP fake of Gitea, the bare git remote and the scripted model. Settings come as JSON in
 * `TANDEM_E2E_CHILD` ({@link ChildConfig}); it prints `tandem-child-ready` once the workers run and
 * closes them on SIGTERM. The pair runner is chosen by `runner`:
 *
 * - `stand-in` (`test/workflow/git-pair-runner.ts`): with `pauseAfterRed`, the pair run writes
 *   `signalFile` once its red commit is pushed and then hangs, so the parent can kill the process in
 *   the middle of a ticket.
 * - `engine`: the real pair engine (`createEnginePairRunner`) with a `DockerSandboxProvider` under the
 *   fixed `workerId`, so a restarted process removes the killed one's orphan containers when it starts
 *   (before it is ready). Every model call appends `<role> <step>` to `modelCallLog` when it starts, so
 *   the parent can kill the process while a given call is in flight (the script's `latencyMs` holds it).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import { createDatabase } from '../../src/db/create-database.js';
import { createGiteaForge } from '../../src/forge/gitea/gitea-forge.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createProviderFactory, type ProviderFactory } from '../../src/llm/provider-factory.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import { createEnginePairRunner } from '../../src/workflow/tickets/engine-pair-runner.js';
import type { PairRunner } from '../../src/workflow/tickets/pair-runner.js';
import { startWorkers } from '../../worker/start-workers.js';
import { createGitPairRunner } from '../workflow/git-pair-runner.js';

const Shared = {
  databaseUrl: z.string(),
  prefix: z.string(),
  giteaUrl: z.string(),
  token: z.string(),
  bare: z.string(),
  workDir: z.string(),
  /** Path of the model script (YAML). */
  script: z.string(),
};

/** Settings of one worker process (the parent's `WorkerSettings` plus the shared ones). */
const ChildConfig = z.discriminatedUnion('runner', [
  z.object({
    ...Shared,
    runner: z.literal('stand-in'),
    pauseAfterRed: z.boolean(),
    signalFile: z.string(),
  }),
  z.object({
    ...Shared,
    runner: z.literal('engine'),
    workerId: z.string().min(1),
    workspaceRoot: z.string(),
    modelCallLog: z.string(),
  }),
]);
type ChildConfig = z.infer<typeof ChildConfig>;

const cfg = ChildConfig.parse(JSON.parse(process.env.TANDEM_E2E_CHILD ?? '{}'));
const logger = createLogger({ level: process.env.TANDEM_TEST_LOG ? 'debug' : 'silent' });
const database = await createDatabase({ databaseUrl: cfg.databaseUrl });
const backend = await createQueueBackend({ redisUrl: 'redis://127.0.0.1:6379' });
const catalog = parseModelCatalog(
  `models:\n  script: { provider: scripted, model: demo, script: ${cfg.script} }\n`,
  {},
);

/** The default providers, each call announced in `log` (one `<role> <step>` line) before it runs. */
function announcingFactory(log: string): ProviderFactory {
  const base = createProviderFactory({ modelsDir: catalog.modelsDir });
  return async (alias, entry) => {
    const provider = await base(alias, entry);
    return {
      alias: provider.alias,
      async complete(request) {
        await appendFile(log, `${request.role ?? '-'} ${request.step ?? '-'}\n`);
        return provider.complete(request);
      },
      close: () => provider.close(),
    };
  };
}

const models = new ModelManager({
  catalog,
  recorder: new DrizzleModelCallRecorder({ db: database.db }),
  ...(cfg.runner === 'engine' ? { providerFactory: announcingFactory(cfg.modelCallLog) } : {}),
});
const forge = createGiteaForge({ baseUrl: cfg.giteaUrl, token: cfg.token, botLogin: 'tandem-bot' });

/** The pair runner of `cfg.runner`; `release` lets a paused stand-in run go, `close` frees sandboxes. */
async function pairRunner(
  c: ChildConfig,
): Promise<{ pairs: PairRunner; release(): void; close(): Promise<void> }> {
  if (c.runner === 'stand-in') {
    const pairs = createGitPairRunner(
      c.pauseAfterRed
        ? {
            afterRed: async () => {
              await writeFile(c.signalFile, String(process.pid));
              await new Promise((r) => setTimeout(r, 600_000));
            },
          }
        : {},
    );
    return { pairs, release: () => pairs.release(), close: () => Promise.resolve() };
  }
  const sandboxes = new DockerSandboxProvider({
    logger,
    poolSize: 1,
    workerId: c.workerId,
    workspaceRoot: c.workspaceRoot,
  });
  // Removes the containers an earlier (killed) process of this worker id left.
  await sandboxes.start();
  return {
    pairs: createEnginePairRunner({ db: database.db, models, sandboxes }),
    release: () => undefined,
    close: () => sandboxes.close(),
  };
}

const runner = await pairRunner(cfg);
const running = await startWorkers({
  backend,
  prefix: cfg.prefix,
  maxPairJobs: 1,
  pairLock: { durationMs: 3_000, stalledIntervalMs: 1_000 },
  deps: {
    db: database.db,
    forgeFor: () => forge,
    planningModel: ({ policy, repositoryId }) => models.forTicket({ policy, repositoryId }),
    pairs: runner.pairs,
    permissions: createPermissionChecker({ ttlMs: 60_000 }),
    remoteUrl: () => cfg.bare,
    workDir: cfg.workDir,
    logger,
  },
});
process.stdout.write('tandem-child-ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    runner.release();
    await running.close();
    await runner.close();
    await backend.close();
    await models.close();
    await database.close();
    process.exit(0);
  })();
});
