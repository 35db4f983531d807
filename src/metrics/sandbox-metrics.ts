/**
 * Sandbox metrics: sandboxes running and handed out (from the sandboxes' meter), the warm pool's
 * size at scrape time, and how long commands take.
 */
import { Gauge } from 'prom-client';
import type { SandboxMeter } from '../sandbox/docker-sandbox.js';
import type { TandemMetrics } from './tandem-metrics.js';

/** The meter to give `DockerSandboxProvider` so its sandboxes feed the metrics. */
export function sandboxMeter(
  metrics: Pick<TandemMetrics, 'sandboxesRunning' | 'sandboxesAcquired' | 'sandboxExec'>,
): SandboxMeter {
  return {
    started(source) {
      metrics.sandboxesRunning.inc();
      metrics.sandboxesAcquired.inc({ source });
    },
    destroyed() {
      metrics.sandboxesRunning.dec();
    },
    exec(durationMs, outcome) {
      metrics.sandboxExec.observe({ outcome }, durationMs / 1_000);
    },
  };
}

/**
 * Registers `tandem_sandbox_pool{state="ready"|"starting"}`, read from `pool` at every scrape (e.g.
 * `() => provider.poolCounts()`).
 */
export function collectSandboxPool(
  metrics: Pick<TandemMetrics, 'registry'>,
  pool: () => { ready: number; starting: number },
): void {
  new Gauge({
    name: 'tandem_sandbox_pool',
    help: 'Warm pool containers, by state (ready, starting).',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      const counts = pool();
      this.set({ state: 'ready' }, counts.ready);
      this.set({ state: 'starting' }, counts.starting);
    },
  });
}
