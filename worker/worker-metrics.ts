/**
 * What the worker side hands its parts so that they feed the metrics and the status page: the metered
 * model gate and call recorder, the sandbox meter, the job observer, the `pair.progress` recorder
 * and the end-of-run budget observation. Without metrics (tests that pass none) the model parts are the
 * plain ones and only the progress recorder remains (the status page needs it either way).
 */
import type { Database } from '../src/db/create-database.js';
import type { ModelCatalog } from '../src/llm/catalog.js';
import type { ConcurrencyGate } from '../src/llm/concurrency-gate.js';
import { FairShareSlots } from '../src/llm/fair-share-slots.js';
import type { ModelCallRecorder } from '../src/llm/model-call-recorder.js';
import { slotLimits } from '../src/llm/model-manager.js';
import type { Logger } from '../src/log/logger.js';
import { observeRunBudgets } from '../src/metrics/budget-metrics.js';
import {
  collectQueueDepth,
  jobObserver,
  type CountedQueue,
  type JobObserver,
} from '../src/metrics/job-metrics.js';
import { MeteredModelCallRecorder } from '../src/metrics/metered-call-recorder.js';
import { MeteredGate } from '../src/metrics/metered-gate.js';
import { collectSandboxPool, sandboxMeter } from '../src/metrics/sandbox-metrics.js';
import type { TandemMetrics } from '../src/metrics/tandem-metrics.js';
import type { SandboxMeter } from '../src/sandbox/docker-sandbox.js';
import { createPairProgressRecorder } from '../src/status/pair-progress-recorder.js';
import type { EnginePairRunnerOptions } from '../src/workflow/tickets/engine-pair-runner.js';

/** The parts (see the module comment). */
export interface WorkerInstruments {
  /** The model slots (metered when there are metrics). */
  gate: ConcurrencyGate;
  /** Wraps the database recorder of model calls. */
  recorder(inner: ModelCallRecorder): ModelCallRecorder;
  sandboxMeter?: SandboxMeter;
  jobObserver?: JobObserver;
  /** The engine pair runner's hooks. */
  pairHooks: Required<Pick<EnginePairRunnerOptions, 'onProgress' | 'onRunEnd'>>;
  /** Registers the scrape-time gauges of the sandbox pool and the queues, once they exist. */
  watch(pool: () => { ready: number; starting: number }, queues: readonly CountedQueue[]): void;
}

/** Builds the parts for one worker side. */
export function workerInstruments(options: {
  metrics?: TandemMetrics;
  catalog: ModelCatalog;
  db: Database;
  logger: Logger;
}): WorkerInstruments {
  const { metrics, catalog, logger } = options;
  const limits = slotLimits(catalog);
  const slots = new FairShareSlots({ limits });
  const progress = createPairProgressRecorder({
    db: options.db,
    logger: logger.child({ component: 'progress' }),
  });
  return {
    gate: metrics ? new MeteredGate({ inner: slots, limits, metrics }) : slots,
    recorder: (inner) => (metrics ? new MeteredModelCallRecorder({ metrics, inner }) : inner),
    ...(metrics ? { sandboxMeter: sandboxMeter(metrics), jobObserver: jobObserver(metrics) } : {}),
    pairHooks: {
      onProgress: (run, p) => progress.record(run, p),
      onRunEnd: (run, ended) => {
        if (metrics && ended) {
          observeRunBudgets(metrics, ended.policy.budgets, ended.record);
        }
        void progress.end(run.runId);
      },
    },
    watch(pool, queues) {
      if (metrics) {
        collectSandboxPool(metrics, pool);
        collectQueueDepth(metrics, queues, logger);
      }
    },
  };
}
