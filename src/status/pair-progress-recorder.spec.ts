import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { events } from '../db/schema.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../../test/helpers/database.js';
import { createPairProgressRecorder, type PairProgressReport } from './pair-progress-recorder.js';

let t: PgliteDatabaseHandle;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.close());

const run = { runId: 1, ticketId: 2, repositoryId: 3, jobId: 'ticket-2-1' };
const report = (over: Partial<PairProgressReport> = {}): PairProgressReport => ({
  phase: 'red',
  cycle: 1,
  criterion: 0,
  criteria: 2,
  passing: 0,
  failing: 0,
  tokens: 10,
  elapsedMs: 1_000,
  message: 'tester: model answered',
  ...over,
});

async function rows(): Promise<Record<string, unknown>[]> {
  const found = await t.db
    .select()
    .from(events)
    .where(eq(events.kind, 'pair.progress'))
    .orderBy(asc(events.id));
  return found.map((r) => ({ ...(r.data as object), runId: r.runId, ticketId: r.ticketId }));
}

describe('pair progress recorder', () => {
  it('writes changes at once, a quiet stretch once per interval, and its last report at the end', async () => {
    const recorder = createPairProgressRecorder({ db: t.db, minIntervalMs: 400 });
    recorder.record(run, report());
    recorder.record(run, report({ tokens: 20, message: 'tester: write_file a.test.js' }));
    recorder.record(run, report({ tokens: 30, message: 'tester: run_tests' }));
    recorder.record(run, report({ failing: 1, tokens: 40, message: 'red verified' }));
    await recorder.end(99); // an unknown run: nothing to write, waits for the writes in flight
    // The first report and the changed test counts; the two in between are only messages.
    expect((await rows()).map((r) => r.tokens)).toEqual([10, 40]);
    expect((await rows())[0]).toMatchObject({ runId: 1, ticketId: 2, phase: 'red' });

    recorder.record(run, report({ failing: 1, tokens: 50, message: 'developer: model answered' }));
    recorder.record(run, report({ failing: 1, tokens: 60, message: 'developer: write_file a.js' }));
    expect((await rows()).map((r) => r.tokens)).toEqual([10, 40]);
    // The interval ends: the latest of the quiet stretch is written, and the run is forgotten.
    await new Promise((r) => setTimeout(r, 600));
    await recorder.end(99);
    expect((await rows()).map((r) => r.tokens)).toEqual([10, 40, 60]);
    expect(recorder.tracked()).toBe(0);

    recorder.record(run, report({ phase: 'green', failing: 1, tokens: 70 }));
    recorder.record(run, report({ phase: 'green', failing: 1, tokens: 80 }));
    await recorder.end(run.runId);
    expect((await rows()).map((r) => r.tokens)).toEqual([10, 40, 60, 70, 80]);
    expect(recorder.tracked()).toBe(0);
  });

  it('cuts long messages and never throws when the database refuses the row', async () => {
    const recorder = createPairProgressRecorder({ db: t.db });
    recorder.record(run, report({ message: 'x'.repeat(5_000) }));
    await recorder.end(run.runId);
    expect(((await rows())[0]!.message as string).length).toBe(200);
    await t.close();
    recorder.record({ ...run, runId: 2 }, report());
    await expect(recorder.end(2)).resolves.toBeUndefined();
    t = await createTestDatabase();
  });
});
