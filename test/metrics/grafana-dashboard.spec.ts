/**
 * `deploy/grafana/tandem.json` charts the metrics Tandem really exports: every metric name in its
 * queries exists in the registry a `tandem start` process builds (histogram suffixes resolved), and
 * every `tandem_*` metric of that registry is charted somewhere.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDatabaseGauges } from '../../src/metrics/collect-database-gauges.js';
import { collectQueueDepth } from '../../src/metrics/job-metrics.js';
import { collectSandboxPool } from '../../src/metrics/sandbox-metrics.js';
import { createTandemMetrics } from '../../src/metrics/tandem-metrics.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string }[];
}

let t: PgliteDatabaseHandle;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

describe('Grafana dashboard', () => {
  it('queries only metrics Tandem exports, and charts every one of them', async () => {
    const dashboard = JSON.parse(await readFile('deploy/grafana/tandem.json', 'utf8')) as {
      panels: Panel[];
      templating: { list: { name: string; query: unknown }[] };
    };
    const metrics = createTandemMetrics();
    collectDatabaseGauges(metrics, t.db);
    collectQueueDepth(metrics, []);
    collectSandboxPool(metrics, () => ({ ready: 0, starting: 0 }));
    const exported = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));

    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((q) => q.expr)),
      ...dashboard.templating.list.map((v) => JSON.stringify(v.query)),
    ];
    const used = new Set(
      queries.flatMap((q) => q.match(/\b(?:tandem|process|nodejs)_[a-z0-9_]+\b/g) ?? []),
    );
    const base = (name: string) =>
      exported.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const unknown = [...used].filter((name) => !exported.has(base(name)));
    expect(unknown).toEqual([]);
    const charted = new Set([...used].map(base));
    const uncharted = [...exported].filter((n) => n.startsWith('tandem_') && !charted.has(n));
    expect(uncharted).toEqual([]);

    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toContain('datasource');
  });
});
