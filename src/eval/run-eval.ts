/**
 * `tandem eval`: every selected task, `runs` times, through the pair exactly as `tandem run` does
 * (`runLocalTicket`: its own repository copy, data directory, workspace and sandbox), then graded by the
 * hidden tests in a fresh sandbox (`gradeTree`). One JSON line per task run is appended to
 * `<out>/results.jsonl` as soon as it is graded, so an interrupted eval loses at most the runs in flight;
 * `resume` skips the task runs already there and continues an interrupted pair run from its checkpoint.
 *
 * Layout of `<out>/runs/<instance_id>/<run>/`: `repo/` (the base as a git repository, the ticket branch
 * with the agents' commits pushed into it: the red→green evidence), `data/` (the run's PGlite database,
 * removed once graded unless `keep`), `catalog.yaml`/`script.yaml` for scripted models.
 */
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify as stringifyYaml } from 'yaml';
import type { Budgets } from '../config/repo-policy.js';
import { SandboxPolicy } from '../config/repo-policy.js';
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { DockerSandboxProvider } from '../sandbox/docker-sandbox-provider.js';
import type { SandboxProvider } from '../sandbox/types.js';
import { EvalResult } from './eval-result.js';
import { taskTicket, type EvalTask } from './eval-task.js';
import { gradeTree, type HiddenResults } from './grade-tree.js';
import { scriptFor, type ScriptedModel } from './model-scripts.js';
import { prepareTask, type PreparedTask, type PrepareTaskOptions } from './prepare-task.js';
import { runLocalTicket, type LocalRun } from './run-local-ticket.js';
import { copyTree } from './tree-files.js';

/** The model aliases of the pair (catalog names) and their escalation chains. */
export interface EvalAliases {
  developer: string;
  tester: string;
  developerEscalation?: string[];
  testerEscalation?: string[];
}

/** Options of {@link runEval}. */
export interface RunEvalOptions extends PrepareTaskOptions {
  tasks: readonly EvalTask[];
  outDir: string;
  /** Model catalog file (default: `TANDEM_MODEL_CATALOG` or the built-in catalog). Ignored with `scripted`. */
  catalogPath?: string;
  aliases: EvalAliases;
  /** A built-in self-check model instead of the catalog (oracle, null, tamper). */
  scripted?: ScriptedModel;
  /** Runs per task (default 1). */
  runs?: number;
  /** Task runs at once (default 1). */
  concurrency?: number;
  /** Skip task runs already graded in `<out>/results.jsonl` (error lines are run again). */
  resume?: boolean;
  /** Budget overrides of the generated policy (e.g. minutes per ticket). */
  budgets?: Partial<Budgets>;
  /** Keep each run's data directory (PGlite) after grading. */
  keep?: boolean;
  logger: Logger;
  /** One human-readable line per event (task started, run finished, graded). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Sandbox provider for grading (default: a Docker provider made and closed here). */
  provider?: SandboxProvider;
}

/** Name of the results file in the output directory. */
export const RESULTS_FILE = 'results.jsonl';

/**
 * Runs the eval and returns every result line of `<out>/results.jsonl` (earlier ones included on resume).
 * A harness failure in one task run (prepare, Docker, git) becomes an `error` line; only a failure to
 * write the output throws.
 */
export async function runEval(options: RunEvalOptions): Promise<EvalResult[]> {
  await mkdir(options.outDir, { recursive: true });
  const resultsPath = join(options.outDir, RESULTS_FILE);
  const previous = await readResults(resultsPath);
  const graded = new Set(
    previous.filter((r) => r.status === 'graded').map((r) => `${r.instance_id}#${r.run}`),
  );
  if (!options.resume && previous.length > 0) {
    throw new ConfigError('eval output', [
      {
        path: resultsPath,
        message: 'already holds results: pass --resume to continue, or choose another --out',
      },
    ]);
  }
  const runs = options.runs ?? 1;
  const jobs = options.tasks.flatMap((task) =>
    Array.from({ length: runs }, (_, i) => ({ task, run: i + 1 })).filter(
      (j) => !graded.has(`${j.task.instance_id}#${j.run}`),
    ),
  );
  const provider =
    options.provider ?? new DockerSandboxProvider({ logger: options.logger, poolSize: 0 });
  const tandem = await tandemVersion();
  const prepared = new Map<string, Promise<PreparedTask>>();
  const prepare = (task: EvalTask) => {
    let p = prepared.get(task.instance_id);
    if (!p) {
      p = prepareTask(task, options);
      prepared.set(task.instance_id, p);
    }
    return p;
  };
  const fresh: EvalResult[] = [];
  try {
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        options.signal?.throwIfAborted();
        const job = jobs[next++]!;
        options.onLine?.(`${job.task.instance_id} #${job.run}: started`);
        const result = await runOne({ ...job, options, prepare, provider, tandem });
        await appendFile(resultsPath, `${JSON.stringify(result)}\n`);
        fresh.push(result);
        options.onLine?.(
          `${job.task.instance_id} #${job.run}: ${result.status === 'error' ? `error: ${result.error}` : `${result.resolved ? 'RESOLVED' : 'unresolved'} (agent ${result.agent_verdict}${result.block_reason ? `: ${result.block_reason}` : ''}), ${result.usage.total_tokens} tokens, ${(result.time_ms.total / 1000).toFixed(1)} s`}`,
        );
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, jobs.length)) }, worker),
    );
  } finally {
    if (!options.provider) {
      await provider.close();
    }
  }
  return [...previous, ...fresh];
}

/** Reads `results.jsonl` (empty when absent). @throws Error naming the first bad line. */
export async function readResults(path: string): Promise<EvalResult[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') {
      return [];
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A line cut by a crash mid-write: the run is simply done again.
      return [];
    }
    const parsed = EvalResult.safeParse(value);
    if (!parsed.success) {
      throw new Error(`${path}:${i + 1} is not an eval result: ${parsed.error.issues[0]?.message}`);
    }
    return [parsed.data];
  });
}

interface RunOneInput {
  task: EvalTask;
  run: number;
  options: RunEvalOptions;
  prepare: (task: EvalTask) => Promise<PreparedTask>;
  provider: SandboxProvider;
  tandem: EvalResult['tandem'];
}

/** The test globs of a task (the policy default when it gives none). */
export function taskTestGlobs(task: EvalTask): string[] {
  return task.test_globs ?? SandboxPolicy.parse({}).testGlobs;
}

async function runOne(input: RunOneInput): Promise<EvalResult> {
  const { task, options } = input;
  const started = new Date();
  const t0 = Date.now();
  const runDir = resolve(options.outDir, 'runs', task.instance_id, String(input.run));
  const aliases = input.options.scripted
    ? { developer: input.options.scripted, tester: input.options.scripted }
    : options.aliases;
  const base = emptyResult(task, input.run, aliases, input.tandem, started);
  let local: LocalRun | undefined;
  let runMs = 0;
  let prepareMs = 0;
  try {
    const prepared = await input.prepare(task);
    const ticket = taskTicket(task);
    const testGlobs = taskTestGlobs(task);
    const repo = join(runDir, 'repo');
    if (!(await exists(join(repo, '.git')))) {
      await makeRepo(prepared.baseDir, repo);
    }
    await writeFile(join(repo, '.tandem.yml'), stringifyYaml(policyFor(task, options, aliases)));
    let catalogPath = options.catalogPath;
    if (options.scripted) {
      catalogPath = join(runDir, 'catalog.yaml');
      await writeFile(
        join(runDir, 'script.yaml'),
        stringifyYaml(scriptFor(options.scripted, prepared, ticket, testGlobs)),
      );
      await writeFile(
        catalogPath,
        stringifyYaml({
          models: {
            [options.scripted]: {
              provider: 'scripted',
              model: options.scripted,
              script: 'script.yaml',
            },
          },
        }),
      );
    }
    prepareMs = Date.now() - t0;
    const t1 = Date.now();
    local = await runLocalTicket({
      repo,
      ticketText: JSON.stringify(ticket),
      dataDir: join(runDir, 'data'),
      ...(catalogPath ? { catalogPath } : {}),
      logger: options.logger.child({ task: task.instance_id, run: input.run }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    runMs = Date.now() - t1;
    const t2 = Date.now();
    const finalDir = join(runDir, 'final');
    await exportCommit(repo, local.record.headCommit, finalDir);
    const hidden = await gradeTree({
      prepared,
      treeDir: finalDir,
      workDir: runDir,
      provider: input.provider,
      testGlobs,
      jobId: `eval-grade-${task.instance_id}-${input.run}`,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await rm(finalDir, { recursive: true, force: true });
    if (!options.keep) {
      await rm(join(runDir, 'data'), { recursive: true, force: true });
    }
    return resultOf(base, local, hidden, {
      prepare: prepareMs,
      run: runMs,
      grade: Date.now() - t2,
      total: Date.now() - t0,
    });
  } catch (error) {
    options.signal?.throwIfAborted();
    options.logger.warn({ err: error, task: task.instance_id, run: input.run }, 'eval run failed');
    return {
      ...base,
      time_ms: { ...base.time_ms, prepare: prepareMs, run: runMs, total: Date.now() - t0 },
      finished_at: new Date().toISOString(),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/** The repository policy of a task run (written as the repository's untracked `.tandem.yml`). */
function policyFor(task: EvalTask, options: RunEvalOptions, aliases: EvalAliases) {
  return {
    models: {
      // The person running the eval chose these aliases explicitly, remote ones included.
      privacy: 'any',
      developer: { alias: aliases.developer, escalation: aliases.developerEscalation ?? [] },
      tester: { alias: aliases.tester, escalation: aliases.testerEscalation ?? [] },
    },
    ...(options.budgets ? { budgets: options.budgets } : {}),
    sandbox: {
      image: task.image,
      ...(task.setup ? { setup: task.setup } : {}),
      network: task.network,
      test: task.test_command,
      testGlobs: taskTestGlobs(task),
      memoryMb: task.memory_mb,
      commandTimeoutSeconds: task.timeout_seconds,
    },
  };
}

/** A git repository at `repo` holding the base tree as one commit on `main`. */
async function makeRepo(baseDir: string, repo: string): Promise<void> {
  await rm(repo, { recursive: true, force: true });
  await copyTree(baseDir, repo);
  const git = (args: string[]) =>
    execa('git', ['-C', repo, '-c', 'core.hooksPath=/dev/null', ...args], {
      env: {
        GIT_AUTHOR_NAME: 'Tandem eval',
        GIT_AUTHOR_EMAIL: 'eval@localhost',
        GIT_COMMITTER_NAME: 'Tandem eval',
        GIT_COMMITTER_EMAIL: 'eval@localhost',
      },
    });
  await git(['init', '-q', '-b', 'main']);
  // The policy is read from the repository's directory but never committed: the agents do not see it.
  await writeFile(join(repo, '.git', 'info', 'exclude'), '/.tandem.yml\n');
  await git(['add', '-A', '--force', '--', '.', ':!.tandem.yml']);
  await git(['commit', '-q', '--no-verify', '-m', 'base']);
}

/** Writes the tree of `commit` (no `.git`) into a fresh `dir`. */
async function exportCommit(repo: string, commit: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await execa('git', ['-C', repo, 'archive', '--format=tar', commit]).pipe('tar', [
    '-x',
    '-C',
    dir,
  ]);
}

function emptyResult(
  task: EvalTask,
  run: number,
  aliases: EvalAliases,
  tandem: EvalResult['tandem'],
  started: Date,
): EvalResult {
  return {
    instance_id: task.instance_id,
    run,
    status: 'error',
    resolved: false,
    hidden: null,
    agent_verdict: null,
    block_reason: null,
    what_failed: null,
    evidence: { cycles: [], red_before_green: false, commits: [], head_commit: null, branch: null },
    usage: {
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 0,
      cost_usd: 0,
      calls: 0,
      by_role: {},
    },
    model_calls: { attempts: 0, by_outcome: {}, by_alias: {}, latency_ms: 0 },
    repairs: 0,
    loops: 0,
    failed_attempts: 0,
    escalations: 0,
    time_ms: { total: 0, prepare: 0, run: 0, grade: 0, setup: 0, tests: 0, model: 0, phases: {} },
    aliases: { developer: aliases.developer, tester: aliases.tester },
    tandem,
    started_at: started.toISOString(),
    finished_at: started.toISOString(),
  };
}

/** Fills a result line from the pair's run (record, events, model calls) and the grading. */
export function resultOf(
  base: EvalResult,
  local: LocalRun,
  hidden: HiddenResults,
  times: { prepare: number; run: number; grade: number; total: number },
): EvalResult {
  const { record, events, modelCalls } = local;
  const count = (pred: (e: LocalRun['events'][number]) => boolean) => events.filter(pred).length;
  const sum = (kind: string, key: string) =>
    events
      .filter((e) => e.kind === kind)
      .reduce((t, e) => t + (typeof e.data[key] === 'number' ? e.data[key] : 0), 0);
  const tally = (key: (c: LocalRun['modelCalls'][number]) => string) =>
    modelCalls.reduce<Record<string, number>>(
      (t, c) => ({ ...t, [key(c)]: (t[key(c)] ?? 0) + 1 }),
      {},
    );
  const phases: Record<string, number> = {};
  const spans = new Map<string, { first: number; last: number }>();
  for (const e of events) {
    if (!e.kind.startsWith('agent.') || typeof e.data.step !== 'string') {
      continue;
    }
    const at = e.at.getTime();
    const span = spans.get(e.data.step);
    spans.set(e.data.step, span ? { first: span.first, last: at } : { first: at, last: at });
  }
  for (const [step, span] of spans) {
    const phase = step.replace(/-\d+$/, '');
    phases[phase] = (phases[phase] ?? 0) + (span.last - span.first);
  }
  const cycles = record.cycles.map((c) => ({
    cycle: c.cycle,
    criterion: c.criterion,
    red_commit: c.red?.commit || null,
    failing: c.red?.failing ?? [],
    already_met: c.alreadyMet === true,
    green_commit: c.green?.commit || null,
  }));
  const roles = Object.entries(record.usage);
  const input = roles.reduce((t, [, u]) => t + u.inputTokens, 0);
  const output = roles.reduce((t, [, u]) => t + u.outputTokens, 0);
  return {
    ...base,
    status: 'graded',
    resolved: hidden.resolved,
    hidden: {
      FAIL_TO_PASS: hidden.FAIL_TO_PASS,
      PASS_TO_PASS: hidden.PASS_TO_PASS,
      exit_code: hidden.exitCode,
      duration_ms: hidden.durationMs,
      ...(hidden.error ? { error: hidden.error } : {}),
      ...(hidden.resolved ? {} : { output: hidden.output.slice(-1_500) }),
    },
    agent_verdict: record.status,
    block_reason: record.diagnosis?.reason ?? null,
    what_failed: record.diagnosis?.whatFailed ?? null,
    evidence: {
      cycles,
      red_before_green: cycles
        .filter((c) => c.green_commit)
        .every((c) => c.red_commit !== null && !c.already_met),
      commits: record.commits,
      head_commit: record.headCommit,
      branch: record.branch,
    },
    usage: {
      input_tokens: input,
      output_tokens: output,
      total_tokens: input + output,
      cost_usd: roles.reduce((t, [, u]) => t + u.costUsd, 0),
      calls: roles.reduce((t, [, u]) => t + u.calls, 0),
      by_role: Object.fromEntries(
        roles.map(([role, u]) => [
          role,
          {
            calls: u.calls,
            input_tokens: u.inputTokens,
            output_tokens: u.outputTokens,
            cost_usd: u.costUsd,
          },
        ]),
      ),
    },
    model_calls: {
      attempts: modelCalls.length,
      by_outcome: tally((c) => c.outcome),
      by_alias: tally((c) => c.alias),
      latency_ms: modelCalls.reduce((t, c) => t + c.latencyMs, 0),
    },
    repairs: count((e) => e.kind === 'agent.repair'),
    loops: count((e) => e.kind === 'agent.tool_call' && e.data.loop === true),
    failed_attempts: count((e) => e.kind === 'pair.attempt_failed'),
    escalations: count((e) => e.kind === 'pair.escalated'),
    time_ms: {
      ...times,
      setup: sum('pair.setup', 'durationMs'),
      tests: sum('pair.test_run', 'durationMs'),
      model: modelCalls.reduce((t, c) => t + c.latencyMs, 0),
      phases,
    },
    finished_at: new Date().toISOString(),
  };
}

/** Tandem's version (package.json) and the git commit of this checkout, when it is one. */
export async function tandemVersion(): Promise<EvalResult['tandem']> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
    if (pkg !== null) {
      const version = (JSON.parse(pkg) as { version?: string }).version ?? 'unknown';
      const sha = await execa('git', ['-C', dir, 'rev-parse', 'HEAD'], { reject: false });
      return { version, git_sha: sha.exitCode === 0 ? sha.stdout.trim() : null };
    }
    dir = dirname(dir);
  }
  return { version: 'unknown', git_sha: null };
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
