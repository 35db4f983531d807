/**
 * The database and queue of a workflow test (test/workflow/harness.ts, test/e2e/e2e-flow.ts), chosen by
 * `TANDEM_TEST_DATABASE`, which the vitest projects set (vitest.config.ts):
 *
 * - `pglite` (default): a fresh migrated in-memory PGlite, BullMQ on the local Redis (the caller gives
 *   its objects a key prefix of their own);
 * - `postgres`: a database of its own on the PostgreSQL server (`TANDEM_TEST_POSTGRES_URL`) and BullMQ's
 *   PostgreSQL backend in that database: everything on one server, as a deployment with `DATABASE_URL`
 *   and no `REDIS_URL` runs.
 */
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { createTestDatabase } from './database.js';
import { createServerTestDatabase } from './postgres-server.js';

/** Where a workflow test keeps its state and jobs; close the backend first, then the database. */
export interface WorkflowStores {
  database: DatabaseHandle;
  backend: QueueBackend;
}

/** Which stores `TANDEM_TEST_DATABASE` asks for. */
export function workflowStoresKind(): 'pglite' | 'postgres' {
  const kind = process.env.TANDEM_TEST_DATABASE ?? 'pglite';
  if (kind !== 'pglite' && kind !== 'postgres') {
    throw new Error(`TANDEM_TEST_DATABASE must be pglite or postgres, not ${kind}`);
  }
  return kind;
}

/**
 * Opens fresh stores of the configured kind.
 * @throws Error when `postgres` is asked for and no server URL is set (never a silent fallback).
 */
export async function openWorkflowStores(): Promise<WorkflowStores> {
  if (workflowStoresKind() === 'pglite') {
    const database = await createTestDatabase();
    try {
      return {
        database,
        backend: await createQueueBackend({ redisUrl: 'redis://127.0.0.1:6379' }),
      };
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  const database = await createServerTestDatabase();
  try {
    return { database, backend: await createQueueBackend({}, { database }) };
  } catch (err) {
    await database.close();
    throw err;
  }
}
