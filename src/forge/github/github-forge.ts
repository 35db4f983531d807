/**
 * The GitHub implementation of {@link Forge}: Octokit authenticated as a GitHub App installation,
 * obtained through Probot's `auth(installationId)` (installation tokens are cached by Probot and renewed
 * before they expire). Every response is parsed with zod; every failure becomes a `ForgeRequestError`
 * naming the route, never the token. The operations live in `github-repository.ts`,
 * `github-issues.ts`, `github-labels.ts` and `github-pull-requests.ts`, all on one `github-api.ts`.
 */
import type { Forge } from '../types.js';
import { createGithubApi, type GithubApiOptions } from './github-api.js';
import { createGithubIssues } from './github-issues.js';
import { createGithubLabels } from './github-labels.js';
import { createGithubPullRequests } from './github-pull-requests.js';
import { createGithubRepository } from './github-repository.js';

export type { GithubOctokit } from './github-api.js';

/** Collaborators of {@link createGithubForge}. */
export interface GithubForgeOptions extends GithubApiOptions {
  /** Web base URL for clone URLs; `https://github.com` unless GitHub Enterprise Server. */
  webUrl?: string;
}

/** Creates the GitHub forge. Octokit instances are kept per installation for the forge's lifetime. */
export function createGithubForge(options: GithubForgeOptions): Forge {
  const webUrl = (options.webUrl ?? 'https://github.com').replace(/\/+$/, '');
  const api = createGithubApi(options);
  return {
    kind: 'github',
    ...createGithubRepository(api, webUrl),
    ...createGithubIssues(api),
    ...createGithubLabels(api),
    ...createGithubPullRequests(api),
  };
}
