import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startIngestion, type Ingestion } from '../../src/ingest/start-ingestion.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { postDelivery } from './post-delivery.js';

let t: PgliteDatabaseHandle;
let queue: Queue;
let ingestion: Ingestion;

beforeEach(async () => {
  t = await createTestDatabase();
  queue = new Queue(`test-${randomUUID()}`, { connection: { host: '127.0.0.1', port: 6379 } });
  ingestion = await startIngestion({
    db: t.db,
    eventsQueue: queue,
    log: createLogger({ level: 'silent' }),
    port: 0,
    giteaWebhookSecret: 'gitea-secret',
    botLogins: ['tandem-bot'],
  });
});

afterEach(async () => {
  await ingestion.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await t.close();
});

describe('startIngestion', () => {
  it('relays a recorded delivery to the events queue right away and reports the backlog', async () => {
    const payload = JSON.parse(
      readFileSync(new URL('../fixtures/gitea/issues-opened.json', import.meta.url), 'utf8'),
    ) as unknown;
    const res = await postDelivery(ingestion.server.url, {
      forge: 'gitea',
      event: 'issues',
      id: 'd-1',
      payload,
      secret: 'gitea-secret',
    });
    expect(res.status).toBe(200);
    const end = Date.now() + 10_000;
    while ((await ingestion.relay.pending()) > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const [job] = await queue.getJobs(['waiting']);
    expect(job).toMatchObject({ id: 'gitea-d-1', name: 'issue.opened' });
    const health = await (await fetch(`${ingestion.server.url}/healthz`)).json();
    expect(health).toEqual({ status: 'ok', ok: true, outboxPending: 0 });
  });
});
