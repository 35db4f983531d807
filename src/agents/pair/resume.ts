/**
 * Resume: a run restarted from its checkpoint adopts the commit announced in `pending` when it reached the
 * branch before the crash (recognised by its `Tandem-Phase` and `Tandem-Cycle` trailers), instead of
 * making it again, and moves `lastCommit` to the branch head.
 */
import { applyCommit } from '../pair-steps.js';
import type { PairRun } from './pair-run.js';

/** Reconciles the checkpoint with the branch (see the module comment) and saves it. */
export async function reconcileWithBranch(run: PairRun): Promise<void> {
  const { cp } = run;
  const { workspace } = run.o;
  const head = await workspace.head();
  const pending = cp.pending;
  if (head !== cp.lastCommit) {
    const commits = await workspace.log(cp.lastCommit, head);
    const adopted = pending
      ? commits.find(
          (c) =>
            c.trailers?.['Tandem-Phase'] === pending.phase &&
            c.trailers['Tandem-Cycle'] === String(pending.cycle),
        )
      : undefined;
    if (pending && adopted) {
      applyCommit(cp, pending, adopted.sha);
      await run.event('pair.commit_adopted', { sha: adopted.sha, phase: pending.phase });
    }
    cp.lastCommit = head;
  }
  delete cp.pending;
  await run.save();
}
