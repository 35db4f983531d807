/**
 * Chooses and opens the queue backend: Redis through ioredis when a `redisUrl` is configured (the
 * production and scale-out path), otherwise BullMQ 6's PostgreSQL backend (`createPostgresBackend`) on
 * Tandem's own database — a real server, or the embedded PGlite served over a private socket.
 * The same Queue/Worker/FlowProducer/QueueEvents API either way (see docs/storage.md).
 */
import {
  createPostgresBackend,
  FlowProducer,
  Queue,
  QueueEvents,
  Worker,
  type PgPool,
  type Processor,
} from 'bullmq';
import type pg from 'pg';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { DatabaseHandle } from '../db/create-database.js';
import { ConfigError, QueueBackendError, redactSecrets } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { openPostgresQueuePool } from './open-postgres-queue-pool.js';
import type {
  QueueBackend,
  TandemFlowProducer,
  TandemFlowProducerOptions,
  TandemQueue,
  TandemQueueEvents,
  TandemQueueEventsOptions,
  TandemQueueOptions,
  TandemWorker,
  TandemWorkerOptions,
} from './queue-backend.js';

/** Backend choice; validated with zod. */
export const QueueBackendOptions = z.object({
  /** `redis://` or `rediss://` URL (`REDIS_URL`): use Redis. Without it: PostgreSQL on Tandem's database. */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** PostgreSQL backend: pool connections shared by all queue objects (default 24). */
  postgresPoolSize: z.number().int().min(4).max(200).optional(),
  /** Redis: ms to wait for the first connection before failing (default 10 000). */
  connectTimeoutMs: z.number().int().positive().optional(),
});
export type QueueBackendOptions = z.infer<typeof QueueBackendOptions>;

/** Collaborators of {@link createQueueBackend}. */
export interface QueueBackendCollaborators {
  /** Tandem's database; required for the PostgreSQL backend, unused with Redis. Not closed by the backend. */
  database?: DatabaseHandle;
  logger?: Logger;
}

interface Closable {
  close(): Promise<void>;
}

/**
 * Opens the backend and checks it is reachable (Redis `PING`; PostgreSQL: BullMQ schema migrated).
 * @throws ConfigError for invalid options or a PostgreSQL backend without a database.
 * @throws QueueBackendError (`queue_backend_failed`) when the store cannot be reached or migrated;
 *   nothing stays open.
 */
export async function createQueueBackend(
  options: QueueBackendOptions,
  { database, logger }: QueueBackendCollaborators = {},
): Promise<QueueBackend> {
  const parsed = QueueBackendOptions.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError(
      'queue options',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const { redisUrl, postgresPoolSize = 24, connectTimeoutMs = 10_000 } = parsed.data;
  const secrets = [
    redisUrl,
    database?.kind === 'postgres' ? database.databaseUrl : undefined,
  ].filter((s): s is string => s !== undefined);
  const fail = (what: string, err: unknown): QueueBackendError =>
    new QueueBackendError(
      `${what}: ${redactSecrets(err instanceof Error ? err.message : String(err), secrets)}`,
      { cause: err },
    );

  if (redisUrl !== undefined) {
    // One client shared by queues and flow producers; workers and queue events duplicate it for their
    // blocking connections and close those themselves. `maxRetriesPerRequest: null` is required by workers.
    const redis = new Redis(redisUrl, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
    });
    redis.on('error', (err: Error) => {
      logger?.warn({ err: redactSecrets(err.message, secrets) }, 'queue: redis connection error');
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw fail('cannot reach Redis', err);
    }
    return makeBackend('redis', 'redis', redisConstructors(redis), async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  }

  if (database === undefined) {
    throw new ConfigError('queue options', [
      { path: 'database', message: 'the PostgreSQL queue backend needs Tandem’s database' },
    ]);
  }
  let opened;
  try {
    opened = await openPostgresQueuePool(database, postgresPoolSize, (err) => {
      logger?.warn({ err: redactSecrets(err.message, secrets) }, 'queue: postgres pool error');
    });
  } catch (err) {
    throw fail('cannot open the PostgreSQL queue backend', err);
  }
  return makeBackend('postgres', opened.description, postgresConstructors(opened.pool), () =>
    opened.close(),
  );
}

/** How to construct each BullMQ class on one backend (BullMQ types them per backend: `B`/`C` generics). */
interface Constructors {
  queue(name: string, options: TandemQueueOptions): unknown;
  worker(name: string, processor: Processor, options: TandemWorkerOptions): unknown;
  flowProducer(options: TandemFlowProducerOptions): unknown;
  queueEvents(name: string, options: TandemQueueEventsOptions): unknown;
}

function redisConstructors(connection: Redis): Constructors {
  return {
    queue: (name, options) => new Queue(name, { ...options, connection }),
    worker: (name, processor, options) => new Worker(name, processor, { ...options, connection }),
    flowProducer: (options) => new FlowProducer({ ...options, connection }),
    queueEvents: (name, options) => new QueueEvents(name, { ...options, connection }),
  };
}

function postgresConstructors(pool: pg.Pool): Constructors {
  const factory = createPostgresBackend;
  // BullMQ declares its own structural `PgPool`; node-postgres' Pool is that at run time.
  const connection = pool as unknown as PgPool;
  return {
    queue: (name, options) => new Queue(name, { ...options, connection }, factory),
    worker: (name, processor, options) =>
      new Worker(name, processor, { ...options, connection }, factory),
    flowProducer: (options) => new FlowProducer({ ...options, connection }, factory),
    queueEvents: (name, options) => new QueueEvents(name, { ...options, connection }, factory),
  };
}

function makeBackend(
  kind: QueueBackend['kind'],
  description: QueueBackend['description'],
  make: Constructors,
  closeConnection: () => Promise<void>,
): QueueBackend {
  const workers = new Set<Closable>();
  const others = new Set<Closable>();
  let closing: Promise<void> | undefined;

  function track<T>(set: Set<Closable>, created: unknown): T {
    const object = created as Closable;
    if (closing !== undefined) {
      void object.close();
      throw new QueueBackendError('the queue backend is closing');
    }
    set.add(object);
    return created as T;
  }

  return {
    kind,
    description,
    createQueue<D, R>(name: string, options: TandemQueueOptions = {}) {
      return track<TandemQueue<D, R>>(others, make.queue(name, options));
    },
    createWorker<D, R>(
      name: string,
      processor: Processor<D, R, string>,
      options: TandemWorkerOptions = {},
    ) {
      return track<TandemWorker<D, R>>(workers, make.worker(name, processor as Processor, options));
    },
    createFlowProducer(options: TandemFlowProducerOptions = {}) {
      return track<TandemFlowProducer>(others, make.flowProducer(options));
    },
    createQueueEvents<R>(name: string, options: TandemQueueEventsOptions = {}) {
      return track<TandemQueueEvents<R>>(others, make.queueEvents(name, options));
    },
    close() {
      closing ??= (async () => {
        // Workers first: they finish their running jobs, which may still use queues and the connection.
        await Promise.allSettled([...workers].map((w) => w.close()));
        await Promise.allSettled([...others].map((o) => o.close()));
        await closeConnection();
      })();
      return closing;
    },
  };
}
