/**
 * Pull requests and their review comments on Gitea (`/repos/{owner}/{repo}/pulls…`), on top of
 * {@link GiteaClient}. A draft is a `WIP: ` title prefix; merging is `POST …/merge` with `Do: merge`.
 */
import { z } from 'zod';
import type { ForgePullRequest, ForgePullRequestOperations, RepoRef } from '../types.js';
import {
  GiteaPullResponse,
  GiteaReviewCommentResponse,
  GiteaReviewResponse,
} from './gitea-api-schemas.js';
import type { GiteaClient } from './gitea-client.js';
import { PULL_ROUTE, pullPath, repoPath } from './gitea-paths.js';

/**
 * The pull request operations over `api`. An open pull request is found by listing the open ones and
 * matching head and base branch; review comments are gathered review by review, sorted by id.
 */
export function createGiteaPullRequests(api: GiteaClient): ForgePullRequestOperations {
  const getPullRequest = (repo: RepoRef, number: number): Promise<ForgePullRequest> =>
    api.request(
      { method: 'GET', route: PULL_ROUTE, path: pullPath(repo, number) },
      GiteaPullResponse,
    );

  return {
    async findOrCreatePullRequest(repo, spec) {
      const open = await api.paginate(
        {
          method: 'GET',
          route: '/repos/{owner}/{repo}/pulls',
          path: `${repoPath(repo)}/pulls`,
          query: { state: 'open' },
        },
        GiteaPullResponse,
      );
      const found = open.find((p) => p.headRef === spec.head && p.baseRef === spec.base);
      if (found) {
        return { pullRequest: found, created: false };
      }
      const title = spec.draft === true ? `WIP: ${spec.title}` : spec.title;
      const pullRequest = await api.request(
        {
          method: 'POST',
          route: '/repos/{owner}/{repo}/pulls',
          path: `${repoPath(repo)}/pulls`,
          body: { head: spec.head, base: spec.base, title, body: spec.body },
        },
        GiteaPullResponse,
      );
      return { pullRequest, created: true };
    },

    getPullRequest,

    updatePullRequest: (repo, number, update) =>
      api.request(
        { method: 'PATCH', route: PULL_ROUTE, path: pullPath(repo, number), body: update },
        GiteaPullResponse,
      ),

    async mergePullRequest(repo, number, mergeOptions = {}) {
      await api.request(
        {
          method: 'POST',
          route: `${PULL_ROUTE}/merge`,
          path: `${pullPath(repo, number)}/merge`,
          body: { Do: 'merge', ...(mergeOptions.sha ? { head_commit_id: mergeOptions.sha } : {}) },
        },
        z.unknown(),
      );
    },

    async listReviewComments(repo, number) {
      const reviews = await api.paginate(
        {
          method: 'GET',
          route: `${PULL_ROUTE}/reviews`,
          path: `${pullPath(repo, number)}/reviews`,
        },
        GiteaReviewResponse,
      );
      const comments = [];
      for (const review of reviews) {
        const list = await api.request(
          {
            method: 'GET',
            route: `${PULL_ROUTE}/reviews/{id}/comments`,
            path: `${pullPath(repo, number)}/reviews/${review.id}/comments`,
          },
          z.array(GiteaReviewCommentResponse),
        );
        comments.push(...list.map((c) => ({ ...c, reviewId: c.reviewId ?? review.id })));
      }
      return comments.sort((a, b) => a.id - b.id);
    },
  };
}
