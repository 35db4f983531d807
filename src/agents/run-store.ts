/**
 * Persistence port of the pair engine: one run row with its checkpoint, plus the append-only event log.
 * `db-run-store.ts` implements it on Tandem's database; `createMemoryRunStore` keeps it in memory (tests).
 */
import type { Checkpoint, Diagnosis, RunRecord } from './checkpoint.js';

/** A stored run. */
export interface StoredRun {
  runId: number;
  ticketId: number;
  status: 'running' | 'done' | 'blocked' | 'stopped' | 'failed';
  /** Null before the first checkpoint. */
  checkpoint: Checkpoint | null;
}

/** What the engine persists. */
export interface RunStore {
  /** Finds the run of `jobId` or creates it (status `running`) for the ticket. */
  openRun(input: {
    jobId: string;
    ticket: { id: string; title: string; description: string; acceptanceCriteria: string[] };
  }): Promise<StoredRun>;
  /** Stores the checkpoint (phase, cycle and last commit also as columns). */
  saveCheckpoint(runId: number, checkpoint: Checkpoint): Promise<void>;
  /** Appends an event (`kind` dotted, e.g. `pair.phase`, `git.commit`). */
  appendEvent(runId: number, kind: string, data: Record<string, unknown>): Promise<void>;
  /** Ends the run. */
  finishRun(
    runId: number,
    outcome: { status: 'done' | 'blocked'; record: RunRecord; diagnosis?: Diagnosis },
  ): Promise<void>;
}

/** An in-memory {@link RunStore}; `runs` and `events` are exposed for assertions. */
export function createMemoryRunStore(): RunStore & {
  runs: Map<string, StoredRun & { record?: RunRecord; diagnosis?: Diagnosis }>;
  events: { runId: number; kind: string; data: Record<string, unknown> }[];
} {
  const runs = new Map<string, StoredRun & { record?: RunRecord; diagnosis?: Diagnosis }>();
  const events: { runId: number; kind: string; data: Record<string, unknown> }[] = [];
  const byId = (runId: number) => [...runs.values()].find((r) => r.runId === runId);
  return {
    runs,
    events,
    openRun({ jobId }) {
      const existing = runs.get(jobId);
      if (existing) {
        return Promise.resolve({ ...existing });
      }
      const run: StoredRun = {
        runId: runs.size + 1,
        ticketId: runs.size + 1,
        status: 'running',
        checkpoint: null,
      };
      runs.set(jobId, run);
      return Promise.resolve({ ...run });
    },
    saveCheckpoint(runId, checkpoint) {
      const run = byId(runId);
      if (run) {
        run.checkpoint = structuredClone(checkpoint);
      }
      return Promise.resolve();
    },
    appendEvent(runId, kind, data) {
      events.push({ runId, kind, data });
      return Promise.resolve();
    },
    finishRun(runId, outcome) {
      const run = byId(runId);
      if (run) {
        run.status = outcome.status;
        run.record = outcome.record;
        if (outcome.diagnosis) {
          run.diagnosis = outcome.diagnosis;
        }
      }
      return Promise.resolve();
    },
  };
}
