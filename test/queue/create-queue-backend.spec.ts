import { randomUUID } from 'node:crypto';
import { MINIMUM_POSTGRES_VERSION } from 'bullmq';
import { sql } from 'drizzle-orm';
import { repositories } from '../../src/db/schema.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, QueueBackendError } from '../../src/errors/index.js';
import {
  assertQueueServerVersion,
  readServerVersion,
} from '../../src/queue/assert-queue-server-version.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import {
  describeOnDatabases,
  describeOnServer,
  SERVER_BACKEND,
} from '../helpers/database-backends.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

describe('createQueueBackend', () => {
  it('rejects a malformed Redis URL and a PostgreSQL backend without a database', async () => {
    await expect(createQueueBackend({ redisUrl: 'http://x' })).rejects.toBeInstanceOf(ConfigError);
    await expect(createQueueBackend({})).rejects.toBeInstanceOf(ConfigError);
  });

  it('fails fast with a redacted QueueBackendError when Redis is unreachable', async () => {
    const err = await createQueueBackend({
      redisUrl: 'redis://:very-secret-pw@127.0.0.1:1',
      connectTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueBackendError);
    expect((err as QueueBackendError).code).toBe('queue_backend_failed');
    expect((err as Error).message).not.toContain('very-secret-pw');
  });
});

describeOnDatabases('createQueueBackend on Tandem’s database', (kind) => {
  it('puts BullMQ in its own schema and leaves Tandem’s tables usable beside it', async () => {
    const database = await kind.create();
    cleanups.push(() => database.close());
    const backend = await createQueueBackend({}, { database });
    cleanups.push(() => backend.close());
    expect(backend.description).toBe(kind.kind);

    const queue = backend.createQueue(`test-${randomUUID()}`);
    await queue.add('x', {});
    const tables = await database.db.execute<{ schema: string; name: string }>(
      sql`select table_schema as schema, table_name as name from information_schema.tables
           where table_schema in ('public', 'bullmq')`,
    );
    const bullmq = tables.rows.filter((t) => t.schema === 'bullmq').map((t) => t.name);
    const tandem = tables.rows.filter((t) => t.schema === 'public').map((t) => t.name);
    expect(bullmq).toContain('job');
    expect(tandem).toContain('repositories');
    expect(tandem).not.toContain('job');
    // On PGlite unqualified names resolve through `public, bullmq`: a shared name would shadow BullMQ's table.
    expect(tandem.filter((name) => bullmq.includes(name))).toEqual([]);

    await database.db.insert(repositories).values({ forge: 'github', owner: 'o', name: 'r' });
    expect(await database.db.select().from(repositories)).toHaveLength(1);
    expect(await queue.count()).toBe(1);
    await queue.obliterate({ force: true });
  });
});

describeOnServer(`createQueueBackend ${SERVER_BACKEND.label}`, () => {
  it('refuses a server older than the backend needs, naming the minimum and REDIS_URL', async () => {
    const database = await SERVER_BACKEND.create();
    cleanups.push(() => database.close());
    if (database.kind !== 'postgres') {
      throw new Error('expected a server');
    }
    const server = await readServerVersion((text) => database.pool.query(text));
    const major = Math.floor(server.num / 10_000);
    // BullMQ's own minimum (13) is met: the backend opens.
    expect(major).toBeGreaterThanOrEqual(MINIMUM_POSTGRES_VERSION);
    expect(() => assertQueueServerVersion(server)).not.toThrow();
    // No server older than 13 exists on this machine: ask for one more major than it has.
    const err = (() => {
      try {
        assertQueueServerVersion(server, major + 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(QueueBackendError);
    const message = (err as Error).message;
    expect(message).toContain(`PostgreSQL ${server.version} is too old`);
    expect(message).toContain(`needs PostgreSQL ${major + 1} or newer`);
    expect(message).toContain('set REDIS_URL');
  });
});

describe('assertQueueServerVersion', () => {
  it('names BullMQ’s minimum for a PostgreSQL 12 server', () => {
    expect(() => assertQueueServerVersion({ num: 120022, version: '12.22' })).toThrow(
      `PostgreSQL 12.22 is too old for BullMQ's PostgreSQL queue backend, which needs PostgreSQL ${MINIMUM_POSTGRES_VERSION} or newer`,
    );
  });
});
