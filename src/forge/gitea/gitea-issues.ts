/**
 * Issues and their comments on Gitea (`/repos/{owner}/{repo}/issues…`): the issue half of
 * `Forge`, on top of {@link GiteaClient}. Labels of a new issue are sent as ids.
 */
import { z } from 'zod';
import { ensureMarkedComment } from '../ensure-marked-comment.js';
import { lowestMarkedIssue } from '../lowest-marked-issue.js';
import type { ForgeIssueOperations } from '../types.js';
import { GiteaCommentResponse, GiteaIssueResponse } from './gitea-api-schemas.js';
import type { GiteaClient } from './gitea-client.js';
import type { GiteaLabelResolver } from './gitea-labels.js';
import { ISSUE_ROUTE, issuePath, repoPath } from './gitea-paths.js';

/**
 * The issue operations over `api`; `labels` resolves the label names of a new issue to ids. The marker
 * search asks Gitea for issues only (`type=issues`), so pull requests never match.
 */
export function createGiteaIssues(
  api: GiteaClient,
  labels: GiteaLabelResolver,
): ForgeIssueOperations {
  return {
    getIssue: (repo, number) =>
      api.request(
        { method: 'GET', route: ISSUE_ROUTE, path: issuePath(repo, number) },
        GiteaIssueResponse,
      ),

    async createIssue(repo, issue) {
      const ids = issue.labels?.length ? await labels.idsForNames(repo, issue.labels) : [];
      return api.request(
        {
          method: 'POST',
          route: '/repos/{owner}/{repo}/issues',
          path: `${repoPath(repo)}/issues`,
          body: { title: issue.title, body: issue.body, labels: ids },
        },
        GiteaIssueResponse,
      );
    },

    updateIssue: (repo, number, update) =>
      api.request(
        { method: 'PATCH', route: ISSUE_ROUTE, path: issuePath(repo, number), body: update },
        GiteaIssueResponse,
      ),

    async closeIssue(repo, number) {
      await api.request(
        {
          method: 'PATCH',
          route: ISSUE_ROUTE,
          path: issuePath(repo, number),
          body: { state: 'closed' },
        },
        GiteaIssueResponse,
      );
    },

    async findIssueByMarker(repo, label, marker) {
      const issues = await api.paginate(
        {
          method: 'GET',
          route: '/repos/{owner}/{repo}/issues',
          path: `${repoPath(repo)}/issues`,
          query: { labels: label, state: 'all', type: 'issues' },
        },
        GiteaIssueResponse,
      );
      return lowestMarkedIssue(issues, marker);
    },

    ensureComment: (repo, number, marker, body) =>
      ensureMarkedComment(
        {
          // Gitea's issue comment list is not paginated (it returns every comment).
          list: () =>
            api.request(
              {
                method: 'GET',
                route: `${ISSUE_ROUTE}/comments`,
                path: `${issuePath(repo, number)}/comments`,
              },
              z.array(GiteaCommentResponse),
            ),
          update: (id, text) =>
            api.request(
              {
                method: 'PATCH',
                route: '/repos/{owner}/{repo}/issues/comments/{id}',
                path: `${repoPath(repo)}/issues/comments/${id}`,
                body: { body: text },
              },
              GiteaCommentResponse,
            ),
          create: (text) =>
            api.request(
              {
                method: 'POST',
                route: `${ISSUE_ROUTE}/comments`,
                path: `${issuePath(repo, number)}/comments`,
                body: { body: text },
              },
              GiteaCommentResponse,
            ),
        },
        marker,
        body,
      ),
  };
}
