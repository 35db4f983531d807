import { createRequire } from 'node:module';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { createOutboxRelay, type OutboxRelay } from '../../src/ingest/outbox-relay.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/ingest/webhook-server.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { postDelivery } from './post-delivery.js';
import { createTestRedis, type TestRedis } from './redis-server.js';

const SECRET = 'outage-secret';
const payload = (
  createRequire(import.meta.url)('@octokit/webhooks-examples') as {
    name: string;
    examples: Record<string, unknown>[];
  }[]
)
  .find((d) => d.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let t: PgliteDatabaseHandle;
let redis: TestRedis;
let queue: Queue;
let relay: OutboxRelay;
let server: RunningWebhookServer;

beforeEach(async () => {
  t = await createTestDatabase();
  redis = await createTestRedis();
  await redis.start();
  queue = new Queue(`test-outage-${Date.now()}`, {
    connection: {
      host: '127.0.0.1',
      port: redis.port,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    },
  });
  queue.on('error', () => undefined); // connection errors are expected while Redis is down
  await queue.waitUntilReady();
  const log = createLogger({ level: 'silent' });
  relay = createOutboxRelay({
    db: t.db,
    queues: { [EVENTS_QUEUE]: queue },
    log,
    addTimeoutMs: 1_000,
    initialBackoffMs: 50,
    maxBackoffMs: 400,
    idleMs: 100,
  });
  relay.start();
  server = await startWebhookServer(
    {
      log,
      githubWebhookSecret: SECRET,
      botLogins: [],
      recorder: createDeliveryRecorder(t.db, { onCommitted: (rows) => relay.offer(rows) }),
    },
    { port: 0 },
  );
});

afterEach(async () => {
  await server.close();
  await relay.stop();
  await queue.close();
  await redis.stop();
  await t.close();
});

describe('Redis outage', () => {
  it('accepts 100 deliveries while Redis is down and enqueues exactly 100 jobs once it is back', async () => {
    await redis.stop();
    const ids = Array.from({ length: 100 }, (_, i) => `outage-${i}`);
    const answers = await Promise.all(
      ids.map((id) =>
        postDelivery(server.url, {
          forge: 'github',
          event: 'issue_comment',
          id,
          payload,
          secret: SECRET,
        }),
      ),
    );
    expect(answers.every((a) => a.status === 200 && a.body.status === 'accepted')).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // let the relay fail a few times
    expect(await relay.pending()).toBe(100);

    await redis.start();
    await until('the relay to catch up', async () => (await relay.pending()) === 0);
    await new Promise((r) => setTimeout(r, 300));
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs).toHaveLength(100);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(ids.map((id) => `github-${id}`)));
  });
});
