/**
 * Loads a repository's policy through its forge and keeps the "Tandem configuration error" issue in
 * step with it (DESIGN.md "Configuration"): an invalid policy opens one issue naming every problem
 * (updated in place while it stays invalid) and nothing else runs for the repository; a valid policy
 * closes that issue with a comment.
 */
import { loadPolicy } from '../config/load-policy.js';
import type { RepoPolicy } from '../config/repo-policy.js';
import { ConfigError } from '../errors/config-error.js';
import { recordEvent } from './event-log.js';
import { repoRefOf, updateRepository, type RepositoryRow } from './repository-store.js';
import type { WorkflowDeps } from './workflow-deps.js';

export const CONFIG_ISSUE_TITLE = 'Tandem configuration error';

/** Body of the configuration-error issue for `error`. */
export function renderConfigIssue(error: ConfigError): string {
  return [
    `Tandem cannot work on this repository: \`${error.source}\` is invalid. Nothing runs until it is fixed;`,
    'this issue closes itself when a valid file lands on the default branch.',
    '',
    ...error.issues.map(
      (i) =>
        `- \`${i.path || '(root)'}\`${i.line === undefined ? '' : ` (line ${i.line})`}: ${i.message}`,
    ),
    '',
    'Run `tandem config validate <file>` locally to check a fix.',
  ].join('\n');
}

/** Reads the policy through the forge (default branch). @throws ConfigError when invalid. */
export async function readPolicy(deps: WorkflowDeps, repo: RepositoryRow): Promise<RepoPolicy> {
  const forge = deps.forgeFor(repo.forge === 'gitea' ? 'gitea' : 'github');
  const ref = repoRefOf(repo);
  const { policy } = await loadPolicy(
    async (path) => (await forge.getFile(ref, path))?.content,
    deps.serverLimits ? { server: deps.serverLimits } : {},
  );
  return policy;
}

/**
 * The policy in force, or null when it is invalid (after opening or updating the error issue).
 * A valid policy closes a previously opened error issue. Forge failures propagate (the job retries).
 */
export async function guardPolicy(
  deps: WorkflowDeps,
  repo: RepositoryRow,
): Promise<RepoPolicy | null> {
  const forge = deps.forgeFor(repo.forge === 'gitea' ? 'gitea' : 'github');
  const ref = repoRefOf(repo);
  let policy: RepoPolicy;
  try {
    policy = await readPolicy(deps, repo);
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw error;
    }
    const body = renderConfigIssue(error);
    if (repo.configIssueNumber === null) {
      const issue = await forge.createIssue(ref, { title: CONFIG_ISSUE_TITLE, body });
      await updateRepository(deps.db, repo.id, {
        configIssueNumber: issue.number,
        policyError: error.message,
      });
      await recordEvent(deps.db, {
        kind: 'config.invalid',
        repositoryId: repo.id,
        data: { issue: issue.number, problems: error.issues.length },
      });
    } else if (repo.policyError !== error.message) {
      await forge.updateIssue(ref, repo.configIssueNumber, { body, state: 'open' });
      await updateRepository(deps.db, repo.id, { policyError: error.message });
    }
    deps.logger.warn({ repo: `${repo.owner}/${repo.name}` }, 'repository policy invalid');
    return null;
  }
  if (repo.configIssueNumber !== null) {
    await forge.ensureComment(
      ref,
      repo.configIssueNumber,
      'config-fixed',
      'The configuration is valid again; Tandem is back at work on this repository.',
    );
    await forge.closeIssue(ref, repo.configIssueNumber);
    await updateRepository(deps.db, repo.id, { configIssueNumber: null, policyError: null });
    await recordEvent(deps.db, { kind: 'config.fixed', repositoryId: repo.id });
  }
  return policy;
}

/** The policy for a job, or null when it is invalid now (the events side owns the error issue). */
export async function policyForJob(
  deps: WorkflowDeps,
  repo: RepositoryRow,
): Promise<RepoPolicy | null> {
  try {
    return await readPolicy(deps, repo);
  } catch (error) {
    if (error instanceof ConfigError) {
      return null;
    }
    throw error;
  }
}
