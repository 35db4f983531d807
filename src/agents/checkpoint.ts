/**
 * The pair engine's checkpoint, stored in `runs.checkpoint` after every step, and the run record a PR body
 * is written from. Both are zod-validated when read back.
 */
import { z } from 'zod';

/** Protocol phases. `red`: tester writes a failing test; `green`: developer makes the suite pass;
 * `refactor`: optional clean-up that stays green; `final`: the last full run and criteria check. */
export const Phase = z.enum(['red', 'green', 'refactor', 'final', 'done', 'blocked']);
export type Phase = z.infer<typeof Phase>;

/** One acceptance criterion's progress. */
export const CriterionState = z.object({
  text: z.string(),
  status: z.enum(['open', 'met']),
  /** Test names the tester mapped to it. */
  tests: z.array(z.string()).default([]),
});
export type CriterionState = z.infer<typeof CriterionState>;

/** One red/green cycle, for the run record. */
export const CycleLog = z.object({
  cycle: z.number().int().min(1),
  /** 0-based criterion index. */
  criterion: z.number().int().min(0),
  red: z
    .object({
      commit: z.string(),
      failing: z.array(z.string()),
      summary: z.string(),
      /** The test files the Tester wrote or changed (repository-relative). */
      files: z.array(z.string()).optional(),
      /** The new tests failed to load (a symbol or module the code lacks) rather than fail an assertion. */
      loadFailure: z.boolean().optional(),
    })
    .optional(),
  green: z.object({ commit: z.string(), summary: z.string() }).optional(),
  refactor: z.object({ commit: z.string(), summary: z.string() }).optional(),
  /** Criterion found already met (test committed without a green step). */
  alreadyMet: z.boolean().optional(),
  attempts: z.record(z.string(), z.number().int()).default({}),
  /** Sandbox test time spent in this cycle, in ms. */
  testMs: z.number().default(0),
});
export type CycleLog = z.infer<typeof CycleLog>;

/** A commit made but not yet recorded: lets a restarted run adopt it instead of redoing the phase. */
export const PendingCommit = z.object({
  phase: z.enum(['red', 'green', 'refactor']),
  cycle: z.number().int(),
  result: z.record(z.string(), z.unknown()),
});
export type PendingCommit = z.infer<typeof PendingCommit>;

/** The Developer sent the cycle's test back to the Tester, saying why. */
export const Dispute = z.object({
  cycle: z.number().int().min(1),
  reason: z.string(),
  /** Set when the Tester answered: true when it kept the test unchanged, false when it rewrote it. */
  upheld: z.boolean().optional(),
});
export type Dispute = z.infer<typeof Dispute>;

/** Why a ticket was blocked, for a person. */
export const Diagnosis = z.object({
  reason: z.enum([
    'budget_cycles',
    'budget_tokens',
    'budget_cost',
    'budget_time',
    'escalation_exhausted',
    'baseline_not_green',
    'setup_failed',
    'workspace_too_large',
  ]),
  phase: Phase,
  cycle: z.number().int(),
  criterion: z.string().optional(),
  /** What failed last, in words. */
  whatFailed: z.string(),
  lastTestOutput: z.string(),
  /** What was tried: one line per attempt (`green attempt 2 with local-coder: suite failed`). */
  tried: z.array(z.string()),
});
export type Diagnosis = z.infer<typeof Diagnosis>;

/** Per-role model usage (see `ModelUsage` in agent-models.ts). */
export const RoleUsage = z.object({
  calls: z.number().int().min(0),
  inputTokens: z.number().min(0),
  outputTokens: z.number().min(0),
  /** US dollars. */
  costUsd: z.number().min(0),
});

/** Model usage so far, carried across restarts so budgets hold (`AgentModels.restoreUsage`). */
export const UsageState = z.object({
  inputTokens: z.number().min(0),
  outputTokens: z.number().min(0),
  /** US dollars. */
  costUsd: z.number().min(0),
  /** Provider latency, in ms. */
  latencyMs: z.number().min(0),
  byRole: z.record(z.string(), RoleUsage),
});
export type UsageState = z.infer<typeof UsageState>;

/** The engine's whole resumable state. */
export const Checkpoint = z.object({
  version: z.literal(1),
  phase: Phase,
  cycle: z.number().int().min(1),
  /** Index of the criterion being worked. */
  criterion: z.number().int().min(0),
  /** Attempts made in the current phase with the current alias. */
  attempts: z.number().int().min(0),
  baseCommit: z.string(),
  lastCommit: z.string(),
  criteria: z.array(CriterionState),
  cycles: z.array(CycleLog),
  /** Feedback for the next attempt of the current phase (test output, reverted files, …). */
  feedback: z.array(z.string()).default([]),
  tried: z.array(z.string()).default([]),
  escalations: z.array(z.object({ role: z.string(), to: z.string(), phase: Phase })).default([]),
  /**
   * What the last failed attempt of this phase changed (a budgeted diff; new files in full up to a cap),
   * shown to the next attempt after the work tree was reset. Empty once the phase moves on.
   */
  previousChange: z.string().default(''),
  /** Tests the Developer disputed, per cycle (at most `RunPairOptions.disputesPerCycle` per cycle). */
  disputes: z.array(Dispute).default([]),
  /** Result of the last green phase, carried into an optional refactor. */
  refactorRequested: z.boolean().default(false),
  pending: PendingCommit.optional(),
  /** Wall time spent across restarts, in ms. */
  elapsedMs: z.number().default(0),
  /** Model usage across restarts (tokens, cost, latency; per role). */
  usage: UsageState.default({
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    latencyMs: 0,
    byRole: {},
  }),
  lastTestOutput: z.string().default(''),
  /** Set when the run is blocked. */
  diagnosis: Diagnosis.optional(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

/** Everything a PR body (issue 7) is written from. */
export interface RunRecord {
  ticket: { id: string; title: string };
  branch: string;
  baseCommit: string;
  headCommit: string;
  status: 'done' | 'blocked';
  criteria: {
    index: number;
    text: string;
    status: 'open' | 'met';
    tests: string[];
    passing: boolean;
  }[];
  cycles: CycleLog[];
  finalRun: { status: string; passed: number; failed: number; output: string } | null;
  usage: Record<
    string,
    { calls: number; inputTokens: number; outputTokens: number; costUsd: number }
  >;
  commits: { sha: string; subject: string }[];
  durationMs: number;
  diagnosis?: Diagnosis;
  /** Tests the Developer disputed, and how the Tester answered. */
  disputes?: Dispute[];
}

/**
 * The checkpoint a fresh run starts from: red phase of cycle 1 on the first criterion, every criterion
 * open, nothing tried; `baseCommit` is the ticket branch's base, `lastCommit` its head.
 */
export function startingCheckpoint(
  criteria: readonly string[],
  baseCommit: string,
  lastCommit: string,
): Checkpoint {
  return Checkpoint.parse({
    version: 1,
    phase: 'red',
    cycle: 1,
    criterion: 0,
    attempts: 0,
    baseCommit,
    lastCommit,
    criteria: criteria.map((text) => ({ text, status: 'open', tests: [] })),
    cycles: [],
  });
}
