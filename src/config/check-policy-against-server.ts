import type { ConfigIssue } from '../errors/index.js';
import type { RepoPolicy } from './repo-policy.js';

/** What the server operator allows; a repository policy must stay inside it. */
export interface ServerLimits {
  /** `TANDEM_SANDBOX_IMAGES`: images `sandbox.image` may name. */
  sandboxImages: readonly string[];
  /** `TANDEM_SANDBOX_DISK_MB_MAX`: the largest `sandbox.diskMb` a policy may ask for, in MiB. */
  sandboxDiskMbMax?: number;
  /**
   * More server-side checks, each returning issues with dotted paths; the worker passes
   * `(p) => validatePolicyModels(p.models, catalog)` from `src/llm` (aliases exist, privacy holds),
   * so `src/config` needs no knowledge of the model catalog.
   */
  checks?: readonly ((policy: RepoPolicy) => ConfigIssue[])[];
}

/** `name` and `name:latest` are the same image; digests and explicit tags are kept as written. */
export function normaliseImage(image: string): string {
  const lastComponent = image.slice(image.lastIndexOf('/') + 1);
  return lastComponent.includes(':') || lastComponent.includes('@') ? image : `${image}:latest`;
}

/**
 * Checks a parsed policy against the server's settings, which a repository cannot change:
 * `sandbox.image` must be in the operator's allowlist (compared after `name` → `name:latest`),
 * `sandbox.diskMb` at most `sandboxDiskMbMax`, then every function in `limits.checks` runs. Returns the issues (dotted paths, no lines); empty means the
 * policy fits. `parsePolicy(text, source, { server })` runs this too and adds the lines.
 */
export function checkPolicyAgainstServer(policy: RepoPolicy, limits: ServerLimits): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const allowed = new Set(limits.sandboxImages.map(normaliseImage));
  if (!allowed.has(normaliseImage(policy.sandbox.image))) {
    issues.push({
      path: 'sandbox.image',
      message: `image "${policy.sandbox.image}" is not allowed on this server (allowed: ${limits.sandboxImages.join(', ')})`,
    });
  }
  const maxDisk = limits.sandboxDiskMbMax;
  if (maxDisk !== undefined && policy.sandbox.diskMb > maxDisk) {
    issues.push({
      path: 'sandbox.diskMb',
      message: `${policy.sandbox.diskMb} MiB is over this server's limit of ${maxDisk} MiB`,
    });
  }
  for (const check of limits.checks ?? []) {
    issues.push(...check(policy));
  }
  return issues;
}
