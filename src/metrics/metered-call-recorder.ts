/**
 * Model call metrics from the recorder path: every provider attempt the `ModelSession` records (the rows
 * of `model_calls`) also counts here, so the metrics and the table can never disagree.
 */
import type { ModelCallRecord, ModelCallRecorder } from '../llm/model-call-recorder.js';
import type { TandemMetrics } from './tandem-metrics.js';

/** Options of {@link MeteredModelCallRecorder}. */
export interface MeteredModelCallRecorderOptions {
  metrics: Pick<TandemMetrics, 'modelCalls' | 'modelTokens' | 'modelLatency' | 'modelCost'>;
  /** Where the rows go (e.g. `DrizzleModelCallRecorder`); absent: metrics only. */
  inner?: ModelCallRecorder;
}

/**
 * A `ModelCallRecorder` that counts calls, tokens, cost and latency by alias and role, then hands the
 * row to `inner`. Latency is observed only for answered calls (`ok`, `invalid_output`): the others never
 * reached the provider or have no latency of their own.
 */
export class MeteredModelCallRecorder implements ModelCallRecorder {
  constructor(private readonly options: MeteredModelCallRecorderOptions) {}

  async record(row: ModelCallRecord): Promise<void> {
    const m = this.options.metrics;
    const { alias, role } = row;
    m.modelCalls.inc({ alias, role, outcome: row.outcome });
    if (row.inputTokens > 0) {
      m.modelTokens.inc({ alias, role, direction: 'input' }, row.inputTokens);
    }
    if (row.outputTokens > 0) {
      m.modelTokens.inc({ alias, role, direction: 'output' }, row.outputTokens);
    }
    if (row.costUsd > 0) {
      m.modelCost.inc({ alias, role }, row.costUsd);
    }
    if (row.outcome === 'ok' || row.outcome === 'invalid_output') {
      m.modelLatency.observe({ alias, role }, row.latencyMs / 1_000);
    }
    await this.options.inner?.record(row);
  }
}
