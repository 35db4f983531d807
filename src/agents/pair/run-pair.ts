/**
 * The pair engine: the Developer/Tester test-first protocol on one ticket (DESIGN.md, "The pair protocol";
 * docs/pair-protocol.md).
 *
 * State machine, one step per loop turn, checkpointed after every step:
 *   red (`red-phase.ts`) → green (`green-phase.ts`) → refactor (optional, `refactor-phase.ts`)
 *   → red for the next open criterion … → final (`final-phase.ts`) → done | blocked.
 * A failed verification is an attempt (`attempts.ts`); `budgets.attemptsPerPhase` failed attempts escalate
 * the role, an exhausted chain blocks the ticket with a diagnosis. After every phase and every
 * verification run the role boundary is checked (`boundary-guard.ts`). Budgets (`budgets.ts`) are checked
 * before every step. Commits are announced in the checkpoint before they are made and pushed in the
 * background (`background-push.ts`); a restarted run adopts a commit it finds (`resume.ts`).
 */
import { BudgetExceededError } from '../../errors/index.js';
import type { PairRole } from '../agent-models.js';
import { Checkpoint, startingCheckpoint, type RunRecord } from '../checkpoint.js';
import { buildRunRecord } from '../run-record.js';
import { budgetProblem } from './budgets.js';
import { finalPhase } from './final-phase.js';
import { greenPhase } from './green-phase.js';
import { PairRun } from './pair-run.js';
import { STEP_START } from './progress.js';
import { redPhase } from './red-phase.js';
import { refactorPhase } from './refactor-phase.js';
import { reconcileWithBranch } from './resume.js';
import type { RunPairOptions } from './run-pair-options.js';
import { runBaseline, runSetup } from './setup-step.js';

const PHASES = {
  red: redPhase,
  green: greenPhase,
  refactor: refactorPhase,
  final: finalPhase,
} as const;

/**
 * Runs (or resumes) one ticket to `done` or `blocked` and returns the run record.
 * Throws only for infrastructure failures (git, sandbox, database, non-budget model errors), for a
 * stop through `signal` (the abort reason or `ModelCallAbortedError`) and for a pause through `pause`
 * (its reason, between steps), with the last checkpoint kept.
 */
export async function runPair(options: RunPairOptions): Promise<RunRecord> {
  const { run, fresh } = await openRun(options);
  try {
    return await steps(run, fresh);
  } catch (error) {
    await run.pushes.drain();
    throw error;
  }
}

/**
 * Opens the stored run: resumes its checkpoint (usage, escalations, pending commit) or starts one
 * (`fresh`: the baseline run is still to come).
 */
async function openRun(o: RunPairOptions): Promise<{ run: PairRun; fresh: boolean }> {
  const stored = await o.store.openRun({
    jobId: o.jobId,
    ticket: { ...o.ticket, id: String(o.ticket.id) },
  });
  if (stored.checkpoint) {
    const cp = Checkpoint.parse(stored.checkpoint);
    o.models.restoreUsage(cp.usage);
    for (const e of cp.escalations) {
      o.models.escalate(e.role as PairRole);
    }
    const run = new PairRun(o, stored.runId, cp);
    await reconcileWithBranch(run);
    await run.event('pair.resumed', { phase: cp.phase, cycle: cp.cycle });
    return { run, fresh: false };
  }
  const cp = startingCheckpoint(
    o.ticket.acceptanceCriteria,
    o.workspace.baseCommit,
    await o.workspace.head(),
  );
  return { run: new PairRun(o, stored.runId, cp), fresh: true };
}

const running = (run: PairRun): boolean => run.cp.phase !== 'done' && run.cp.phase !== 'blocked';

async function steps(run: PairRun, fresh: boolean): Promise<RunRecord> {
  const { o } = run;
  if (running(run)) {
    // Files git wrote on the host become the sandbox user's, so the runner may write caches/outputs.
    await o.sandbox.chownWorkspace();
    if ((await runSetup(run)) && fresh) {
      await runBaseline(run);
    }
    await run.save();
  }
  while (running(run)) {
    const problem = budgetProblem(o.policy.budgets, run.cp.cycle, o.models.usage(), run.elapsed());
    if (problem) {
      run.block(problem.reason, problem.whatFailed);
      break;
    }
    o.signal?.throwIfAborted();
    // The safe point between steps: the last step's checkpoint is saved and pushed.
    o.pause?.throwIfAborted();
    const phase = run.cp.phase as keyof typeof PHASES;
    run.progress(STEP_START[phase] ?? phase);
    try {
      await PHASES[phase](run);
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) {
        await run.onDiskLimit(error);
      } else {
        run.block(
          error.budget === 'costUsd' ? 'budget_cost' : 'budget_tokens',
          `model budget exceeded: ${error.message}`,
        );
      }
    }
    // The checkpoint is never ahead of the remote branch: a worker without this job's git dir
    // (another host) resumes from the remote, and a checkpoint naming a commit it cannot fetch would
    // fail every retry. Killed before this save, the run adopts or redoes the `pending` commit.
    await run.pushes.settle();
    await run.save();
    run.progress(`${phase} step finished`);
  }
  return finish(run);
}

/** Pushes, builds and stores the run record, and ends the stored run. */
async function finish(run: PairRun): Promise<RunRecord> {
  const { o, cp } = run;
  const status = cp.phase === 'done' ? 'done' : 'blocked';
  if (status === 'blocked' && !cp.diagnosis) {
    run.block('escalation_exhausted', 'blocked');
  }
  await run.pushes.settle();
  if (o.push !== false) {
    await o.workspace.push();
  }
  const record = await buildRunRecord({
    ticket: o.ticket,
    checkpoint: cp,
    workspace: o.workspace,
    finalRun: run.lastRun,
    usage: o.models.usage(),
    durationMs: run.elapsed(),
    status,
    ...(cp.diagnosis ? { diagnosis: cp.diagnosis } : {}),
  });
  await run.save();
  await o.store.finishRun(run.runId, {
    status,
    record,
    ...(cp.diagnosis ? { diagnosis: cp.diagnosis } : {}),
  });
  o.logger?.info({ ticket: run.id, status, cycles: cp.cycles.length }, 'pair run finished');
  return record;
}
