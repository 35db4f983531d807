/**
 * `tandem run --repo <path> --ticket <file|->`: runs one ticket through the pair protocol on a local
 * repository, no forge. The ticket branch is left in the repository (pushed there after every commit);
 * state lives in the PGlite database under `TANDEM_DATA_DIR`; rerunning the same ticket on the same
 * repository resumes the run. Exit 0 when done, 2 when blocked, 1 on errors.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import type { PairProgress } from '../../agents/pair-engine.js';
import { TandemError } from '../../errors/index.js';
import { createLogger } from '../../log/logger.js';
import { runLocalTicket, type LocalRun } from '../../eval/run-local-ticket.js';

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
}

/**
 * The live progress display of `tandem run`. On a TTY the line is redrawn every `tickMs` with the elapsed
 * time moving on, so a long model call or test run does not look like a hang; elsewhere every update is
 * one line and nothing ticks. Call `stop()` at the end.
 */
export function progressDisplay(options: ProgressDisplayOptions): {
  update(progress: PairProgress): void;
  stop(): void;
} {
  const now = options.now ?? Date.now;
  let last: { progress: PairProgress; at: number } | undefined;
  const draw = (): void => {
    if (!last) {
      return;
    }
    const line = formatProgress({
      ...last.progress,
      elapsedMs: last.progress.elapsedMs + (now() - last.at),
    });
    const width = options.columns ?? 0;
    options.write(
      `\r\x1b[2K${width > 1 && line.length >= width ? line.slice(0, width - 1) : line}`,
    );
  };
  const timer = options.tty ? setInterval(draw, options.tickMs ?? 1_000) : undefined;
  timer?.unref();
  return {
    update(progress) {
      last = { progress, at: now() };
      if (options.tty) {
        draw();
      } else {
        options.write(`${formatProgress(progress)}\n`);
      }
    },
    stop() {
      clearInterval(timer);
      if (options.tty && last) {
        options.write('\n');
      }
      last = undefined;
    },
  };
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
      try {
        const ticketText =
          opts.ticket === '-' ? await readStdin() : await readFile(opts.ticket, 'utf8');
        const catalogPath = opts.catalog ?? process.env.TANDEM_MODEL_CATALOG;
        const run = await runLocalTicket({
          repo: opts.repo,
          ticketText,
          dataDir: process.env.TANDEM_DATA_DIR ?? '.tandem',
          ...(catalogPath ? { catalogPath } : {}),
          logger,
          onProgress: (p) => display.update(p),
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
        }
        for (const line of formatUsageSummary(run)) {
          console.log(line);
        }
        process.exitCode = record.status === 'done' ? 0 : 2;
      } catch (error) {
        display.stop();
        console.error(error instanceof TandemError ? `error: ${error.message}` : error);
        process.exitCode = 1;
      }
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
