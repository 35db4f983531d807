/**
 * Reads a repository's policy through a forge: the first of `POLICY_PATHS` (`.github/tandem.yml`,
 * `.gitea/tandem.yml`, `.tandem.yml`) that exists at `ref` wins; none gives the defaults.
 */
import { loadPolicy, type LoadedPolicy, type ParsePolicyOptions } from '../config/load-policy.js';
import type { Forge, RepoRef } from './types.js';

/**
 * @param ref branch, tag or sha; the default branch when absent
 * @throws ConfigError (source = the file's path) when the file found is invalid
 * @throws ForgeRequestError when the forge cannot be read (anything but "not found")
 */
export function readRepoPolicy(
  forge: Forge,
  repo: RepoRef,
  ref?: string,
  options: ParsePolicyOptions = {},
): Promise<LoadedPolicy> {
  return loadPolicy(async (path) => (await forge.getFile(repo, path, ref))?.content, options);
}
