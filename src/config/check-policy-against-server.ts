import type { ConfigIssue } from '../errors/index.js';
import { ROLES, type RepoPolicy } from './repo-policy.js';

/** What the server operator allows; a repository policy must stay inside it. */
export interface ServerLimits {
  /** `TANDEM_SANDBOX_IMAGES`: images `sandbox.image` may name. */
  sandboxImages: readonly string[];
  /** Aliases of the model catalog; when given, every alias in `models` must be one of them. */
  modelAliases?: readonly string[];
  /** Catalog aliases served remotely; refused while `models.privacy` is `local-only`. */
  remoteAliases?: readonly string[];
}

/** `name` and `name:latest` are the same image; digests and explicit tags are kept as written. */
export function normaliseImage(image: string): string {
  const lastComponent = image.slice(image.lastIndexOf('/') + 1);
  return lastComponent.includes(':') || lastComponent.includes('@') ? image : `${image}:latest`;
}

/**
 * Checks a parsed policy against the server's settings, which a repository cannot change:
 * `sandbox.image` must be in the operator's allowlist (tags compared after `name` → `name:latest`),
 * and, when the catalog is given, every model alias must exist and, under `privacy: local-only`,
 * must not be a remote one. Returns the issues (dotted paths, no lines); empty means the policy fits.
 * `parsePolicy(text, source, { server })` runs this too and adds the lines.
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
  const known = limits.modelAliases ? new Set(limits.modelAliases) : undefined;
  const remote = new Set(limits.remoteAliases ?? []);
  for (const role of ROLES) {
    const { alias, escalation } = policy.models[role];
    const entries: [string, string][] = [
      [`models.${role}.alias`, alias],
      ...escalation.map((a, i): [string, string] => [`models.${role}.escalation[${i}]`, a]),
    ];
    for (const [path, name] of entries) {
      if (known && !known.has(name)) {
        issues.push({
          path,
          message: `model alias "${name}" is not in the server's model catalog`,
        });
      } else if (policy.models.privacy === 'local-only' && remote.has(name)) {
        issues.push({
          path,
          message: `model alias "${name}" is remote, but models.privacy is local-only`,
        });
      }
    }
  }
  return issues;
}
