import type { Role } from '../config/repo-policy.js';

/** How a recorded model call ended (the `model_calls.outcome` column). */
export type ModelCallOutcome =
  'ok' | 'error' | 'invalid_output' | 'timeout' | 'aborted' | 'circuit_open';

/** One row of `model_calls`: who asked, which alias answered, what it cost. */
export interface ModelCallRecord {
  alias: string;
  provider: string;
  model: string;
  /** The agent role, or `embedding` for project memory's embedding calls. */
  role: Role | 'embedding';
  repositoryId?: number;
  ticketId?: number;
  /** The request of a PM or Architect call. */
  requestId?: number;
  runId?: number;
  inputTokens: number;
  outputTokens: number;
  /** Provider latency in ms (0 when the call never reached the provider). */
  latencyMs: number;
  /** US dollars, from the catalog prices per 1M tokens. */
  costUsd: number;
  outcome: ModelCallOutcome;
  /** `code` of the TandemError when the outcome is not `ok`. */
  errorCode?: string;
}

/** Where `ModelManager` records every call. Implementations must not throw for a healthy store. */
export interface ModelCallRecorder {
  record(row: ModelCallRecord): Promise<void>;
}

/** Keeps rows in memory (tests, benches, `tandem run` without a database). */
export class MemoryModelCallRecorder implements ModelCallRecorder {
  readonly rows: ModelCallRecord[] = [];

  record(row: ModelCallRecord): Promise<void> {
    this.rows.push(row);
    return Promise.resolve();
  }
}
