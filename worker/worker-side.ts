/**
 * The worker side of a Tandem process: the Docker sandbox provider (orphans of an earlier process removed,
 * warm pool filled), the model catalog and `ModelManager` (calls recorded in `model_calls`), the forges
 * the environment configures (GitHub through Probot's installation auth, Gitea with the bot token), the
 * real pair engine behind the workflow's port, project memory (embeddings through the same manager), and
 * the BullMQ workers. Never accepts HTTP.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createPermissionChecker } from '../src/commands/permission-checker.js';
import { normaliseImage } from '../src/config/check-policy-against-server.js';
import { RepoPolicy } from '../src/config/repo-policy.js';
import type { ServerConfig } from '../src/config/server-config.js';
import type { DatabaseHandle } from '../src/db/create-database.js';
import { ConfigError } from '../src/errors/index.js';
import type { ForgeKind } from '../src/forge/forge-event.js';
import { createGiteaForge } from '../src/forge/gitea/gitea-forge.js';
import { createTandemProbot } from '../src/forge/github/create-probot.js';
import { createGithubForge } from '../src/forge/github/github-forge.js';
import type { Forge } from '../src/forge/types.js';
import type { ModelCatalog } from '../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../src/llm/model-manager.js';
import { createProviderFactory } from '../src/llm/provider-factory.js';
import { validatePolicyModels } from '../src/llm/validate-policy-models.js';
import type { Logger } from '../src/log/logger.js';
import { DrizzleMemoryStore } from '../src/memory/drizzle-memory-store.js';
import { managerEmbedders } from '../src/memory/embedder.js';
import { ProjectMemory } from '../src/memory/project-memory.js';
import type { QueueBackend } from '../src/queue/queue-backend.js';
import type { TandemMetrics } from '../src/metrics/tandem-metrics.js';
import { loadCaBundle } from '../src/sandbox/ca-bundle.js';
import { DockerSandboxProvider } from '../src/sandbox/docker-sandbox-provider.js';
import { setupOutputLog } from '../src/sandbox/setup-output-log.js';
import { createEnginePairRunner } from '../src/workflow/tickets/engine-pair-runner.js';
import { EVENTS_QUEUE, PAIRS_QUEUE, WORK_QUEUE } from '../src/workflow/work-jobs.js';
import { createDownloadProgress } from './download-progress.js';
import { checkEmbeddedModels } from './model-preflight.js';
import { startWorkers, type RunningWorkers } from './start-workers.js';
import { stoppablePairs } from './stoppable-pairs.js';
import { workerInstruments } from './worker-metrics.js';

/** A running worker side. */
export interface WorkerSide {
  workers: RunningWorkers;
  /**
   * Stops taking jobs; pair runs in flight stop at once at a safe point (their sandboxes removed, their
   * jobs left to resume from the checkpoint, see `stoppable-pairs.ts`); waits for the other running jobs
   * (bounded by the caller's grace).
   */
  stopWorkers(): Promise<void>;
  /**
   * Releases the models and removes every sandbox container this process made, the warm pool's and any
   * still in use (after the workers stopped or the grace ran out).
   */
  close(): Promise<void>;
}

/** Options of {@link startWorkerSide}. */
export interface WorkerSideOptions {
  config: ServerConfig;
  /** The model catalog (`loadCatalog` in run-tandem.ts). */
  catalog: ModelCatalog;
  database: DatabaseHandle;
  backend: QueueBackend;
  logger: Logger;
  /** Where model download progress is drawn (a TTY gets a progress bar; else log lines every 10 %). */
  progressStream?: NodeJS.WriteStream;
  /** The process's metrics (models, sandboxes, jobs, budgets are counted on it). */
  metrics?: TandemMetrics;
}

/**
 * Starts the worker side.
 * @throws DockerUnavailableError when the Docker engine cannot be reached; ConfigError when
 *   `TANDEM_SANDBOX_CA_CERTS` names an unusable file.
 */
export async function startWorkerSide(options: WorkerSideOptions): Promise<WorkerSide> {
  const { config, catalog, database, backend, logger } = options;
  const instruments = workerInstruments({ ...options, db: database.db });
  const sandboxDefaults = RepoPolicy.parse({}).sandbox;
  // The pool is warmed for the policy's default image when the operator allows it, else for the first
  // allowed image. A missing image does not stop start-up: the pool logs a warning naming the command
  // that builds it, and a pair job fails with `sandbox_image_missing` until it exists.
  const warmImage = config.sandboxImages
    .map(normaliseImage)
    .includes(normaliseImage(sandboxDefaults.image))
    ? sandboxDefaults.image
    : (config.sandboxImages[0] ?? sandboxDefaults.image);
  const caBundle = config.sandboxCaCerts ? await loadCaBundle(config.sandboxCaCerts) : undefined;
  const sandboxes = new DockerSandboxProvider({
    logger: logger.child({ component: 'sandbox' }),
    ...(caBundle ? { caBundle } : {}),
    observer: setupOutputLog(logger.child({ component: 'sandbox' }), caBundle !== undefined),
    poolSize: config.sandboxPoolSize,
    workerId: sandboxWorkerId(config.dataDir),
    workspaceRoot: resolve(config.dataDir, 'sandboxes'),
    maxWorkspaceBytes: config.sandboxDiskMb * 1024 * 1024,
    ...(instruments.sandboxMeter ? { meter: instruments.sandboxMeter } : {}),
    ...(config.sandboxPoolSize > 0
      ? {
          warm: [
            {
              image: warmImage,
              limits: {
                cpus: sandboxDefaults.cpus,
                memoryMb: sandboxDefaults.memoryMb,
                pids: 256,
              },
              network: sandboxDefaults.network,
            },
          ],
        }
      : {}),
  });
  const { orphansRemoved, missingImages } = await sandboxes
    .start()
    .catch(async (error: unknown) => {
      await sandboxes.close().catch(() => undefined);
      throw error;
    });
  const progress = createDownloadProgress(logger, options.progressStream);
  const models = new ModelManager({
    catalog,
    logger: logger.child({ component: 'models' }),
    recorder: instruments.recorder(new DrizzleModelCallRecorder({ db: database.db, logger })),
    gate: instruments.gate,
    providerFactory: createProviderFactory({
      modelsDir: catalog.modelsDir,
      ...(catalog.huggingFaceEndpoint ? { huggingFaceEndpoint: catalog.huggingFaceEndpoint } : {}),
      logger,
      ...(progress ? { onDownloadProgress: progress } : {}),
    }),
  });
  // Told, not awaited: start-up does not wait for the model cache check (about 1 s).
  void checkEmbeddedModels(catalog, logger.child({ component: 'models' })).catch((error: unknown) =>
    logger.debug({ err: error }, 'embedded model check failed'),
  );
  const forges = createForges(config, logger);
  const forgeFor = (kind: ForgeKind): Forge => {
    const forge = forges[kind];
    if (!forge) {
      throw new ConfigError('environment', [
        {
          path: kind === 'github' ? 'APP_ID' : 'GITEA_URL',
          message: `${kind} is not configured on this server`,
        },
      ]);
    }
    return forge;
  };
  const pairs = stoppablePairs(
    createEnginePairRunner({
      db: database.db,
      models,
      sandboxes,
      protectedPaths: config.protectedPaths,
      ...instruments.pairHooks,
    }),
    logger.child({ component: 'workflow' }),
  );
  const workers = await startWorkers({
    backend,
    maxPairJobs: config.maxPairJobs,
    ...(instruments.jobObserver ? { observer: instruments.jobObserver } : {}),
    deps: {
      db: database.db,
      forgeFor,
      planningModel: ({ policy, repositoryId, ticketId, requestId, used }) =>
        models.forTicket({
          policy,
          repositoryId,
          priority: policy.priority,
          ...(ticketId === undefined ? {} : { ticketId }),
          ...(requestId === undefined ? {} : { requestId }),
          ...(used === undefined ? {} : { used }),
        }),
      pairs: pairs.runner,
      // One cache per process: `TANDEM_PERMISSION_CACHE_SECONDS` (0 disables it).
      permissions: createPermissionChecker({ ttlMs: config.permissionCacheSeconds * 1_000 }),
      remoteUrl: (kind, repo) => forgeFor(kind).cloneUrl(repo),
      workDir: resolve(config.dataDir, 'workspaces'),
      serverLimits: {
        sandboxImages: config.sandboxImages,
        caps: config.policyCaps,
        sandboxDiskMbMax: config.sandboxDiskMbMax,
        checks: [(p) => validatePolicyModels(p.models, catalog)],
      },
      logger: logger.child({ component: 'workflow' }),
      memory: new ProjectMemory({
        store: new DrizzleMemoryStore({ db: database.db }),
        embedders: managerEmbedders(models),
        logger: logger.child({ component: 'memory' }),
      }),
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    },
  });
  instruments.watch(
    () => sandboxes.poolCounts(),
    [EVENTS_QUEUE, WORK_QUEUE, PAIRS_QUEUE].map((name) => workers.enqueuer.queue(name)),
  );
  logger.info(
    {
      forges: Object.keys(forges),
      queue: backend.description,
      maxPairJobs: config.maxPairJobs,
      sandboxPool: config.sandboxPoolSize,
      orphansRemoved,
      ...(missingImages.length > 0 ? { missingImages } : {}),
      ...(caBundle ? { sandboxCaCertificates: caBundle.certificates } : {}),
    },
    'workers started',
  );
  return {
    workers,
    async stopWorkers() {
      if ((await pairs.stop()) > 0) {
        // A parked pair job never finishes: do not wait for it (its lock expires, it is resumed).
        void workers.workers.find((w) => w.name === PAIRS_QUEUE)?.close(true);
      }
      await workers.close();
    },
    async close() {
      await Promise.all([sandboxes.close(), models.close()]);
    },
  };
}

/** The forges the environment configures. */
function createForges(config: ServerConfig, logger: Logger): Partial<Record<ForgeKind, Forge>> {
  const forges: Partial<Record<ForgeKind, Forge>> = {};
  const gh = config.github;
  if (gh) {
    const probot = createTandemProbot(gh, { log: logger });
    forges.github = createGithubForge({
      auth: (id) => probot.auth(id),
      ...(gh.gheHost ? { webUrl: `${gh.gheProtocol ?? 'https'}://${gh.gheHost}` } : {}),
    });
  }
  const gitea = config.gitea;
  if (gitea) {
    forges.gitea = createGiteaForge({
      baseUrl: gitea.url,
      token: gitea.token,
      ...(gitea.botLogin ? { botLogin: gitea.botLogin } : {}),
    });
  }
  return forges;
}

/**
 * The sandbox provider's worker id: host name plus a hash of the data directory, so that at start-up a
 * process removes the orphan containers of an earlier process with the same data directory on this
 * host, and never the live sandboxes of another Tandem (or a test) on the same Docker engine.
 */
export function sandboxWorkerId(dataDir: string): string {
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 10);
  return `${hostname()}-${hash}`;
}
