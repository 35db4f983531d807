/**
 * The narrow model port the pair engine needs. `src/llm`'s ModelManager session is adapted to it in
 * `model-manager-port.ts`; unit tests may implement it directly.
 */
import type { ModelRequest, ModelResponse } from '../llm/types.js';

/** The two roles of a pair. */
export type PairRole = 'developer' | 'tester';

/** Tokens and dollars spent so far by one ticket's session. */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Total model latency in ms (for the orchestration-overhead figure). */
  latencyMs: number;
  /** Per role: calls, tokens, cost. */
  byRole: Record<
    string,
    { calls: number; inputTokens: number; outputTokens: number; costUsd: number }
  >;
}

/** Model access for one ticket. */
export interface AgentModels {
  /** Alias currently serving `role`. */
  alias(role: PairRole): string;
  /**
   * One model call for `role`. Budget overruns throw the manager's `BudgetExceededError`
   * (code `budget_exceeded`); other failures throw typed model errors.
   */
  complete(role: PairRole, request: ModelRequest): Promise<ModelResponse>;
  /**
   * Independent samples per attempt for the alias now serving `role` (the catalog's `samples`; absent or
   * 1: one). The engine keeps the first sample the suite passes (see `green-phase.ts`).
   */
  samples?(role: PairRole): number;
  /** Moves `role` to the next alias of its escalation chain; returns it, or null when exhausted. */
  escalate(role: PairRole): string | null;
  /** Usage so far, including what {@link AgentModels.restoreUsage} carried over. */
  usage(): ModelUsage;
  /**
   * Resume: counts what the ticket used before a restart (from the checkpoint) as used by this session,
   * so token and cost budgets hold across restarts. Called once, before any other call of a resumed run;
   * escalation positions are restored afterwards by replaying `escalate`.
   */
  restoreUsage(usage: ModelUsage): void;
}
