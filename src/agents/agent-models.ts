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

/** Per-alias catalog settings the pair engine reads (see {@link AgentModels.settings}). */
export interface AliasSettings {
  /** Independent samples per green attempt (default 1). */
  samples?: number;
  /** Sampling temperature of an alias's first attempt. */
  temperature?: number;
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
   * The catalog settings of the alias now serving `role` that the engine uses: `samples` per attempt
   * (absent or 1: one; the engine keeps the first sample the suite passes, see `green-phase.ts`) and the
   * alias's own `temperature` (the first attempt's; retries go higher, see `temperature.ts`).
   */
  settings?(role: PairRole): AliasSettings;
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
