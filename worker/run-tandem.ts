/**
 * One Tandem process: `server` (HTTP ingestion only), `worker` (BullMQ workers only) or `start` (both,
 * the single-machine default). Start-up, in order: the environment (plus `<data dir>/github-app.env`)
 * parsed by `loadServerConfig` (one readable fatal error naming every bad variable), the logger (secrets
 * scrubbed), the bot identity of every configured forge (`resolveBotIdentities`), the database (embedded PGlite in the data directory, or `DATABASE_URL`) migrated, the queue
 * backend (Redis when `REDIS_URL`, else BullMQ's PostgreSQL backend on the same database), then the sides.
 *
 * SIGTERM/SIGINT: the HTTP side stops accepting, the workers stop taking jobs and running jobs get
 * `TANDEM_SHUTDOWN_GRACE_SECONDS` to finish (they checkpoint after every step; a job still running when
 * the grace ends is picked up again from its checkpoint by the next worker, as after a crash), then
 * everything is closed and the process exits 0.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadServerConfig, type ServerConfig } from '../src/config/server-config.js';
import { secretValues } from '../src/config/secret-values.js';
import { createDatabase, type DatabaseHandle } from '../src/db/create-database.js';
import { migrateDatabase } from '../src/db/migrate-database.js';
import { ConfigError, TandemError, redactSecrets } from '../src/errors/index.js';
import { catalogSecrets, loadModelCatalog, type ModelCatalog } from '../src/llm/catalog.js';
import { createLogger, type Logger } from '../src/log/logger.js';
import { createQueueBackend } from '../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../src/queue/queue-backend.js';
import { withGithubAppEnv } from './github-app-env.js';
import type { HttpSide } from './http-side.js';
import { resolveBotIdentities } from './resolve-bot-identities.js';
import type { WorkerSide } from './worker-side.js';

/** Which sides a process runs. */
export type TandemMode = 'start' | 'server' | 'worker';

/** Options of {@link runTandem}. */
export interface RunTandemOptions {
  mode: TandemMode;
  /** The environment (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the fatal start-up error and download progress go (default `process.stderr`). */
  stderr?: NodeJS.WriteStream;
}

/** A started process. */
export interface RunningTandem {
  config: ServerConfig;
  logger: Logger;
  /** The HTTP side's URL (absent in `worker` mode). */
  url?: string;
  /** Graceful shutdown (see the module comment); idempotent. */
  stop(reason: string): Promise<void>;
}

/**
 * Starts the process. A start-up failure is written to `stderr` as one readable block and rethrown
 * after whatever was opened is closed.
 * @throws ConfigError (bad environment, catalog), MigrationError, QueueBackendError, DockerUnavailableError
 */
export async function runTandem(options: RunTandemOptions): Promise<RunningTandem> {
  const stderr = options.stderr ?? process.stderr;
  const env = await withGithubAppEnv(options.env ?? process.env);
  let config: ServerConfig;
  try {
    config = loadServerConfig(env);
  } catch (error) {
    stderr.write(`tandem ${options.mode}: cannot start\n${describe(error, [])}\n`);
    throw error;
  }
  // The catalog is read before the logger exists, so its credentials are scrubbed from every line too.
  let catalog: ModelCatalog | undefined;
  try {
    catalog = options.mode === 'server' ? undefined : await loadCatalog(config, env);
  } catch (error) {
    stderr.write(
      `tandem ${options.mode}: cannot start\n${describe(error, secretValues(config))}\n`,
    );
    throw error;
  }
  const secrets = [...secretValues(config), ...(catalog ? catalogSecrets(catalog) : [])];
  const logger = createLogger({ level: config.logLevel, secrets, base: { mode: options.mode } });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => logger.warn({ err: error }, 'close failed'));
    }
  };
  try {
    // Before either side: no delivery is accepted and no job runs without the bots' own logins.
    config = await resolveBotIdentities(config, { logger });
    await mkdir(resolve(config.dataDir), { recursive: true });
    const database: DatabaseHandle = await createDatabase(
      {
        dataDir: resolve(config.dataDir),
        ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      },
      { logger },
    );
    closers.push(() => database.close());
    await migrateDatabase(database);
    const backend: QueueBackend = await createQueueBackend(
      config.redisUrl ? { redisUrl: config.redisUrl } : {},
      { database, logger },
    );
    closers.push(() => backend.close());
    logger.info(
      { database: database.kind, queue: backend.description, dataDir: resolve(config.dataDir) },
      'storage ready',
    );
    // Each side is imported only by the processes that run it: the worker side brings the sandbox,
    // models, agents and workflow, which a `server` process never uses (docs/deployment.md, "Memory").
    let workerSide: WorkerSide | undefined;
    if (options.mode !== 'server') {
      const { startWorkerSide } = await import('./worker-side.js');
      workerSide = await startWorkerSide({
        config,
        catalog: catalog!,
        database,
        backend,
        logger,
        progressStream: stderr,
      });
      closers.push(() => workerSide!.close());
    }
    let http: HttpSide | undefined;
    if (options.mode !== 'worker') {
      const { startHttpSide } = await import('./http-side.js');
      http = await startHttpSide({ config, database, backend, logger });
      closers.push(() => http!.close());
    }
    let stopping: Promise<void> | undefined;
    const stop = (reason: string): Promise<void> => {
      stopping ??= (async () => {
        const grace = config.shutdownGraceSeconds * 1_000;
        logger.info({ reason, graceSeconds: config.shutdownGraceSeconds }, 'shutting down');
        await http?.close();
        if (workerSide) {
          const finished = await withinMs(workerSide.stopWorkers(), grace);
          if (!finished) {
            logger.warn(
              { graceSeconds: config.shutdownGraceSeconds },
              'running jobs did not finish within the grace; they resume from their checkpoints on the next start',
            );
          }
        }
        // Closing the backend waits for workers again; bound it so a stuck job cannot hold the exit.
        const rest = closers.splice(0).reverse();
        for (const close of rest) {
          const done = await withinMs(
            close().catch((error: unknown) => logger.warn({ err: error }, 'close failed')),
            Math.max(grace, 5_000),
          );
          if (!done) {
            logger.warn('a resource did not close in time');
          }
        }
        logger.info('stopped');
      })();
      return stopping;
    };
    return { config, logger, ...(http ? { url: http.url } : {}), stop };
  } catch (error) {
    stderr.write(`tandem ${options.mode}: cannot start\n${describe(error, secrets)}\n`);
    await closeAll();
    throw error;
  }
}

/**
 * The model catalog: the file at `TANDEM_MODEL_CATALOG` (its `${ENV}` references resolved from `env`),
 * or the built-in one with its models cached under `TANDEM_MODEL_CACHE_DIR`.
 * @throws ConfigError for an unreadable or invalid catalog file
 */
export async function loadCatalog(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ModelCatalog> {
  if (config.modelCatalogPath !== undefined) {
    return loadModelCatalog(config.modelCatalogPath, env);
  }
  const builtIn = await loadModelCatalog(undefined);
  return { ...builtIn, modelsDir: resolve(config.modelCacheDir) };
}

/** Resolves true when `promise` settles within `ms`, false otherwise (it keeps running). */
async function withinMs(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((res) => {
    timer = setTimeout(() => res(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One readable block for a start-up failure: a Tandem error's message, anything else scrubbed. */
function describe(error: unknown, secrets: readonly string[]): string {
  if (error instanceof ConfigError || error instanceof TandemError) {
    return redactSecrets(error.message, secrets);
  }
  const text = error instanceof Error ? error.message : String(error);
  return redactSecrets(text, secrets);
}

/**
 * Runs a process until SIGTERM or SIGINT, then shuts it down and exits 0 (1 when start-up fails).
 * Used by the `start`, `server` and `worker` commands.
 */
export async function runUntilSignal(mode: TandemMode): Promise<void> {
  let running: RunningTandem;
  try {
    running = await runTandem({ mode });
  } catch {
    process.exitCode = 1;
    return;
  }
  await new Promise<void>((res) => {
    // The listeners stay installed until exit: libraries that use signal-exit (pulled in with
    // node-llama-cpp) re-raise a signal when they see no other listener, which would kill the process
    // in the middle of its graceful shutdown.
    const onSignal = (signal: NodeJS.Signals) => {
      running.stop(signal).then(res, (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        res();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.exitCode = 0;
  // Handles left by libraries (a pool timer, a socket) must not keep a stopped process alive.
  setTimeout(() => process.exit(0), 1_000).unref();
}
