/**
 * One line of `results.jsonl`: a task run end to end (pair run, then grading). Written by `runEval`, read
 * back by `--resume` and by the report; parsed with zod so a hand-edited or truncated file gives a clear
 * error instead of a wrong summary.
 */
import { z } from 'zod';

const Outcome = z.enum(['passed', 'failed', 'error', 'skipped', 'missing']);
const RoleFigures = z.object({
  calls: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
});

/** One result line. Times are in ms, tokens are counts, cost in US dollars. */
export const EvalResult = z.object({
  instance_id: z.string(),
  /** 1-based run number of this task (`--runs k`). */
  run: z.number().int().min(1),
  /** `graded`: the pair finished (done or blocked) and the hidden tests ran; `error`: the harness failed. */
  status: z.enum(['graded', 'error']),
  /** SWE-bench's resolved: every FAIL_TO_PASS and PASS_TO_PASS test passes on the final tree. */
  resolved: z.boolean(),
  hidden: z
    .object({
      FAIL_TO_PASS: z.record(z.string(), Outcome),
      PASS_TO_PASS: z.record(z.string(), Outcome),
      exit_code: z.number(),
      duration_ms: z.number(),
      error: z.string().optional(),
      output: z.string().optional(),
    })
    .nullable(),
  /** The pair's own verdict: `done` (every criterion mapped to a passing test) or `blocked`. */
  agent_verdict: z.enum(['done', 'blocked']).nullable(),
  block_reason: z.string().nullable(),
  what_failed: z.string().nullable(),
  /** Red→green evidence: the cycles of the run record (commits, failing tests at red). */
  evidence: z.object({
    cycles: z.array(
      z.object({
        cycle: z.number(),
        criterion: z.number(),
        red_commit: z.string().nullable(),
        failing: z.array(z.string()),
        already_met: z.boolean(),
        green_commit: z.string().nullable(),
      }),
    ),
    /** Every green commit follows a red commit of the same cycle that made the suite fail. */
    red_before_green: z.boolean(),
    commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
    head_commit: z.string().nullable(),
    branch: z.string().nullable(),
  }),
  usage: z.object({
    input_tokens: z.number(),
    output_tokens: z.number(),
    total_tokens: z.number(),
    cost_usd: z.number(),
    calls: z.number(),
    by_role: z.record(z.string(), RoleFigures),
  }),
  /** The `model_calls` rows of the run, summed: attempts (retries and repairs count), by outcome and alias. */
  model_calls: z.object({
    attempts: z.number(),
    by_outcome: z.record(z.string(), z.number()),
    by_alias: z.record(z.string(), z.number()),
    latency_ms: z.number(),
  }),
  repairs: z.number(),
  loops: z.number(),
  failed_attempts: z.number(),
  escalations: z.number(),
  time_ms: z.object({
    total: z.number(),
    prepare: z.number(),
    /** The pair run (as `tandem run`), including its sandbox start. */
    run: z.number(),
    grade: z.number(),
    setup: z.number(),
    tests: z.number(),
    model: z.number(),
    /** Wall time of the agents' phase attempts, from the first to the last event of each step. */
    phases: z.record(z.string(), z.number()),
  }),
  aliases: z.object({ developer: z.string(), tester: z.string() }),
  tandem: z.object({ version: z.string(), git_sha: z.string().nullable() }),
  started_at: z.string(),
  finished_at: z.string(),
  error: z.string().optional(),
});
export type EvalResult = z.infer<typeof EvalResult>;
