/**
 * Resource Director figures: model slot utilisation under a backlog. Three repositories (priorities 1, 4
 * and 8, so weights 10, 7 and 3) each keep four callers waiting on one alias with four slots, through the
 * `ModelManager` and the scripted provider's latency (20 ms a call). Utilisation is the time providers
 * spent answering divided by slots × wall time (goal ≥ 95 %); shares are each repository's slot time
 * against its weight's share.
 */
import { performance } from 'node:perf_hooks';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { weightOf } from '../../src/llm/concurrency-gate.js';
import { FairShareSlots } from '../../src/llm/fair-share-slots.js';
import type { ModelRequest } from '../../src/llm/types.js';
import { timedScriptedManager } from './timed-scripted-manager.js';

const SLOTS = 4;
const LATENCY_MS = 20;
const WINDOW_MS = 3_000;
const round = (n: number, digits = 4): number => Number(n.toFixed(digits));

export default async function bench(): Promise<Record<string, unknown>> {
  const catalog = parseModelCatalog(
    `models: { coder: { provider: scripted, model: m, script: x, maxConcurrent: ${SLOTS} } }`,
    {},
  );
  let providerBusyMs = 0;
  const gate = new FairShareSlots({ limits: { coder: SLOTS } });
  const manager = timedScriptedManager({
    catalog,
    gate,
    script: `[{ json: { done: true }, latencyMs: ${LATENCY_MS}, times: always }]`,
    onCall: (ms) => {
      providerBusyMs += ms;
    },
  });
  const repos = [
    { id: 1, priority: 1 },
    { id: 2, priority: 4 },
    { id: 3, priority: 8 },
  ];
  const request: ModelRequest = { messages: [{ role: 'user', content: 'go' }] };
  let running = true;
  const loops = repos.flatMap((r) => {
    const policy = RepoPolicy.parse({
      priority: r.priority,
      models: { developer: { alias: 'coder' } },
    });
    return Array.from({ length: 4 }, async () => {
      const session = manager.forTicket({ policy, repositoryId: r.id, priority: r.priority });
      while (running) {
        await session.complete('developer', request);
      }
    });
  });
  // Warm-up, then measure a window.
  await new Promise((r) => setTimeout(r, 300));
  const busyBefore = providerBusyMs;
  const heldBefore = gate.stats('coder').tenants;
  const t = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const wallMs = performance.now() - t;
  const busy = providerBusyMs - busyBefore;
  const heldAfter = gate.stats('coder').tenants;
  running = false;
  await Promise.all(loops);
  await manager.close();
  const held = repos.map(
    (r) => (heldAfter[String(r.id)]?.heldMs ?? 0) - (heldBefore[String(r.id)]?.heldMs ?? 0),
  );
  const heldTotal = held.reduce((a, b) => a + b, 0);
  const weightSum = repos.reduce((a, r) => a + weightOf(r.priority), 0);
  return {
    slots: SLOTS,
    latencyMs: LATENCY_MS,
    windowMs: Math.round(wallMs),
    slotUtilisation: round(busy / (SLOTS * wallMs)),
    shares: Object.fromEntries(
      repos.map((r, i) => [
        `priority${r.priority}`,
        {
          share: round(held[i]! / heldTotal),
          weightShare: round(weightOf(r.priority) / weightSum),
        },
      ]),
    ),
  };
}
