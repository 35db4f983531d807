/**
 * The summary of an eval: solve rate with a 95 % Wilson score interval, tokens and time per solved task,
 * and protocol adherence (red before green), overall and per task.
 */
import type { EvalResult } from './eval-result.js';

/**
 * Wilson score interval for `successes` out of `n` (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927), at `z` = 1.96 for 95 %, as fractions in
 * [0, 1]. For n = 0 it returns [0, 1] (nothing is known).
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) {
    return [0, 1];
  }
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Per-task figures. */
export interface TaskSummary {
  instance_id: string;
  runs: number;
  resolved: number;
  errors: number;
  /** The pair's verdicts, e.g. `{ done: 2, blocked: 1 }`. */
  verdicts: Record<string, number>;
  meanTokens: number;
  meanMs: number;
  blockReasons: string[];
}

/** Figures of a whole eval. */
export interface EvalSummary {
  runs: number;
  resolved: number;
  errors: number;
  /** resolved / runs (0 when there is no run). */
  solveRate: number;
  /** 95 % Wilson interval of the solve rate. */
  interval: [number, number];
  /** Mean total tokens of resolved runs (null when none resolved). */
  tokensPerSolved: number | null;
  /** Mean wall time of resolved runs, in ms. */
  msPerSolved: number | null;
  meanTokens: number;
  meanMs: number;
  /** Runs with at least one green commit in which every green followed a red; out of `withGreen`. */
  redBeforeGreen: number;
  withGreen: number;
  /** Runs the pair called done but the hidden tests did not resolve (agent overclaiming). */
  doneButUnresolved: number;
  tasks: TaskSummary[];
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * Summarizes result lines. When a task run appears more than once (a retried error), the last line wins.
 * Error runs count as unresolved runs, as SWE-bench counts them.
 */
export function summarizeResults(lines: readonly EvalResult[]): EvalSummary {
  const latest = new Map<string, EvalResult>();
  for (const r of lines) {
    latest.set(`${r.instance_id}#${r.run}`, r);
  }
  const results = [...latest.values()];
  const resolved = results.filter((r) => r.resolved);
  const withGreen = results.filter((r) => r.evidence.cycles.some((c) => c.green_commit));
  const byTask = new Map<string, EvalResult[]>();
  for (const r of results) {
    byTask.set(r.instance_id, [...(byTask.get(r.instance_id) ?? []), r]);
  }
  const tasks = [...byTask].map(([instance_id, rs]): TaskSummary => {
    const verdicts: Record<string, number> = {};
    for (const r of rs) {
      const v = r.status === 'error' ? 'error' : (r.agent_verdict ?? 'none');
      verdicts[v] = (verdicts[v] ?? 0) + 1;
    }
    return {
      instance_id,
      runs: rs.length,
      resolved: rs.filter((r) => r.resolved).length,
      errors: rs.filter((r) => r.status === 'error').length,
      verdicts,
      meanTokens: mean(rs.map((r) => r.usage.total_tokens)),
      meanMs: mean(rs.map((r) => r.time_ms.total)),
      blockReasons: [...new Set(rs.flatMap((r) => (r.block_reason ? [r.block_reason] : [])))],
    };
  });
  return {
    runs: results.length,
    resolved: resolved.length,
    errors: results.filter((r) => r.status === 'error').length,
    solveRate: results.length === 0 ? 0 : resolved.length / results.length,
    interval: wilsonInterval(resolved.length, results.length),
    tokensPerSolved: resolved.length === 0 ? null : mean(resolved.map((r) => r.usage.total_tokens)),
    msPerSolved: resolved.length === 0 ? null : mean(resolved.map((r) => r.time_ms.total)),
    meanTokens: mean(results.map((r) => r.usage.total_tokens)),
    meanMs: mean(results.map((r) => r.time_ms.total)),
    redBeforeGreen: withGreen.filter((r) => r.evidence.red_before_green).length,
    withGreen: withGreen.length,
    doneButUnresolved: results.filter((r) => r.agent_verdict === 'done' && !r.resolved).length,
    tasks,
  };
}
