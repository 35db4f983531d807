import type { Database } from '../db/create-database.js';
import { modelCalls } from '../db/schema.js';
import type { Logger } from '../log/logger.js';
import type { ModelCallRecord, ModelCallRecorder } from './model-call-recorder.js';

/** Options of {@link DrizzleModelCallRecorder}. */
export interface DrizzleModelCallRecorderOptions {
  db: Database;
  /** Failed inserts are logged here and swallowed: a recording problem never fails a model call. */
  logger?: Logger;
}

/** Writes each model call as one `model_calls` row (PGlite or PostgreSQL through drizzle). */
export class DrizzleModelCallRecorder implements ModelCallRecorder {
  constructor(private readonly options: DrizzleModelCallRecorderOptions) {}

  async record(row: ModelCallRecord): Promise<void> {
    try {
      await this.options.db.insert(modelCalls).values({
        alias: row.alias,
        provider: row.provider,
        model: row.model,
        role: row.role,
        repositoryId: row.repositoryId ?? null,
        ticketId: row.ticketId ?? null,
        requestId: row.requestId ?? null,
        runId: row.runId ?? null,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
        latencyMs: Math.round(row.latencyMs),
        costUsd: row.costUsd,
        outcome: row.outcome,
        errorCode: row.errorCode ?? null,
      });
    } catch (err) {
      this.options.logger?.warn(
        { err, alias: row.alias, ticketId: row.ticketId },
        'model call could not be recorded',
      );
    }
  }
}
