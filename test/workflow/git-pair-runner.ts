/**
 * A test double of the pair engine behind the workflow's `PairRunner` port: on the real ticket branch it
 * commits a failing test (`test(#n)`) and then the implementation (`feat(#n)`), pushes both, and
 * returns a run record. It exists so the workflow can be tested before and apart from the engine
 * (which has its own suite); it is never used outside tests.
 *
 * `behaviour` scripts each run: `done` (default), `blocked` (a diagnosis, nothing pushed) or `hold`
 * (wait until the job's signal aborts, as `/stop` does, or its pause signal, as the Resource Director
 * does at a safe point, then report `stopped`; or until `release()`,
 * then finish as `done`).
 */
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import type {
  PairJobInput,
  PairJobResult,
  PairRunner,
} from '../../src/workflow/tickets/pair-runner.js';

/** What one run does. */
export type PairBehaviour = 'done' | 'blocked' | 'hold';

/** The stand-in runner plus what the tests inspect. */
export interface GitPairRunner extends PairRunner {
  /** Every run's input, in order. */
  runs: PairJobInput[];
  /** Number of runs currently holding. */
  holding(): number;
  /** Lets every holding run finish as `done`. */
  release(): void;
}

/** Options of {@link createGitPairRunner}. */
export interface GitPairRunnerOptions {
  /** The behaviour of run `n` (1-based, across tickets); default always `done`. */
  behaviour?: (input: PairJobInput, n: number) => PairBehaviour;
  /** Called after the red commit is pushed, before green (e.g. to kill the process there). */
  afterRed?: (input: PairJobInput) => Promise<void>;
}

export function createGitPairRunner(options: GitPairRunnerOptions = {}): GitPairRunner {
  const runs: PairJobInput[] = [];
  const waiting = new Set<() => void>();
  return {
    runs,
    holding: () => waiting.size,
    release() {
      for (const go of [...waiting]) {
        go();
      }
    },
    async run(input: PairJobInput): Promise<PairJobResult> {
      runs.push(input);
      const n = runs.length;
      const behaviour = options.behaviour?.(input, n) ?? 'done';
      const pausedOrStopped = (): boolean => input.signal.aborted || input.pause?.aborted === true;
      if (behaviour === 'hold' && !pausedOrStopped()) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            waiting.delete(go);
            resolve();
          };
          waiting.add(go);
          input.signal.addEventListener('abort', go, { once: true });
          input.pause?.addEventListener('abort', go, { once: true });
        });
      }
      if (pausedOrStopped()) {
        return { status: 'stopped' };
      }
      if (behaviour === 'blocked') {
        return blocked(input);
      }
      return done(input, n, options.afterRed);
    },
  };
}

function blocked(input: PairJobInput): PairJobResult {
  const diagnosis = {
    reason: 'escalation_exhausted' as const,
    phase: 'green' as const,
    cycle: 1,
    whatFailed: 'the suite stayed red after 3 attempts',
    lastTestOutput: 'AssertionError: expected 1 to be 2',
    tried: ['green attempt 1 with script: suite failed'],
  };
  return {
    status: 'blocked',
    escalation: input.escalation,
    record: {
      ticket: { id: String(input.ticket.id), title: input.ticket.title },
      branch: input.branch,
      baseCommit: '',
      headCommit: '',
      status: 'blocked',
      criteria: [],
      cycles: [],
      finalRun: null,
      usage: {},
      commits: [],
      durationMs: 1_000,
      diagnosis,
    },
  };
}

/**
 * Red then green on the branch, each pushed. Resumes like the engine: when the branch (fetched from the
 * remote) already holds this run's failing test, the red commit is not made again.
 */
async function done(
  input: PairJobInput,
  runNumber: number,
  afterRed?: (input: PairJobInput) => Promise<void>,
): Promise<PairJobResult> {
  const ws = await GitWorkspace.open({
    remote: input.remote,
    baseBranch: input.baseBranch,
    branch: input.branch,
    gitDir: join(input.jobDir, 'git'),
    workTree: join(input.jobDir, 'tree'),
  });
  const n = String(input.ticket.id);
  const trailers = (role: string, phase: string) => ({
    'Tandem-Ticket': n,
    'Tandem-Role': role,
    'Tandem-Model': 'script',
    'Tandem-Phase': phase,
    'Tandem-Cycle': String(runNumber),
  });
  const base = ws.baseCommit;
  const testFile = join(ws.workTree, 'test', `t${n}-${runNumber}.spec.js`);
  const testText = `// fails until src/t${n}.js exports v${runNumber}\n`;
  const resumed = (await readFile(testFile, 'utf8').catch(() => null)) === testText;
  let red: string;
  if (resumed) {
    red = await ws.head();
  } else {
    await mkdir(join(ws.workTree, 'test'), { recursive: true });
    await writeFile(testFile, testText);
    red = (await ws.commit({
      subject: `test(#${n}): failing test`,
      trailers: trailers('tester', 'red'),
    }))!;
    await ws.push();
  }
  await afterRed?.(input);
  await mkdir(join(ws.workTree, 'src'), { recursive: true });
  await writeFile(
    join(ws.workTree, 'src', `t${n}.js`),
    `export const v${runNumber} = ${runNumber};\n`,
  );
  const green = (await ws.commit({
    subject: `feat(#${n}): make it pass`,
    trailers: trailers('developer', 'green'),
  }))!;
  await ws.push();
  await rm(input.jobDir, { recursive: true, force: true });
  return {
    status: 'done',
    escalation: input.escalation,
    record: {
      ticket: { id: n, title: input.ticket.title },
      branch: input.branch,
      baseCommit: base,
      headCommit: green,
      status: 'done',
      criteria: input.ticket.acceptanceCriteria.map((text, i) => ({
        index: i + 1,
        text,
        status: 'met',
        tests: [`t${n} criterion ${i + 1}`],
        passing: true,
      })),
      cycles: [
        {
          cycle: 1,
          criterion: 0,
          red: { commit: red, failing: [`t${n} criterion 1`], summary: 'red' },
          green: { commit: green, summary: 'green' },
          attempts: {},
          testMs: 0,
        },
      ],
      finalRun: { status: 'passed', passed: 1, failed: 0, output: '' },
      usage: {},
      commits: [],
      durationMs: 1_000,
    },
  };
}
