/**
 * Collaborator permission checks with a short TTL cache, so a burst of commands on a thread costs one
 * forge call per user and repository. Levels are GitHub's, lowest first: read < triage < write <
 * maintain < admin (Gitea's `owner` is mapped to `admin` by its forge); `none` is below all.
 */
import type { Permission } from '../config/repo-policy.js';
import type { Forge, RepoRef } from '../forge/types.js';

const ORDER: readonly (Permission | 'none')[] = [
  'none',
  'read',
  'triage',
  'write',
  'maintain',
  'admin',
];

/** True when `actual` is `required` or higher. */
export function permissionAtLeast(actual: Permission | 'none', required: Permission): boolean {
  return ORDER.indexOf(actual) >= ORDER.indexOf(required);
}

/** Settings and collaborators of {@link createPermissionChecker}. */
export interface PermissionCheckerOptions {
  /** How long a looked-up permission is reused, in ms (`TANDEM_PERMISSION_CACHE_SECONDS` × 1000). */
  ttlMs: number;
  /** Clock in ms since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** Most entries kept; the oldest is evicted beyond it (default 10 000). */
  maxEntries?: number;
}

/** The result of one check. */
export interface PermissionCheck {
  allowed: boolean;
  /** What the forge reported (possibly from the cache). */
  permission: Permission | 'none';
}

export interface PermissionChecker {
  /**
   * Does `login` have at least `required` on `repo`? Throws the forge's `ForgeRequestError` when the
   * lookup fails (a failed lookup is not cached and never counts as allowed).
   */
  check(forge: Forge, repo: RepoRef, login: string, required: Permission): Promise<PermissionCheck>;
  /** Drops every cached entry (e.g. after a `member` or `installation` change). */
  clear(): void;
}

/** Creates a checker with its own cache (one per process; nothing is module-global). */
export function createPermissionChecker(options: PermissionCheckerOptions): PermissionChecker {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { permission: Permission | 'none'; expires: number }>();

  return {
    async check(forge, repo, login, required) {
      const key = `${forge.kind}\u0000${repo.owner}/${repo.name}\u0000${login}`.toLowerCase();
      const hit = cache.get(key);
      let permission: Permission | 'none';
      if (hit && hit.expires > now()) {
        permission = hit.permission;
      } else {
        permission = await forge.getPermission(repo, login);
        cache.delete(key);
        cache.set(key, { permission, expires: now() + options.ttlMs });
        if (cache.size > maxEntries) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) {
            cache.delete(oldest);
          }
        }
      }
      return { allowed: permissionAtLeast(permission, required), permission };
    },
    clear: () => cache.clear(),
  };
}
