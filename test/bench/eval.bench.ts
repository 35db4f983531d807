/**
 * `tandem eval` harness overhead per task: what the eval adds around the pair run (`runLocalTicket`),
 * i.e. preparing the task's repository, exporting the final tree, grading it in a fresh sandbox and writing
 * the result line. Measured with the oracle (scripted) model on the tiny set of test/eval (two Python
 * tasks graded by JUnit, one JavaScript task graded per file), one task at a time. Figures per task, ms:
 * `overhead` = total − pair run; `overheadNoTests` also leaves out the hidden tests' own run time in the
 * grading sandbox (what the harness itself costs: sandbox start, copies, git archive).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadEvalTasks } from '../../src/eval/load-eval-tasks.js';
import { runEval } from '../../src/eval/run-eval.js';
import { createLogger } from '../../src/log/logger.js';
import { makeTinySet } from '../eval/tiny-set.js';

export default async function bench(): Promise<Record<string, unknown>> {
  const set = await makeTinySet();
  try {
    const { tasks } = await loadEvalTasks(set.file);
    const results = await runEval({
      tasks,
      trees: new Map(),
      cacheDir: join(set.dir, 'cache'),
      outDir: join(set.dir, 'out'),
      aliases: { developer: 'oracle', tester: 'oracle' },
      scripted: 'oracle',
      logger: createLogger({ level: 'warn', destination: process.stderr }),
    });
    const overhead = results.map((r) => r.time_ms.total - r.time_ms.run);
    const noTests = results.map((r, i) => overhead[i]! - (r.hidden?.duration_ms ?? 0));
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      tasks: results.length,
      resolved: results.filter((r) => r.resolved).length,
      meanTotalMs: mean(results.map((r) => r.time_ms.total)),
      meanPairRunMs: mean(results.map((r) => r.time_ms.run)),
      meanOverheadMs: mean(overhead),
      maxOverheadMs: Math.max(...overhead),
      meanOverheadNoTestsMs: mean(noTests),
      meanPrepareMs: mean(results.map((r) => r.time_ms.prepare)),
      meanGradeMs: mean(results.map((r) => r.time_ms.grade)),
    };
  } finally {
    await rm(set.dir, { recursive: true, force: true });
  }
}
