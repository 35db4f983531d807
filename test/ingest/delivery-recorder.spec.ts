import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outbox, webhookDeliveries } from '../../src/db/schema.js';
import type { ForgeEvent } from '../../src/forge/forge-event.js';
import { createDeliveryRecorder } from '../../src/ingest/delivery-recorder.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';

let t: PgliteDatabaseHandle;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.close());

const push = (id: string, ref = 'refs/heads/main'): ForgeEvent => ({
  type: 'push',
  forge: 'gitea',
  deliveryId: id,
  sender: { login: 'alice', bot: false },
  repo: { owner: 'alice', name: 'widgets' },
  ref,
  before: 'a',
  after: 'b',
  commitCount: 1,
});
const facts = { event: 'push', action: null };

describe('delivery recorder (group commit)', () => {
  it('records concurrent deliveries, each once, and reports duplicates within and across batches', async () => {
    const recorder = createDeliveryRecorder(t.db, { maxBatch: 8 });
    const ids = Array.from({ length: 40 }, (_, i) => `gitea-${i % 30}`);
    const results = await Promise.all(ids.map((id) => recorder.record(push(id), facts)));
    expect(results.filter((r) => r === 'recorded')).toHaveLength(30);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(10);
    // The first of two equal ids wins.
    expect(results.slice(0, 30).every((r) => r === 'recorded')).toBe(true);
    expect(await t.db.$count(webhookDeliveries)).toBe(30);
    expect(await t.db.$count(outbox)).toBe(30);
    expect(await recorder.record(push('gitea-3'), facts)).toBe('duplicate');
  });

  it('keeps a comment with a NUL character (jsonb cannot store \\u0000) and literal "\\u0000" text', async () => {
    const recorder = createDeliveryRecorder(t.db);
    const nul = push('gitea-nul', 'refs/heads/a\u0000b');
    const text = push('gitea-text', 'refs/heads/a\\u0000b');
    expect(await recorder.record(nul, facts)).toBe('recorded');
    expect(await recorder.record(text, facts)).toBe('recorded');
    const rows = await t.db.select().from(outbox).orderBy(outbox.id);
    expect((rows[0]!.payload as { ref: string }).ref).toBe('refs/heads/a\uFFFDb');
    expect((rows[1]!.payload as { ref: string }).ref).toBe('refs/heads/a\\u0000b');
  });

  it('a delivery the database refuses fails alone; the rest of its batch is recorded', async () => {
    const recorder = createDeliveryRecorder(t.db);
    const bad = { event: 'push\u0000', action: null }; // text columns refuse NUL
    const results = await Promise.allSettled([
      recorder.record(push('gitea-1'), facts),
      recorder.record(push('gitea-2'), bad),
      recorder.record(push('gitea-3'), facts),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await t.db.select().from(webhookDeliveries)).map((d) => d.id).sort()).toEqual([
      'gitea-1',
      'gitea-3',
    ]);
  });
});
