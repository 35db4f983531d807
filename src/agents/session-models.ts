/** Adapts `src/llm`'s {@link ModelSession} (ModelManager.forTicket) to the engine's {@link AgentModels} port. */
import type { ModelSession } from '../llm/model-session.js';
import type { AgentModels, ModelUsage } from './agent-models.js';

/** Wraps a ticket's model session; adds up provider latency for the orchestration-overhead figure. */
export function sessionModels(session: ModelSession): AgentModels {
  let latencyMs = 0;
  return {
    alias: (role) => session.currentAlias(role),
    async complete(role, request) {
      const { response } = await session.complete(role, request);
      latencyMs += response.latencyMs;
      return response;
    },
    escalate: (role) => session.escalate(role),
    usage(): ModelUsage {
      const u = session.usage();
      const byRole: ModelUsage['byRole'] = {};
      for (const [role, t] of Object.entries(u.byRole)) {
        if (t.calls > 0) {
          byRole[role] = {
            calls: t.calls,
            inputTokens: t.inputTokens,
            outputTokens: t.outputTokens,
            costUsd: t.costUsd,
          };
        }
      }
      return {
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        costUsd: u.costUsd,
        latencyMs,
        byRole,
      };
    },
  };
}
