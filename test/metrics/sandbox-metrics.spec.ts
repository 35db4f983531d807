/**
 * Sandbox metrics from real containers: the provider's meter counts sandboxes handed out (warm from
 * the pool, cold on demand) and running, times each command by how it ended, and the pool gauge reads
 * the pool at scrape time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectSandboxPool, sandboxMeter } from '../../src/metrics/sandbox-metrics.js';
import { createTandemMetrics } from '../../src/metrics/tandem-metrics.js';
import { IMAGE, LIMITS, makeProvider, request } from '../sandbox/sandbox-harness.js';
import { parseExposition, valueOf } from './exposition-format.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) {
    await fn();
  }
});

describe('sandbox metrics', () => {
  it('counts warm and cold sandboxes, running ones, and command latency by outcome', async () => {
    const metrics = createTandemMetrics({ processMetrics: false });
    const warm = { image: IMAGE, limits: LIMITS, network: 'none' as const };
    const made = await makeProvider({
      poolSize: 1,
      warm: [warm],
      meter: sandboxMeter(metrics),
    });
    cleanups.push(made.cleanup);
    const provider = made.provider;
    collectSandboxPool(metrics, () => provider.poolCounts());
    await provider.start();
    const scrape = async () => parseExposition(await metrics.registry.metrics());
    expect(valueOf(await scrape(), 'tandem_sandbox_pool', { state: 'ready' })).toBe(1);

    const first = await provider.acquire(request());
    const second = await provider.acquire(request({ limits: { ...LIMITS, pids: 64 } }));
    let m = await scrape();
    expect(valueOf(m, 'tandem_sandboxes_running')).toBe(2);
    expect(valueOf(m, 'tandem_sandboxes_acquired_total', { source: 'warm' })).toBe(1);
    expect(valueOf(m, 'tandem_sandboxes_acquired_total', { source: 'cold' })).toBe(1);

    await first.exec(['true'], { timeoutMs: 10_000 });
    await first.exec(['sh', '-c', 'exit 3'], { timeoutMs: 10_000 });
    await first.exec(['sleep', '5'], { timeoutMs: 300 });
    await first.destroy();
    await expect(first.exec(['true'], { timeoutMs: 10_000 })).rejects.toThrow();
    await second.destroy();
    await second.destroy();
    m = await scrape();
    expect(valueOf(m, 'tandem_sandboxes_running')).toBe(0);
    const count = (outcome: string) =>
      valueOf(m, 'tandem_sandbox_exec_duration_seconds_count', { outcome });
    expect([count('ok'), count('nonzero'), count('timeout'), count('error')]).toEqual([1, 1, 1, 1]);
    expect(
      valueOf(m, 'tandem_sandbox_exec_duration_seconds_sum', { outcome: 'timeout' }),
    ).toBeGreaterThanOrEqual(0.3);
  });
});
