import { randomUUID } from 'node:crypto';
import { repositories } from '../../src/db/schema.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, QueueBackendError } from '../../src/errors/index.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import { createTestDatabase } from '../helpers/database.js';

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

  it('puts BullMQ in its own schema on PGlite and leaves Tandem’s tables usable in-process', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.close());
    const backend = await createQueueBackend({}, { database });
    cleanups.push(() => backend.close());
    expect(backend.description).toBe('pglite');

    const queue = backend.createQueue(`test-${randomUUID()}`);
    await queue.add('x', {});
    const tables = await database.pglite.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
        where table_schema in ('public', 'bullmq')`,
    );
    const bullmq = tables.rows.filter((t) => t.schema === 'bullmq').map((t) => t.name);
    const tandem = tables.rows.filter((t) => t.schema === 'public').map((t) => t.name);
    expect(bullmq).toContain('job');
    expect(tandem).toContain('repositories');
    expect(tandem).not.toContain('job');
    // Unqualified names resolve through `public, bullmq`: a shared name would shadow BullMQ's table.
    expect(tandem.filter((name) => bullmq.includes(name))).toEqual([]);

    await database.db.insert(repositories).values({ forge: 'github', owner: 'o', name: 'r' });
    expect(await database.db.select().from(repositories)).toHaveLength(1);
    expect(await queue.count()).toBe(1);
    await queue.obliterate({ force: true });
  });
});
