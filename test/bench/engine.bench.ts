/**
 * Pair engine orchestration overhead per red/green cycle: wall time − model time − sandbox exec time,
 * with the scripted model (real Docker sandbox, git, in-memory PGlite, ModelManager). A generated ticket
 * with `CYCLES` criteria runs one cycle each; a cycle spans from the end of the previous cycle's last step
 * (or the baseline test run) to the end of its own green step. Model time is the provider-reported latency
 * (≈ 0 for the scripted provider); exec time is measured around `Sandbox.exec` on the host side, so
 * Docker's exec round trip counts as test time. What is left is the engine: git (status, add, commit, push,
 * ls-files), repo map, checkpoint and event writes, boundary checks, prompt building. Goal < 500 ms/cycle.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { CatalogFile } from '../../src/llm/catalog.js';
import { TokenCounter } from '../../src/llm/context/token-counter.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { prepareRun, startSharedSandbox } from '../engine/engine-harness.js';

const CYCLES = 4;

/** calc.py with functions f1..fn (f_i returns i), plus the fixture's add. */
function calcSource(n: number): string {
  const fns = Array.from(
    { length: n },
    (_, i) => `\n\ndef f${i + 1}():\n    return ${i + 1}\n`,
  ).join('');
  return `"""A tiny calculator library."""\n\n\ndef add(a, b):\n    return a + b\n${fns}`;
}

/** A ticket with `CYCLES` criteria and the script that does one red/green cycle per criterion. */
async function writeFixtures(dir: string): Promise<{ ticket: string; script: string }> {
  const ticket = join(dir, 'ticket.yaml');
  const script = join(dir, 'script.yaml');
  await writeFile(
    ticket,
    stringify({
      id: 9,
      title: 'Numbered functions',
      description: 'Bench ticket.',
      acceptanceCriteria: Array.from({ length: CYCLES }, (_, i) => `f${i + 1}() returns ${i + 1}`),
    }),
  );
  const entries = [];
  for (let i = 1; i <= CYCLES; i++) {
    entries.push(
      {
        match: { role: 'tester', step: `red-${i}` },
        toolCalls: [
          {
            name: 'write_file',
            arguments: {
              path: `tests/test_f${i}.py`,
              content: `import calc\n\n\ndef test_f${i}():\n    assert calc.f${i}() == ${i}\n`,
            },
          },
        ],
      },
      {
        match: { role: 'tester', step: `red-${i}` },
        toolCalls: [{ name: 'finish', arguments: { tests: [`test_f${i}`], summary: `f${i}` } }],
      },
      {
        match: { role: 'developer', step: `green-${i}` },
        toolCalls: [{ name: 'write_file', arguments: { path: 'calc.py', content: calcSource(i) } }],
      },
      {
        match: { role: 'developer', step: `green-${i}` },
        toolCalls: [{ name: 'finish', arguments: { summary: `add f${i}` } }],
      },
    );
  }
  await writeFile(script, stringify(entries));
  return { ticket, script };
}

interface Mark {
  at: number;
  execMs: number;
  modelMs: number;
}

export default async function bench(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-engine-'));
  const shared = await startSharedSandbox();
  try {
    const fixtures = await writeFixtures(dir);
    const run = await prepareRun(shared, fixtures);
    let execMs = 0;
    let execs = 0;
    const start: Mark[] = [];
    const s = shared.sandbox;
    const timed: Sandbox = {
      id: s.id,
      spec: s.spec,
      async exec(argv, options) {
        const t = performance.now();
        try {
          return await s.exec(argv, options);
        } finally {
          execMs += performance.now() - t;
          execs += 1;
          if (execs === 1) {
            // The baseline run ends: cycle 1 starts.
            start.push({ at: performance.now(), execMs, modelMs: run.models.usage().latencyMs });
          }
        }
      },
      readFile: (path) => s.readFile(path),
      writeFile: (path, content) => s.writeFile(path, content),
      list: (d, o) => s.list(d, o),
      search: (pattern, o) => s.search(pattern, o),
      chownWorkspace: () => s.chownWorkspace(),
      destroy: () => s.destroy(),
    };
    const windows: { wallMs: number; execMs: number; modelMs: number }[] = [];
    let cycle = 1;
    let tokensPerCriterion = 0;
    let largestRequestTokens = 0;
    const began = performance.now();
    try {
      const record = await run.run({
        sandbox: timed,
        onProgress: (p) => {
          const cycleOver = p.cycle !== cycle || p.phase === 'final' || p.phase === 'done';
          if (!cycleOver || windows.length === CYCLES) {
            return; // still inside the cycle, or the final check after the last one
          }
          const now: Mark = {
            at: performance.now(),
            execMs,
            modelMs: run.models.usage().latencyMs,
          };
          const from = start.at(-1)!;
          windows.push({
            wallMs: now.at - from.at,
            execMs: now.execMs - from.execMs,
            modelMs: now.modelMs - from.modelMs,
          });
          start.push(now);
          cycle = p.cycle;
        },
      });
      if (record.status !== 'done' || windows.length !== CYCLES) {
        throw new Error(`bench run ended ${record.status} after ${windows.length} cycles`);
      }
      const usage = run.models.usage();
      tokensPerCriterion = Math.round((usage.inputTokens + usage.outputTokens) / CYCLES);
      // Counted as the context fitting counts before calibration (3 characters a token).
      const counter = new TokenCounter();
      for (const request of (await run.scripted()).received) {
        const tokens = await counter.rawRequest(request.messages, request.tools ?? []);
        largestRequestTokens = Math.max(largestRequestTokens, tokens);
      }
    } finally {
      await run.close();
    }
    const overhead = windows.map((w) => w.wallMs - w.execMs - w.modelMs);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      cycles: CYCLES,
      overheadMeanMsPerCycle: round(mean(overhead)),
      overheadMaxMsPerCycle: round(Math.max(...overhead)),
      wallMeanMsPerCycle: round(mean(windows.map((w) => w.wallMs))),
      sandboxExecMeanMsPerCycle: round(mean(windows.map((w) => w.execMs))),
      modelMeanMsPerCycle: round(mean(windows.map((w) => w.modelMs))),
      totalRunMs: Math.round(performance.now() - began),
      goalMsPerCycle: 500,
      // The scripted provider reports characters / 4 as tokens; a real model's figure differs.
      tokensPerCriterion,
      largestRequestTokens,
      // The fixture's aliases leave it at the catalog's default.
      contextSize: CatalogFile.parse({
        models: { s: { provider: 'scripted', model: 'x', script: 'x.yaml' } },
      }).models.s?.contextSize,
    };
  } finally {
    await shared.close();
    await rm(dir, { recursive: true, force: true });
  }
}
