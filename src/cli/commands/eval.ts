/**
 * `tandem eval`: solve rate, tokens and time of the pair on tickets graded by hidden tests
 * (docs/eval.md). Subcommands: `run` (the default: `tandem eval --set … --out …`), `fetch` (the pinned
 * upstream releases of a shipped set), `validate` (each task is sound), `report` (rewrite the report of
 * an output directory). Exit codes: 0 done, 1 on errors, 2 when `validate` finds a bad task.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, TandemError } from '../../errors/index.js';
import { writeReport, summaryLines, taskTable } from '../../eval/eval-report.js';
import { fetchSources, loadEvalSources } from '../../eval/eval-sources.js';
import { taskSourceNames, type EvalTask } from '../../eval/eval-task.js';
import { loadEvalTasks } from '../../eval/load-eval-tasks.js';
import { prepareTask } from '../../eval/prepare-task.js';
import { readResults, RESULTS_FILE, runEval, taskTestGlobs } from '../../eval/run-eval.js';
import { summarizeResults } from '../../eval/summarize-results.js';
import { candidateIds, validateTask, type TaskValidation } from '../../eval/validate-task.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { DockerSandboxProvider } from '../../sandbox/docker-sandbox-provider.js';

const list = (v: string | undefined) => (v ? v.split(',').filter(Boolean) : undefined);

const SetOptions = z.object({
  set: z.string().min(1),
  task: z.array(z.string()).optional(),
  cache: z.string().optional(),
  repos: z.string().optional(),
});

const RunOptions = SetOptions.extend({
  out: z.string().min(1),
  catalog: z.string().optional(),
  alias: z.string().optional(),
  developer: z.string().optional(),
  tester: z.string().optional(),
  developerEscalation: z.string().optional(),
  testerEscalation: z.string().optional(),
  scripted: z.enum(['oracle', 'null', 'tamper']).optional(),
  runs: z.coerce.number().int().min(1).max(100).default(1),
  concurrency: z.coerce.number().int().min(1).max(32).default(1),
  minutes: z.coerce.number().min(1).optional(),
  resume: z.boolean().default(false),
  keep: z.boolean().default(false),
});

/** The eval cache: `--cache`, `TANDEM_EVAL_CACHE`, else `$XDG_CACHE_HOME/tandem/eval` (`~/.cache/…`). */
function cacheDir(option: string | undefined): string {
  return resolve(
    option ??
      process.env.TANDEM_EVAL_CACHE ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tandem', 'eval'),
  );
}

function logger(): Logger {
  return createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr });
}

/** Loads the set, keeps the `--task` ones, and fetches the sources they name. */
async function loadSet(opts: z.infer<typeof SetOptions>, log: Logger) {
  const set = await loadEvalTasks(opts.set);
  let tasks: EvalTask[] = set.tasks;
  if (opts.task && opts.task.length > 0) {
    const unknown = opts.task.filter((id) => !set.tasks.some((t) => t.instance_id === id));
    if (unknown.length > 0) {
      throw new ConfigError(
        '--task',
        unknown.map((id) => ({ path: id, message: 'no such task in the set' })),
      );
    }
    tasks = set.tasks.filter((t) => opts.task!.includes(t.instance_id));
  }
  const sources = await loadEvalSources(set.dir);
  const names = [...new Set(tasks.flatMap(taskSourceNames))];
  const cache = cacheDir(opts.cache);
  const trees = await fetchSources({ sources, names, cacheDir: cache, logger: log });
  return {
    tasks,
    trees,
    cacheDir: cache,
    ...(opts.repos ? { reposDir: resolve(opts.repos) } : {}),
  };
}

/** Parses command options; a bad value is a `ConfigError` naming the option. */
function options<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      'options',
      parsed.error.issues.map((i) => ({ path: `--${i.path.join('.')}`, message: i.message })),
    );
  }
  return parsed.data;
}

/** Validates every selected task of the set in `raw` in turn; returns how many there were. */
async function eachValidated(
  raw: unknown,
  each: (task: EvalTask, validation: TaskValidation) => void,
): Promise<number> {
  const log = logger();
  const set = await loadSet(options(SetOptions, raw), log);
  const provider = new DockerSandboxProvider({ logger: log, poolSize: 0 });
  try {
    for (const task of set.tasks) {
      each(
        task,
        await validateTask(await prepareTask(task, set), {
          provider,
          workDir: join(set.cacheDir, 'validate', task.instance_id),
          testGlobs: taskTestGlobs(task),
        }),
      );
    }
  } finally {
    await provider.close();
  }
  return set.tasks.length;
}

async function guarded(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof TandemError) {
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      console.error(`error: ${error.message}${cause}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  }
}

/** Registers `tandem eval` and its subcommands. */
export function register(program: Command): void {
  const evalCommand = program
    .command('eval')
    .description('solve rate, tokens and time on tickets graded by hidden tests');

  evalCommand
    .command('run', { isDefault: true })
    .description('run every task of a set through the pair and grade it (the default subcommand)')
    .requiredOption('--set <dir|file>', 'task set: a directory, a .jsonl, .json or .yaml file')
    .requiredOption('--out <dir>', 'output directory (results.jsonl, report.md, charts, runs/)')
    .option('--catalog <file>', 'model catalog (default: TANDEM_MODEL_CATALOG or the built-in one)')
    .option('--alias <alias>', 'alias for both roles (default local-coder)')
    .option('--developer <alias>', 'developer alias')
    .option('--tester <alias>', 'tester alias')
    .option('--developer-escalation <a,b>', 'developer escalation chain')
    .option('--tester-escalation <a,b>', 'tester escalation chain')
    .option('--scripted <model>', 'built-in self-check model instead: oracle, null or tamper')
    .option('--runs <k>', 'runs per task', '1')
    .option('--concurrency <n>', 'task runs at once', '1')
    .option('--minutes <n>', 'wall-clock budget per ticket, in minutes (policy budgets.minutes)')
    .option('--task <id...>', 'only these tasks')
    .option('--resume', 'continue an interrupted eval in the same --out')
    .option('--keep', "keep each run's database directory")
    .option('--cache <dir>', 'fetch cache (default TANDEM_EVAL_CACHE or ~/.cache/tandem/eval)')
    .option('--repos <dir>', 'local clones of SWE-bench repositories (<owner>__<name>)')
    .action((raw: unknown) =>
      guarded(async () => {
        const opts = options(RunOptions, raw);
        const log = logger();
        const set = await loadSet(opts, log);
        const alias = opts.alias ?? 'local-coder';
        const catalogPath = opts.catalog ?? process.env.TANDEM_MODEL_CATALOG;
        const developerEscalation = list(opts.developerEscalation);
        const testerEscalation = list(opts.testerEscalation);
        const results = await runEval({
          ...set,
          outDir: resolve(opts.out),
          ...(catalogPath ? { catalogPath } : {}),
          aliases: {
            developer: opts.developer ?? alias,
            tester: opts.tester ?? alias,
            ...(developerEscalation ? { developerEscalation } : {}),
            ...(testerEscalation ? { testerEscalation } : {}),
          },
          ...(opts.scripted ? { scripted: opts.scripted } : {}),
          runs: opts.runs,
          concurrency: opts.concurrency,
          resume: opts.resume,
          keep: opts.keep,
          ...(opts.minutes ? { budgets: { minutes: opts.minutes } } : {}),
          logger: log,
          onLine: (line) => process.stderr.write(`${line}\n`),
        });
        const selected = new Set(set.tasks.map((t) => t.instance_id));
        const mine = results.filter((r) => selected.has(r.instance_id));
        const summary = summarizeResults(mine);
        for (const line of [...taskTable(summary), '', ...summaryLines(summary)]) {
          console.log(line);
        }
        const report = await writeReport(resolve(opts.out), mine, {
          set: opts.set,
          at: new Date().toISOString(),
        });
        console.log(`report: ${report}`);
      }),
    );

  evalCommand
    .command('fetch')
    .description("download and check the pinned upstream releases of a set's sources.yaml")
    .requiredOption('--set <dir|file>', 'task set')
    .option('--task <id...>', 'only the sources of these tasks')
    .option('--cache <dir>', 'fetch cache')
    .action((raw: unknown) =>
      guarded(async () => {
        const set = await loadSet(options(SetOptions, raw), logger());
        for (const [name, dir] of set.trees) {
          console.log(`${name}: ${dir}`);
        }
      }),
    );

  const validating = (name: string, description: string) =>
    evalCommand
      .command(name)
      .description(description)
      .requiredOption('--set <dir|file>', 'task set')
      .option('--task <id...>', 'only these tasks')
      .option('--cache <dir>', 'fetch cache')
      .option('--repos <dir>', 'local clones of SWE-bench repositories');

  validating(
    'validate',
    'prove each task: suite green on the base, FAIL_TO_PASS fails on the base, everything passes on the reference',
  ).action((raw: unknown) =>
    guarded(async () => {
      let bad = 0;
      const total = await eachValidated(raw, (task, v) => {
        const f2p = Object.keys(v.base.FAIL_TO_PASS).length;
        const p2p = Object.keys(v.base.PASS_TO_PASS).length;
        console.log(
          `${v.ok ? 'ok  ' : 'FAIL'} ${task.instance_id}  ${f2p} fail→pass, ${p2p} pass→pass, ${(v.durationMs / 1000).toFixed(1)} s`,
        );
        for (const p of v.problems) {
          console.log(`     ${p}`);
        }
        bad += v.ok ? 0 : 1;
      });
      console.log(`${total - bad}/${total} tasks valid`);
      process.exitCode = bad === 0 ? 0 : 2;
    }),
  );

  validating(
    'ids',
    'print candidate FAIL_TO_PASS / PASS_TO_PASS lists of JUnit-graded tasks (run on base and reference)',
  ).action((raw: unknown) =>
    guarded(async () => {
      await eachValidated(raw, (task, v) => {
        const ids = candidateIds(v);
        console.log(`# ${task.instance_id}: fail on the base, pass on the reference`);
        console.log(stringifyYaml({ FAIL_TO_PASS: ids.failToPass, PASS_TO_PASS: ids.passToPass }));
      });
    }),
  );

  evalCommand
    .command('report')
    .description('rewrite report.md and the charts from an output directory')
    .requiredOption('--out <dir>', 'output directory of an eval')
    .action((raw: unknown) =>
      guarded(async () => {
        const out = resolve(options(z.object({ out: z.string() }), raw).out);
        const results = await readResults(join(out, RESULTS_FILE));
        const summary = summarizeResults(results);
        for (const line of [...taskTable(summary), '', ...summaryLines(summary)]) {
          console.log(line);
        }
        console.log(
          `report: ${await writeReport(out, results, { set: out, at: new Date().toISOString() })}`,
        );
      }),
    );
}
