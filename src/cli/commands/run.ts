/**
 * `tandem run --repo <path> --ticket <file|->`: runs one ticket through the pair protocol on a local
 * repository, no forge. The ticket branch is left in the repository (pushed there after every commit);
 * state lives in the PGlite database under `TANDEM_DATA_DIR`; rerunning the same ticket on the same
 * repository resumes the run. Exit 0 when done, 2 when blocked, 1 on errors.
 */
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Diagnosis } from '../../agents/checkpoint.js';
import type { PairProgress } from '../../agents/pair-engine.js';
import { InterruptedError, TandemError } from '../../errors/index.js';
import { createLogger } from '../../log/logger.js';
import { localRunWorkerId, runLocalTicket, type LocalRun } from '../../eval/run-local-ticket.js';
import { LABELS } from '../../sandbox/container-options.js';
import { tlsTrustHint } from '../../sandbox/tls-trust-hint.js';

export { localJobId } from '../../eval/run-local-ticket.js';

/** One progress line: elapsed, cycle, criterion, phase, tests passing/failing, tokens, what is going on. */
export function formatProgress(p: PairProgress): string {
  const criterion = Math.min(p.criterion + 1, p.criteria);
  return `[${(p.elapsedMs / 1000).toFixed(1)}s] cycle ${p.cycle} · criterion ${criterion}/${p.criteria} · ${p.phase} · tests ${p.passing} passing, ${p.failing} failing · ${p.tokens} tokens · ${p.message}`;
}

/**
 * The usage summary `tandem run` prints when a run ends: tokens (in/out), calls, cost and wall time, then
 * one line per role. Calls are the recorded model call attempts (retries and repairs included); tokens
 * come from the run record, which also counts what a resumed run used before its restart.
 */
export function formatUsageSummary(run: Pick<LocalRun, 'record' | 'modelCalls'>): string[] {
  const roles = Object.entries(run.record.usage).sort(([a], [b]) => a.localeCompare(b));
  const total = roles.reduce(
    (t, [, u]) => ({
      calls: t.calls + u.calls,
      inputTokens: t.inputTokens + u.inputTokens,
      outputTokens: t.outputTokens + u.outputTokens,
      costUsd: t.costUsd + u.costUsd,
    }),
    { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const attempts = run.modelCalls.length;
  const failed = run.modelCalls.filter((c) => c.outcome !== 'ok').length;
  const lines = [
    `usage: ${n(total.inputTokens + total.outputTokens)} tokens (${n(total.inputTokens)} in, ${n(total.outputTokens)} out), ${total.calls} model calls` +
      `${attempts > 0 ? ` (${attempts} recorded attempts, ${failed} failed)` : ''}, $${total.costUsd.toFixed(4)}, wall ${formatDuration(run.record.durationMs)}`,
  ];
  for (const [role, u] of roles) {
    lines.push(
      `  ${role.padEnd(10)} ${String(u.calls).padStart(4)} calls ${n(u.inputTokens).padStart(10)} in ${n(u.outputTokens).padStart(9)} out  $${u.costUsd.toFixed(4)}`,
    );
  }
  return lines;
}

/** `1h 02m 03s`, `2m 03.4s` or `3.4s` for a duration in ms. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${(s - m * 60).toFixed(1).padStart(4, '0')}s`;
  }
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

/** Options of {@link progressDisplay}. */
export interface ProgressDisplayOptions {
  write: (text: string) => void;
  /** Redraw one line in place and tick; otherwise one line per update (logs, pipes). */
  tty: boolean;
  /** Terminal width; TTY lines are cut to it. */
  columns?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** Redraw period on a TTY, in ms (default 1 000). */
  tickMs?: number;
  /** Output lines shown per command before the rest are only counted (default {@link OUTPUT_LINES_SHOWN}). */
  maxOutputLines?: number;
}

/** Setup output lines `tandem run` shows by default; a failing setup's last lines are printed at the end. */
export const OUTPUT_LINES_SHOWN = 40;

/** The live display of `tandem run`. */
export interface ProgressDisplay {
  /** What the run is doing before the pair's steps (`[elapsed] message`, elapsed since the display began). */
  stage(message: string): void;
  /** One output line of the command running now (the setup), indented under its stage. */
  output(line: string): void;
  /** The pair's progress. */
  update(progress: PairProgress): void;
  /** Ends the live line (call before printing anything else). */
  stop(): void;
}

/**
 * The live progress display of `tandem run`, from its first second: stages (workspace, database, sandbox,
 * setup), the setup's output lines as they come (the first `maxOutputLines`, then a count), and the
 * pair's progress. On a TTY the status line is redrawn every `tickMs` with the elapsed time moving on,
 * so a long setup, model call or test run does not look like a hang, and output lines scroll above it;
 * elsewhere every update is one line and nothing ticks.
 */
export function progressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  const began = now();
  const budget = options.maxOutputLines ?? OUTPUT_LINES_SHOWN;
  let status: ((elapsedExtraMs: number) => string) | undefined;
  let statusAt = 0;
  let shown = 0;
  let hidden = 0;
  const fit = (line: string): string => {
    const width = options.columns ?? 0;
    return width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
  };
  const draw = (): void => {
    if (status) {
      options.write(`\r\x1b[2K${fit(status(now() - statusAt))}`);
    }
  };
  /** A line that stays (TTY: printed above the status line, which is redrawn under it). */
  const print = (line: string): void => {
    if (options.tty) {
      options.write(`\r\x1b[2K${fit(line)}\n`);
      draw();
    } else {
      options.write(`${line}\n`);
    }
  };
  const show = (render: (elapsedExtraMs: number) => string): void => {
    if (hidden > 0) {
      print(`  | … ${hidden} more line${hidden === 1 ? '' : 's'} not shown`);
    }
    shown = 0;
    hidden = 0;
    status = render;
    statusAt = now();
    if (options.tty) {
      draw();
    } else {
      options.write(`${render(0)}\n`);
    }
  };
  const timer = options.tty ? setInterval(draw, options.tickMs ?? 1_000) : undefined;
  timer?.unref();
  return {
    stage(message) {
      const at = now() - began;
      show((extra) => `[${((at + extra) / 1000).toFixed(1)}s] ${message}`);
    },
    output(line) {
      if (shown >= budget) {
        hidden += 1;
        return;
      }
      shown += 1;
      print(`  | ${line}`);
    },
    update(progress) {
      show((extra) => formatProgress({ ...progress, elapsedMs: progress.elapsedMs + extra }));
    },
    stop() {
      clearInterval(timer);
      if (options.tty && status) {
        options.write('\n');
      }
      status = undefined;
    },
  };
}

/** Lines of a blocked run's last output printed by `tandem run`. */
const LAST_OUTPUT_LINES = 15;

/**
 * What `tandem run` prints about a blocked run besides its reason: the last lines of the output that
 * blocked it (the setup's, or the tests'), and for a setup that could not verify a TLS certificate, the
 * setting that fixes it.
 */
export function formatBlockedOutput(
  diagnosis: Pick<Diagnosis, 'reason' | 'lastTestOutput'>,
  caConfigured: boolean,
): string[] {
  const lines = diagnosis.lastTestOutput
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  const out: string[] = [];
  if (lines.length > 0) {
    out.push(
      `last output (${Math.min(lines.length, LAST_OUTPUT_LINES)} of ${lines.length} lines):`,
    );
    out.push(...lines.slice(-LAST_OUTPUT_LINES).map((l) => `  | ${l}`));
  }
  const hint =
    diagnosis.reason === 'setup_failed'
      ? tlsTrustHint(diagnosis.lastTestOutput, caConfigured)
      : undefined;
  if (hint) {
    out.push(`hint: ${hint}`);
  }
  return out;
}

/** The exit code of a process stopped by `signal` (128 + its number, as shells report it). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 15);
}

const RunOptions = z.object({
  repo: z.string().min(1),
  ticket: z.string().min(1),
  catalog: z.string().optional(),
});

/** Registers `tandem run`. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run one ticket through the Developer/Tester pair on a local repository')
    .requiredOption('--repo <path>', 'local git repository')
    .requiredOption('--ticket <file|->', 'ticket YAML/JSON file, or - for stdin')
    .option('--catalog <file>', 'model catalog (default: TANDEM_MODEL_CATALOG or the built-in one)')
    .action(async (raw: unknown) => {
      const opts = RunOptions.parse(raw);
      const logger = createLogger({
        level: process.env.LOG_LEVEL ?? 'warn',
        destination: process.stderr,
      });
      const display = progressDisplay({
        write: (text) => process.stderr.write(text),
        tty: process.stderr.isTTY,
        columns: process.stderr.columns,
      });
      const stop = stopOnSignals(display);
      const caCertsPath = process.env.TANDEM_SANDBOX_CA_CERTS || undefined;
      try {
        const ticketText =
          opts.ticket === '-' ? await readStdin() : await readFile(opts.ticket, 'utf8');
        const catalogPath = opts.catalog ?? process.env.TANDEM_MODEL_CATALOG;
        const run = await runLocalTicket({
          repo: opts.repo,
          ticketText,
          dataDir: process.env.TANDEM_DATA_DIR ?? '.tandem',
          ...(catalogPath ? { catalogPath } : {}),
          ...(caCertsPath ? { caCertsPath } : {}),
          logger,
          onStage: (message) => display.stage(message),
          onSetupOutput: (line) => display.output(line),
          onProgress: (p) => display.update(p),
          signal: stop.signal,
        });
        display.stop();
        const { record } = run;
        console.log(
          `${record.status}: branch ${record.branch} at ${record.headCommit.slice(0, 12)}`,
        );
        for (const c of record.commits) {
          console.log(`  ${c.sha.slice(0, 12)} ${c.subject}`);
        }
        if (record.diagnosis) {
          console.log(`blocked: ${record.diagnosis.reason}: ${record.diagnosis.whatFailed}`);
          for (const line of record.diagnosis.tried) {
            console.log(`  tried: ${line}`);
          }
          for (const line of formatBlockedOutput(record.diagnosis, caCertsPath !== undefined)) {
            console.log(line);
          }
        }
        for (const line of formatUsageSummary(run)) {
          console.log(line);
        }
        process.exitCode = record.status === 'done' ? 0 : 2;
      } catch (error) {
        display.stop();
        if (stop.signal.aborted) {
          const signal = stop.received ?? 'SIGTERM';
          console.error(
            `interrupted by ${signal}: stopped at a safe point; the sandbox container is removed and ` +
              'the checkpoint kept. Run the same command again to resume.',
          );
          process.exitCode = signalExitCode(signal);
        } else {
          console.error(error instanceof TandemError ? `error: ${error.message}` : error);
          process.exitCode = 1;
        }
      } finally {
        stop.dispose();
      }
    });
}

/**
 * SIGINT and SIGTERM for `tandem run`: the first aborts the run (it stops at a safe point and removes
 * its sandbox; the caller prints the outcome), a second one exits at once, naming the command that
 * removes a container possibly left behind. `dispose` removes the listeners.
 */
function stopOnSignals(display: ProgressDisplay): {
  signal: AbortSignal;
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
} {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received === undefined) {
      received = signal;
      display.stage(`${signal} received: stopping at a safe point and removing the sandbox…`);
      controller.abort(new InterruptedError(signal));
      return;
    }
    display.stop();
    console.error(
      `${signal} again: exiting now. A sandbox container may be left; remove it with ` +
        `docker rm -f $(docker ps -aq --filter label=${LABELS.worker}=${localRunWorkerId()})`,
    );
    process.exit(signalExitCode(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
