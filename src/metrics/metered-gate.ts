/**
 * Slot utilisation of the model concurrency gate: a `ConcurrencyGate` decorator that keeps the busy and
 * waiting counts of each alias in gauges and observes how long each call waited. It wraps whatever gate
 * hands out the slots (the in-process `FairShareSlots` today, a cluster-wide one later).
 */
import type { ConcurrencyGate } from '../llm/concurrency-gate.js';
import type { TandemMetrics } from './tandem-metrics.js';

/** Options of {@link MeteredGate}. */
export interface MeteredGateOptions {
  /** The gate that really hands out slots. */
  inner: ConcurrencyGate;
  /** Slots per alias (catalog `maxConcurrent`), published as `tandem_model_slots`. */
  limits: Readonly<Record<string, number>>;
  metrics: Pick<
    TandemMetrics,
    'modelSlots' | 'modelSlotsBusy' | 'modelSlotWaiters' | 'modelSlotWait'
  >;
  /** Clock in ms (default `performance.now`). */
  now?: () => number;
}

/** See the module comment. The release function it returns is idempotent, like the inner gate's. */
export class MeteredGate implements ConcurrencyGate {
  private readonly now: () => number;

  constructor(private readonly options: MeteredGateOptions) {
    this.now = options.now ?? (() => performance.now());
    for (const [alias, limit] of Object.entries(options.limits)) {
      options.metrics.modelSlots.set({ alias }, limit);
      options.metrics.modelSlotsBusy.set({ alias }, 0);
      options.metrics.modelSlotWaiters.set({ alias }, 0);
    }
  }

  async acquire(
    alias: string,
    options: { priority: number; signal?: AbortSignal },
  ): Promise<() => void> {
    const m = this.options.metrics;
    const started = this.now();
    m.modelSlotWaiters.inc({ alias });
    let release: () => void;
    try {
      release = await this.options.inner.acquire(alias, options);
    } finally {
      m.modelSlotWaiters.dec({ alias });
    }
    m.modelSlotWait.observe({ alias }, (this.now() - started) / 1_000);
    m.modelSlotsBusy.inc({ alias });
    let released = false;
    return () => {
      if (!released) {
        released = true;
        m.modelSlotsBusy.dec({ alias });
      }
      release();
    };
  }
}
