/**
 * Model layer figures: ModelManager overhead per call beyond the provider (scripted provider, target
 * p99 < 1 ms), and the tiny random-weight GGUF's load time and generation speed through node-llama-cpp.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import type { ModelRequest } from '../../src/llm/types.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';
import { timedScriptedManager } from './timed-scripted-manager.js';

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const round = (n: number, digits = 4): number => Number(n.toFixed(digits));

async function managerOverhead(calls: number): Promise<Record<string, number>> {
  const catalog = parseModelCatalog(
    'models: { s: { provider: scripted, model: m, script: x } }',
    {},
  );
  const providerMs: number[] = [];
  const manager = timedScriptedManager({
    catalog,
    script: '[{ json: { done: true }, times: always }]',
    onCall: (ms) => providerMs.push(ms),
  });
  const policy = RepoPolicy.parse({ models: { developer: { alias: 's' } } });
  const session = manager.forTicket({ policy, ticketId: 1 });
  const request: ModelRequest = { messages: [{ role: 'user', content: 'go' }] };
  const overhead: number[] = [];
  for (let i = 0; i < calls + 500; i += 1) {
    const t = performance.now();
    await session.complete('developer', request);
    const total = performance.now() - t;
    if (i >= 500) {
      overhead.push(total - (providerMs.at(-1) ?? 0)); // first 500: warm-up
    }
  }
  await manager.close();
  overhead.sort((a, b) => a - b);
  return {
    calls,
    overheadP50Ms: round(quantile(overhead, 0.5)),
    overheadP99Ms: round(quantile(overhead, 0.99)),
    overheadMaxMs: round(overhead.at(-1) ?? 0),
  };
}

async function tinyModel(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-llm-'));
  try {
    const gguf = await writeTinyGguf(join(dir, 'tiny.gguf'));
    const catalog = parseModelCatalog(
      JSON.stringify({
        models: {
          tiny: { provider: 'llama-cpp', model: gguf.path, contextSize: 512, threads: 1 },
        },
      }),
      {},
    );
    const manager = new ModelManager({ catalog });
    try {
      const policy = RepoPolicy.parse({ models: { developer: { alias: 'tiny' } } });
      const session = manager.forTicket({ policy });
      const request: ModelRequest = {
        messages: [{ role: 'user', content: 'Write a function.' }],
        maxTokens: 200,
        temperature: 0,
      };
      const t = performance.now();
      const first = await session.complete('developer', request);
      const firstCallMs = performance.now() - t;
      let tokens = 0;
      let ms = 0;
      for (let i = 0; i < 3; i += 1) {
        const { response } = await session.complete('developer', request);
        tokens += response.usage.outputTokens;
        ms += response.latencyMs;
      }
      return {
        ggufBytes: gguf.bytes,
        firstCallWithLoadMs: Math.round(firstCallMs),
        firstCallOutputTokens: first.response.usage.outputTokens,
        outputTokensPerSecond: Math.round((tokens / ms) * 1_000),
      };
    } finally {
      await manager.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<Record<string, unknown>> {
  return {
    managerOverhead: await managerOverhead(5_000),
    tinyModel: await tinyModel(),
  };
}
