/**
 * Sampling temperature per attempt: low on the first attempt (agents follow tool protocols best when
 * nearly greedy, as SWE-agent and OpenHands run them), higher on each retry of the same phase with the
 * same alias so a retry explores instead of repeating the answer that failed, and spread further across
 * the samples of one attempt so they differ. Escalating to a new alias starts low again (its attempt
 * counter starts at 0).
 */
import type { AgentModels, PairRole } from '../agent-models.js';

/** Temperature of the first attempt. */
export const BASE_TEMPERATURE = 0.1;
/** Added per failed attempt of the phase with the same alias. */
export const RETRY_STEP = 0.3;
/** Added per sample within one attempt. */
export const SAMPLE_STEP = 0.2;

/** The temperature of attempt `attempt` (0-based) and sample `sample` (0-based), at most 1. */
export function attemptTemperature(attempt: number, sample = 0): number {
  const t = BASE_TEMPERATURE + RETRY_STEP * attempt + SAMPLE_STEP * sample;
  return Math.round(Math.min(1, t) * 100) / 100;
}

/** `models` with `temperature` set on every request that does not set its own. */
export function withTemperature(models: AgentModels, temperature: number): AgentModels {
  return {
    alias: (role) => models.alias(role),
    complete: (role, request) =>
      models.complete(role, { ...request, temperature: request.temperature ?? temperature }),
    escalate: (role) => models.escalate(role),
    ...(models.samples ? { samples: (role: PairRole) => models.samples!(role) } : {}),
    usage: () => models.usage(),
    restoreUsage: (usage) => models.restoreUsage(usage),
  };
}
