/**
 * Pull requests and their review comments on GitHub (`pulls.*` of the REST API), on top of
 * {@link GithubApi}.
 */
import { z } from 'zod';
import type {
  ForgePullRequest,
  ForgePullRequestOperations,
  ForgeReviewComment,
  PullRequestSpec,
  PullRequestUpdate,
} from '../types.js';
import type { GithubApi } from './github-api.js';
import { GithubPullResponse, GithubReviewCommentResponse } from './github-api-schemas.js';

const PULL = { method: 'GET', route: '/repos/{owner}/{repo}/pulls/{pull_number}' };

/**
 * The pull request operations over `api`. An open pull request is found by `head=<owner>:<branch>`
 * and `base`; merging uses a merge commit, guarded by the expected head `sha` when given.
 */
export function createGithubPullRequests({ call }: GithubApi): ForgePullRequestOperations {
  return {
    async findOrCreatePullRequest(repo, spec: PullRequestSpec) {
      const open = await call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}/pulls' },
        z.array(GithubPullResponse),
        (o, r) =>
          o.rest.pulls.list({
            ...r,
            state: 'open',
            head: `${repo.owner}:${spec.head}`,
            base: spec.base,
          }),
      );
      if (open[0]) {
        return { pullRequest: open[0], created: false };
      }
      const pullRequest = await call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/pulls' },
        GithubPullResponse,
        (o, r) =>
          o.rest.pulls.create({
            ...r,
            head: spec.head,
            base: spec.base,
            title: spec.title,
            body: spec.body,
            draft: spec.draft ?? false,
          }),
      );
      return { pullRequest, created: true };
    },

    getPullRequest: (repo, number): Promise<ForgePullRequest> =>
      call(repo, PULL, GithubPullResponse, (o, r) =>
        o.rest.pulls.get({ ...r, pull_number: number }),
      ),

    updatePullRequest: (repo, number, update: PullRequestUpdate) =>
      call(repo, { ...PULL, method: 'PATCH' }, GithubPullResponse, (o, r) =>
        o.rest.pulls.update({ ...r, pull_number: number, ...update }),
      ),

    async mergePullRequest(repo, number, mergeOptions = {}) {
      await call(
        repo,
        { method: 'PUT', route: '/repos/{owner}/{repo}/pulls/{pull_number}/merge' },
        z.object({ merged: z.boolean() }),
        (o, r) =>
          o.rest.pulls.merge({
            ...r,
            pull_number: number,
            merge_method: 'merge',
            ...(mergeOptions.sha ? { sha: mergeOptions.sha } : {}),
          }),
      );
    },

    listReviewComments: (repo, number): Promise<ForgeReviewComment[]> =>
      call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}/pulls/{pull_number}/comments' },
        z.array(GithubReviewCommentResponse),
        async (o, r) => ({
          data: await o.paginate(o.rest.pulls.listReviewComments, {
            ...r,
            pull_number: number,
            per_page: 100,
          }),
        }),
      ),
  };
}
