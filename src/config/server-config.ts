/**
 * Server settings from the environment: one pure function, `loadServerConfig(env)`, in the manner of
 * Probot's `readEnvOptions`, but validated with zod and failing with ONE `ConfigError` (source
 * `environment`) that names every bad or missing variable. Messages never contain a variable's value,
 * so a mistyped secret is never printed. docs/configuration.md documents each variable and its default.
 */
import type { PolicyCaps } from './check-policy-against-server.js';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { readUtf8, resolvePrivateKey } from './resolve-private-key.js';
import { parseWebhookSecrets } from './webhook-secrets-file.js';

/** pino levels, plus `silent`. */
export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'must be one of fatal, error, warn, info, debug, trace, silent',
});
export type LogLevel = z.infer<typeof LogLevel>;

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `must be a whole number from ${min} to ${max}`)
        .max(max, `must be a whole number from ${min} to ${max}`),
    );

/** A positive decimal number (e.g. `1.5`) up to `max`. */
const decimal = (max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number from 0 to ${max}`)
    .transform(Number)
    .pipe(z.number().max(max, `must be a number from 0 to ${max}`));

/** A URL with one of `protocols` (e.g. `['postgres:', 'postgresql:']`); the value is never echoed. */
const urlWith = (protocols: readonly string[], what: string) =>
  z.string().refine(
    (s) => {
      try {
        const u = new URL(s);
        return protocols.includes(u.protocol) && u.hostname !== '';
      } catch {
        return false;
      }
    },
    `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')})`,
  );

/** Comma-separated list; blanks dropped; each item must match `item`. */
const commaList = (item: RegExp, what: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    )
    .pipe(z.array(z.string().regex(item, `each entry must be ${what}`)));

const bool = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(
    z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
      error: 'must be true or false',
    }),
  )
  .transform((s) => ['true', '1', 'yes', 'on'].includes(s));

const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[bot\])?$/;
/** A repository-relative glob: no leading `/`, no `..` segment, no blanks or commas. */
const GLOB = /^(?!\/)(?!(.*\/)?\.\.(\/|$))[^\s,]+$/;
const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/;

/**
 * The environment variables Tandem reads, as strings in, typed values out. Blank values count as
 * unset. Cross-variable rules (the GitHub and Gitea all-or-nothing groups) are checked by
 * {@link loadServerConfig}, which also reads `PRIVATE_KEY_PATH`.
 */
export const ServerEnv = z.object({
  PORT: int(1, 65_535).optional(),
  HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address')
    .optional(),
  LOG_LEVEL: LogLevel.optional(),
  TANDEM_DATA_DIR: z.string().optional(),
  DATABASE_URL: urlWith(['postgres:', 'postgresql:'], 'PostgreSQL').optional(),
  REDIS_URL: urlWith(['redis:', 'rediss:'], 'Redis').optional(),
  TANDEM_PUBLIC_URL: urlWith(['http:', 'https:'], 'http(s)').optional(),
  APP_ID: z
    .string()
    .regex(/^\d+$/, 'must be the numeric GitHub App id')
    .transform(Number)
    .optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  GHE_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name without scheme, e.g. github.example.com')
    .optional(),
  GHE_PROTOCOL: z.enum(['http', 'https'], { error: 'must be http or https' }).optional(),
  GITEA_URL: urlWith(['http:', 'https:'], 'http(s)')
    .refine((s) => URL.canParse(s) && new URL(s).username === '', 'must not contain credentials')
    .optional(),
  GITEA_TOKEN: z.string().optional(),
  GITEA_WEBHOOK_SECRET: z.string().optional(),
  GITEA_WEBHOOK_SECRETS_FILE: z.string().optional(),
  GITEA_BOT_LOGIN: z.string().regex(LOGIN, 'must be a user login').optional(),
  TANDEM_BOT_LOGINS: commaList(LOGIN, 'a user login').optional(),
  TANDEM_GITHUB_SETUP: bool.optional(),
  TANDEM_MODEL_CATALOG: z.string().optional(),
  TANDEM_MODEL_CACHE_DIR: z.string().optional(),
  TANDEM_SANDBOX_IMAGES: commaList(IMAGE, 'a Docker image reference such as name:tag')
    .refine((a) => a.length > 0, 'must name at least one image')
    .optional(),
  TANDEM_SANDBOX_POOL_SIZE: int(0, 32).optional(),
  TANDEM_SANDBOX_DISK_MB: int(16, 1_048_576).optional(),
  TANDEM_SANDBOX_DISK_MB_MAX: int(16, 1_048_576).optional(),
  TANDEM_PROTECTED_PATHS: commaList(
    GLOB,
    'a repository-relative glob (no leading "/", no "..")',
  ).optional(),
  TANDEM_MAX_PAIR_JOBS: int(1, 64).optional(),
  TANDEM_PERMISSION_CACHE_SECONDS: int(0, 86_400).optional(),
  TANDEM_SHUTDOWN_GRACE_SECONDS: int(0, 3_600).optional(),
  TANDEM_MAX_SANDBOX_CPUS: decimal(64).optional(),
  TANDEM_MAX_SANDBOX_MEMORY_MB: int(64, 1_048_576).optional(),
  TANDEM_MAX_COMMAND_SECONDS: int(1, 86_400).optional(),
  TANDEM_MAX_TICKET_TOKENS: int(1_000, 1_000_000_000).optional(),
  TANDEM_MAX_TICKET_COST_USD: decimal(1_000_000).optional(),
  TANDEM_MAX_TICKET_MINUTES: int(1, 10_080).optional(),
  TANDEM_MAX_REVISIONS: int(0, 100).optional(),
  TANDEM_ALLOW_SETUP_NETWORK: bool.optional(),
});
export type ServerEnv = z.infer<typeof ServerEnv>;

/** Names of every variable {@link loadServerConfig} reads (docs/configuration.md lists each). */
export const SERVER_ENV_NAMES = Object.keys(ServerEnv.shape) as (keyof ServerEnv)[];

/** GitHub App credentials (Probot's variable names). */
export interface GitHubAppConfig {
  appId: number;
  /** PEM private key, from `PRIVATE_KEY` (raw, `\n`-escaped or base64) or the file at `PRIVATE_KEY_PATH`. */
  privateKey: string;
  /** Where the key was read from, when it came from a file. */
  privateKeyPath?: string;
  webhookSecret: string;
  /** GitHub Enterprise Server host name; absent for github.com. */
  gheHost?: string;
  /** Scheme of the GitHub Enterprise Server (`GHE_PROTOCOL`, Probot's variable): `https` unless set. */
  gheProtocol?: 'http' | 'https';
  /** The App's own login, `<slug>[bot]`: never in the environment, looked up at start (`GET /app`). */
  botLogin?: string;
}

/** Gitea bot credentials. */
export interface GiteaConfig {
  /** Base URL without trailing slash, e.g. `https://gitea.example.com`. */
  url: string;
  token: string;
  /** Webhook secret of every repository without its own; absent when only per-repository ones exist. */
  webhookSecret?: string;
  /**
   * Per-repository webhook secrets from `GITEA_WEBHOOK_SECRETS_FILE`, keyed by lower-case `owner/repo`
   * (empty without the file). A listed repository's deliveries must be signed with its own secret.
   */
  repositorySecrets: Map<string, string>;
  /**
   * The bot's login: `GITEA_BOT_LOGIN`, checked at start against the token's user (`GET /api/v1/user`),
   * or, unset, that user's login as looked up at start.
   */
  botLogin?: string;
}

/** Typed server settings; see docs/configuration.md for each variable and its default. */
export interface ServerConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** Data directory (PGlite database, model cache, workspaces), as given (relative to the cwd). */
  dataDir: string;
  /** External PostgreSQL; absent means embedded PGlite in `<dataDir>`. */
  databaseUrl?: string;
  /** Redis for the queue; absent means BullMQ's PostgreSQL backend. */
  redisUrl?: string;
  /** Public base URL of the server (links in comments, Probot setup flow). */
  publicUrl?: string;
  /** Absent when no GitHub variable is set: GitHub is disabled and `start` serves Probot's setup flow. */
  github?: GitHubAppConfig;
  /** Absent when no Gitea variable is set. */
  gitea?: GiteaConfig;
  /** Extra logins whose events are dropped (the bot's own login is always dropped). */
  botLogins: string[];
  /**
   * Serve the GitHub App setup routes (`/probot/...`, behind a one-time token): `TANDEM_GITHUB_SETUP`,
   * by default only when no forge is configured; never when a GitHub App is configured.
   */
  githubSetup: boolean;
  /** Model catalog YAML; absent means the built-in default catalog. */
  modelCatalogPath?: string;
  /** Where GGUF models are cached. */
  modelCacheDir: string;
  /** Images a repository policy may name in `sandbox.image`. */
  sandboxImages: string[];
  /** Warm sandbox containers kept ready. */
  sandboxPoolSize: number;
  /** Disk a sandbox workspace may use when the policy's `sandbox.diskMb` is 0, in MiB. */
  sandboxDiskMb: number;
  /** Largest `sandbox.diskMb` a policy may ask for, in MiB (never below `sandboxDiskMb`). */
  sandboxDiskMbMax: number;
  /** Globs no agent may change, on top of the built-in protected paths. */
  protectedPaths: string[];
  /** Pair jobs running at once in this process. */
  maxPairJobs: number;
  /** How long a forge permission lookup is cached, in seconds. */
  permissionCacheSeconds: number;
  /** How long SIGTERM waits for running jobs to checkpoint, in seconds. */
  shutdownGraceSeconds: number;
  /** The operator's caps on repository policy (`TANDEM_MAX_*`, `TANDEM_ALLOW_SETUP_NETWORK`). */
  policyCaps: PolicyCaps;
}

/** Collaborators of {@link loadServerConfig}; tests pass a fake file reader. */
export interface LoadServerConfigOptions {
  /** Reads `PRIVATE_KEY_PATH` as UTF-8; defaults to `fs.readFileSync`. */
  readFile?: (path: string) => string;
}

const GITHUB_VARS = [
  'APP_ID',
  'PRIVATE_KEY',
  'PRIVATE_KEY_PATH',
  'WEBHOOK_SECRET',
  'GHE_HOST',
  'GHE_PROTOCOL',
];
const GITEA_VARS = [
  'GITEA_URL',
  'GITEA_TOKEN',
  'GITEA_WEBHOOK_SECRET',
  'GITEA_WEBHOOK_SECRETS_FILE',
  'GITEA_BOT_LOGIN',
];

/**
 * Parses server settings from `env`. Blank variables count as unset.
 *
 * GitHub (`APP_ID`, `PRIVATE_KEY` or `PRIVATE_KEY_PATH`, `WEBHOOK_SECRET`, optional `GHE_HOST`) and
 * Gitea (`GITEA_URL`, `GITEA_TOKEN`, `GITEA_WEBHOOK_SECRET` and/or `GITEA_WEBHOOK_SECRETS_FILE`,
 * optional `GITEA_BOT_LOGIN`) are each all-or-nothing: none set disables that forge, some set is an
 * error naming the missing ones. The secrets file is read here (`parseWebhookSecrets`).
 * The private key is normalised as `@probot/get-private-key` does (base64 or `\n`-escaped accepted)
 * and must parse as a private key (`crypto.createPrivateKey`).
 *
 * @throws ConfigError (source `environment`) listing every problem; messages hold names, never values.
 */
export function loadServerConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: LoadServerConfigOptions = {},
): ServerConfig {
  const vars: Record<string, string> = {};
  for (const name of SERVER_ENV_NAMES) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') {
      vars[name] = value;
    }
  }
  const issues: ConfigIssue[] = [];
  const parsed = ServerEnv.safeParse(vars);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ path: String(issue.path[0] ?? '(environment)'), message: issue.message });
    }
  }
  issues.push(...groupIssues(vars));
  const disk = ServerEnv.pick({
    TANDEM_SANDBOX_DISK_MB: true,
    TANDEM_SANDBOX_DISK_MB_MAX: true,
  }).safeParse(vars);
  if (
    disk.success &&
    disk.data.TANDEM_SANDBOX_DISK_MB_MAX !== undefined &&
    disk.data.TANDEM_SANDBOX_DISK_MB_MAX < (disk.data.TANDEM_SANDBOX_DISK_MB ?? DISK_MB)
  ) {
    issues.push({
      path: 'TANDEM_SANDBOX_DISK_MB_MAX',
      message: 'must not be below TANDEM_SANDBOX_DISK_MB (the default a policy gets)',
    });
  }
  const privateKey = resolvePrivateKey(vars, options.readFile ?? readUtf8, issues);
  const repositorySecrets = readRepositorySecrets(vars, options.readFile ?? readUtf8, issues);
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError('environment', issues);
  }
  return build(parsed.data, privateKey, repositorySecrets);
}

/** Default `TANDEM_SANDBOX_DISK_MB` (2 GiB) and `TANDEM_SANDBOX_DISK_MB_MAX` (8 GiB). */
const DISK_MB = 2_048;
const DISK_MB_MAX = 8_192;

/** The secrets of `GITEA_WEBHOOK_SECRETS_FILE` (empty without it); problems go onto `issues`. */
function readRepositorySecrets(
  vars: Record<string, string>,
  readFile: (path: string) => string,
  issues: ConfigIssue[],
): Map<string, string> {
  const path = vars.GITEA_WEBHOOK_SECRETS_FILE;
  if (path === undefined) {
    return new Map();
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    issues.push({ path: 'GITEA_WEBHOOK_SECRETS_FILE', message: `cannot read the file (${code})` });
    return new Map();
  }
  const parsed = parseWebhookSecrets(text, 'GITEA_WEBHOOK_SECRETS_FILE');
  issues.push(...parsed.issues);
  if (parsed.issues.length === 0 && parsed.secrets.size === 0 && !vars.GITEA_WEBHOOK_SECRET) {
    issues.push({
      path: 'GITEA_WEBHOOK_SECRETS_FILE',
      message: 'lists no repository, and GITEA_WEBHOOK_SECRET is not set',
    });
  }
  return parsed.secrets;
}

function build(
  e: ServerEnv,
  privateKey: string | undefined,
  repositorySecrets: Map<string, string>,
): ServerConfig {
  const dataDir = e.TANDEM_DATA_DIR ?? './.tandem';
  const sandboxDiskMb = e.TANDEM_SANDBOX_DISK_MB ?? DISK_MB;
  const config: ServerConfig = {
    port: e.PORT ?? 3000,
    host: e.HOST ?? 'localhost',
    logLevel: e.LOG_LEVEL ?? 'info',
    dataDir,
    botLogins: e.TANDEM_BOT_LOGINS ?? [],
    modelCacheDir: e.TANDEM_MODEL_CACHE_DIR ?? join(dataDir, 'models'),
    sandboxImages: e.TANDEM_SANDBOX_IMAGES ?? ['tandem-sandbox:latest'],
    policyCaps: policyCapsOf(e),
    sandboxPoolSize: e.TANDEM_SANDBOX_POOL_SIZE ?? 1,
    sandboxDiskMb,
    sandboxDiskMbMax: e.TANDEM_SANDBOX_DISK_MB_MAX ?? Math.max(DISK_MB_MAX, sandboxDiskMb),
    protectedPaths: e.TANDEM_PROTECTED_PATHS ?? [],
    maxPairJobs: e.TANDEM_MAX_PAIR_JOBS ?? 1,
    permissionCacheSeconds: e.TANDEM_PERMISSION_CACHE_SECONDS ?? 60,
    shutdownGraceSeconds: e.TANDEM_SHUTDOWN_GRACE_SECONDS ?? 30,
    githubSetup: false,
  };
  if (e.DATABASE_URL !== undefined) {
    config.databaseUrl = e.DATABASE_URL;
  }
  if (e.REDIS_URL !== undefined) {
    config.redisUrl = e.REDIS_URL;
  }
  if (e.TANDEM_PUBLIC_URL !== undefined) {
    config.publicUrl = e.TANDEM_PUBLIC_URL.replace(/\/+$/, '');
  }
  if (e.TANDEM_MODEL_CATALOG !== undefined) {
    config.modelCatalogPath = e.TANDEM_MODEL_CATALOG;
  }
  if (e.APP_ID !== undefined && privateKey !== undefined && e.WEBHOOK_SECRET !== undefined) {
    config.github = { appId: e.APP_ID, privateKey, webhookSecret: e.WEBHOOK_SECRET };
    if (e.PRIVATE_KEY_PATH !== undefined) {
      config.github.privateKeyPath = e.PRIVATE_KEY_PATH;
    }
    if (e.GHE_HOST !== undefined) {
      config.github.gheHost = e.GHE_HOST;
      config.github.gheProtocol = e.GHE_PROTOCOL ?? 'https';
    }
  }
  if (e.GITEA_URL && e.GITEA_TOKEN && (e.GITEA_WEBHOOK_SECRET || repositorySecrets.size > 0)) {
    config.gitea = {
      url: e.GITEA_URL.replace(/\/+$/, ''),
      token: e.GITEA_TOKEN,
      repositorySecrets,
    };
    if (e.GITEA_WEBHOOK_SECRET !== undefined) {
      config.gitea.webhookSecret = e.GITEA_WEBHOOK_SECRET;
    }
    if (e.GITEA_BOT_LOGIN !== undefined) {
      config.gitea.botLogin = e.GITEA_BOT_LOGIN;
    }
  }
  // An App already configured needs no setup; with no forge at all there is nothing else to do.
  config.githubSetup =
    config.github === undefined && (e.TANDEM_GITHUB_SETUP ?? config.gitea === undefined);
  return config;
}

/** All-or-nothing checks for the GitHub and Gitea variable groups. */
function groupIssues(vars: Record<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const has = (name: string) => vars[name] !== undefined;
  if (GITHUB_VARS.some(has)) {
    const setNames = GITHUB_VARS.filter(has).join(', ');
    const missing = ['APP_ID', 'WEBHOOK_SECRET'].filter((n) => !has(n));
    for (const name of missing) {
      issues.push({ path: name, message: `is required for the GitHub App (set: ${setNames})` });
    }
    if (!has('PRIVATE_KEY') && !has('PRIVATE_KEY_PATH')) {
      issues.push({
        path: 'PRIVATE_KEY',
        message: `PRIVATE_KEY or PRIVATE_KEY_PATH is required for the GitHub App (set: ${setNames})`,
      });
    }
    if (has('PRIVATE_KEY') && has('PRIVATE_KEY_PATH')) {
      issues.push({
        path: 'PRIVATE_KEY_PATH',
        message: 'set only one of PRIVATE_KEY and PRIVATE_KEY_PATH',
      });
    }
  }
  if (GITEA_VARS.some(has)) {
    const setNames = GITEA_VARS.filter(has).join(', ');
    for (const name of ['GITEA_URL', 'GITEA_TOKEN'].filter((n) => !has(n))) {
      issues.push({ path: name, message: `is required for Gitea (set: ${setNames})` });
    }
    if (!has('GITEA_WEBHOOK_SECRET') && !has('GITEA_WEBHOOK_SECRETS_FILE')) {
      issues.push({
        path: 'GITEA_WEBHOOK_SECRET',
        message: `GITEA_WEBHOOK_SECRET or GITEA_WEBHOOK_SECRETS_FILE is required for Gitea (set: ${setNames})`,
      });
    }
  }
  return issues;
}

/** The operator's policy caps from the environment; unset variables cap nothing. */
function policyCapsOf(e: ServerEnv): PolicyCaps {
  const caps: PolicyCaps = {};
  const set = <K extends keyof PolicyCaps>(key: K, value: PolicyCaps[K] | undefined): void => {
    if (value !== undefined) {
      caps[key] = value;
    }
  };
  set('sandboxCpus', e.TANDEM_MAX_SANDBOX_CPUS);
  set('sandboxMemoryMb', e.TANDEM_MAX_SANDBOX_MEMORY_MB);
  set('commandSeconds', e.TANDEM_MAX_COMMAND_SECONDS);
  set('ticketTokens', e.TANDEM_MAX_TICKET_TOKENS);
  set('ticketCostUsd', e.TANDEM_MAX_TICKET_COST_USD);
  set('ticketMinutes', e.TANDEM_MAX_TICKET_MINUTES);
  set('revisions', e.TANDEM_MAX_REVISIONS);
  set('setupNetwork', e.TANDEM_ALLOW_SETUP_NETWORK);
  return caps;
}
