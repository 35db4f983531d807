/**
 * The GitHub implementation of {@link Forge}: Octokit authenticated as a GitHub App installation,
 * obtained through Probot's `auth(installationId)` (installation tokens are cached by Probot and renewed
 * before they expire). Every response is parsed with zod; every failure becomes a `ForgeRequestError`
 * naming the route, never the token.
 */
import type { ProbotOctokit } from 'probot';
import { z } from 'zod';
import { Permission } from '../../config/repo-policy.js';
import { ForgeRequestError } from '../../errors/forge-request-error.js';
import { hasMarker, withMarker } from '../comment-marker.js';
import type {
  CommitState,
  EnsuredComment,
  Forge,
  ForgeFile,
  ForgeIssue,
  ForgePullRequest,
  ForgeReviewComment,
  IssueUpdate,
  LabelSpec,
  NewIssue,
  PullRequestSpec,
  PullRequestUpdate,
  PushCredentials,
  RepoRef,
} from '../types.js';
import {
  GithubCommentResponse,
  GithubFileResponse,
  GithubIssueResponse,
  GithubLabelResponse,
  GithubPermissionResponse,
  GithubPullResponse,
  GithubRepoResponse,
  GithubReviewCommentResponse,
  GithubTokenResponse,
} from './github-api-schemas.js';

/** An installation-authenticated Octokit as Probot returns it. */
export type GithubOctokit = InstanceType<typeof ProbotOctokit>;

/** Collaborators of {@link createGithubForge}. */
export interface GithubForgeOptions {
  /** Returns an Octokit for the installation, e.g. `(id) => probot.auth(id)`. */
  auth: (installationId: number) => Promise<GithubOctokit>;
  /** Web base URL for clone URLs; `https://github.com` unless GitHub Enterprise Server. */
  webUrl?: string;
}

interface Call {
  method: string;
  route: string;
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : 0;
}

/** Creates the GitHub forge. Octokit instances are kept per installation for the forge's lifetime. */
export function createGithubForge(options: GithubForgeOptions): Forge {
  const webUrl = (options.webUrl ?? 'https://github.com').replace(/\/+$/, '');
  const clients = new Map<number, Promise<GithubOctokit>>();

  function client(repo: RepoRef): Promise<GithubOctokit> {
    const id = repo.installationId;
    if (id === undefined) {
      return Promise.reject(
        new ForgeRequestError(
          'github',
          'AUTH',
          `${repo.owner}/${repo.name}`,
          0,
          'no installation id',
        ),
      );
    }
    let c = clients.get(id);
    if (!c) {
      c = options.auth(id);
      c.catch(() => clients.delete(id));
      clients.set(id, c);
    }
    return c;
  }

  /** Runs one API call; maps failures to ForgeRequestError and parses the data with `schema`. */
  async function call<T extends z.ZodType>(
    repo: RepoRef,
    what: Call,
    schema: T,
    run: (octokit: GithubOctokit, r: { owner: string; repo: string }) => Promise<{ data: unknown }>,
  ): Promise<z.infer<T>> {
    const octokit = await client(repo);
    let data: unknown;
    try {
      ({ data } = await run(octokit, { owner: repo.owner, repo: repo.name }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ForgeRequestError('github', what.method, what.route, statusOf(error), message, {
        cause: error,
      });
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new ForgeRequestError('github', what.method, what.route, 200, 'unexpected response', {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  async function notFoundAsNull<T>(promise: Promise<T>): Promise<T | null> {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof ForgeRequestError && error.status === 404) {
        return null;
      }
      throw error;
    }
  }

  const ISSUE = { method: 'GET', route: '/repos/{owner}/{repo}/issues/{issue_number}' };
  const PULL = { method: 'GET', route: '/repos/{owner}/{repo}/pulls/{pull_number}' };

  return {
    kind: 'github',

    cloneUrl: (repo) => `${webUrl}/${repo.owner}/${repo.name}.git`,

    async getDefaultBranch(repo) {
      const r = await call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}' },
        GithubRepoResponse,
        (o, r) => o.rest.repos.get(r),
      );
      return r.default_branch;
    },

    async getFile(repo, path, ref): Promise<ForgeFile | null> {
      const file = await notFoundAsNull(
        call(
          repo,
          { method: 'GET', route: '/repos/{owner}/{repo}/contents/{path}' },
          z.union([GithubFileResponse, z.array(z.unknown()), z.object({ type: z.string() })]),
          (o, r) => o.rest.repos.getContent({ ...r, path, ...(ref ? { ref } : {}) }),
        ),
      );
      if (!file || Array.isArray(file) || !('content' in file)) {
        return null; // missing, or a directory / symlink / submodule
      }
      const content = Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
      return { path: file.path, sha: file.sha, content: content.toString('utf8') };
    },

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
          return parsed.success && hasMarker(marker, parsed.data.body) ? [parsed.data] : [];
        })
        .sort((a, b) => a.number - b.number);
      return issues[0] ?? null;
    },

    async ensureComment(repo, number, marker, body): Promise<EnsuredComment> {
      const text = withMarker(marker, body);
      const comments = await call(
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
      );
      const existing = comments.find((c) => hasMarker(marker, c.body));
      if (existing?.body === text) {
        return { id: existing.id, action: 'unchanged' };
      }
      if (existing) {
        await call(
          repo,
          { method: 'PATCH', route: '/repos/{owner}/{repo}/issues/comments/{comment_id}' },
          GithubCommentResponse,
          (o, r) => o.rest.issues.updateComment({ ...r, comment_id: existing.id, body: text }),
        );
        return { id: existing.id, action: 'updated' };
      }
      const created = await call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
        GithubCommentResponse,
        (o, r) => o.rest.issues.createComment({ ...r, issue_number: number, body: text }),
      );
      return { id: created.id, action: 'created' };
    },

    async ensureLabels(repo, labels: readonly LabelSpec[]) {
      const existing = await call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}/labels' },
        z.array(GithubLabelResponse),
        async (o, r) => ({
          data: await o.paginate(o.rest.issues.listLabelsForRepo, { ...r, per_page: 100 }),
        }),
      );
      const names = new Set(existing.map((l) => l.name.toLowerCase()));
      for (const label of labels) {
        if (names.has(label.name.toLowerCase())) {
          continue;
        }
        try {
          await call(
            repo,
            { method: 'POST', route: '/repos/{owner}/{repo}/labels' },
            GithubLabelResponse,
            (o, r) =>
              o.rest.issues.createLabel({
                ...r,
                name: label.name,
                color: label.color.replace(/^#/, ''),
                ...(label.description === undefined ? {} : { description: label.description }),
              }),
          );
        } catch (error) {
          // 422 already_exists: created concurrently by another worker; that is the goal anyway.
          if (!(error instanceof ForgeRequestError && error.status === 422)) {
            throw error;
          }
        }
      }
    },

    async addLabels(repo, number, names) {
      // GitHub creates missing labels itself (default colour) when adding by name.
      await call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/issues/{issue_number}/labels' },
        z.array(GithubLabelResponse),
        (o, r) => o.rest.issues.addLabels({ ...r, issue_number: number, labels: [...names] }),
      );
    },

    async removeLabel(repo, number, name) {
      await notFoundAsNull(
        call(
          repo,
          { method: 'DELETE', route: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}' },
          z.unknown(),
          (o, r) => o.rest.issues.removeLabel({ ...r, issue_number: number, name }),
        ),
      );
    },

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

    async getPermission(repo, login) {
      const result = await notFoundAsNull(
        call(
          repo,
          { method: 'GET', route: '/repos/{owner}/{repo}/collaborators/{username}/permission' },
          GithubPermissionResponse,
          (o, r) => o.rest.repos.getCollaboratorPermissionLevel({ ...r, username: login }),
        ),
      );
      if (!result) {
        return 'none';
      }
      // role_name carries the fine levels (triage, maintain); permission only admin/write/read/none.
      const role = Permission.safeParse(result.role_name);
      if (role.success) {
        return role.data;
      }
      const level = Permission.safeParse(result.permission);
      return level.success ? level.data : 'none';
    },

    async setCommitStatus(repo, sha, status) {
      await call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/statuses/{sha}' },
        z.unknown(),
        (o, r) =>
          o.rest.repos.createCommitStatus({
            ...r,
            sha,
            state: status.state satisfies CommitState,
            context: status.context,
            description: status.description.slice(0, 140),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          }),
      );
    },

    async pushCredentials(repo): Promise<PushCredentials> {
      const octokit = await client(repo);
      let auth: unknown;
      try {
        auth = await octokit.auth({ type: 'installation' });
      } catch (error) {
        throw new ForgeRequestError(
          'github',
          'POST',
          '/app/installations/{installation_id}/access_tokens',
          statusOf(error),
          'could not get an installation token',
          { cause: error },
        );
      }
      const parsed = GithubTokenResponse.safeParse(auth);
      if (!parsed.success) {
        throw new ForgeRequestError('github', 'AUTH', 'installation', 0, 'no installation token');
      }
      return { username: 'x-access-token', password: parsed.data.token };
    },
  };
}
