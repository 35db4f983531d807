/**
 * `tandem run --repo <path> --ticket <file|->`: runs one ticket through the pair protocol on a local
 * repository, no forge. The ticket branch is left in the repository (pushed there after every commit);
 * state lives in the PGlite database under `TANDEM_DATA_DIR`; rerunning the same ticket on the same
 * repository resumes the run. Exit 0 when done, 2 when blocked, 1 on errors.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { sessionModels } from '../../agents/session-models.js';
import { finishLocalTicket } from '../../workflow/ticket-store.js';
import { createDbRunStore } from '../../agents/db-run-store.js';
import type { RunRecord } from '../../agents/checkpoint.js';
import { runPair, type PairProgress } from '../../agents/pair-engine.js';
import { Ticket } from '../../agents/ticket.js';
import { loadPolicy } from '../../config/load-policy.js';
import { createDatabase } from '../../db/create-database.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import { ConfigError, TandemError } from '../../errors/index.js';
import { GitWorkspace } from '../../git/git-workspace.js';
import { ticketBranchName } from '../../git/ref-name.js';
import { loadModelCatalog } from '../../llm/catalog.js';
import { ModelManager } from '../../llm/model-manager.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { DockerSandboxProvider } from '../../sandbox/docker-sandbox-provider.js';

/** Inputs of {@link runLocalTicket}. */
export interface RunLocalTicketOptions {
  /** Path of a local git repository. */
  repo: string;
  /** Ticket YAML/JSON text (see `Ticket`). */
  ticketText: string;
  /** Tandem data directory (database, workspaces). */
  dataDir: string;
  /** Model catalog file; absent: the built-in catalog. */
  catalogPath?: string;
  logger: Logger;
  onProgress?: (progress: PairProgress) => void;
}

/**
 * Parses the ticket, loads the repository's policy, opens (or resumes) the workspace and the run, and runs
 * the pair to done or blocked.
 * @throws ConfigError for an invalid ticket, policy or catalog; other TandemErrors for git/sandbox failures.
 */
export async function runLocalTicket(options: RunLocalTicketOptions): Promise<RunRecord> {
  const parsed = Ticket.safeParse(parseYaml(options.ticketText));
  if (!parsed.success) {
    throw new ConfigError(
      'ticket',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const ticket = parsed.data;
  const repo = await realpath(resolve(options.repo));
  const { policy } = await loadPolicy((p) =>
    readFile(join(repo, p), 'utf8').catch(() => undefined),
  );
  const jobId = localJobId(ticket.id, repo);
  const jobDir = join(resolve(options.dataDir), 'workspaces', jobId);
  const workspace = await GitWorkspace.open({
    remote: repo,
    ...(policy.branches.base ? { baseBranch: policy.branches.base } : {}),
    branch: ticketBranchName(policy.branches.ticket, ticket.id, ticket.title),
    gitDir: join(jobDir, 'git'),
    workTree: join(jobDir, 'work'),
  });
  const handle = await createDatabase({ dataDir: resolve(options.dataDir) });
  const provider = new DockerSandboxProvider({ logger: options.logger, poolSize: 0 });
  try {
    await migrateDatabase(handle);
    const manager = new ModelManager({
      catalog: await loadModelCatalog(options.catalogPath),
      logger: options.logger,
    });
    const sandbox = await provider.create({
      image: policy.sandbox.image,
      workspaceDir: workspace.workTree,
      limits: { cpus: policy.sandbox.cpus, memoryMb: policy.sandbox.memoryMb, pids: 256 },
      // `setup`: the policy's setup command (only) gets a network.
      network: policy.sandbox.network,
      jobId,
    });
    try {
      const record = await runPair({
        ticket,
        policy,
        models: sessionModels(
          (used) =>
            manager.forTicket({ policy, priority: policy.priority, ...(used ? { used } : {}) }),
          { settingsOf: (alias) => manager.entry(alias) },
        ),
        store: createDbRunStore(handle.db),
        jobId,
        workspace,
        sandbox,
        logger: options.logger,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      await finishLocalTicket(handle.db, jobId, record);
      return record;
    } finally {
      await sandbox.destroy();
    }
  } finally {
    await provider.close();
    await handle.close();
  }
}

/**
 * The job id of a local run: `local-<ticket>-<first 12 hex of sha256(real repo path)>`, so rerunning the
 * same ticket on the same repository resumes its run.
 */
export function localJobId(ticketId: string | number, realRepoPath: string): string {
  return `local-${ticketId}-${createHash('sha256').update(realRepoPath).digest('hex').slice(0, 12)}`;
}

/** One progress line: elapsed, cycle, criterion, phase, tests passing/failing, tokens, what is going on. */
export function formatProgress(p: PairProgress): string {
  const criterion = Math.min(p.criterion + 1, p.criteria);
  return `[${(p.elapsedMs / 1000).toFixed(1)}s] cycle ${p.cycle} · criterion ${criterion}/${p.criteria} · ${p.phase} · tests ${p.passing} passing, ${p.failing} failing · ${p.tokens} tokens · ${p.message}`;
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
        const record = await runLocalTicket({
          repo: opts.repo,
          ticketText,
          dataDir: process.env.TANDEM_DATA_DIR ?? '.tandem',
          ...(catalogPath ? { catalogPath } : {}),
          logger,
          onProgress: (p) => display.update(p),
        });
        display.stop();
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
