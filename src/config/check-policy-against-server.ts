import type { ConfigIssue } from '../errors/index.js';
import type { RepoPolicy } from './repo-policy.js';

/** What the server operator allows; a repository policy must stay inside it. */
export interface ServerLimits {
  /** `TANDEM_SANDBOX_IMAGES`: images `sandbox.image` may name. */
  sandboxImages: readonly string[];
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
 * `sandbox.image` must be in the operator's allowlist (compared after `name` → `name:latest`), then
 * every function in `limits.checks` runs. Returns the issues (dotted paths, no lines); empty means the
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
  for (const check of limits.checks ?? []) {
    issues.push(...check(policy));
  }
  return issues;
}
