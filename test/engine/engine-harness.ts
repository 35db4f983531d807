/**
 * Test harness for in-process pair-engine runs: one real Docker sandbox shared by the tests of a file
 * (container start-up is the slow part), and per test its own fixture repository, git directory, PGlite
 * database, job id and ModelManager with the scripted provider. The shared sandbox's workspace directory
 * is emptied and re-filled by each test's `GitWorkspace.open` (its git dir stays outside, per test).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { AgentModels } from '../../src/agents/agent-models.js';
import type { RunRecord } from '../../src/agents/checkpoint.js';
import { finishLocalTicket } from '../../src/workflow/tickets/ticket-store.js';
import { events } from '../../src/db/schema.js';
import { createDbRunStore } from '../../src/agents/db-run-store.js';
import { runPair, type RunPairOptions } from '../../src/agents/pair-engine.js';
import { sessionModels } from '../../src/agents/session-models.js';
import { Ticket } from '../../src/agents/ticket.js';
import { loadPolicy } from '../../src/config/load-policy.js';
import type { RepoPolicy } from '../../src/config/repo-policy.js';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import { ticketBranchName } from '../../src/git/ref-name.js';
import { loadModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import type { ScriptedProvider } from '../../src/llm/providers/scripted-provider.js';
import { createLogger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { FIXTURES, makeLocalRepo } from './local-repo.js';

/** A sandbox container kept for the tests of one file. */
export interface SharedSandbox {
  sandbox: Sandbox;
  /** Host directory mounted at /workspace. */
  workTree: string;
  close(): Promise<void>;
}

const logger = createLogger({ level: 'silent' });

/** The events a run recorded (kind and data), in order. */
export async function eventsOf(
  r: Pick<EngineRun, 'db'>,
): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  const rows = await r.db.db.select().from(events);
  return rows.map((e) => ({ kind: e.kind, data: e.data as Record<string, unknown> }));
}

/**
 * The hooks of a spec file whose tests share one sandbox: started before all, closed after all, and the
 * test's run closed after each. `prepare` makes a test's run (see {@link prepareRun}).
 */
export function sharedSandboxRuns(): { prepare(options: PrepareRunOptions): Promise<EngineRun> } {
  let shared: SharedSandbox | undefined;
  let run: EngineRun | undefined;
  beforeAll(async () => {
    shared = await startSharedSandbox();
  }, 60_000);
  afterAll(async () => {
    await shared?.close();
  });
  afterEach(async () => {
    await run?.close();
    run = undefined;
  });
  return {
    async prepare(options) {
      run = await prepareRun(shared!, options);
      return run;
    },
  };
}

/** Starts one sandbox (limits of the calc fixture) over a fresh host directory. */
export async function startSharedSandbox(
  options: { network?: 'none' | 'setup' } = {},
): Promise<SharedSandbox> {
  const root = await mkdtemp(join(tmpdir(), 'tandem-shared-'));
  const workTree = join(root, 'work');
  await mkdir(workTree);
  const provider = new DockerSandboxProvider({ logger, poolSize: 0 });
  const sandbox = await provider.create({
    image: 'tandem-sandbox:latest',
    workspaceDir: workTree,
    limits: { cpus: 1, memoryMb: 512, pids: 256 },
    network: options.network ?? 'none',
    jobId: `test-${randomUUID()}`,
  });
  return {
    sandbox,
    workTree,
    async close() {
      await sandbox.destroy();
      await provider.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** One prepared engine run. */
export interface EngineRun {
  /** The fixture repository (remote of the workspace). */
  repo: string;
  branch: string;
  jobId: string;
  policy: RepoPolicy;
  workspace: GitWorkspace;
  db: PgliteDatabaseHandle;
  /** A scripted alias's provider (default `script`) of the current process, for `received` assertions. */
  scripted: (alias?: string) => Promise<ScriptedProvider>;
  models: AgentModels;
  /** Runs (or resumes) the pair; `overrides` replace any option. */
  run(overrides?: Partial<RunPairOptions>): Promise<RunRecord>;
  /**
   * What a restarted worker does: a new ModelManager and session (nothing carried in memory), the
   * workspace re-opened from the same git dir and work tree; the database and job id stay.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link prepareRun}. */
export interface PrepareRunOptions {
  /** Script file, relative to test/fixtures/engine (or absolute). */
  script: string;
  /** Ticket file, relative to test/fixtures/engine or absolute (default `ticket.yaml`). */
  ticket?: string;
  /** Changes to the fixture's policy. */
  policy?: (policy: RepoPolicy) => RepoPolicy;
}

/** A fresh repository, git dir, database and ModelManager for one test, over the shared sandbox. */
export async function prepareRun(
  shared: SharedSandbox,
  options: PrepareRunOptions,
): Promise<EngineRun> {
  const local = await makeLocalRepo(options.script);
  for (const entry of await readdir(shared.workTree)) {
    await rm(join(shared.workTree, entry), { recursive: true, force: true });
  }
  const ticket = Ticket.parse(
    parseYaml(await readFile(resolve(FIXTURES, options.ticket ?? 'ticket.yaml'), 'utf8')),
  );
  const loaded = await loadPolicy((p) =>
    readFile(join(local.repo, p), 'utf8').catch(() => undefined),
  );
  const policy = options.policy ? options.policy(loaded.policy) : loaded.policy;
  const branch = ticketBranchName(policy.branches.ticket, ticket.id, ticket.title);
  const openWorkspace = () =>
    GitWorkspace.open({
      remote: local.repo,
      branch,
      gitDir: join(local.dir, 'git'),
      workTree: shared.workTree,
    });
  const catalog = await loadModelCatalog(local.catalog);
  const openModels = () => {
    const manager = new ModelManager({ catalog, logger });
    const models = sessionModels(
      (used) => manager.forTicket({ policy, priority: policy.priority, ...(used ? { used } : {}) }),
      { settingsOf: (alias) => manager.entry(alias) },
    );
    return { manager, models };
  };
  const db = await createTestDatabase();
  let current = openModels();
  const run: EngineRun = {
    repo: local.repo,
    branch,
    jobId: `test-${randomUUID()}`,
    policy,
    workspace: await openWorkspace(),
    db,
    scripted: async (alias = 'script') =>
      (await current.manager.provider(alias)) as ScriptedProvider,
    models: current.models,
    // As `tandem run` does: the run, then its local ticket moved on through the validated transitions.
    run: async (overrides = {}) => {
      const record = await runPair({
        ticket,
        policy,
        models: run.models,
        store: createDbRunStore(db.db),
        jobId: run.jobId,
        workspace: run.workspace,
        sandbox: shared.sandbox,
        logger,
        ...overrides,
      });
      await finishLocalTicket(db.db, overrides.jobId ?? run.jobId, record);
      return record;
    },
    async restart() {
      await current.manager.close();
      current = openModels();
      run.models = current.models;
      run.workspace = await openWorkspace();
    },
    async close() {
      await current.manager.close();
      await db.close();
      await rm(local.dir, { recursive: true, force: true });
    },
  };
  return run;
}
