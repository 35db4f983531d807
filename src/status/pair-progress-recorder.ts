/**
 * Where a running pair's progress reaches the status page: the worker writes it to the event log as
 * `pair.progress` rows, which the page reads from the database, so it works the same whether the page is
 * served by the worker's own process (`tandem start`) or by a separate `tandem server`.
 *
 * The engine reports progress after every model answer and tool call; a row is written at once when the
 * phase, cycle, criterion or test counts change, otherwise at most once per `minIntervalMs`, and the last
 * report of a quiet stretch is written when the interval ends, so the page is never left behind for long.
 */
import type { PairProgress } from '../agents/pair/progress.js';
import type { Database } from '../db/create-database.js';
import { events } from '../db/schema.js';
import type { Logger } from '../log/logger.js';

/** The run a progress report belongs to (database ids, BullMQ job id). */
export interface ProgressRun {
  runId: number;
  ticketId: number;
  repositoryId: number;
  jobId: string;
}

/**
 * A pair's progress as the engine reports it; its `message` is in Tandem's words (step names, tool names,
 * paths), never model text.
 */
export type PairProgressReport = PairProgress;

/** Options of {@link createPairProgressRecorder}. */
export interface PairProgressRecorderOptions {
  db: Database;
  /** Failed writes are logged here at debug: progress never fails a run. */
  logger?: Logger;
  /** Least time between two rows of one run with nothing but the message changed, in ms (default 5 000). */
  minIntervalMs?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/** Records progress reports. */
export interface PairProgressRecorder {
  /** Takes one report; the row is written in the background (see the module comment). */
  record(run: ProgressRun, progress: PairProgressReport): void;
  /** The run ended: its pending report is written now and its state dropped; resolves when written. */
  end(runId: number): Promise<void>;
  /** How many runs have state now (for tests). */
  tracked(): number;
}

interface RunState {
  key: string;
  writtenAt: number;
  pending: { run: ProgressRun; progress: PairProgressReport } | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Creates the recorder (one per worker process). */
export function createPairProgressRecorder(
  options: PairProgressRecorderOptions,
): PairProgressRecorder {
  const minIntervalMs = options.minIntervalMs ?? 5_000;
  const now = options.now ?? Date.now;
  const runs = new Map<number, RunState>();
  // All writes in order, so the newest row of a run is always its latest report.
  let chain = Promise.resolve();

  const write = (state: RunState, run: ProgressRun, progress: PairProgressReport): void => {
    state.writtenAt = now();
    state.key = keyOf(progress);
    const data = { ...progress, message: progress.message.slice(0, 200) };
    chain = chain
      .then(async () => {
        await options.db.insert(events).values({
          kind: 'pair.progress',
          repositoryId: run.repositoryId,
          ticketId: run.ticketId,
          runId: run.runId,
          jobId: run.jobId,
          data,
        });
      })
      .catch((error: unknown) =>
        options.logger?.debug({ err: error, runId: run.runId }, 'pair progress not recorded'),
      );
  };

  const flush = (state: RunState): void => {
    clearTimeout(state.timer);
    state.timer = undefined;
    const pending = state.pending;
    state.pending = undefined;
    if (pending) {
      write(state, pending.run, pending.progress);
    }
  };

  return {
    record(run, progress) {
      let state = runs.get(run.runId);
      if (!state) {
        state = {
          key: '',
          writtenAt: -Infinity,
          pending: undefined,
          timer: undefined,
        };
        runs.set(run.runId, state);
      }
      const due = now() - state.writtenAt >= minIntervalMs;
      if (due || keyOf(progress) !== state.key) {
        state.pending = { run, progress };
        flush(state);
        return;
      }
      state.pending = { run, progress };
      if (!state.timer) {
        const s = state;
        s.timer = setTimeout(
          () => {
            flush(s);
            // Quiet since: forget the run (a report after this is written at once anyway), so the map
            // holds only runs that report.
            runs.delete(run.runId);
          },
          minIntervalMs - (now() - s.writtenAt),
        );
        s.timer.unref();
      }
    },
    async end(runId) {
      const state = runs.get(runId);
      runs.delete(runId);
      if (state) {
        flush(state);
      }
      await chain;
    },
    tracked: () => runs.size,
  };
}

/** What makes a report worth a row at once. */
function keyOf(p: PairProgressReport): string {
  return `${p.phase}/${p.cycle}/${p.criterion}/${p.passing}/${p.failing}`;
}
