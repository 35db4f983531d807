/**
 * Sampling temperature per attempt: the alias's own (catalog `temperature`, else {@link BASE_TEMPERATURE})
 * on the first attempt, low because agents follow tool protocols best when nearly greedy (SWE-agent and
 * OpenHands run them so); higher on each retry of the same phase with the same alias, so a retry explores
 * instead of repeating the answer that failed; spread further across the samples of one attempt so they
 * differ. Escalating to a new alias starts at its own temperature again (its attempt counter is 0).
 */
import type { AgentModels, PairRole } from '../agent-models.js';

/** Temperature of the first attempt when the alias sets none. */
export const BASE_TEMPERATURE = 0.2;
/** Added per failed attempt of the phase with the same alias. */
export const RETRY_STEP = 0.3;
/** Added per sample within one attempt. */
export const SAMPLE_STEP = 0.2;

/**
 * The temperature of attempt `attempt` (0-based) and sample `sample` (0-based) for an alias whose own
 * temperature is `base`: at most 1, or `base` when that is higher.
 */
export function attemptTemperature(attempt: number, sample = 0, base = BASE_TEMPERATURE): number {
  const t = base + RETRY_STEP * attempt + SAMPLE_STEP * sample;
  return Math.round(Math.min(Math.max(1, base), t) * 100) / 100;
}

/** `models` with `temperature` set on every request that does not set its own. */
export function withTemperature(models: AgentModels, temperature: number): AgentModels {
  return {
    alias: (role) => models.alias(role),
    complete: (role, request) =>
      models.complete(role, { ...request, temperature: request.temperature ?? temperature }),
    escalate: (role) => models.escalate(role),
    ...(models.settings ? { settings: (role: PairRole) => models.settings!(role) } : {}),
    usage: () => models.usage(),
    restoreUsage: (usage) => models.restoreUsage(usage),
  };
}
