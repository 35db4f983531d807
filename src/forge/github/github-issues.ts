/**
 * Issues and their conversation comments on GitHub (`issues.*` of the REST API): the issue half of
 * `Forge`, on top of {@link GithubApi}.
 */
import { z } from 'zod';
import { ensureMarkedComment } from '../ensure-marked-comment.js';
import { lowestMarkedIssue } from '../lowest-marked-issue.js';
import type { ForgeIssue, ForgeIssueOperations, IssueUpdate, NewIssue } from '../types.js';
import type { GithubApi } from './github-api.js';
import { GithubCommentResponse, GithubIssueResponse } from './github-api-schemas.js';

const ISSUE = { method: 'GET', route: '/repos/{owner}/{repo}/issues/{issue_number}' };

/**
 * The issue operations over `api`. Comment lists and the marker search page through everything
 * (100 per page); the marker search skips pull requests, which GitHub lists as issues.
 */
export function createGithubIssues({ call }: GithubApi): ForgeIssueOperations {
  return {
    getIssue: (repo, number): Promise<ForgeIssue> =>
      call(repo, ISSUE, GithubIssueResponse, (o, r) =>
        o.rest.issues.get({ ...r, issue_number: number }),
      ),

    createIssue: (repo, issue: NewIssue) =>
      call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/issues' },
        GithubIssueResponse,
        (o, r) =>
          o.rest.issues.create({
            ...r,
            title: issue.title,
            body: issue.body,
            ...(issue.labels ? { labels: [...issue.labels] } : {}),
          }),
      ),

    updateIssue: (repo, number, update: IssueUpdate) =>
      call(repo, { ...ISSUE, method: 'PATCH' }, GithubIssueResponse, (o, r) =>
        o.rest.issues.update({ ...r, issue_number: number, ...update }),
      ),

    async closeIssue(repo, number) {
      await call(repo, { ...ISSUE, method: 'PATCH' }, GithubIssueResponse, (o, r) =>
        o.rest.issues.update({ ...r, issue_number: number, state: 'closed' }),
      );
    },

    async findIssueByMarker(repo, label, marker): Promise<ForgeIssue | null> {
      const found = await call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}/issues' },
        z.array(z.unknown()),
        async (o, r) => ({
          data: await o.paginate(o.rest.issues.listForRepo, {
            ...r,
            labels: label,
            state: 'all',
            per_page: 100,
          }),
        }),
      );
      const issues = found
        .filter((i) => !(i as { pull_request?: unknown }).pull_request)
        .flatMap((i) => {
          const parsed = GithubIssueResponse.safeParse(i);
          return parsed.success ? [parsed.data] : [];
        });
      return lowestMarkedIssue(issues, marker);
    },

    ensureComment: (repo, number, marker, body) =>
      ensureMarkedComment(
        {
          list: () =>
            call(
              repo,
              { method: 'GET', route: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
              z.array(GithubCommentResponse),
              async (o, r) => ({
                data: await o.paginate(o.rest.issues.listComments, {
                  ...r,
                  issue_number: number,
                  per_page: 100,
                }),
              }),
            ),
          update: (id, text) =>
            call(
              repo,
              { method: 'PATCH', route: '/repos/{owner}/{repo}/issues/comments/{comment_id}' },
              GithubCommentResponse,
              (o, r) => o.rest.issues.updateComment({ ...r, comment_id: id, body: text }),
            ),
          create: (text) =>
            call(
              repo,
              { method: 'POST', route: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
              GithubCommentResponse,
              (o, r) => o.rest.issues.createComment({ ...r, issue_number: number, body: text }),
            ),
        },
        marker,
        body,
      ),
  };
}
