/**
 * A `ModelManager` for benches: every alias answers from a scripted provider, and `onCall` receives the
 * time each provider call took (ms), so a bench can tell the provider's time from the manager's.
 */
import { performance } from 'node:perf_hooks';
import type { ModelCatalog } from '../../src/llm/catalog.js';
import type { ConcurrencyGate } from '../../src/llm/concurrency-gate.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { ScriptedProvider, parseModelScript } from '../../src/llm/providers/scripted-provider.js';
import type { ModelRequest } from '../../src/llm/types.js';

/** Options of {@link timedScriptedManager}. */
export interface TimedScriptedManagerOptions {
  catalog: ModelCatalog;
  /** The model script every alias replays (YAML, see docs/models.md). */
  script: string;
  /** Called after each provider call with its duration in ms. */
  onCall: (ms: number) => void;
  gate?: ConcurrencyGate;
}

/** See the module comment. */
export function timedScriptedManager(o: TimedScriptedManagerOptions): ModelManager {
  return new ModelManager({
    catalog: o.catalog,
    recorder: new MemoryModelCallRecorder(),
    ...(o.gate ? { gate: o.gate } : {}),
    providerFactory: (alias) => {
      const inner = new ScriptedProvider({ alias, responses: parseModelScript(o.script) });
      return Promise.resolve({
        alias: inner.alias,
        close: () => inner.close(),
        async complete(request: ModelRequest) {
          const t = performance.now();
          try {
            return await inner.complete(request);
          } finally {
            o.onCall(performance.now() - t);
          }
        },
      });
    },
  });
}
