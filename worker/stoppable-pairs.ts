/**
 * Pair runs that a worker's shutdown can stop. A pair job runs for many minutes, far past any shutdown
 * grace, so waiting for it would only end in the process exiting under it with its sandbox container
 * still running. Instead, at shutdown every pair run in flight is aborted: the engine stops at a safe
 * point (a model call or a sandbox command in flight is cut, the last checkpoint is kept), its sandbox is
 * destroyed, and the job is then left unfinished (its processor never settles), exactly as if the
 * process had been killed after a checkpoint: its BullMQ lock expires and the next worker resumes it from
 * the checkpoint. It is neither failed (which would spend an attempt, and block the ticket on the last
 * one) nor reported `stopped` (which means `/stop`: ticket back to todo with a comment).
 */
import { InterruptedError } from '../src/errors/index.js';
import type { Logger } from '../src/log/logger.js';
import type { PairJobResult, PairRunner } from '../src/workflow/tickets/pair-runner.js';

/** A pair runner with a shutdown switch. */
export interface StoppablePairs {
  runner: PairRunner;
  /**
   * Aborts every pair run in flight and resolves once each has ended (its sandbox removed). Runs that
   * ended because of it are parked (their jobs left for the next worker); runs started afterwards are
   * parked at once. Resolves with the number of runs parked so far.
   */
  stop(): Promise<number>;
}

/** Wraps `inner` (the engine pair runner) so that {@link StoppablePairs.stop} can stop its runs. */
export function stoppablePairs(inner: PairRunner, logger: Logger): StoppablePairs {
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let parked = 0;
  const park = (runKey: string): Promise<PairJobResult> => {
    parked += 1;
    logger.info(
      { runKey },
      'pair stopped for shutdown: its sandbox is removed, and the next worker resumes it from its checkpoint',
    );
    // Never settles: the job stays active until its lock expires (see the module comment).
    return new Promise<PairJobResult>(() => undefined);
  };
  return {
    runner: {
      async run(input) {
        if (shutdown.signal.aborted) {
          return park(input.runKey);
        }
        // Settles once this run has ended and been parked or not, for `stop` to wait on.
        let ended!: () => void;
        const tracker = new Promise<void>((resolve) => (ended = resolve));
        inFlight.add(tracker);
        let outcome: { result: PairJobResult } | { error: unknown };
        try {
          outcome = {
            result: await inner.run({
              ...input,
              signal: AbortSignal.any([input.signal, shutdown.signal]),
            }),
          };
        } catch (error) {
          outcome = { error };
        }
        const forShutdown = shutdown.signal.aborted && !input.signal.aborted;
        const result =
          forShutdown && ('error' in outcome || outcome.result.status === 'stopped')
            ? park(input.runKey)
            : undefined;
        ended();
        inFlight.delete(tracker);
        if (result) {
          return result;
        }
        if ('error' in outcome) {
          throw outcome.error;
        }
        return outcome.result;
      },
    },
    async stop() {
      shutdown.abort(new InterruptedError('shutdown'));
      await Promise.allSettled([...inFlight]);
      return parked;
    },
  };
}
