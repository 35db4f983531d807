/**
 * Model slots as this process sees them: read from its own metrics registry (the `MeteredGate` keeps
 * `tandem_model_slots*` current), so the status page needs no handle on the model manager. A process
 * without a worker side has no slots of its own: the result is empty.
 */
import type { Histogram, Registry } from 'prom-client';

/** Slot use of one alias in this process. */
export interface SlotUse {
  alias: string;
  total: number;
  busy: number;
  waiting: number;
  /** Calls that got a slot so far, and their mean wait in ms. */
  granted: number;
  meanWaitMs: number;
}

/** Reads the slot gauges and the wait histogram of `registry`, one row per alias, sorted by alias. */
export async function readSlots(registry: Registry): Promise<SlotUse[]> {
  const byAlias = new Map<string, SlotUse>();
  const row = (alias: string): SlotUse => {
    let use = byAlias.get(alias);
    if (!use) {
      use = { alias, total: 0, busy: 0, waiting: 0, granted: 0, meanWaitMs: 0 };
      byAlias.set(alias, use);
    }
    return use;
  };
  const values = async (name: string) =>
    (await registry.getSingleMetric(name)?.get())?.values ?? [];
  for (const v of await values('tandem_model_slots')) {
    row(String(v.labels.alias)).total = v.value;
  }
  for (const v of await values('tandem_model_slots_busy')) {
    row(String(v.labels.alias)).busy = v.value;
  }
  for (const v of await values('tandem_model_slot_waiters')) {
    row(String(v.labels.alias)).waiting = v.value;
  }
  const sums = new Map<string, number>();
  const wait = registry.getSingleMetric('tandem_model_slot_wait_seconds') as
    Histogram<'alias'> | undefined;
  for (const v of (await wait?.get())?.values ?? []) {
    const alias = String(v.labels.alias);
    if (v.metricName === 'tandem_model_slot_wait_seconds_count') {
      row(alias).granted = v.value;
    } else if (v.metricName === 'tandem_model_slot_wait_seconds_sum') {
      sums.set(alias, v.value);
    }
  }
  for (const use of byAlias.values()) {
    use.meanWaitMs =
      use.granted > 0 ? Math.round(((sums.get(use.alias) ?? 0) / use.granted) * 1_000) : 0;
  }
  return [...byAlias.values()].sort((a, b) => a.alias.localeCompare(b.alias));
}
