/**
 * The pair engine: the Developer/Tester test-first protocol on one ticket (DESIGN.md, "The pair protocol").
 *
 * State machine, one step per loop turn, checkpointed after every step:
 *   red (tester writes the smallest failing test; verified red in the sandbox; commit `test(#n)`)
 *   → green (developer implements; whole suite green; commit `feat(#n)`)
 *   → refactor (optional, must stay green, commit `refactor(#n)`, dropped when it breaks the suite)
 *   → red for the next open criterion … → final (full run; every criterion mapped to a passing test) → done.
 * A failed verification is an attempt; `budgets.attemptsPerPhase` failed attempts escalate the role, an
 * exhausted chain blocks the ticket with a diagnosis. After every phase the changed files are checked against
 * the role's boundary (policy test globs) and the protected paths (CI, policy, CODEOWNERS, `.gitmodules`,
 * `.gitattributes`, plus `protectedPaths`); violations are reverted, nested git repositories the sandbox
 * made are removed (by the workspace, before git reads the tree), and both are reported to the agent.
 * A workspace that grows past its disk limit discards the changes and blocks the ticket.
 * Resume: a commit is announced in the checkpoint (`pending`) before it is made, so a run restarted after a
 * crash adopts a commit it finds on the branch instead of making it again.
 */
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { RepoPolicy } from '../config/repo-policy.js';
import { BudgetExceededError, DiskLimitExceededError } from '../errors/index.js';
import { costBudgetExhausted, tokenBudgetExhausted } from '../llm/budget-rule.js';
import type { GitWorkspace } from '../git/git-workspace.js';
import type { Sandbox } from '../sandbox/types.js';
import type { AgentModels, PairRole } from './agent-models.js';
import { describeOutcome, runAgent, type AgentOutcome, type AgentStepEvent } from './agent-loop.js';
import type { ToolContext } from './agent-tools.js';
import { Checkpoint, type Diagnosis, type RunRecord } from './checkpoint.js';
import { boundaryViolations, protectedViolations } from './file-boundary.js';
import {
  applyCommit,
  GreenResult,
  RedResult,
  RefactorResult,
  unmatchedTests,
} from './pair-steps.js';
import { DEVELOPER_SYSTEM, phasePrompt, REFACTOR_SYSTEM, TESTER_SYSTEM } from './prompts.js';
import { buildRepoMap } from './repo-map.js';
import { buildRunRecord } from './run-record.js';
import type { RunStore, StoredRun } from './run-store.js';
import { runSuite, summarizeRun, type SuiteRun } from './run-suite.js';
import type { Ticket } from './ticket.js';

/**
 * Live progress: emitted when a step starts and ends, after every model answer and tool call, and when a
 * test run starts (`message` says what is going on), so a display can show what a long step is waiting for.
 */
export interface PairProgress {
  phase: Checkpoint['phase'];
  cycle: number;
  criterion: number;
  criteria: number;
  passing: number;
  failing: number;
  tokens: number;
  elapsedMs: number;
  message: string;
}

/** Options of {@link runPair}. */
export interface RunPairOptions {
  ticket: Ticket;
  policy: RepoPolicy;
  models: AgentModels;
  store: RunStore;
  /** Stable job id: the same id resumes the same run. */
  jobId: string;
  workspace: GitWorkspace;
  /** Sandbox over `workspace.workTree`. */
  sandbox: Sandbox;
  logger?: Logger;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  onProgress?: (progress: PairProgress) => void;
  /** Model calls per phase attempt (default 24). */
  maxSteps?: number;
  /** Identical consecutive tool calls that end an attempt (default 3). */
  loopLimit?: number;
  /**
   * Globs (minimatch, repository-relative) no agent may change, on top of the built-in
   * `PROTECTED_PATHS`: the operator's `TANDEM_PROTECTED_PATHS`.
   */
  protectedPaths?: readonly string[];
  /**
   * Push the branch after every commit (default true). The push runs while the step's events are
   * recorded and is awaited before the step's checkpoint is saved (so the checkpoint never names a commit
   * the remote lacks) and at the end; a failed push fails the run.
   */
  push?: boolean;
  /**
   * Stops the run at the next safe point: model calls and test runs in flight are aborted, and the run
   * throws (the abort reason, or the model layer's `ModelCallAbortedError`) with the checkpoint of the last
   * finished step kept; an interrupted step is redone on resume.
   */
  signal?: AbortSignal;
}

/**
 * Runs (or resumes) one ticket to `done` or `blocked` and returns the run record.
 * Throws only for infrastructure failures (git, sandbox, database, non-budget model errors).
 */
export async function runPair(options: RunPairOptions): Promise<RunRecord> {
  return new PairEngine(options).execute();
}

class PairEngine {
  private readonly now: () => number;
  private readonly started: number;
  private stored!: StoredRun;
  private cp!: Checkpoint;
  private lastRun: SuiteRun | null = null;
  private testMs = 0;
  /** The push of the last commit; awaited before the next save, the next commit and the end. */
  private pushing: Promise<void> | null = null;

  constructor(private readonly o: RunPairOptions) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
  }

  private get id(): string {
    return String(this.o.ticket.id);
  }

  async execute(): Promise<RunRecord> {
    try {
      return await this.steps();
    } catch (error) {
      // Leave no git process behind in the job's git dir: a retry may open it at once.
      await this.pushing?.catch(() => undefined);
      throw error;
    }
  }

  private async steps(): Promise<RunRecord> {
    const { ticket } = this.o;
    this.stored = await this.o.store.openRun({
      jobId: this.o.jobId,
      ticket: { ...ticket, id: this.id },
    });
    const stored = this.stored.checkpoint;
    let fresh = false;
    if (stored) {
      this.cp = Checkpoint.parse(stored);
      this.o.models.restoreUsage(this.cp.usage);
      for (const e of this.cp.escalations) {
        this.o.models.escalate(e.role as PairRole);
      }
      await this.reconcile();
      await this.event('pair.resumed', { phase: this.cp.phase, cycle: this.cp.cycle });
    } else {
      const head = await this.o.workspace.head();
      this.cp = Checkpoint.parse({
        version: 1,
        phase: 'red',
        cycle: 1,
        criterion: 0,
        attempts: 0,
        baseCommit: this.o.workspace.baseCommit,
        lastCommit: head,
        criteria: ticket.acceptanceCriteria.map((text) => ({ text, status: 'open', tests: [] })),
        cycles: [],
      });
      fresh = true;
    }
    if (this.cp.phase !== 'done' && this.cp.phase !== 'blocked') {
      // Files git wrote on the host become the sandbox user's, so the runner may write caches/outputs.
      await this.o.sandbox.chownWorkspace();
      if ((await this.setup()) && fresh) {
        const baseline = await this.suite().catch((error: unknown) => this.onDiskLimit(error));
        if (baseline && baseline.status !== 'passed') {
          this.block('baseline_not_green', `the suite is ${baseline.status} before any change`);
        }
      }
      await this.save();
    }
    while (this.cp.phase !== 'done' && this.cp.phase !== 'blocked') {
      if (!this.checkBudgets()) {
        break;
      }
      this.o.signal?.throwIfAborted();
      const phase = this.cp.phase;
      this.progress(STEP_START[phase] ?? phase);
      try {
        if (phase === 'red') {
          await this.red();
        } else if (phase === 'green') {
          await this.green();
        } else if (phase === 'refactor') {
          await this.refactor();
        } else {
          await this.final();
        }
      } catch (error) {
        if (!(error instanceof BudgetExceededError)) {
          await this.onDiskLimit(error);
        } else {
          this.block(
            error.budget === 'costUsd' ? 'budget_cost' : 'budget_tokens',
            `model budget exceeded: ${error.message}`,
          );
        }
      }
      // The checkpoint is never ahead of the remote branch: a worker without this job's git dir
      // (another host) resumes from the remote, and a checkpoint naming a commit it cannot fetch would
      // fail every retry. Killed before this save, the run adopts or redoes the `pending` commit.
      await this.settlePush();
      await this.save();
      this.progress(`${phase} step finished`);
    }
    return this.finish();
  }

  /**
   * Runs the policy's `sandbox.setup` argv once per engine run (a resumed run has a new container), before
   * any test run: the first command in the sandbox, so with `network: setup` it is the one that gets the
   * network. A failing setup blocks the ticket (`setup_failed`). Returns false when blocked.
   */
  private async setup(): Promise<boolean> {
    const { setup, network, commandTimeoutSeconds } = this.o.policy.sandbox;
    if (setup.length === 0) {
      return true;
    }
    const result = await this.o.sandbox.exec(setup, {
      timeoutMs: commandTimeoutSeconds * 1000,
      ...(network === 'setup' ? { network: true } : {}),
      ...(this.o.signal ? { signal: this.o.signal } : {}),
      ...this.diskLimit(),
    });
    this.o.signal?.throwIfAborted();
    if (result.diskLimitExceeded) {
      await this.onDiskLimit(
        new DiskLimitExceededError(result.diskLimitBytes, result.workspaceBytes),
      );
      return false;
    }
    await this.event('pair.setup', {
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      network: network === 'setup',
    });
    if (result.exitCode === 0 && !result.timedOut) {
      return true;
    }
    const output = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`.trim();
    this.cp.lastTestOutput = output.slice(-4_000);
    this.block(
      'setup_failed',
      result.timedOut
        ? `the setup command (${setup.join(' ')}) timed out`
        : `the setup command (${setup.join(' ')}) exited with ${result.exitCode}`,
    );
    return false;
  }

  /** Adopts a commit announced in `pending` that reached the branch before the crash. */
  private async reconcile(): Promise<void> {
    const head = await this.o.workspace.head();
    const pending = this.cp.pending;
    if (head !== this.cp.lastCommit) {
      const commits = await this.o.workspace.log(this.cp.lastCommit, head);
      const adopted = pending
        ? commits.find(
            (c) =>
              c.trailers?.['Tandem-Phase'] === pending.phase &&
              c.trailers['Tandem-Cycle'] === String(pending.cycle),
          )
        : undefined;
      if (pending && adopted) {
        applyCommit(this.cp, pending, adopted.sha);
        await this.event('pair.commit_adopted', { sha: adopted.sha, phase: pending.phase });
      }
      this.cp.lastCommit = head;
    }
    delete this.cp.pending;
    await this.save();
  }

  private async red(): Promise<void> {
    const c = this.cp.criterion;
    const outcome = await this.agent(
      'tester',
      TESTER_SYSTEM,
      RedResult,
      `Write the smallest failing test for criterion ${c + 1}: ${this.cp.criteria[c]?.text ?? ''}`,
    );
    if (outcome.kind !== 'result') {
      return this.failAttempt('tester', describeOutcome(outcome), '');
    }
    const { changed } = await this.checkBoundary('tester');
    if (changed.length === 0) {
      return this.failAttempt('tester', 'no test file was written', '');
    }
    const suite = await this.suite();
    const output = `${suite.reason ?? ''}\n${suite.output}`.trim();
    if (await this.tamperedDuringRun('tester')) {
      return this.failAttempt('tester', TAMPERED, output);
    }
    if (suite.status === 'broken') {
      return this.failAttempt('tester', 'the new test does not compile or collect', output);
    }
    if (suite.status === 'passed' && !outcome.result.alreadyMet) {
      return this.failAttempt(
        'tester',
        'the new test passes already: the criterion is met (finish with alreadyMet: true) or the test is too weak',
        output,
      );
    }
    const alreadyMet = suite.status === 'passed';
    const failing = (suite.cases ?? [])
      .filter((t) => t.outcome === 'failed' || t.outcome === 'error')
      .map((t) => t.id);
    const subject =
      suite.status === 'passed'
        ? `test(#${this.id}): ${outcome.result.summary} (already met)`
        : `test(#${this.id}): ${outcome.result.summary}`;
    await this.commit('red', 'tester', subject, { ...outcome.result, alreadyMet, failing });
    if (suite.status === 'failed') {
      this.cp.feedback = [`Failing tests:\n${output.slice(-3_000)}`];
    }
  }

  private async green(): Promise<void> {
    const outcome = await this.agent(
      'developer',
      DEVELOPER_SYSTEM,
      GreenResult,
      'Make the failing tests pass with the minimal change.',
    );
    if (outcome.kind !== 'result') {
      return this.failAttempt('developer', describeOutcome(outcome), '');
    }
    await this.checkBoundary('developer');
    const suite = await this.suite();
    if (await this.tamperedDuringRun('developer')) {
      return this.failAttempt(
        'developer',
        TAMPERED,
        `${suite.reason ?? ''}\n${suite.output}`.trim(),
      );
    }
    if (suite.status !== 'passed') {
      return this.failAttempt(
        'developer',
        `the suite is ${suite.status} after the change`,
        `${suite.reason ?? ''}\n${suite.output}`.trim(),
      );
    }
    await this.commit(
      'green',
      'developer',
      `feat(#${this.id}): ${outcome.result.summary}`,
      outcome.result,
    );
  }

  private async refactor(): Promise<void> {
    const outcome = await this.agent(
      'developer',
      REFACTOR_SYSTEM,
      RefactorResult,
      'Refactor without changing behaviour; the suite must stay green.',
    );
    await this.checkBoundary('developer');
    const suite = outcome.kind === 'result' ? await this.suite() : null;
    const tampered = suite !== null && (await this.tamperedDuringRun('developer'));
    if (outcome.kind === 'result' && suite?.status === 'passed' && !tampered) {
      await this.commit(
        'refactor',
        'developer',
        `refactor(#${this.id}): ${outcome.result.summary}`,
        outcome.result,
      );
      return;
    }
    await this.o.workspace.discardChanges();
    await this.event('pair.refactor_dropped', {
      reason: suite ? suite.status : describeOutcome(outcome),
    });
    applyCommit(
      this.cp,
      { phase: 'refactor', cycle: this.cp.cycle, result: { summary: '' } },
      null,
    );
  }

  private async final(): Promise<void> {
    const suite = await this.suite();
    if (suite.status !== 'passed') {
      this.cp.phase = 'green';
      this.cp.feedback = [`The final full run is ${suite.status}:\n${suite.output.slice(-3_000)}`];
      return;
    }
    const missing = unmatchedTests(this.cp, suite);
    if (missing === null) {
      this.cp.phase = 'done';
      return;
    }
    this.cp.criteria[missing]!.status = 'open';
    this.cp.criterion = missing;
    this.cp.cycle += 1;
    this.cp.phase = 'red';
    this.cp.feedback = [`No passing test found for criterion ${missing + 1}; write one.`];
  }

  private async agent<T>(
    role: PairRole,
    system: string,
    schema: ZodType<T>,
    task: string,
  ): Promise<AgentOutcome<T>> {
    const files = await this.o.workspace.listFiles();
    const map = await buildRepoMap(files, (p) => this.o.sandbox.readFile(p));
    const tools: ToolContext = {
      role,
      testGlobs: this.o.policy.sandbox.testGlobs,
      files: this.o.sandbox,
      listFiles: (dir) => this.o.workspace.listFiles(dir),
      grep: (pattern, max) => this.o.workspace.grep(pattern, max),
      repoMap: () => buildRepoMap(files, (p) => this.o.sandbox.readFile(p)),
      runTests: () => this.suite(),
    };
    return runAgent({
      models: this.o.models,
      role,
      step: `${this.cp.phase}-${this.cp.cycle}`,
      // The checkpoint's attempt counters, so a resumed attempt continues the same conversation.
      conversation: `${this.o.jobId}/${this.cp.phase}-${this.cp.cycle}/${this.cp.escalations.length}.${this.cp.attempts}`,
      system,
      user: phasePrompt(this.o.ticket, this.cp, task, map),
      tools,
      resultSchema: schema,
      maxSteps: this.o.maxSteps ?? 24,
      loopLimit: this.o.loopLimit ?? 3,
      onEvent: (e) => {
        this.progress(describeStep(e));
        return this.event(e.kind, { role: e.role, step: e.step, ...e.data });
      },
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    });
  }

  /**
   * Reverts files outside the role's boundary and protected files, reports the nested git repositories
   * the workspace removed before reading the tree, and tells the agent (feedback of its next attempt).
   * Returns the changed paths that remain and the violations found (all three kinds).
   */
  private async checkBoundary(
    role: PairRole,
    during: 'phase' | 'test_run' = 'phase',
  ): Promise<{ changed: string[]; violations: string[] }> {
    const changed = (await this.o.workspace.changedFiles()).map((f) => f.path);
    const removed = this.o.workspace.takeRemovedRepositories();
    const outside = boundaryViolations(role, changed, this.o.policy.sandbox.testGlobs);
    const guarded = protectedViolations(changed, this.o.protectedPaths).filter(
      (p) => !outside.includes(p),
    );
    const reverted = [...outside, ...guarded];
    if (reverted.length > 0) {
      await this.o.workspace.restore(reverted);
    }
    const how = during === 'test_run' ? ' (made by your code while the tests ran)' : '';
    if (outside.length > 0) {
      const note =
        role === 'developer'
          ? `Reverted your changes to test files${how} (${outside.join(', ')}): the developer never changes tests.`
          : `Reverted your changes to non-test files${how} (${outside.join(', ')}): the tester changes tests only.`;
      this.cp.feedback.push(note);
      await this.event('pair.boundary_violation', { role, paths: outside, during });
    }
    if (guarded.length > 0) {
      this.cp.feedback.push(
        `Reverted your changes to protected files${how} (${guarded.join(', ')}): no agent changes CI workflows, Tandem's policy, CODEOWNERS, .gitmodules or .gitattributes.`,
      );
      await this.event('pair.protected_path_violation', { role, paths: guarded, during });
    }
    if (removed.length > 0) {
      this.cp.feedback.push(
        `Removed nested git repositories${how} (${removed.join(', ')}): no git repository, submodule or .git file may be created inside the workspace.`,
      );
      await this.event('pair.nested_repository_removed', { role, paths: removed, during });
    }
    return {
      changed: changed.filter((p) => !reverted.includes(p)),
      violations: [...reverted, ...removed],
    };
  }

  /** `maxWorkspaceBytes` for a command: the policy's `sandbox.diskMb`; 0 leaves the sandbox's default. */
  private diskLimit(): { maxWorkspaceBytes?: number } {
    const mb = this.o.policy.sandbox.diskMb;
    return mb > 0 ? { maxWorkspaceBytes: mb * 1024 * 1024 } : {};
  }

  /**
   * A workspace over its disk limit: the changes are discarded (freeing the host's disk) and the ticket
   * is blocked (`workspace_too_large`). Any other error is thrown again. Resolves to null.
   */
  private async onDiskLimit(error: unknown): Promise<null> {
    if (!(error instanceof DiskLimitExceededError)) {
      throw error;
    }
    await this.o.workspace.discardChanges();
    await this.event('pair.disk_limit_exceeded', { limit: error.limit, used: error.used });
    this.block('workspace_too_large', error.message);
    return null;
  }

  /**
   * The boundary check again after a verification run: code run by the suite can write any file of the
   * workspace (e.g. rewrite a test at import time). Such changes are reverted and the run's verdict is not
   * trusted (the attempt fails).
   */
  private async tamperedDuringRun(role: PairRole): Promise<boolean> {
    return (await this.checkBoundary(role, 'test_run')).violations.length > 0;
  }

  private async suite(): Promise<SuiteRun> {
    this.progress('running the tests');
    const run = await runSuite({
      sandbox: this.o.sandbox,
      workTree: this.o.workspace.workTree,
      command: this.o.policy.sandbox.test,
      timeoutMs: this.o.policy.sandbox.commandTimeoutSeconds * 1000,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
      ...this.diskLimit(),
    });
    // A run cut short by a stop says nothing about the code: never let it count as an attempt.
    this.o.signal?.throwIfAborted();
    if (run.diskLimit) {
      throw new DiskLimitExceededError(run.diskLimit.limitBytes, run.diskLimit.usedBytes);
    }
    this.testMs += run.durationMs;
    this.lastRun = run;
    this.cp.lastTestOutput = `${run.reason ?? ''}\n${run.output}`.trim().slice(-4_000);
    await this.event('pair.test_run', {
      status: run.status,
      exitCode: run.exitCode,
      durationMs: run.durationMs,
      summary: summarizeRun(run).text,
    });
    return run;
  }

  private async commit(
    phase: 'red' | 'green' | 'refactor',
    role: PairRole,
    subject: string,
    result: Record<string, unknown>,
  ): Promise<void> {
    await this.settlePush();
    const pending = { phase, cycle: this.cp.cycle, result };
    this.cp.pending = pending;
    await this.save();
    const sha = await this.o.workspace.commit({
      subject,
      trailers: {
        'Tandem-Ticket': this.id,
        'Tandem-Role': role,
        'Tandem-Model': this.o.models.alias(role),
        'Tandem-Phase': phase,
        'Tandem-Cycle': String(this.cp.cycle),
      },
    });
    if (this.o.push !== false && sha) {
      this.startPush();
    }
    const log = this.cp.cycles.find((l) => l.cycle === this.cp.cycle);
    applyCommit(this.cp, pending, sha);
    if (log) {
      log.testMs += this.testMs;
    }
    this.testMs = 0;
    delete this.cp.pending;
    if (sha) {
      this.cp.lastCommit = sha;
    }
    await this.event('git.commit', { sha, subject, phase, cycle: pending.cycle });
  }

  /** Starts pushing the branch in the background (after the previous push, if any). */
  private startPush(): void {
    const previous = this.pushing;
    const push = (async () => {
      await previous;
      await this.o.workspace.push();
    })();
    // Observed here so a failure is never an unhandled rejection; `settlePush` rethrows it.
    push.catch(() => undefined);
    this.pushing = push;
  }

  /** Waits for the background push; throws its error (e.g. GitCommandError) when it failed. */
  private async settlePush(): Promise<void> {
    const push = this.pushing;
    this.pushing = null;
    await push;
  }

  private async failAttempt(role: PairRole, what: string, output: string): Promise<void> {
    await this.o.workspace.discardChanges();
    this.cp.attempts += 1;
    const alias = this.o.models.alias(role);
    this.cp.tried.push(
      `${this.cp.phase} cycle ${this.cp.cycle} attempt ${this.cp.attempts} (${alias}): ${what}`,
    );
    this.cp.feedback = [
      // The boundary notes stay: the next attempt must know what was reverted or removed, and why.
      ...this.cp.feedback.filter((f) => f.startsWith('Reverted') || f.startsWith('Removed')),
      output ? `${what}\n${output.slice(-3_000)}` : what,
    ];
    await this.event('pair.attempt_failed', {
      role,
      phase: this.cp.phase,
      what,
      attempts: this.cp.attempts,
    });
    if (this.cp.attempts < this.o.policy.budgets.attemptsPerPhase) {
      return;
    }
    const next = this.o.models.escalate(role);
    if (next === null) {
      this.block('escalation_exhausted', what);
      return;
    }
    this.cp.escalations.push({ role, to: next, phase: this.cp.phase });
    this.cp.tried.push(`escalated ${role} to ${next}`);
    this.cp.attempts = 0;
    await this.event('pair.escalated', { role, to: next });
  }

  private checkBudgets(): boolean {
    const b = this.o.policy.budgets;
    const usage = this.o.models.usage();
    if (this.cp.cycle > b.cycles) {
      this.block('budget_cycles', `more than ${b.cycles} cycles needed`);
    } else if (tokenBudgetExhausted(usage.inputTokens + usage.outputTokens, b.tokens)) {
      this.block('budget_tokens', `token budget of ${b.tokens} used`);
    } else if (costBudgetExhausted(usage.costUsd, b.costUsd)) {
      this.block('budget_cost', `cost budget of $${b.costUsd} used`);
    } else if (this.elapsed() >= b.minutes * 60_000) {
      this.block('budget_time', `time budget of ${b.minutes} min used`);
    }
    return this.cp.phase !== 'blocked';
  }

  private block(reason: Diagnosis['reason'], whatFailed: string): void {
    this.cp.diagnosis = {
      reason,
      phase: this.cp.phase,
      cycle: this.cp.cycle,
      ...(this.cp.criteria[this.cp.criterion]
        ? { criterion: this.cp.criteria[this.cp.criterion]!.text }
        : {}),
      whatFailed,
      lastTestOutput: this.cp.lastTestOutput,
      tried: [...this.cp.tried],
    };
    this.cp.phase = 'blocked';
  }

  private elapsed(): number {
    return this.cp.elapsedMs + (this.now() - this.started);
  }

  private async save(): Promise<void> {
    await this.o.store.saveCheckpoint(this.stored.runId, {
      ...this.cp,
      elapsedMs: this.elapsed(),
      usage: this.o.models.usage(),
    });
  }

  private event(kind: string, data: Record<string, unknown>): Promise<void> {
    return this.o.store.appendEvent(this.stored.runId, kind, { ...data, cycle: this.cp.cycle });
  }

  private progress(message: string): void {
    const summary = this.lastRun ? summarizeRun(this.lastRun) : { passed: 0, failed: 0 };
    const usage = this.o.models.usage();
    this.o.onProgress?.({
      phase: this.cp.phase,
      cycle: this.cp.cycle,
      criterion: this.cp.criterion,
      criteria: this.cp.criteria.length,
      passing: summary.passed,
      failing: summary.failed,
      tokens: usage.inputTokens + usage.outputTokens,
      elapsedMs: this.elapsed(),
      message,
    });
  }

  private async finish(): Promise<RunRecord> {
    const status = this.cp.phase === 'done' ? 'done' : 'blocked';
    if (status === 'blocked' && !this.cp.diagnosis) {
      this.block('escalation_exhausted', 'blocked');
    }
    await this.settlePush();
    if (this.o.push !== false) {
      await this.o.workspace.push();
    }
    const record = await buildRunRecord({
      ticket: this.o.ticket,
      checkpoint: this.cp,
      workspace: this.o.workspace,
      finalRun: this.lastRun,
      usage: this.o.models.usage(),
      durationMs: this.elapsed(),
      status,
      ...(this.cp.diagnosis ? { diagnosis: this.cp.diagnosis } : {}),
    });
    await this.save();
    await this.o.store.finishRun(this.stored.runId, {
      status,
      record,
      ...(this.cp.diagnosis ? { diagnosis: this.cp.diagnosis } : {}),
    });
    this.o.logger?.info(
      { ticket: this.id, status, cycles: this.cp.cycles.length },
      'pair run finished',
    );
    return record;
  }
}

const STEP_START: Partial<Record<Checkpoint['phase'], string>> = {
  red: 'tester writing a failing test',
  green: 'developer making the tests pass',
  refactor: 'developer refactoring',
  final: 'final full run',
};

function describeStep(e: AgentStepEvent): string {
  if (e.kind === 'agent.model_call') {
    const calls = Array.isArray(e.data.toolCalls) ? e.data.toolCalls.join(', ') : '';
    return `${e.role}: model answered${calls ? ` (${calls})` : ''}`;
  }
  if (e.kind === 'agent.repair') {
    return `${e.role}: invalid answer, asking again`;
  }
  const path = typeof e.data.path === 'string' ? ` ${e.data.path}` : '';
  return `${e.role}: ${String(e.data.tool)}${path}`;
}

const TAMPERED =
  'files outside your role changed while the tests ran; they were reverted and the run does not count';
