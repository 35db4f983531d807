import type { ConfigIssue } from '../errors/index.js';
import type { RepoPolicy } from './repo-policy.js';

/** What the server operator allows; a repository policy must stay inside it. */
export interface ServerLimits {
  /** `TANDEM_SANDBOX_IMAGES`: images `sandbox.image` may name (absent: not checked). */
  sandboxImages?: readonly string[];
  /** `TANDEM_SANDBOX_DISK_MB_MAX`: the largest `sandbox.diskMb` a policy may ask for, in MiB. */
  sandboxDiskMbMax?: number;
  /**
   * More server-side checks, each returning issues with dotted paths; the worker passes
   * `(p) => validatePolicyModels(p.models, catalog)` from `src/llm` (aliases exist, privacy holds),
   * so `src/config` needs no knowledge of the model catalog.
   */
  checks?: readonly ((policy: RepoPolicy) => ConfigIssue[])[];
  /** The operator's caps on what a policy may ask for; a value above its cap is a configuration error. */
  caps?: PolicyCaps;
}

/**
 * Operator caps on repository policy (server environment, `TANDEM_MAX_*`): sandbox size, per-ticket
 * budgets, and whether the setup command may have a network. Absent fields are not capped.
 */
export interface PolicyCaps {
  sandboxCpus?: number;
  /** MiB. */
  sandboxMemoryMb?: number;
  /** Seconds per sandbox command. */
  commandSeconds?: number;
  /** Tokens per ticket. */
  ticketTokens?: number;
  /** US dollars per ticket. */
  ticketCostUsd?: number;
  /** Wall-clock minutes per ticket. */
  ticketMinutes?: number;
  /** Revise runs per ticket. */
  revisions?: number;
  /** false: `sandbox.network: setup` is refused. */
  setupNetwork?: boolean;
}

/** The capped policy values: [dotted path, value, cap key]. */
function cappedValues(policy: RepoPolicy): [string, number, keyof PolicyCaps][] {
  return [
    ['sandbox.cpus', policy.sandbox.cpus, 'sandboxCpus'],
    ['sandbox.memoryMb', policy.sandbox.memoryMb, 'sandboxMemoryMb'],
    ['sandbox.commandTimeoutSeconds', policy.sandbox.commandTimeoutSeconds, 'commandSeconds'],
    ['budgets.tokens', policy.budgets.tokens, 'ticketTokens'],
    ['budgets.costUsd', policy.budgets.costUsd, 'ticketCostUsd'],
    ['budgets.minutes', policy.budgets.minutes, 'ticketMinutes'],
    ['budgets.revisions', policy.budgets.revisions, 'revisions'],
  ];
}

/** Issues for the values of `policy` above the operator's `caps`. */
export function checkPolicyCaps(policy: RepoPolicy, caps: PolicyCaps): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [path, value, key] of cappedValues(policy)) {
    const cap = caps[key];
    if (typeof cap === 'number' && value > cap) {
      issues.push({
        path,
        message: `${value} is above this server's limit of ${cap}; ask the operator, or lower it`,
      });
    }
  }
  if (caps.setupNetwork === false && policy.sandbox.network === 'setup') {
    issues.push({
      path: 'sandbox.network',
      message:
        '"setup" is not allowed on this server (the operator disabled setup networks); use "none" and ' +
        'commit what the tests need, or ask the operator',
    });
  }
  return issues;
}

/** `name` and `name:latest` are the same image; digests and explicit tags are kept as written. */
export function normaliseImage(image: string): string {
  const lastComponent = image.slice(image.lastIndexOf('/') + 1);
  return lastComponent.includes(':') || lastComponent.includes('@') ? image : `${image}:latest`;
}

/**
 * Checks a parsed policy against the server's settings, which a repository cannot change:
 * `sandbox.image` must be in the operator's allowlist when one is given (compared after `name` →
 * `name:latest`),
 * `sandbox.diskMb` at most `sandboxDiskMbMax`, other values within the operator's `caps`, then every
 * function in `limits.checks` runs. Returns the issues (dotted paths, no lines); empty means the
 * policy fits. `parsePolicy(text, source, { server })` runs this too and adds the lines.
 */
export function checkPolicyAgainstServer(policy: RepoPolicy, limits: ServerLimits): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const images = limits.sandboxImages;
  if (images && !images.map(normaliseImage).includes(normaliseImage(policy.sandbox.image))) {
    issues.push({
      path: 'sandbox.image',
      message: `image "${policy.sandbox.image}" is not allowed on this server (allowed: ${images.join(', ')})`,
    });
  }
  const maxDisk = limits.sandboxDiskMbMax;
  if (maxDisk !== undefined && policy.sandbox.diskMb > maxDisk) {
    issues.push({
      path: 'sandbox.diskMb',
      message: `${policy.sandbox.diskMb} MiB is over this server's limit of ${maxDisk} MiB`,
    });
  }
  if (limits.caps) {
    issues.push(...checkPolicyCaps(policy, limits.caps));
  }
  for (const check of limits.checks ?? []) {
    issues.push(...check(policy));
  }
  return issues;
}
