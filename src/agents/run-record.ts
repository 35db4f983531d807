/** Builds the run record (criteria ↔ tests, cycle log, final results, usage) that a PR body is written from. */
import type { GitWorkspace } from '../git/git-workspace.js';
import type { ModelUsage } from './agent-models.js';
import type { Checkpoint, Diagnosis, RunRecord } from './checkpoint.js';
import { testMatches } from './pair-steps.js';
import { summarizeRun, type SuiteRun } from './run-suite.js';
import type { Ticket } from './ticket.js';

/** Inputs of {@link buildRunRecord}. */
export interface RunRecordInput {
  ticket: Ticket;
  checkpoint: Checkpoint;
  workspace: Pick<GitWorkspace, 'branch' | 'head' | 'log'>;
  finalRun: SuiteRun | null;
  usage: ModelUsage;
  durationMs: number;
  status: 'done' | 'blocked';
  diagnosis?: Diagnosis;
}

/** Assembles the record; reads the branch's commits since the base. */
export async function buildRunRecord(input: RunRecordInput): Promise<RunRecord> {
  const { checkpoint: cp, finalRun } = input;
  const passing = (finalRun?.cases ?? []).filter((c) => c.outcome === 'passed');
  const commits = await input.workspace.log(cp.baseCommit);
  const summary = finalRun ? summarizeRun(finalRun) : null;
  return {
    ticket: { id: String(input.ticket.id), title: input.ticket.title },
    branch: input.workspace.branch,
    baseCommit: cp.baseCommit,
    headCommit: await input.workspace.head(),
    status: input.status,
    criteria: cp.criteria.map((c, index) => ({
      index: index + 1,
      text: c.text,
      status: c.status,
      tests: c.tests,
      passing:
        finalRun?.status === 'passed' &&
        (finalRun.cases === null || c.tests.some((t) => passing.some((p) => testMatches(t, p)))),
    })),
    cycles: cp.cycles,
    finalRun:
      finalRun && summary
        ? {
            status: finalRun.status,
            passed: summary.passed,
            failed: summary.failed,
            output: finalRun.output.slice(-2_000),
          }
        : null,
    usage: input.usage.byRole,
    commits: commits.map((c) => ({ sha: c.sha, subject: c.subject })),
    durationMs: input.durationMs,
    ...(input.diagnosis ? { diagnosis: input.diagnosis } : {}),
    ...(cp.disputes.length > 0 ? { disputes: cp.disputes } : {}),
  };
}
