/**
 * A worker process for the kill -9 test (spawned with `node --import tsx`): the real `startWorkers`
 * against the parent's PGlite (served on the wire), BullMQ on the local Redis, the real Gitea forge on
 * the parent's HTTP fake of Gitea, the bare git remote, the scripted model and the stand-in pair runner.
 * With `pauseAfterRed`, the pair run writes `signalFile` once its red commit is pushed and then hangs,
 * so the parent can kill the process in the middle of a ticket. Settings come as JSON in
 * `TANDEM_E2E_CHILD`; it prints `ready` once the workers run and closes them on SIGTERM.
 */
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import { createDatabase } from '../../src/db/create-database.js';
import { createGiteaForge } from '../../src/forge/gitea/gitea-forge.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import { startWorkers } from '../../worker/start-workers.js';
import { createGitPairRunner } from '../workflow/git-pair-runner.js';

const ChildConfig = z.object({
  databaseUrl: z.string(),
  prefix: z.string(),
  giteaUrl: z.string(),
  token: z.string(),
  bare: z.string(),
  workDir: z.string(),
  script: z.string(),
  pauseAfterRed: z.boolean(),
  signalFile: z.string(),
});

const cfg = ChildConfig.parse(JSON.parse(process.env.TANDEM_E2E_CHILD ?? '{}'));
const logger = createLogger({ level: 'silent' });
const database = await createDatabase({ databaseUrl: cfg.databaseUrl });
const backend = await createQueueBackend({ redisUrl: 'redis://127.0.0.1:6379' });
const models = new ModelManager({
  catalog: parseModelCatalog(
    `models:\n  script: { provider: scripted, model: demo, script: ${cfg.script} }\n`,
    {},
  ),
  recorder: new DrizzleModelCallRecorder({ db: database.db }),
});
const forge = createGiteaForge({ baseUrl: cfg.giteaUrl, token: cfg.token, botLogin: 'tandem-bot' });
const pairs = createGitPairRunner(
  cfg.pauseAfterRed
    ? {
        afterRed: async () => {
          await writeFile(cfg.signalFile, String(process.pid));
          await new Promise((r) => setTimeout(r, 600_000));
        },
      }
    : {},
);
const running = await startWorkers({
  backend,
  prefix: cfg.prefix,
  maxPairJobs: 1,
  pairLock: { durationMs: 3_000, stalledIntervalMs: 1_000 },
  deps: {
    db: database.db,
    forgeFor: () => forge,
    planningModel: ({ policy, repositoryId }) => models.forTicket({ policy, repositoryId }),
    pairs,
    permissions: createPermissionChecker({ ttlMs: 60_000 }),
    remoteUrl: () => cfg.bare,
    workDir: cfg.workDir,
    logger,
  },
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    pairs.release();
    await running.close();
    await backend.close();
    await models.close();
    await database.close();
    process.exit(0);
  })();
});
