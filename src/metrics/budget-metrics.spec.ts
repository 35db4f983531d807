import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { observeRunBudgets } from './budget-metrics.js';
import { createTandemMetrics } from './tandem-metrics.js';

const budgets = { tokens: 100_000, costUsd: 2, minutes: 60, cycles: 10 };
const usage = {
  tester: { calls: 4, inputTokens: 20_000, outputTokens: 5_000, costUsd: 0.5 },
  developer: { calls: 6, inputTokens: 20_000, outputTokens: 5_000, costUsd: 0.5 },
};

async function sums(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name);
  const out: Record<string, number> = {};
  for (const v of (await metric!.get()).values) {
    const key = String(v.labels.resource);
    const n = (v as { metricName?: string }).metricName;
    if (n === undefined || n.endsWith('_sum') || n === name) {
      out[key] = v.value;
    }
  }
  return out;
}

describe('observeRunBudgets', () => {
  it('observes the share of each budget a run used', async () => {
    const metrics = createTandemMetrics({ registry: new Registry(), processMetrics: false });
    observeRunBudgets(metrics, budgets, {
      usage,
      durationMs: 15 * 60_000,
      cycles: [],
    });
    expect(await sums(metrics.registry, 'tandem_ticket_budget_used_ratio')).toEqual({
      tokens: 0.5,
      cost: 0.5,
      minutes: 0.25,
      cycles: 0,
    });
    expect(await sums(metrics.registry, 'tandem_budget_exhausted_total')).toEqual({});
  });

  it('counts a run a budget stopped, and skips a cost budget of 0', async () => {
    const metrics = createTandemMetrics({ registry: new Registry(), processMetrics: false });
    const diagnosis = {
      reason: 'budget_tokens' as const,
      phase: 'green' as const,
      cycle: 3,
      whatFailed: 'tokens used up',
      lastTestOutput: '',
      tried: [],
    };
    observeRunBudgets(
      metrics,
      { ...budgets, costUsd: 0 },
      { usage, durationMs: 0, cycles: [], diagnosis },
    );
    expect(await sums(metrics.registry, 'tandem_budget_exhausted_total')).toEqual({ tokens: 1 });
    expect(
      Object.keys(await sums(metrics.registry, 'tandem_ticket_budget_used_ratio')),
    ).not.toContain('cost');
  });
});
