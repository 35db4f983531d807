/**
 * Runs one ticket through the pair on a local repository, no forge: the shared core of `tandem run` and
 * `tandem eval` (each eval task run is exactly this, in its own data directory and repository copy).
 * State lives in the PGlite database under `dataDir`; the ticket branch is pushed into the repository
 * after every commit; running the same ticket on the same repository again resumes the run.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { parse as parseYaml } from 'yaml';
import { sessionModels } from '../agents/session-models.js';
import { createDbRunStore } from '../agents/db-run-store.js';
import { finishLocalTicket } from '../workflow/tickets/ticket-store.js';
import type { RunRecord } from '../agents/checkpoint.js';
import { runPair, type PairProgress } from '../agents/pair-engine.js';
import { Ticket } from '../agents/ticket.js';
import { loadPolicy } from '../config/load-policy.js';
import { createDatabase, type Database } from '../db/create-database.js';
import { migrateDatabase } from '../db/migrate-database.js';
import { events as eventsTable, modelCalls as modelCallsTable } from '../db/schema.js';
import { ConfigError } from '../errors/index.js';
import { GitWorkspace } from '../git/git-workspace.js';
import { ticketBranchName } from '../git/ref-name.js';
import { loadModelCatalog } from '../llm/catalog.js';
import { DrizzleModelCallRecorder } from '../llm/drizzle-model-call-recorder.js';
import type { ModelCallRecord } from '../llm/model-call-recorder.js';
import { ModelManager } from '../llm/model-manager.js';
import type { Logger } from '../log/logger.js';
import { validatePolicyModels } from '../llm/validate-policy-models.js';
import { loadCaBundle } from '../sandbox/ca-bundle.js';
import { DockerSandboxProvider } from '../sandbox/docker-sandbox-provider.js';
import type { SandboxObserver } from '../sandbox/types.js';

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
  /**
   * What the run is doing before the pair's first step, from its first second: the workspace opening,
   * the database, the sandbox starting, the setup command running and finishing, the baseline test run.
   */
  onStage?: (message: string) => void;
  /** The setup command's output lines as they come (see `ExecOptions.onOutput`). */
  onSetupOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Extra CA certificates the setup command trusts (the operator's `TANDEM_SANDBOX_CA_CERTS`: a PEM
   * file; see `loadCaBundle`). Read before anything else, so a bad file fails at once.
   */
  caCertsPath?: string;
  /**
   * Stops the run at any point: between its stages, during the setup (the command is killed) and in the
   * pair (see `RunPairOptions.signal`). The sandbox container is removed, the last checkpoint is kept,
   * and the run throws the signal's reason.
   */
  signal?: AbortSignal;
}

/** One event of the run's log, as stored (`events` table). */
export interface LocalRunEvent {
  kind: string;
  /** When it was appended. */
  at: Date;
  data: Record<string, unknown>;
}

/** What {@link runLocalTicket} returns: the run record plus what this process logged about the run. */
export interface LocalRun {
  record: RunRecord;
  jobId: string;
  /** The run's events (whole log, resumed parts included), oldest first. */
  events: LocalRunEvent[];
  /** Every model call attempt recorded for this run's ticket (`model_calls`), oldest first. */
  modelCalls: ModelCallRecord[];
}

/**
 * Parses the ticket, loads the repository's policy and checks its model aliases against the catalog,
 * opens (or resumes) the workspace and the run, and runs the pair to done or blocked. Every model call is
 * recorded in the data directory's `model_calls` table (with the run's ticket and run ids), as the
 * worker does. Whatever way it ends (done, blocked, an error, `signal`), no sandbox container is left.
 * @throws ConfigError for an invalid ticket, policy, catalog, model aliases or CA file; the signal's
 *   reason when aborted; other TandemErrors for git/sandbox failures.
 */
export async function runLocalTicket(options: RunLocalTicketOptions): Promise<LocalRun> {
  const { signal } = options;
  const stage = (message: string): void => {
    signal?.throwIfAborted();
    options.onStage?.(message);
  };
  const parsed = Ticket.safeParse(parseYaml(options.ticketText));
  if (!parsed.success) {
    throw new ConfigError(
      'ticket',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const ticket = parsed.data;
  const caBundle = options.caCertsPath ? await loadCaBundle(options.caCertsPath) : undefined;
  const repo = await realpath(resolve(options.repo));
  const { policy } = await loadPolicy((p) =>
    readFile(join(repo, p), 'utf8').catch(() => undefined),
  );
  // Before anything is cloned or started: a policy naming aliases this catalog lacks cannot run.
  const catalog = await loadModelCatalog(options.catalogPath);
  const modelIssues = validatePolicyModels(policy.models, catalog);
  if (modelIssues.length > 0) {
    throw new ConfigError('models policy', modelIssues);
  }
  const jobId = localJobId(ticket.id, repo);
  const jobDir = join(resolve(options.dataDir), 'workspaces', jobId);
  const branch = ticketBranchName(policy.branches.ticket, ticket.id, ticket.title);
  stage(`opening the workspace: ${repo}, branch ${branch}`);
  const workspace = await GitWorkspace.open({
    remote: repo,
    ...(policy.branches.base ? { baseBranch: policy.branches.base } : {}),
    branch,
    gitDir: join(jobDir, 'git'),
    workTree: join(jobDir, 'work'),
  });
  stage('opening the database');
  const handle = await createDatabase({ dataDir: resolve(options.dataDir) });
  const provider = new DockerSandboxProvider({
    logger: options.logger,
    poolSize: 0,
    workerId: localRunWorkerId(),
    ...(caBundle ? { caBundle } : {}),
    observer: setupObserver(policy.sandbox.setup, options),
  });
  try {
    await migrateDatabase(handle);
    const store = createDbRunStore(handle.db);
    // Opened here (runPair finds the same row by job id) so model calls carry the run's ids.
    const run = await store.openRun({ jobId, ticket: { ...ticket, id: String(ticket.id) } });
    const manager = new ModelManager({
      catalog,
      recorder: new DrizzleModelCallRecorder({ db: handle.db, logger: options.logger }),
      logger: options.logger,
    });
    stage(`starting the sandbox (${policy.sandbox.image})`);
    // An abort from here on is seen by the pair (or by the checks below); the sandbox is removed by
    // its `finally`, and by the provider's close should anything slip between.
    const sandbox = await provider.create({
      image: policy.sandbox.image,
      workspaceDir: workspace.workTree,
      limits: { cpus: policy.sandbox.cpus, memoryMb: policy.sandbox.memoryMb, pids: 256 },
      // `setup`: the policy's setup command (only) gets a network.
      network: policy.sandbox.network,
      jobId,
    });
    let record: RunRecord;
    try {
      signal?.throwIfAborted();
      record = await runPair({
        ticket,
        policy,
        models: sessionModels(
          (used) =>
            manager.forTicket({
              policy,
              priority: policy.priority,
              ticketId: run.ticketId,
              runId: run.runId,
              ...(used ? { used } : {}),
            }),
          { settingsOf: (alias) => manager.entry(alias) },
        ),
        store,
        jobId,
        workspace,
        sandbox,
        logger: options.logger,
        onProgress: baselineLabelled(options),
        ...(signal ? { signal } : {}),
      });
      await finishLocalTicket(handle.db, jobId, record);
    } finally {
      await sandbox.destroy();
      await manager.close();
    }
    return { record, jobId, ...(await runLog(handle.db, run.runId, run.ticketId)) };
  } finally {
    await provider.close();
    await handle.close();
  }
}

/**
 * The provider's observer for a local run: the first command, when it is the policy's setup, is reported
 * as a stage with its output lines, its end and its duration.
 */
function setupObserver(
  setup: readonly string[],
  options: Pick<RunLocalTicketOptions, 'onStage' | 'onSetupOutput' | 'signal'>,
): SandboxObserver {
  return ({ argv, index, network }) => {
    if (index !== 0 || setup.length === 0 || argv.join('\0') !== setup.join('\0')) {
      return undefined;
    }
    options.onStage?.(
      `setup running: ${argv.join(' ')}${network ? ' (with the setup network)' : ''}`,
    );
    return {
      ...(options.onSetupOutput ? { onOutput: options.onSetupOutput } : {}),
      onEnd(outcome) {
        if (!('result' in outcome)) {
          return;
        }
        const { exitCode, timedOut, durationMs } = outcome.result;
        const took = `${(durationMs / 1000).toFixed(1)}s`;
        let message = `setup failed with exit code ${exitCode} after ${took}`;
        if (options.signal?.aborted) {
          message = `setup interrupted after ${took}`;
        } else if (timedOut) {
          message = `setup timed out after ${took}`;
        } else if (exitCode === 0) {
          message = `setup finished in ${took}`;
        }
        options.onStage?.(message);
      },
    };
  };
}

/**
 * The caller's progress listener, with the baseline named: a fresh run's first progress is the test run
 * made before any step (the engine reports it as `running the tests`, before any step has started).
 */
function baselineLabelled(
  options: Pick<RunLocalTicketOptions, 'onProgress'>,
): (progress: PairProgress) => void {
  let first = true;
  return (progress) => {
    const baseline = first && progress.message === 'running the tests';
    first = false;
    options.onProgress?.(
      baseline
        ? { ...progress, message: 'baseline test run (the suite must pass before any change)' }
        : progress,
    );
  };
}

/** The events and model calls of one run, oldest first. */
async function runLog(
  db: Database,
  runId: number,
  ticketId: number,
): Promise<Pick<LocalRun, 'events' | 'modelCalls'>> {
  const eventRows = await db
    .select()
    .from(eventsTable)
    .where(eq(eventsTable.runId, runId))
    .orderBy(eventsTable.id);
  const callRows = await db
    .select()
    .from(modelCallsTable)
    .where(eq(modelCallsTable.ticketId, ticketId))
    .orderBy(modelCallsTable.id);
  return {
    events: eventRows.map((e) => ({
      kind: e.kind,
      at: e.at,
      data: (e.data ?? {}) as Record<string, unknown>,
    })),
    modelCalls: callRows.map((c) => ({
      alias: c.alias,
      provider: c.provider,
      model: c.model,
      role: c.role as ModelCallRecord['role'],
      ticketId: c.ticketId ?? ticketId,
      runId: c.runId ?? runId,
      inputTokens: c.inputTokens,
      outputTokens: c.outputTokens,
      latencyMs: c.latencyMs,
      costUsd: c.costUsd,
      outcome: c.outcome as ModelCallRecord['outcome'],
      ...(c.errorCode ? { errorCode: c.errorCode } : {}),
    })),
  };
}

/**
 * The sandbox provider's worker id (a container label) of a local run in this process:
 * `<host>-run-<pid>`, so its containers can be told apart from a worker's and from other runs'.
 */
export function localRunWorkerId(pid: number = process.pid): string {
  return `${hostname()}-run-${pid}`;
}

/**
 * The job id of a local run: `local-<ticket>-<first 12 hex of sha256(real repo path)>`, so rerunning the
 * same ticket on the same repository resumes its run.
 */
export function localJobId(ticketId: string | number, realRepoPath: string): string {
  return `local-${ticketId}-${createHash('sha256').update(realRepoPath).digest('hex').slice(0, 12)}`;
}
