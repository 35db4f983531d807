/**
 * A planning step that uses its role's escalation chain: when an alias's answer stays invalid after the
 * model layer's repair (`InvalidModelOutputError`), the next alias of the chain is asked the same
 * question, until one answers validly or the chain is exhausted (then the last error is thrown). Other
 * errors (budgets, providers) are thrown at once.
 */
import type { z } from 'zod';
import type { Role } from '../config/repo-policy.js';
import { InvalidModelOutputError } from '../errors/index.js';
import type { ModelRequest } from '../llm/types.js';
import type { PlanningAnswer, PlanningModel } from './planning-model.js';

/**
 * Runs `attempt` with `role`'s current alias, escalating on the errors `invalid` accepts (see the module
 * comment). @throws the last error once the chain is exhausted
 */
export async function withEscalation<T>(
  model: PlanningModel,
  role: Role,
  attempt: () => Promise<T>,
  invalid: (error: unknown) => boolean = (e) => e instanceof InvalidModelOutputError,
): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!invalid(error) || model.escalate(role) === null) {
        throw error;
      }
    }
  }
}

/** One structured answer for `role`, escalating on invalid output (see the module comment). */
export function completeEscalating<T>(
  model: PlanningModel,
  role: Role,
  request: ModelRequest,
  schema: z.ZodType<T>,
): Promise<PlanningAnswer<T>> {
  return withEscalation(model, role, () => model.completeStructured(role, request, schema));
}
