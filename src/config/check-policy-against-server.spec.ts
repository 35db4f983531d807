import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type RepoPolicy } from './repo-policy.js';
import {
  checkPolicyAgainstServer,
  checkPolicyCaps,
  effectiveQuotas,
} from './check-policy-against-server.js';

const policy = (change: (p: RepoPolicy) => RepoPolicy): RepoPolicy =>
  change(structuredClone(DEFAULT_POLICY));

describe('operator caps on repository policy', () => {
  it('names each value above its cap, with the cap', () => {
    const p = policy((x) => ({
      ...x,
      sandbox: { ...x.sandbox, cpus: 8, memoryMb: 65_536, network: 'setup' },
      budgets: { ...x.budgets, tokens: 50_000_000, costUsd: 100, revisions: 9 },
    }));
    const issues = checkPolicyCaps(p, {
      sandboxCpus: 2,
      sandboxMemoryMb: 4_096,
      ticketTokens: 5_000_000,
      ticketCostUsd: 10,
      revisions: 3,
      setupNetwork: false,
    });
    expect(issues.map((i) => i.path)).toEqual([
      'sandbox.cpus',
      'sandbox.memoryMb',
      'budgets.tokens',
      'budgets.costUsd',
      'budgets.revisions',
      'sandbox.network',
    ]);
    expect(issues[0]!.message).toBe(
      "8 is above this server's limit of 2; ask the operator, or lower it",
    );
  });

  it('accepts values at their caps, and caps nothing it is not given', () => {
    const p = policy((x) => ({ ...x, sandbox: { ...x.sandbox, cpus: 2 } }));
    expect(checkPolicyCaps(p, { sandboxCpus: 2 })).toEqual([]);
    expect(checkPolicyCaps(p, {})).toEqual([]);
  });

  it('is part of the server check', () => {
    const p = policy((x) => ({ ...x, budgets: { ...x.budgets, minutes: 600 } }));
    expect(
      checkPolicyAgainstServer(p, {
        sandboxImages: ['tandem-sandbox:latest'],
        caps: { ticketMinutes: 60 },
      }).map((i) => i.path),
    ).toEqual(['budgets.minutes']);
  });

  it('caps the Resource Director keys, and an unset quota takes the cap as its quota', () => {
    const caps = {
      activeTickets: 4,
      requestTokens: 1_000_000,
      requestCostUsd: 20,
      tokensPerDay: 500_000,
      costUsdPerMonth: 100,
    };
    const over = policy((x) => ({
      ...x,
      maxActiveTickets: 5,
      budgets: { ...x.budgets, requestTokens: 2_000_000, requestCostUsd: 21 },
      quotas: { tokensPerDay: 600_000, costUsdPerMonth: 101 },
    }));
    expect(checkPolicyCaps(over, caps).map((i) => i.path)).toEqual([
      'budgets.requestTokens',
      'budgets.requestCostUsd',
      'maxActiveTickets',
      'quotas.tokensPerDay',
      'quotas.costUsdPerMonth',
    ]);
    const unset = policy((x) => ({
      ...x,
      maxActiveTickets: 4,
      budgets: { ...x.budgets, requestTokens: 1_000_000, requestCostUsd: 20 },
    }));
    expect(checkPolicyCaps(unset, caps)).toEqual([]);
    expect(effectiveQuotas(unset, caps)).toEqual({ tokensPerDay: 500_000, costUsdPerMonth: 100 });
    expect(effectiveQuotas(unset)).toEqual({});
    const own = policy((x) => ({ ...x, quotas: { tokensPerDay: 10_000 } }));
    expect(effectiveQuotas(own, caps)).toEqual({ tokensPerDay: 10_000, costUsdPerMonth: 100 });
  });
});
