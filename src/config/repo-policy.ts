/**
 * Repository policy: the schema of `.github/tandem.yml` (also `.gitea/tandem.yml`, `.tandem.yml`).
 * Every key has a default, so an empty file (or no file) is a valid policy. docs/configuration.md
 * documents each key; keep the two in step. Model aliases are names from the server's catalog: a policy
 * can never name a URL or a provider (checked here for shape, and against the catalog by `src/llm`).
 */
import { z } from 'zod';

/** Agent roles that call models. */
export const Role = z.enum(['pm', 'architect', 'developer', 'tester', 'reviewer']);
export type Role = z.infer<typeof Role>;
export const ROLES: readonly Role[] = Role.options;

/** Forge permission levels, lowest first (GitHub's names; Gitea's `owner` maps to `admin`). */
export const Permission = z.enum(['read', 'triage', 'write', 'maintain', 'admin']);
export type Permission = z.infer<typeof Permission>;

/** A catalog alias: a short name, never a URL, a path or a provider-qualified reference. */
export const AliasName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/i,
    'must be a model alias from the server catalog (letters, digits, ".", "_", "-"), not a URL or provider',
  );

/** Which model alias each role uses, and the escalation chain tried after it when it keeps failing. */
export const RoleModels = z
  .strictObject({
    /** Alias used first. */
    alias: AliasName,
    /** Aliases tried in order when the role escalates; empty means no escalation. */
    escalation: z.array(AliasName).max(8).default([]),
  })
  .superRefine((value, ctx) => {
    // An escalation chain that names the role's own alias, or one alias twice, would retry a model
    // that has already failed: a waste of the ticket's budget, so it is rejected here.
    const seen = new Set([value.alias]);
    value.escalation.forEach((alias, index) => {
      if (seen.has(alias)) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', index],
          message:
            alias === value.alias
              ? `repeats the role's own alias "${alias}"`
              : `names "${alias}" twice in the escalation chain`,
        });
      }
      seen.add(alias);
    });
  });
export type RoleModels = z.infer<typeof RoleModels>;

/** Default alias for every role: the embedded llama.cpp coder model of the default catalog. */
export const DEFAULT_ALIAS = 'local-coder';

/**
 * Default escalation chain of every role: the built-in 7B coder of the default catalog (`local-coder-7b`),
 * tried when the 1.5B default keeps failing a phase or answers planning steps invalidly.
 */
export const DEFAULT_ESCALATION: readonly string[] = ['local-coder-7b'];

const roleDefault = (alias: string): RoleModels => ({ alias, escalation: [...DEFAULT_ESCALATION] });

export const ModelsPolicy = z.strictObject({
  /** `local-only` refuses catalog aliases marked `remote`. */
  privacy: z.enum(['local-only', 'any']).default('local-only'),
  pm: RoleModels.default(roleDefault(DEFAULT_ALIAS)),
  architect: RoleModels.default(roleDefault(DEFAULT_ALIAS)),
  developer: RoleModels.default(roleDefault(DEFAULT_ALIAS)),
  tester: RoleModels.default(roleDefault(DEFAULT_ALIAS)),
  reviewer: RoleModels.default(roleDefault(DEFAULT_ALIAS)),
  /**
   * Catalog alias of `kind: embedding` that embeds project memory for vector search; absent: memory is
   * searched by full text only. The privacy rule applies as for the roles.
   */
  embedding: AliasName.optional(),
});
export type ModelsPolicy = z.infer<typeof ModelsPolicy>;

/** Per-ticket budgets; a ticket that exceeds one is blocked with a diagnosis. */
export const Budgets = z.strictObject({
  /** Red/green cycles per ticket. */
  cycles: z.number().int().min(1).max(100).default(12),
  /** Attempts per phase before the role escalates. */
  attemptsPerPhase: z.number().int().min(1).max(20).default(3),
  /** Model tokens (input + output) per ticket. */
  tokens: z.number().int().min(1_000).default(2_000_000),
  /** Wall-clock minutes per ticket. */
  minutes: z
    .number()
    .min(1)
    .max(24 * 60)
    .default(120),
  /** US dollars per ticket (remote models only; local models cost 0). */
  costUsd: z.number().min(0).default(5),
  /**
   * Revise runs per ticket ("changes requested" reviews acted on); later reviews get a note and are left
   * to a person. Revise runs share the ticket's token and dollar budgets with its first run.
   */
  revisions: z.number().int().min(0).max(20).default(3),
  /**
   * Model tokens per request: the PM's and the Architect's calls plus every ticket of the request. The PM
   * and the Architect stop at it; no further ticket of the request starts once it is used up.
   */
  requestTokens: z.number().int().min(1_000).default(20_000_000),
  /** US dollars per request, counted like `requestTokens` (paid calls only). */
  requestCostUsd: z.number().min(0).default(50),
});
export type Budgets = z.infer<typeof Budgets>;

/**
 * Per-repository quotas over calendar periods (UTC), counted from the recorded model calls. At a quota
 * the repository pauses (one comment on its dashboard issue) and resumes when the next period starts.
 * Unset means no quota, unless the operator set a cap, which then applies.
 */
export const Quotas = z.strictObject({
  /** Model tokens (input + output) per UTC day. */
  tokensPerDay: z.number().int().min(1_000).optional(),
  /** US dollars per UTC calendar month (paid calls only). */
  costUsdPerMonth: z.number().min(0).optional(),
});
export type Quotas = z.infer<typeof Quotas>;
/** The quota keys: `tokensPerDay`, `costUsdPerMonth`. */
export type QuotaKey = keyof Quotas;

/** How the repository's code is built and tested inside the sandbox. */
export const SandboxPolicy = z.strictObject({
  /** Image name; must be one the server operator allows (see TANDEM_SANDBOX_IMAGES). */
  image: z.string().min(1).default('tandem-sandbox:latest'),
  /** argv run once per job before tests (e.g. `["npm","ci"]`); gets a network only when `network: setup`. */
  setup: z.array(z.string().min(1)).default([]),
  /** argv that runs the whole test suite; `{junit}` is replaced by a JUnit XML report path. */
  test: z.array(z.string().min(1)).min(1).default(['npm', 'test']),
  /** Globs (minimatch, relative to the repository root) that identify test files. */
  testGlobs: z
    .array(
      z
        .string()
        .min(1)
        .refine(
          (g) => !g.startsWith('/') && !g.split('/').includes('..'),
          'must be relative to the repository root (no leading "/", no "..")',
        ),
    )
    .min(1)
    .default([
      '**/*.test.*',
      '**/*.spec.*',
      '**/test/**',
      '**/tests/**',
      '**/__tests__/**',
      '**/test_*.py',
      '**/*_test.py',
      '**/*_test.go',
    ]),
  /** `none`: never a network. `setup`: network during the setup command only. */
  network: z.enum(['none', 'setup']).default('none'),
  /** CPUs (fractional allowed). */
  cpus: z.number().positive().max(64).default(1),
  /** Memory limit in MiB. */
  memoryMb: z.number().int().min(64).max(65_536).default(2_048),
  /** Wall-clock limit for one command, in seconds. */
  commandTimeoutSeconds: z.number().int().min(1).max(3_600).default(600),
  /**
   * Disk the workspace may use, in MiB; 0 means the server's default (`TANDEM_SANDBOX_DISK_MB`). The
   * server's cap (`TANDEM_SANDBOX_DISK_MB_MAX`) bounds it. Over it, the ticket is blocked.
   */
  diskMb: z
    .number()
    .int()
    .min(0)
    .max(1_048_576)
    .refine((mb) => mb === 0 || mb >= 16, 'must be 0 (the server default) or at least 16')
    .default(0),
});
export type SandboxPolicy = z.infer<typeof SandboxPolicy>;

const BranchPrefix = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'must be a valid git ref prefix')
  .refine(
    (s) => !s.includes('..') && !s.endsWith('.lock') && !s.includes('//'),
    'must be a valid git ref prefix',
  );

export const BranchesPolicy = z
  .strictObject({
    /** Spec branches are `<spec><issue>`, e.g. `tandem/spec-12`. */
    spec: BranchPrefix.default('tandem/spec-'),
    /** Ticket branches are `<ticket><issue>-<slug>`, e.g. `tandem/14-add-parser`. */
    ticket: BranchPrefix.default('tandem/'),
    /** Base branch; empty means the repository's default branch. */
    base: z
      .string()
      .refine(
        (s) => s === '' || (BranchPrefix.safeParse(s).success && !s.endsWith('/')),
        'must be empty or a valid branch name',
      )
      .default(''),
  })
  .refine((b) => b.spec !== b.ticket, {
    path: ['spec'],
    message: 'must differ from branches.ticket so spec and ticket branches stay apart',
  });
export type BranchesPolicy = z.infer<typeof BranchesPolicy>;

/** Project memory: what the agents remember of this repository (src/memory/). */
export const MemoryPolicy = z.strictObject({
  /**
   * Remember specs, plans, reviews, run diagnoses, repository facts and a code index, and let the agents
   * recall them; false writes nothing and recalls nothing for this repository.
   */
  enabled: z.boolean().default(true),
});
export type MemoryPolicy = z.infer<typeof MemoryPolicy>;

export const RepoPolicy = z.strictObject({
  /** Label that hands an issue to Tandem. */
  triggerLabel: z.string().min(1).max(50).default('tandem'),
  /** Handle every new issue, not only labelled ones. */
  allIssues: z.boolean().default(false),
  /** Minimum permission for /approve, /reject, /stop, /retry, /pause, /resume, /escalate. */
  approverPermission: Permission.default('write'),
  /**
   * Minimum permission for a free-text comment to reach the PM (besides the request's own author, who is
   * always heard), and for a review to start a revision or send a spec back to drafting.
   */
  chatPermission: Permission.default('write'),
  /** Accept a free-text approval classified by the PM (otherwise the PM asks for `/approve`). */
  inferApproval: z.boolean().default(false),
  /** Directory for spec files; specs are `<specPath>/<issue>-<slug>.md`. */
  specPath: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a relative directory path')
    .refine((s) => !s.split('/').includes('..'), 'must stay inside the repository')
    .default('docs/specs'),
  /** Merge the spec PR on approval; false labels it `tandem:approved` instead. */
  mergeSpec: z.boolean().default(true),
  branches: BranchesPolicy.default(BranchesPolicy.parse({})),
  models: ModelsPolicy.default(ModelsPolicy.parse({})),
  budgets: Budgets.default(Budgets.parse({})),
  sandbox: SandboxPolicy.default(SandboxPolicy.parse({})),
  memory: MemoryPolicy.default(MemoryPolicy.parse({})),
  /**
   * Priority for this repository, 1 (highest) to 10: orders its jobs, weighs its share of model slots
   * (weight 11 − priority), and lets its waiting pair jobs pause lower-priority ones at a safe point.
   */
  priority: z.number().int().min(1).max(10).default(5),
  /** Tickets of this repository running at once (the concurrent-ticket quota). */
  maxActiveTickets: z.number().int().min(1).max(50).default(2),
  quotas: Quotas.default(Quotas.parse({})),
});
export type RepoPolicy = z.infer<typeof RepoPolicy>;

/** Where the policy file is looked up, first match wins. */
export const POLICY_PATHS: readonly string[] = [
  '.github/tandem.yml',
  '.gitea/tandem.yml',
  '.tandem.yml',
];

/** The policy of a repository without a policy file. */
export const DEFAULT_POLICY: RepoPolicy = RepoPolicy.parse({});
