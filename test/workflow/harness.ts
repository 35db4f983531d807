/**
 * The workflow on real infrastructure for integration tests: a fresh migrated PGlite and BullMQ on the
 * local Redis (own key prefix per harness), or a database on a PostgreSQL server with BullMQ's PostgreSQL
 * backend in it (`test/helpers/workflow-stores.ts`), a real bare git remote behind the in-memory forge, the real
 * ModelManager with a scripted model (calls recorded in `model_calls`), and the stand-in pair runner. Events go in through the `events`
 * queue, as the ingestion relay puts them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommands } from '../../src/commands/parse-commands.js';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import type { ForgeEvent, RepoRef } from '../../src/forge/forge-event.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../src/llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createProviderFactory, type ProviderFactory } from '../../src/llm/provider-factory.js';
import type { ModelRequest } from '../../src/llm/types.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { createLogger } from '../../src/log/logger.js';
import type { PairRunner } from '../../src/workflow/tickets/pair-runner.js';
import { EVENT_JOB_OPTIONS } from '../../src/ingest/outbox-relay.js';
import { EVENTS_QUEUE } from '../../src/workflow/work-jobs.js';
import { startWorkers, type RunningWorkers } from '../../worker/start-workers.js';
import { openWorkflowStores } from '../helpers/workflow-stores.js';
import type { Database, DatabaseHandle } from '../../src/db/create-database.js';
import type { ProjectMemory } from '../../src/memory/project-memory.js';
import { createGitPairRunner, type GitPairRunner } from './git-pair-runner.js';
import { createBareRepo, createMemoryForge, type MemoryForge } from './memory-forge.js';

export const POLICY = `models:\n  pm: { alias: script }\n  architect: { alias: script }\n`;

/** The PM drafts one spec ("CSV export", two criteria). */
export const PM_SCRIPT = `
- match: { role: pm, step: decide }
  json:
    action: spec
    spec:
      title: CSV export
      slug: csv-export
      summary: Export the report as CSV.
      userStories: [As a user I can download the report as CSV]
      acceptanceCriteria: [exportCsv returns a header line, exportCsv quotes commas]
`;

/** PM drafts one spec; the Architect plans T1 and T2 (T2 depends on T1). */
export const SCRIPT = `${PM_SCRIPT}- match: { role: architect, step: plan }
  json:
    tickets:
      - { key: T1, title: CSV writer, description: Write rows as CSV, acceptanceCriteria: [header line first], dependsOn: [], likelyFiles: [src/csv.js] }
      - { key: T2, title: Export command, description: Wire the writer, acceptanceCriteria: [command writes a file], dependsOn: [T1], likelyFiles: [src/cli.js] }
`;

export const REPO: RepoRef = { owner: 'octo', name: 'app', installationId: 1 };

/** A running workflow and the fakes around it. */
export interface Harness {
  dir: string;
  bare: string;
  database: DatabaseHandle;
  forge: MemoryForge;
  pairs: GitPairRunner;
  models: ModelManager;
  running: RunningWorkers;
  /** Puts an event on the `events` queue (job id = delivery id). */
  send(event: ForgeEvent): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  files: Record<string, string>;
  /** Scripted model answers (default {@link SCRIPT}). */
  script?: string;
  pairs?: GitPairRunner;
  /** Extra wrapping of the pair runner (e.g. counting). */
  wrapPairs?: (runner: PairRunner) => PairRunner;
  /** The workflow's clock (quota periods); default the system clock. */
  now?: () => Date;
  /** `TANDEM_MAX_PAIR_JOBS` (default 2). */
  maxPairJobs?: number;
  /** The Resource Director's checks in pair jobs (see `StartWorkersOptions.pause`). */
  pause?: { pollMs?: number; preemptAfterMs?: number };
  /** Project memory on the harness's database (default: none, as a server without memory). */
  memory?: (db: Database) => ProjectMemory;
  /** Receives every request the model providers are sent (the prompts), in order. */
  prompts?: ModelRequest[];
}

/** The real provider factory, with every request pushed to `prompts` before the provider answers. */
function recordingFactory(prompts: ModelRequest[], modelsDir: string): ProviderFactory {
  const real = createProviderFactory({ modelsDir });
  const factory: ProviderFactory = async (alias, entry) => {
    const provider = await real(alias, entry);
    return new Proxy(provider, {
      get(target, key) {
        if (key === 'complete') {
          return (request: ModelRequest) => {
            prompts.push(request);
            return target.complete(request);
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  };
  return Object.assign(factory, real.close ? { close: real.close } : {});
}

/** Starts the workers on fresh infrastructure; `reader` has read and `maria` write permission. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-flow-'));
  const { database, backend } = await openWorkflowStores();
  const prefix = `test-${randomUUID()}`;
  const bare = await createBareRepo(dir, options.files);
  const forge = createMemoryForge(bare);
  forge.permissions.set('reader', 'read');
  forge.permissions.set('maria', 'write');
  await writeFile(join(dir, 'script.yaml'), options.script ?? SCRIPT);
  const catalog = parseModelCatalog(
    `models:\n  script: { provider: scripted, model: demo, script: ${join(dir, 'script.yaml')} }\n` +
      `  big: { provider: scripted, model: demo, script: ${join(dir, 'script.yaml')} }\n`,
    {},
  );
  const models = new ModelManager({
    catalog,
    recorder: new DrizzleModelCallRecorder({ db: database.db }),
    ...(options.prompts
      ? { providerFactory: recordingFactory(options.prompts, join(dir, 'models')) }
      : {}),
  });
  const pairs = options.pairs ?? createGitPairRunner();
  const running = await startWorkers({
    backend,
    prefix,
    maxPairJobs: options.maxPairJobs ?? 2,
    ...(options.pause ? { pause: options.pause } : {}),
    deps: {
      db: database.db,
      forgeFor: () => forge,
      planningModel: ({ policy, repositoryId, requestId, used }) =>
        models.forTicket({
          policy,
          repositoryId,
          ...(requestId === undefined ? {} : { requestId }),
          ...(used === undefined ? {} : { used }),
        }),
      ...(options.now ? { now: options.now } : {}),
      pairs: options.wrapPairs ? options.wrapPairs(pairs) : pairs,
      permissions: createPermissionChecker({ ttlMs: 60_000 }),
      remoteUrl: () => bare,
      workDir: join(dir, 'jobs'),
      logger: createLogger({ level: 'silent' }),
      ...(options.memory ? { memory: options.memory(database.db) } : {}),
    },
  });
  const events = backend.createQueue(EVENTS_QUEUE, { prefix });
  return {
    dir,
    bare,
    database,
    forge,
    pairs,
    models,
    running,
    send: async (event) => {
      // As the ingestion relay adds them: job id = delivery id, retried with backoff.
      await events.add(event.type, event, { ...EVENT_JOB_OPTIONS, jobId: event.deliveryId });
    },
    async close() {
      pairs.release();
      await running.close();
      await backend.close();
      await models.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the harness, files request #1 with the trigger label and waits until its spec PR is under
 * review; `specPr` is that PR's number.
 */
export async function startAtSpecReview(
  options: HarnessOptions,
): Promise<Harness & { specPr: number }> {
  const h = await startHarness(options);
  h.forge.issues.set(1, issueInfo(1, ['tandem']));
  await h.send(labeled(1));
  const db = h.database.db;
  await until(
    'spec review',
    async () => (await getRequest(db, 1).catch(() => null))?.state === 'spec_review',
  );
  return { ...h, specPr: (await getRequest(db, 1)).specPrNumber! };
}

let seq = 0;
/** Common fields of a test event (fresh delivery id). */
export const base = () => ({ forge: 'github' as const, deliveryId: `d-${++seq}`, repo: REPO });

/** An issue as events carry it. */
export const issueInfo = (n: number, labels: string[], isPullRequest = false) => ({
  number: n,
  title: 'Export the report as CSV',
  body: 'Please add CSV export.',
  state: 'open' as const,
  labels,
  author: 'alice',
  isPullRequest,
  url: `https://forge.test/issues/${n}`,
});

/** A new comment (commands parsed as the normalizer does). */
export const comment = (n: number, author: string, body: string, isPr = false): ForgeEvent => ({
  ...base(),
  type: 'comment.created',
  sender: { login: author, bot: false },
  issue: issueInfo(n, [], isPr),
  comment: { id: 5000 + ++seq, body, author, url: '', commands: parseCommands(body) },
});

/** A pull request as events carry it. */
export const prInfo = (n: number, head: string, merged = true) => ({
  number: n,
  title: '',
  body: '',
  state: merged ? ('closed' as const) : ('open' as const),
  merged,
  draft: false,
  labels: [],
  author: 'tandem[bot]',
  headRef: head,
  headSha: '',
  baseRef: 'main',
  url: '',
});

/** The trigger label put on issue `n`. */
export const labeled = (n: number): ForgeEvent => ({
  ...base(),
  type: 'issue.labeled',
  sender: { login: 'alice', bot: false },
  issue: issueInfo(n, ['tandem']),
  label: 'tandem',
});

/** Polls `fn` every 100 ms until it returns a value other than undefined/false. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits `ms` (to show that something does NOT happen). */
export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
