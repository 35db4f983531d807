/**
 * The narrow model port the PM and Architect need: one structured completion per step, and the role's
 * escalation chain. `src/llm`'s `ModelSession` satisfies it as is.
 */
import type { z } from 'zod';
import type { Role } from '../config/repo-policy.js';
import type { ModelRequest } from '../llm/types.js';

/** A validated structured answer and the catalog alias that gave it. */
export interface PlanningAnswer<T> {
  value: T;
  alias: string;
}

/** Structured model access for planning agents. */
export interface PlanningModel {
  /**
   * Asks `role`'s current alias for an answer matching `schema` (validated, one repair attempt).
   * Throws the model layer's typed errors (`InvalidModelOutputError`, `BudgetExceededError`, …).
   */
  completeStructured<T>(
    role: Role,
    request: ModelRequest,
    schema: z.ZodType<T>,
  ): Promise<PlanningAnswer<T>>;
  /** Moves `role` to the next alias of its escalation chain; returns it, or null when exhausted. */
  escalate(role: Role): string | null;
}
