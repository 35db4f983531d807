/** Adapts `src/llm`'s {@link ModelSession} (ModelManager.forTicket) to the engine's {@link AgentModels} port. */
import type { ModelSession, SessionUsage } from '../llm/model-session.js';
import type { AgentModels, AliasSettings, ModelUsage, PairRole } from './agent-models.js';

/** What a resumed ticket had used before the restart (passed to `ModelManager.forTicket` as `used`). */
export type UsedBefore = Pick<SessionUsage, 'inputTokens' | 'outputTokens' | 'costUsd'>;

/**
 * Opens the ticket's session; called once at once (`used` absent) and again by `restoreUsage` with the
 * usage carried over, e.g. `(used) => manager.forTicket({ policy, priority, ...(used ? { used } : {}) })`.
 */
export type OpenSession = (used?: UsedBefore) => ModelSession;

/** Options of {@link sessionModels}. */
export interface SessionModelsOptions {
  /**
   * The catalog settings of an alias (`samples`, `temperature`), e.g. `(alias) => manager.entry(alias)`;
   * absent: one sample and the engine's default temperatures everywhere.
   */
  settingsOf?: (alias: string) => AliasSettings;
}

/**
 * Wraps a ticket's model session; adds up provider latency for the orchestration-overhead figure.
 * `restoreUsage` re-opens the session with the carried-over totals (so the manager's own budget check sees
 * them) and adds the per-role figures and latency to what `usage()` reports.
 */
export function sessionModels(open: OpenSession, options: SessionModelsOptions = {}): AgentModels {
  let session = open();
  let latencyMs = 0;
  let before: ModelUsage | undefined;
  const { settingsOf } = options;
  return {
    alias: (role) => session.currentAlias(role),
    ...(settingsOf ? { settings: (role: PairRole) => settingsOf(session.currentAlias(role)) } : {}),
    async complete(role, request) {
      const { response } = await session.complete(role, request);
      latencyMs += response.latencyMs;
      return response;
    },
    escalate: (role) => session.escalate(role),
    restoreUsage(usage) {
      before = structuredClone(usage);
      session = open({
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        costUsd: usage.costUsd,
      });
    },
    usage(): ModelUsage {
      const u = session.usage();
      const byRole: ModelUsage['byRole'] = structuredClone(before?.byRole ?? {});
      for (const [role, t] of Object.entries(u.byRole)) {
        if (t.calls === 0) {
          continue;
        }
        const sum = (byRole[role] ??= { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
        sum.calls += t.calls;
        sum.inputTokens += t.inputTokens;
        sum.outputTokens += t.outputTokens;
        sum.costUsd += t.costUsd;
      }
      // The session's totals already include what `open(used)` was given.
      return {
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        costUsd: u.costUsd,
        latencyMs: (before?.latencyMs ?? 0) + latencyMs,
        byRole,
      };
    },
  };
}
