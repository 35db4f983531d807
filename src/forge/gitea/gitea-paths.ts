/**
 * Paths and route templates of Gitea's REST API (`/api/v1`, swagger at `<gitea>/api/swagger`) shared by
 * the Gitea forge's modules. Paths are URL-encoded per segment; templates are what errors show.
 */
import type { RepoRef } from '../types.js';
import { seg } from './gitea-client.js';

/** Template of one issue's route (Gitea calls the number `index`). */
export const ISSUE_ROUTE = '/repos/{owner}/{repo}/issues/{index}';

/** Template of one pull request's route. */
export const PULL_ROUTE = '/repos/{owner}/{repo}/pulls/{index}';

/** `/repos/<owner>/<name>`, each segment encoded. */
export const repoPath = (repo: RepoRef): string => `/repos/${seg(repo.owner)}/${seg(repo.name)}`;

/** `/repos/<owner>/<name>/issues/<number>`. */
export const issuePath = (repo: RepoRef, number: number): string =>
  `${repoPath(repo)}/issues/${number}`;

/** `/repos/<owner>/<name>/pulls/<number>`. */
export const pullPath = (repo: RepoRef, number: number): string =>
  `${repoPath(repo)}/pulls/${number}`;
