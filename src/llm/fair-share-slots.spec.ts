import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelCallAbortedError } from '../errors/index.js';
import { weightOf } from './concurrency-gate.js';
import { FairShareSlots } from './fair-share-slots.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('FairShareSlots', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('limits calls per alias and, within one tenant, serves by priority then FIFO', async () => {
    const slots = new FairShareSlots({ limits: { a: 2 } });
    const r1 = await slots.acquire('a', { priority: 5 });
    const r2 = await slots.acquire('a', { priority: 5 });
    const order: string[] = [];
    const wait = (name: string, priority: number) =>
      slots.acquire('a', { priority }).then((release) => {
        order.push(name);
        return release;
      });
    const waiting = [wait('low', 9), wait('high-1', 1), wait('mid', 5), wait('high-2', 1)];
    expect(slots.stats('a')).toMatchObject({ active: 2, waiting: 4 });
    // Another alias is not blocked.
    (await slots.acquire('b', { priority: 9 }))();
    r1();
    r2();
    const [low, high1, mid, high2] = waiting;
    (await high1!)();
    (await high2!)();
    (await mid!)();
    (await low!)();
    expect(order).toEqual(['high-1', 'high-2', 'mid', 'low']);
    expect(slots.stats('a')).toMatchObject({ active: 0, waiting: 0 });
  });

  it('removes an aborted waiter from the queue and ignores a second release', async () => {
    const slots = new FairShareSlots({ limits: {} });
    const release = await slots.acquire('a', { priority: 1, tenant: 'x' });
    const controller = new AbortController();
    const aborted = slots.acquire('a', { priority: 1, tenant: 'x', signal: controller.signal });
    const next = slots.acquire('a', { priority: 5, tenant: 'y' });
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(ModelCallAbortedError);
    expect(slots.stats('a')).toMatchObject({ active: 1, waiting: 1 });
    release();
    release();
    (await next)();
    expect(slots.stats('a')).toMatchObject({ active: 0, waiting: 0 });
  });

  it('refuses a priority outside 1..10 with a clear error', async () => {
    const slots = new FairShareSlots({ limits: {} });
    await expect(slots.acquire('a', { priority: 0 })).rejects.toThrow(/1 to 10, got 0/);
    await expect(slots.acquire('a', { priority: 2.5 })).rejects.toThrow(RangeError);
    expect(slots.stats('a')).toMatchObject({ active: 0, waiting: 0 });
  });

  it('shares slot time by weight across three repositories under a backlog, whatever their latencies', async () => {
    vi.useFakeTimers();
    const slots = new FairShareSlots({ limits: { coder: 3 }, now: () => Date.now() });
    // Priority 1, 4 and 8 weigh 10, 7 and 3; each repository's calls take a different time.
    const repos = [
      { tenant: 'r1', priority: 1, latencyMs: 40 },
      { tenant: 'r2', priority: 4, latencyMs: 25 },
      { tenant: 'r3', priority: 8, latencyMs: 70 },
    ];
    let running = true;
    const loops = repos.flatMap((r) =>
      // Four concurrent callers per repository keep a backlog on three slots.
      Array.from({ length: 4 }, async () => {
        while (running) {
          const release = await slots.acquire('coder', { priority: r.priority, tenant: r.tenant });
          await sleep(r.latencyMs);
          release();
        }
      }),
    );
    await vi.advanceTimersByTimeAsync(2_000); // warm-up
    const before = slots.stats('coder').tenants;
    await vi.advanceTimersByTimeAsync(60_000);
    const after = slots.stats('coder').tenants;
    running = false;
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(loops);
    const held = repos.map((r) => after[r.tenant]!.heldMs - before[r.tenant]!.heldMs);
    const total = held.reduce((a, b) => a + b, 0);
    const weights = repos.map((r) => weightOf(r.priority));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    // Slots were busy the whole window, and each share is within 10 % of its weight's share.
    expect(total).toBeGreaterThan(3 * 60_000 * 0.97);
    repos.forEach((_, i) => {
      const share = held[i]! / total;
      const want = weights[i]! / weightSum;
      expect(Math.abs(share - want) / want).toBeLessThan(0.1);
    });
  });

  it('gives an idle tenant no banked credit when it comes back', async () => {
    vi.useFakeTimers();
    const slots = new FairShareSlots({ limits: { a: 1 }, now: () => Date.now() });
    let running = true;
    const busy = (async () => {
      while (running) {
        const release = await slots.acquire('a', { priority: 5, tenant: 'busy' });
        await sleep(10);
        release();
      }
    })();
    await vi.advanceTimersByTimeAsync(10_000);
    // A newcomer of equal weight then alternates with the busy tenant instead of taking 10 s in a row.
    const order: string[] = [];
    const late = (async () => {
      for (let i = 0; i < 5; i += 1) {
        const release = await slots.acquire('a', { priority: 5, tenant: 'late' });
        order.push('late');
        await sleep(10);
        release();
      }
    })();
    await vi.advanceTimersByTimeAsync(200);
    running = false;
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([busy, late]);
    const lateHeld = slots.stats('a').tenants.late!.heldMs;
    expect(lateHeld).toBe(50);
    expect(order).toHaveLength(5);
  });
});
