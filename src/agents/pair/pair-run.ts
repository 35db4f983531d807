/**
 * The state of one pair run and the services every phase uses: the checkpoint, events, saves, blocking,
 * progress, verification runs in the sandbox, and commits (announced in the checkpoint first, pushed in
 * the background). The phases (`red-phase.ts`, …) and the loop (`run-pair.ts`) act through it.
 */
import { DiskLimitExceededError } from '../../errors/index.js';
import type { PairRole } from '../agent-models.js';
import { applyCommit } from '../pair-steps.js';
import type { Checkpoint, Diagnosis } from '../checkpoint.js';
import { runSuite, summarizeRun, type SuiteRun } from '../run-suite.js';
import { BackgroundPush } from './background-push.js';
import { progressOf } from './progress.js';
import type { RunPairOptions } from './run-pair-options.js';

/** Characters of a run's output kept as `lastTestOutput` (diagnosis, PR body). */
const LAST_OUTPUT_CHARS = 4_000;

/** One run of the engine over one ticket (see the module comment). */
export class PairRun {
  readonly now: () => number;
  private readonly started: number;
  /** The last verification run, for progress counts and the run record. */
  lastRun: SuiteRun | null = null;
  /** Sandbox test time since the last commit, in ms (added to the cycle's log at the commit). */
  testMs = 0;
  readonly pushes: BackgroundPush;

  constructor(
    readonly o: RunPairOptions,
    readonly runId: number,
    public cp: Checkpoint,
  ) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
    this.pushes = new BackgroundPush(o.workspace);
  }

  /** The ticket id as text (trailers, commit subjects). */
  get id(): string {
    return String(this.o.ticket.id);
  }

  /** Wall time across restarts, in ms. */
  elapsed(): number {
    return this.cp.elapsedMs + (this.now() - this.started);
  }

  /** Stores the checkpoint with the elapsed time and model usage so far. */
  async save(): Promise<void> {
    await this.o.store.saveCheckpoint(this.runId, {
      ...this.cp,
      elapsedMs: this.elapsed(),
      usage: this.o.models.usage(),
    });
  }

  /** Appends an event of this run, tagged with the current cycle. */
  event(kind: string, data: Record<string, unknown>): Promise<void> {
    return this.o.store.appendEvent(this.runId, kind, { ...data, cycle: this.cp.cycle });
  }

  /** Emits a progress update. */
  progress(message: string): void {
    if (!this.o.onProgress) {
      return;
    }
    const usage = this.o.models.usage();
    this.o.onProgress(
      progressOf(
        this.cp,
        this.lastRun,
        usage.inputTokens + usage.outputTokens,
        this.elapsed(),
        message,
      ),
    );
  }

  /** Blocks the ticket with a diagnosis of where it stands. */
  block(reason: Diagnosis['reason'], whatFailed: string): void {
    const criterion = this.cp.criteria[this.cp.criterion];
    this.cp.diagnosis = {
      reason,
      phase: this.cp.phase,
      cycle: this.cp.cycle,
      ...(criterion ? { criterion: criterion.text } : {}),
      whatFailed,
      lastTestOutput: this.cp.lastTestOutput,
      tried: [...this.cp.tried],
    };
    this.cp.phase = 'blocked';
  }

  /** `maxWorkspaceBytes` for a command: the policy's `sandbox.diskMb`; 0 leaves the sandbox's default. */
  diskLimit(): { maxWorkspaceBytes?: number } {
    const mb = this.o.policy.sandbox.diskMb;
    return mb > 0 ? { maxWorkspaceBytes: mb * 1024 * 1024 } : {};
  }

  /**
   * A workspace over its disk limit: the changes are discarded (freeing the host's disk) and the ticket
   * is blocked (`workspace_too_large`). Any other error is thrown again. Resolves to null.
   */
  async onDiskLimit(error: unknown): Promise<null> {
    if (!(error instanceof DiskLimitExceededError)) {
      throw error;
    }
    await this.o.workspace.discardChanges();
    await this.event('pair.disk_limit_exceeded', { limit: error.limit, used: error.used });
    this.block('workspace_too_large', error.message);
    return null;
  }

  /**
   * Runs the whole suite in the sandbox (policy `sandbox.test`). A run cut short by the signal throws the
   * abort reason (it says nothing about the code, so it never counts as an attempt); a workspace over its
   * disk limit throws `DiskLimitExceededError`.
   */
  async suite(): Promise<SuiteRun> {
    this.progress('running the tests');
    const { sandbox } = this.o.policy;
    const run = await runSuite({
      sandbox: this.o.sandbox,
      workTree: this.o.workspace.workTree,
      command: sandbox.test,
      timeoutMs: sandbox.commandTimeoutSeconds * 1000,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
      ...this.diskLimit(),
    });
    this.o.signal?.throwIfAborted();
    if (run.diskLimit) {
      throw new DiskLimitExceededError(run.diskLimit.limitBytes, run.diskLimit.usedBytes);
    }
    this.testMs += run.durationMs;
    this.lastRun = run;
    this.cp.lastTestOutput = `${run.reason ?? ''}\n${run.output}`.trim().slice(-LAST_OUTPUT_CHARS);
    await this.event('pair.test_run', {
      status: run.status,
      exitCode: run.exitCode,
      durationMs: run.durationMs,
      summary: summarizeRun(run).text,
    });
    return run;
  }

  /**
   * Commits the work tree for a phase: the commit is announced in the checkpoint (`pending`) before it is
   * made, so a run restarted after a crash adopts it instead of making it again; then the checkpoint moves
   * on (`applyCommit`) and the push starts in the background.
   */
  async commit(
    phase: 'red' | 'green' | 'refactor',
    role: PairRole,
    subject: string,
    result: Record<string, unknown>,
  ): Promise<void> {
    await this.pushes.settle();
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
      this.pushes.start();
    }
    applyCommit(this.cp, pending, sha);
    // After `applyCommit`, which makes the cycle's log on its first commit: the red run counts too.
    const log = this.cp.cycles.find((l) => l.cycle === pending.cycle);
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
}
