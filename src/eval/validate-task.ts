/**
 * `tandem eval validate`: proves a task is sound before any model is graded on it.
 * 1. The agents' suite (`test_command`) passes on the base (else every run blocks at the baseline).
 * 2. Graded on the base, every FAIL_TO_PASS test fails (or is missing) and every PASS_TO_PASS test passes.
 * 3. Graded on the reference (base + reference change), every test of both lists passes.
 * Grading is `gradeTree`'s, so the checks see exactly what a run's final tree would.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runSuite } from '../agents/run-suite.js';
import type { SandboxProvider } from '../sandbox/types.js';
import { gradeTree, openTaskSandbox, type HiddenResults } from './grade-tree.js';
import type { PreparedTask } from './prepare-task.js';
import { applyChanges, copyTree } from './tree-files.js';

/** What validation found for one task. */
export interface TaskValidation {
  instance_id: string;
  ok: boolean;
  /** One line per failed check. */
  problems: string[];
  baseline: { status: string; durationMs: number };
  base: HiddenResults;
  reference: HiddenResults;
  /** Wall time of the whole validation, in ms. */
  durationMs: number;
}

/** Options of {@link validateTask}. */
export interface ValidateTaskOptions {
  provider: Pick<SandboxProvider, 'create'>;
  /** Scratch directory (made and removed here). */
  workDir: string;
  testGlobs: readonly string[];
  signal?: AbortSignal;
}

/** Runs the three checks. Infrastructure failures throw; failed checks are `problems`. */
export async function validateTask(
  prepared: PreparedTask,
  options: ValidateTaskOptions,
): Promise<TaskValidation> {
  const started = Date.now();
  const { task } = prepared;
  const problems: string[] = [];
  const jobId = `eval-validate-${task.instance_id}`;
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    const baseline = await visibleSuite(prepared, options, jobId);
    if (baseline.status !== 'passed') {
      problems.push(`the agents' suite is ${baseline.status} on the base: ${baseline.detail}`);
    }
    const grade = (treeDir: string, name: string) =>
      gradeTree({
        prepared,
        treeDir,
        workDir: join(options.workDir, name),
        provider: options.provider,
        testGlobs: options.testGlobs,
        jobId,
        ...signal,
      });
    const base = await grade(prepared.baseDir, 'base');
    if (base.error) {
      problems.push(`grading the base: ${base.error}`);
    }
    for (const [id, outcome] of Object.entries(base.FAIL_TO_PASS)) {
      if (outcome === 'passed') {
        problems.push(`FAIL_TO_PASS ${id} already passes on the base`);
      }
    }
    for (const [id, outcome] of Object.entries(base.PASS_TO_PASS)) {
      if (outcome !== 'passed') {
        problems.push(`PASS_TO_PASS ${id} is ${outcome} on the base`);
      }
    }
    const referenceDir = join(options.workDir, 'reference-tree');
    await copyTree(prepared.baseDir, referenceDir);
    await applyChanges(referenceDir, prepared.reference);
    const reference = await grade(referenceDir, 'reference');
    if (reference.error) {
      problems.push(`grading the reference: ${reference.error}`);
    }
    for (const list of ['FAIL_TO_PASS', 'PASS_TO_PASS'] as const) {
      for (const [id, outcome] of Object.entries(reference[list])) {
        if (outcome !== 'passed') {
          problems.push(`${list} ${id} is ${outcome} on the reference`);
        }
      }
    }
    return {
      instance_id: task.instance_id,
      ok: problems.length === 0,
      problems,
      baseline: { status: baseline.status, durationMs: baseline.durationMs },
      base,
      reference,
      durationMs: Date.now() - started,
    };
  } finally {
    await rm(options.workDir, { recursive: true, force: true });
  }
}

/**
 * Candidate id lists of a JUnit-graded task, from the same two gradings `validateTask` makes: every case
 * that does not pass on the base and passes on the reference (FAIL_TO_PASS candidates: keep the ticket's),
 * and every case that passes on both (PASS_TO_PASS). Ids are JUnit ids (`classname::name`).
 */
export function candidateIds(v: Pick<TaskValidation, 'base' | 'reference'>): {
  failToPass: string[];
  passToPass: string[];
} {
  const onBase = new Map((v.base.cases ?? []).map((c) => [c.id, c.outcome]));
  const passing = (v.reference.cases ?? []).filter((c) => c.outcome === 'passed').map((c) => c.id);
  return {
    failToPass: passing.filter((id) => onBase.get(id) !== 'passed'),
    passToPass: passing.filter((id) => onBase.get(id) === 'passed'),
  };
}

/** The agents' whole suite on a copy of the base, as the pair's baseline run does it. */
async function visibleSuite(
  prepared: PreparedTask,
  options: ValidateTaskOptions,
  jobId: string,
): Promise<{ status: string; durationMs: number; detail: string }> {
  const { task } = prepared;
  const ws = join(options.workDir, 'baseline');
  await copyTree(prepared.baseDir, ws);
  const { sandbox, setup } = await openTaskSandbox(task, ws, { ...options, jobId });
  try {
    const setupMs = setup?.durationMs ?? 0;
    if (setup && (setup.exitCode !== 0 || setup.timedOut)) {
      return { status: 'setup_failed', durationMs: setupMs, detail: setup.stderr.slice(-500) };
    }
    const run = await runSuite({
      sandbox,
      workTree: ws,
      command: task.test_command,
      timeoutMs: task.timeout_seconds * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      status: run.status,
      durationMs: setupMs + run.durationMs,
      detail: `${run.reason ?? ''} ${run.output.slice(-500)}`.trim(),
    };
  } finally {
    await sandbox.destroy();
  }
}
