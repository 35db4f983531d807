/**
 * Tandem's relational state (drizzle-orm, PostgreSQL dialect). Migrations in `migrations/` are generated
 * from this file with `npx drizzle-kit generate`; the `vector` extension is created by a hand-written
 * migration that runs first (drizzle does not create extensions).
 *
 * Conventions: timestamps are `timestamptz`; JSON columns hold zod-validated shapes named in the comment;
 * state columns hold the string-literal unions from DESIGN.md and are validated in code, not by enum types,
 * so adding a state is not a schema change.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * The embedding width whose HNSW index the migrations create (nomic-embed-text and most small local
 * embedders: 768). Vectors of any other width are stored too; their index is made when the first
 * repository claims that width (`ensureVectorIndex` in src/memory/drizzle-memory-store.ts).
 */
export const EMBEDDING_DIMENSIONS = 768;

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * pgvector's `vector` without a width, so one column holds the vectors of every embedding model (each
 * row says its width in `dimensions`). pgvector reads and writes the text form `[1,2,3]` on both drivers.
 */
const anyVector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value) as number[],
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** A repository Tandem serves, on one forge. `paused` is set by `/pause`; `policyError` while the policy is invalid. */
export const repositories = pgTable(
  'repositories',
  {
    id: serial('id').primaryKey(),
    forge: text('forge').notNull(), // 'github' | 'gitea'
    owner: text('owner').notNull(),
    name: text('name').notNull(),
    /** GitHub App installation id; null on Gitea. */
    installationId: bigint('installation_id', { mode: 'number' }),
    defaultBranch: text('default_branch'),
    paused: boolean('paused').notNull().default(false),
    /** Rendered ConfigError of the current policy, or null when the policy is valid. */
    policyError: text('policy_error'),
    /** Number of the open "Tandem configuration error" issue, if any. */
    configIssueNumber: integer('config_issue_number'),
    /** Number of the "Tandem dashboard" issue, once created. */
    dashboardIssueNumber: integer('dashboard_issue_number'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('repositories_forge_owner_name').on(t.forge, t.owner, t.name)],
);

/** One row per accepted webhook delivery; the primary key is what deduplicates redeliveries. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  /** `<forge>-<delivery id>` (BullMQ job ids may not contain `:`). */
  id: text('id').primaryKey(),
  forge: text('forge').notNull(),
  event: text('event').notNull(),
  action: text('action'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Transactional outbox: written with the delivery row, moved to BullMQ by the relay. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id),
    /** Target BullMQ queue, e.g. `events`. */
    queue: text('queue').notNull(),
    /** The normalized ForgeEvent (never raw headers, never secrets). */
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
    relayedAt: timestamp('relayed_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /**
     * Set when the queue refused this row on its own while it took the others (a payload it cannot
     * store): the row is kept for an operator but no longer retried, so it never delays other deliveries.
     */
    parkedAt: timestamp('parked_at', { withTimezone: true }),
  },
  (t) => [
    index('outbox_pending')
      .on(t.id)
      .where(sql`${t.relayedAt} is null and ${t.parkedAt} is null`),
  ],
);

/** A person's request: one issue that goes through spec → approval → tickets. */
export const requests = pgTable(
  'requests',
  {
    id: serial('id').primaryKey(),
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id),
    issueNumber: integer('issue_number').notNull(),
    title: text('title').notNull(),
    /** new | drafting | spec_review | approved | planning | in_progress | done | on_hold | blocked | cancelled */
    state: text('state').notNull().default('new'),
    specPrNumber: integer('spec_pr_number'),
    specPath: text('spec_path'),
    /** Blob sha of the spec file when it was approved (detects edits after approval). */
    approvedSpecSha: text('approved_spec_sha'),
    approvedBy: text('approved_by'),
    /** Why the request is `blocked` (a job that failed for good); cleared when it moves on. */
    blockedReason: text('blocked_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('requests_repository_issue').on(t.repositoryId, t.issueNumber)],
);

/** A ticket: one branch, one pull request. Local `tandem run` tickets have no request or repository. */
export const tickets = pgTable(
  'tickets',
  {
    id: serial('id').primaryKey(),
    requestId: integer('request_id').references(() => requests.id),
    repositoryId: integer('repository_id').references(() => repositories.id),
    /** Issue number on the forge; null for a local ticket. */
    issueNumber: integer('issue_number'),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    /** string[]: testable acceptance criteria, in order. */
    acceptanceCriteria: jsonb('acceptance_criteria').$type<string[]>().notNull().default([]),
    /** number[]: ids of tickets that must be done first. */
    dependsOn: jsonb('depends_on').$type<number[]>().notNull().default([]),
    /** string[]: files the architect expects to change. */
    likelyFiles: jsonb('likely_files').$type<string[]>().notNull().default([]),
    /** backlog | todo | in_progress | review | done | blocked */
    state: text('state').notNull().default('backlog'),
    branch: text('branch'),
    prNumber: integer('pr_number'),
    blockedReason: text('blocked_reason'),
    /** Record<role, number>: position of each role in its escalation chain. */
    escalation: jsonb('escalation').$type<Record<string, number>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('tickets_request').on(t.requestId)],
);

/** One execution of a pair (or revise) job on a ticket, with its checkpoint. */
export const runs = pgTable(
  'runs',
  {
    id: serial('id').primaryKey(),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id),
    /** BullMQ job id, or `local-<uuid>` for `tandem run`. */
    jobId: text('job_id').notNull(),
    kind: text('kind').notNull().default('pair'), // 'pair' | 'revise'
    /** running | done | blocked | stopped | failed */
    status: text('status').notNull().default('running'),
    phase: text('phase').notNull().default('start'),
    cycle: integer('cycle').notNull().default(0),
    lastCommit: text('last_commit'),
    /** Engine checkpoint (phase-specific state, attempts, tokens used); validated by the engine. */
    checkpoint: jsonb('checkpoint').notNull().default({}),
    /** Diagnosis when blocked: what failed, last test output, what was tried. */
    diagnosis: jsonb('diagnosis'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: updatedAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('runs_ticket').on(t.ticketId), uniqueIndex('runs_job').on(t.jobId)],
);

/** Append-only event log: transitions, agent steps, tool calls, commits, comments. */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    repositoryId: integer('repository_id'),
    requestId: integer('request_id'),
    ticketId: integer('ticket_id'),
    runId: integer('run_id'),
    jobId: text('job_id'),
    /** Dotted kind, e.g. `ticket.transition`, `agent.tool_call`, `git.commit`. */
    kind: text('kind').notNull(),
    data: jsonb('data').notNull().default({}),
  },
  (t) => [
    index('events_ticket').on(t.ticketId, t.id),
    index('events_request').on(t.requestId, t.id),
  ],
);

/** Every model call: who asked, which alias answered, what it cost. */
export const modelCalls = pgTable(
  'model_calls',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    alias: text('alias').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    /** pm | architect | developer | tester | reviewer */
    role: text('role').notNull(),
    repositoryId: integer('repository_id'),
    ticketId: integer('ticket_id'),
    /** The request a PM or Architect call worked for (pair calls reach theirs through the ticket). */
    requestId: integer('request_id'),
    runId: integer('run_id'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    latencyMs: integer('latency_ms').notNull().default(0),
    /** US dollars, from the catalog's price per 1M tokens (0 for local models). */
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    /** ok | error | invalid_output | timeout | aborted | circuit_open */
    outcome: text('outcome').notNull(),
    errorCode: text('error_code'),
  },
  (t) => [
    index('model_calls_ticket').on(t.ticketId),
    index('model_calls_request').on(t.requestId),
    // Repository quotas sum a repository's calls since the start of a day or a month.
    index('model_calls_repository_at').on(t.repositoryId, t.at),
  ],
);

/**
 * Long-term project memory of one repository: specs, decisions, plans, review feedback, run diagnoses,
 * repository facts and code chunks, each with its provenance in `ref`, searchable by text and by embedding.
 * One row per (repository, kind, ref): writing the same memory again updates it (src/memory/).
 */
export const memories = pgTable(
  'memories',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id),
    /** spec | decision | plan | ticket | review | diagnosis | fact | code (`MemoryKind`). */
    kind: text('kind').notNull(),
    /**
     * Where it came from: `issue#12`, `pr#40/review/991`, `issue#14/run/t3`, `src/a.ts#parse`, … Unique
     * per repository and kind.
     */
    ref: text('ref').notNull(),
    content: text('content').notNull(),
    /** Record<string, string | number | null>: provenance details (path, lines, commit, file hash, PR). */
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    /** The content's embedding, of width `dimensions`; null until embedded (or after a reset). */
    embedding: anyVector('embedding'),
    /** Width of `embedding`; the partial HNSW indexes are per width (`WHERE dimensions = N`). */
    dimensions: integer('dimensions'),
    search: tsvector('search').generatedAlwaysAs(sql`to_tsvector('english', content)`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('memories_repository_kind_ref').on(t.repositoryId, t.kind, t.ref),
    index('memories_search').using('gin', t.search),
    index('memories_repository_kind').on(t.repositoryId, t.kind, t.createdAt),
    index('memories_unembedded')
      .on(t.repositoryId, t.id)
      .where(sql`${t.embedding} is null`),
    index(`memories_embedding_${EMBEDDING_DIMENSIONS}`)
      .using(
        'hnsw',
        sql`(${t.embedding}::vector(${sql.raw(String(EMBEDDING_DIMENSIONS))})) vector_cosine_ops`,
      )
      .where(sql`${t.dimensions} = ${sql.raw(String(EMBEDDING_DIMENSIONS))}`),
  ],
);

/**
 * Per-repository memory state: which embedding model the stored vectors come from (a search or a write
 * with another model is refused until `tandem memory reembed`), the alias the repository's policy names
 * (what `reembed` uses by default), and the base-branch commit the code index reflects.
 */
export const memoryState = pgTable('memory_state', {
  repositoryId: integer('repository_id')
    .primaryKey()
    .references(() => repositories.id),
  /** `<provider>:<model>` of the stored vectors; null while none is stored. */
  embeddingModel: text('embedding_model'),
  /** Width of the stored vectors. */
  dimensions: integer('dimensions'),
  /** Catalog alias the repository's policy named last (`models.embedding`); null: full-text only. */
  embeddingAlias: text('embedding_alias'),
  /** Base branch and commit the code index was built from. */
  codeBranch: text('code_branch'),
  codeCommit: text('code_commit'),
  updatedAt: updatedAt(),
});
