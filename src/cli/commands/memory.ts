/**
 * `tandem memory`: the operator's view of project memory.
 *
 * - `tandem memory search <owner/repo> <query…> [--kind k…] [--limit n] [--budget tokens]`: the hybrid
 *   search the agents use (full text + vectors, reciprocal rank fusion), printed with provenance.
 * - `tandem memory forget <owner/repo> (--kind k… | --ref r | --all)`: removes memories.
 * - `tandem memory reembed <owner/repo> [--alias a] [--all]`: embeds every memory whose vector is missing
 *   or comes from another model (every memory with `--all`), with the repository's embedding alias.
 *
 * The database is `DATABASE_URL`, else PGlite in `TANDEM_DATA_DIR` (which must not be open in a running
 * `tandem start`: PGlite allows one process); the catalog `--catalog`, else `TANDEM_MODEL_CATALOG`, else the
 * built-in one. The embedding alias is `--alias`, else the one the repository's policy named when the
 * worker last wrote its memory (`models.embedding`); without one, search is full text only. A repository
 * name known on both forges needs `--forge`. Exit codes: 0 done, 1 a readable error on stderr.
 */
import type { Command } from 'commander';
import { and, eq } from 'drizzle-orm';
import { createDatabase, type DatabaseHandle } from '../../db/create-database.js';
import { repositories } from '../../db/schema.js';
import { TandemError, redactSecrets } from '../../errors/index.js';
import { catalogSecrets, loadModelCatalog, type ModelCatalog } from '../../llm/catalog.js';
import { DrizzleModelCallRecorder } from '../../llm/drizzle-model-call-recorder.js';
import { ModelManager } from '../../llm/model-manager.js';
import { DrizzleMemoryStore } from '../../memory/drizzle-memory-store.js';
import { managerEmbedders } from '../../memory/embedder.js';
import { MEMORY_KINDS, MemoryKind, type ForgetSelector } from '../../memory/memory-types.js';
import { ProjectMemory } from '../../memory/project-memory.js';
import { createLogger } from '../../log/logger.js';

/** Where the commands read their settings and write; the CLI passes the process's own. */
export interface MemoryCommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Options every subcommand takes. */
export interface RepositoryOptions {
  /** `github` or `gitea`, when the name is known on both. */
  forge?: string;
  /** Model catalog file. */
  catalog?: string;
}

/** Options of {@link runMemorySearch}. */
export interface MemorySearchOptions extends RepositoryOptions {
  kind?: string[];
  limit?: number;
  budget?: number;
  alias?: string;
}

/** Options of {@link runMemoryForget}. */
export interface MemoryForgetOptions extends RepositoryOptions {
  kind?: string[];
  ref?: string;
  all?: boolean;
}

/** Options of {@link runMemoryReembed}. */
export interface MemoryReembedOptions extends RepositoryOptions {
  alias?: string;
  all?: boolean;
}

/** A bad command line or state, reported on stderr with exit code 1. */
class UsageError extends Error {}

interface Opened {
  handle: DatabaseHandle;
  catalog: ModelCatalog;
  models: ModelManager;
  memory: ProjectMemory;
  repositoryId: number;
  name: string;
}

/** `owner/repo` → its repositories row id. @throws UsageError when unknown or ambiguous */
async function findRepository(
  handle: DatabaseHandle,
  fullName: string,
  forge: string | undefined,
): Promise<number> {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(fullName);
  if (!m?.[1] || !m[2]) {
    throw new UsageError(`"${fullName}" is not a repository name: write owner/repo`);
  }
  if (forge !== undefined && forge !== 'github' && forge !== 'gitea') {
    throw new UsageError(`--forge must be github or gitea, not "${forge}"`);
  }
  const rows = await handle.db
    .select({ id: repositories.id, forge: repositories.forge })
    .from(repositories)
    .where(
      and(
        eq(repositories.owner, m[1]),
        eq(repositories.name, m[2]),
        ...(forge ? [eq(repositories.forge, forge)] : []),
      ),
    );
  if (rows.length === 0) {
    throw new UsageError(`Tandem does not know ${fullName}${forge ? ` on ${forge}` : ''}`);
  }
  if (rows.length > 1) {
    throw new UsageError(
      `${fullName} is known on ${rows.map((r) => r.forge).join(' and ')}: add --forge`,
    );
  }
  return rows[0]?.id ?? 0;
}

/** Opens the database, catalog, models and memory; the caller closes `handle` and `models`. */
async function open(
  fullName: string,
  options: RepositoryOptions,
  io: MemoryCommandIo,
): Promise<Opened> {
  const catalog = await loadModelCatalog(options.catalog ?? io.env.TANDEM_MODEL_CATALOG, io.env);
  const handle = await createDatabase({
    ...(io.env.DATABASE_URL ? { databaseUrl: io.env.DATABASE_URL } : {}),
    ...(io.env.TANDEM_DATA_DIR ? { dataDir: io.env.TANDEM_DATA_DIR } : {}),
  });
  try {
    const repositoryId = await findRepository(handle, fullName, options.forge);
    // Warnings (an embedding model that failed) go to stderr, next to the command's own errors.
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line) => io.stderr(line) },
    });
    const models = new ModelManager({
      catalog,
      logger,
      recorder: new DrizzleModelCallRecorder({ db: handle.db, logger }),
    });
    const memory = new ProjectMemory({
      store: new DrizzleMemoryStore({ db: handle.db }),
      embedders: managerEmbedders(models),
      logger,
    });
    return { handle, catalog, models, memory, repositoryId, name: fullName };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Runs `work` on the opened repository and turns errors into a message and exit code 1. */
async function withRepository(
  fullName: string,
  options: RepositoryOptions,
  io: MemoryCommandIo,
  work: (o: Opened) => Promise<void>,
): Promise<number> {
  let opened: Opened | undefined;
  try {
    opened = await open(fullName, options, io);
    await work(opened);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof TandemError) {
      const secrets = opened ? catalogSecrets(opened.catalog) : [];
      io.stderr(`error: ${redactSecrets(error.message, secrets)}\n`);
      return 1;
    }
    throw error;
  } finally {
    await opened?.models.close();
    await opened?.handle.close();
  }
}

/** Kinds from `--kind`, validated. @throws UsageError for an unknown kind */
function kindsOf(values: readonly string[] | undefined): MemoryKind[] | undefined {
  if (values === undefined || values.length === 0) {
    return undefined;
  }
  return values.map((k) => {
    const parsed = MemoryKind.safeParse(k);
    if (!parsed.success) {
      throw new UsageError(`unknown kind "${k}" (kinds: ${MEMORY_KINDS.join(', ')})`);
    }
    return parsed.data;
  });
}

/**
 * Searches a repository's memory and prints each hit: rank, kind, ref, date, its ranks in the full-text and
 * vector lists, then its content indented.
 * @returns the exit code
 */
export async function runMemorySearch(
  fullName: string,
  query: string,
  options: MemorySearchOptions,
  io: MemoryCommandIo,
): Promise<number> {
  return withRepository(fullName, options, io, async ({ memory, repositoryId }) => {
    const kinds = kindsOf(options.kind);
    if (query.trim() === '') {
      throw new UsageError('the query is empty');
    }
    const alias = options.alias ?? (await memory.store.state(repositoryId))?.embeddingAlias;
    const result = await memory.search(
      { repositoryId, enabled: true, ...(alias ? { embeddingAlias: alias } : {}) },
      {
        query,
        limit: options.limit ?? 10,
        strict: true,
        ...(kinds ? { kinds } : {}),
        ...(options.budget === undefined ? {} : { budgetTokens: options.budget }),
      },
    );
    io.stdout(
      result.mode === 'hybrid'
        ? `${fullName}: hybrid search (full text + vectors of "${alias ?? ''}")\n`
        : `${fullName}: full-text search (no embedding alias: pass --alias or set models.embedding)\n`,
    );
    if (result.hits.length === 0) {
      io.stdout('no memory matches\n');
    }
    result.hits.forEach((h, i) => {
      const rank = (r: number | null): string => (r === null ? '-' : String(r));
      io.stdout(
        `\n${i + 1}. [${h.kind}] ${h.ref}  ${h.updatedAt.toISOString().slice(0, 10)}  ` +
          `score ${h.score.toFixed(4)} (text ${rank(h.ranks.text)}, vector ${rank(h.ranks.vector)})` +
          `${h.truncated ? '  shortened' : ''}\n`,
      );
      io.stdout(`${h.content.replace(/^/gm, '   ')}\n`);
    });
  });
}

/** Forgets memories of a repository. @returns the exit code */
export async function runMemoryForget(
  fullName: string,
  options: MemoryForgetOptions,
  io: MemoryCommandIo,
): Promise<number> {
  const chosen = [options.kind?.length ? 1 : 0, options.ref ? 1 : 0, options.all ? 1 : 0];
  if (chosen.reduce((a, b) => a + b, 0) !== 1) {
    io.stderr('error: say what to forget: exactly one of --kind, --ref or --all\n');
    return 1;
  }
  return withRepository(fullName, options, io, async ({ memory, repositoryId }) => {
    const kinds = kindsOf(options.kind);
    let selector: ForgetSelector;
    if (kinds) {
      selector = { kinds };
    } else if (options.ref) {
      selector = { ref: options.ref };
    } else {
      selector = { all: true };
    }
    const n = await memory.forget(repositoryId, selector);
    io.stdout(`${fullName}: forgot ${n} ${n === 1 ? 'memory' : 'memories'}\n`);
  });
}

/** Re-embeds a repository's memories. @returns the exit code */
export async function runMemoryReembed(
  fullName: string,
  options: MemoryReembedOptions,
  io: MemoryCommandIo,
): Promise<number> {
  return withRepository(fullName, options, io, async ({ memory, repositoryId }) => {
    const alias = options.alias ?? (await memory.store.state(repositoryId))?.embeddingAlias;
    if (!alias) {
      throw new UsageError(
        `${fullName} has no embedding alias: pass --alias, or set models.embedding in its policy`,
      );
    }
    let shown = -1;
    const report = await memory.reembed(repositoryId, alias, {
      ...(options.all ? { all: true } : {}),
      onProgress: (done, total) => {
        // A line per tenth, so logs stay short.
        const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (tenth > shown) {
          shown = tenth;
          io.stderr(`${fullName}: ${done} of ${total} embedded\n`);
        }
      },
    });
    io.stdout(
      `${fullName}: embedded ${report.embedded} ${report.embedded === 1 ? 'memory' : 'memories'} with ` +
        `"${report.alias}" (${report.model}, ${report.dimensions} dimensions)` +
        `${report.reset > 0 ? `; ${report.reset} vectors of another model dropped first` : ''}\n`,
    );
  });
}

const processIo = (): MemoryCommandIo => ({
  env: process.env,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`not a positive whole number: ${value}`);
  }
  return n;
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `tandem memory search|forget|reembed`. */
export function register(program: Command): void {
  const memory = program
    .command('memory')
    .description('project memory of a repository: search, forget, re-embed');
  const common = (c: Command): Command =>
    c
      .option('--forge <forge>', 'github or gitea (when the repository name is known on both)')
      .option(
        '--catalog <file>',
        'model catalog (default: TANDEM_MODEL_CATALOG or the built-in one)',
      );
  common(
    memory
      .command('search')
      .description('hybrid full-text + vector search, as the agents recall')
      .argument('<owner/repo>')
      .argument('<query...>')
      .option('--kind <kind>', `only this kind (repeatable): ${MEMORY_KINDS.join(', ')}`, collect)
      .option('--limit <n>', 'most results (default 10)', positive)
      .option('--budget <tokens>', 'cut the results to this many tokens', positive)
      .option('--alias <alias>', 'embedding alias (default: the one the policy named last)'),
  ).action(async (repo: string, words: string[], opts: MemorySearchOptions) => {
    process.exitCode = await runMemorySearch(repo, words.join(' '), opts, processIo());
  });
  common(
    memory
      .command('forget')
      .description('remove memories: of some kinds, of one ref, or all of them')
      .argument('<owner/repo>')
      .option('--kind <kind>', 'memories of this kind (repeatable)', collect)
      .option('--ref <ref>', 'the memories of this ref (e.g. issue#12)')
      .option('--all', 'every memory of the repository'),
  ).action(async (repo: string, opts: MemoryForgetOptions) => {
    process.exitCode = await runMemoryForget(repo, opts, processIo());
  });
  common(
    memory
      .command('reembed')
      .description('embed the memories whose vector is missing or from another model')
      .argument('<owner/repo>')
      .option('--alias <alias>', 'embedding alias (default: the one the policy named last)')
      .option('--all', 'embed every memory again'),
  ).action(async (repo: string, opts: MemoryReembedOptions) => {
    process.exitCode = await runMemoryReembed(repo, opts, processIo());
  });
}
