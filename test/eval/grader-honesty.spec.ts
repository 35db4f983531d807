/**
 * The grader is honest (real Docker sandbox, git, PGlite, scripted models; no real model): on the tiny set
 * (two Python tasks graded by JUnit cases, one JavaScript task graded per file) every task validates, the
 * oracle that applies the reference change through the agents' tools resolves 100 %, a model that changes
 * nothing 0 %, and a model that rewrites the hidden tests' files and plants a pass-everything conftest.py
 * 0 % although its pair run ends `done`.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvalTasks } from '../../src/eval/load-eval-tasks.js';
import { prepareTask } from '../../src/eval/prepare-task.js';
import { readResults, runEval, taskTestGlobs } from '../../src/eval/run-eval.js';
import { summarizeResults } from '../../src/eval/summarize-results.js';
import { validateTask } from '../../src/eval/validate-task.js';
import { createLogger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import { makeTinySet } from './tiny-set.js';

const logger = createLogger({ level: 'warn', destination: process.stderr });
let set: { dir: string; file: string };

beforeAll(async () => {
  set = await makeTinySet();
});
afterAll(async () => {
  await rm(set.dir, { recursive: true, force: true });
});

/** `tandem eval …` as one node process. */
function tandemEval(args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', ...args], {
    reject: false,
    env: { LOG_LEVEL: 'warn' },
  });
}

async function scriptedEval(model: 'null' | 'tamper') {
  const { tasks } = await loadEvalTasks(set.file);
  const outDir = join(set.dir, `out-${model}`);
  const results = await runEval({
    tasks,
    trees: new Map(),
    cacheDir: join(set.dir, 'cache'),
    outDir,
    aliases: { developer: model, tester: model },
    scripted: model,
    concurrency: 3,
    logger,
  });
  return { results, outDir };
}

describe('tandem eval grades honestly (tiny set, scripted models)', () => {
  it('validates every task: suite green on the base, FAIL_TO_PASS fails there, all pass on the reference', async () => {
    const { tasks } = await loadEvalTasks(set.file);
    const provider = new DockerSandboxProvider({ logger, poolSize: 0 });
    try {
      for (const task of tasks) {
        const prepared = await prepareTask(task, {
          trees: new Map(),
          cacheDir: join(set.dir, 'cache'),
        });
        const v = await validateTask(prepared, {
          provider,
          workDir: join(set.dir, 'validate', task.instance_id),
          testGlobs: taskTestGlobs(task),
        });
        expect(v.problems, task.instance_id).toEqual([]);
        expect(Object.values(v.base.FAIL_TO_PASS).every((o) => o !== 'passed')).toBe(true);
        expect(Object.values(v.reference.FAIL_TO_PASS)).not.toContain('failed');
      }
    } finally {
      await provider.close();
    }
  }, 240_000);

  it('the oracle, run through the CLI, resolves every task with red before green', async () => {
    const out = join(set.dir, 'out-oracle');
    const oracle = ['--set', set.file, '--out', out, '--scripted', 'oracle'];
    const cli = await tandemEval([
      ...oracle,
      '--concurrency',
      '3',
      '--cache',
      join(set.dir, 'cache'),
    ]);
    expect(cli.exitCode, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain('solve rate      3/3 = 100.0 %');
    const results = await readResults(join(out, 'results.jsonl'));
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r, r.instance_id).toMatchObject({
        status: 'graded',
        resolved: true,
        agent_verdict: 'done',
      });
      expect(r.evidence.red_before_green).toBe(true);
      expect(r.evidence.cycles[0]!.red_commit).toMatch(/^[0-9a-f]{40}$/);
      expect(r.model_calls.attempts).toBeGreaterThanOrEqual(4);
      expect(r.usage.by_role.tester!.calls).toBeGreaterThanOrEqual(2);
    }
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('![Outcome per task and run](outcomes.svg)');
    expect(await readFile(join(out, 'outcomes.svg'), 'utf8')).toContain('<svg');
    // --resume with everything graded runs nothing again.
    const again = await tandemEval([...oracle, '--resume']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('started');
    expect(await readResults(join(out, 'results.jsonl'))).toHaveLength(3);
  }, 480_000);

  it('a model that changes nothing resolves nothing', async () => {
    const { results } = await scriptedEval('null');
    expect(results.map((r) => [r.instance_id, r.status, r.resolved, r.agent_verdict])).toEqual(
      expect.arrayContaining([
        ['textkit-truncate', 'graded', false, 'blocked'],
        ['textkit-collapse', 'graded', false, 'blocked'],
        ['padkit-pad-end', 'graded', false, 'blocked'],
      ]),
    );
    expect(summarizeResults(results).solveRate).toBe(0);
  }, 480_000);

  it('a model that rewrites the hidden tests and plants a conftest.py cannot pass', async () => {
    const { results } = await scriptedEval('tamper');
    expect(results).toHaveLength(3);
    for (const r of results) {
      // The pair believed it: the planted tests passed in the agents' own runs.
      expect(r, r.instance_id).toMatchObject({
        status: 'graded',
        agent_verdict: 'done',
        resolved: false,
      });
      expect(Object.values(r.hidden!.FAIL_TO_PASS)).not.toContain('passed');
    }
    expect(summarizeResults(results).doneButUnresolved).toBe(3);
  }, 480_000);
});
