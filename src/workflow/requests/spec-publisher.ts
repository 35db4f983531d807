/**
 * Publishes a spec draft as a commit on the request's spec branch (`tandem/spec-<n>`, file
 * `<specPath>/<n>-<slug>.md`), pushed with git (askpass credentials, never the contents API), and
 * ensures the spec pull request exists with a body that links the issue.
 */
import { writeFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RepoPolicy } from '../../config/repo-policy.js';
import type { Forge, ForgePullRequest, RepoRef } from '../../forge/types.js';
import { GitWorkspace } from '../../git/git-workspace.js';
import type { SpecDraft } from '../../planning/pm-decision.js';
import { renderSpec } from '../../planning/render-spec.js';

/** Inputs of {@link publishSpec}. */
export interface PublishSpecInput {
  forge: Forge;
  repo: RepoRef;
  /** Git remote (URL without credentials, or a local path in tests). */
  remote: string;
  policy: RepoPolicy;
  issueNumber: number;
  spec: SpecDraft;
  /** Spec path chosen at the first draft (kept across revisions so the PR has one file). */
  existingPath?: string | null;
  /** Catalog alias of the PM (commit trailer). */
  alias: string;
  /** Scratch directory for this job (removed afterwards). */
  jobDir: string;
  /** `revised` for later drafts (commit subject). */
  revision: boolean;
}

/** The spec branch of request issue `n`. */
export function specBranch(policy: RepoPolicy, issueNumber: number): string {
  return `${policy.branches.spec}${issueNumber}`;
}

/**
 * Commits and pushes the spec, then finds or creates the spec PR.
 * @returns the PR, the spec path, and whether the PR was created now
 * @throws GitCommandError / ForgeRequestError on git or forge failures (the job retries)
 */
export async function publishSpec(
  input: PublishSpecInput,
): Promise<{ pullRequest: ForgePullRequest; path: string; created: boolean }> {
  const { forge, repo, policy, issueNumber, spec } = input;
  const branch = specBranch(policy, issueNumber);
  const path = input.existingPath ?? `${policy.specPath}/${issueNumber}-${spec.slug}.md`;
  const base = policy.branches.base || (await forge.getDefaultBranch(repo));
  const credentials = input.remote.includes('://') ? await forge.pushCredentials(repo) : undefined;
  const workTree = join(input.jobDir, 'tree');
  try {
    const ws = await GitWorkspace.open({
      remote: input.remote,
      baseBranch: base,
      branch,
      gitDir: join(input.jobDir, 'git'),
      workTree,
      ...(credentials ? { credentials } : {}),
    });
    await mkdir(dirname(join(workTree, path)), { recursive: true });
    await writeFile(join(workTree, path), renderSpec(spec, issueNumber));
    const sha = await ws.commit({
      subject: `docs(#${issueNumber}): ${input.revision ? 'revise' : 'add'} spec "${spec.title}"`,
      trailers: {
        'Tandem-Ticket': `spec-${issueNumber}`,
        'Tandem-Role': 'pm',
        'Tandem-Model': input.alias,
        'Tandem-Phase': 'spec',
        'Tandem-Cycle': '1',
      },
    });
    if (sha !== null || ws.source !== 'remote') {
      await ws.push();
    }
    const { pullRequest, created } = await forge.findOrCreatePullRequest(repo, {
      head: branch,
      base,
      title: `Spec: ${spec.title}`,
      body: specPrBody(issueNumber, path),
    });
    return { pullRequest, path, created };
  } finally {
    await rm(input.jobDir, { recursive: true, force: true });
  }
}

/** Body of the spec PR: links the request and explains how to approve. */
export function specPrBody(issueNumber: number, path: string): string {
  return [
    `Spec for #${issueNumber}, in \`${path}\`.`,
    '',
    'Comment here or on the issue to discuss it; the PM revises the spec on this pull request.',
    '`/approve` (by a user with the required permission) starts the work; `/reject <why>` sends it back.',
  ].join('\n');
}
