/**
 * The Gitea implementation of {@link Forge}: REST `/api/v1` with the bot's token (Gitea's swagger,
 * `<gitea>/api/swagger`). Gitea differences handled here: labels are added, removed and set on new
 * issues by id (older versions accept nothing else), so names are resolved through the repository's
 * label list and missing labels are created first; a draft pull request is a `WIP: ` title prefix;
 * collaborator permission `owner` counts as `admin`; merging is `POST …/merge` with `Do: merge`.
 */
import { z } from 'zod';
import type { Permission } from '../../config/repo-policy.js';
import { ForgeRequestError } from '../../errors/forge-request-error.js';
import { hasMarker, withMarker } from '../comment-marker.js';
import type { Forge, ForgeFile, ForgePullRequest, LabelSpec, RepoRef } from '../types.js';
import {
  GiteaCommentResponse,
  GiteaContentsResponse,
  GiteaIssueResponse,
  GiteaLabelResponse,
  GiteaPermissionResponse,
  GiteaPullResponse,
  GiteaRepoResponse,
  GiteaReviewCommentResponse,
  GiteaReviewResponse,
  GiteaUserResponse,
} from './gitea-api-schemas.js';
import {
  createGiteaClient,
  seg,
  type GiteaClient,
  type GiteaClientOptions,
} from './gitea-client.js';

/** Settings and collaborators of {@link createGiteaForge}. */
export interface GiteaForgeOptions extends GiteaClientOptions {
  /** The bot's login (push user name); looked up with `GET /user` when absent. */
  botLogin?: string;
}

/** Colour given to labels that `addLabels` has to create (Gitea's default grey). */
const DEFAULT_COLOR = 'ededed';

const PERMISSIONS: Record<string, Permission | 'none'> = {
  owner: 'admin',
  admin: 'admin',
  maintain: 'maintain',
  write: 'write',
  triage: 'triage',
  read: 'read',
  none: 'none',
};

/** Creates the Gitea forge. */
export function createGiteaForge(options: GiteaForgeOptions): Forge {
  const api: GiteaClient = createGiteaClient(options);
  const base = options.baseUrl.replace(/\/+$/, '');
  let botLogin: Promise<string> | undefined = options.botLogin
    ? Promise.resolve(options.botLogin)
    : undefined;

  const r = (repo: RepoRef): string => `/repos/${seg(repo.owner)}/${seg(repo.name)}`;

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

  function listLabels(repo: RepoRef) {
    return api.paginate(
      { method: 'GET', route: '/repos/{owner}/{repo}/labels', path: `${r(repo)}/labels` },
      GiteaLabelResponse,
    );
  }

  /** Resolves names to ids (case-insensitive), creating the missing labels. */
  async function labelIds(repo: RepoRef, specs: readonly LabelSpec[]): Promise<number[]> {
    const existing = await listLabels(repo);
    const byName = new Map(existing.map((l) => [l.name.toLowerCase(), l.id]));
    const ids: number[] = [];
    for (const spec of specs) {
      let id = byName.get(spec.name.toLowerCase());
      if (id === undefined) {
        const created = await api.request(
          {
            method: 'POST',
            route: '/repos/{owner}/{repo}/labels',
            path: `${r(repo)}/labels`,
            body: {
              name: spec.name,
              color: `#${spec.color.replace(/^#/, '')}`,
              description: spec.description ?? '',
            },
          },
          GiteaLabelResponse,
        );
        id = created.id;
        byName.set(spec.name.toLowerCase(), id);
      }
      ids.push(id);
    }
    return ids;
  }

  const named = (names: readonly string[]): LabelSpec[] =>
    names.map((name) => ({ name, color: DEFAULT_COLOR }));

  const issuePath = (repo: RepoRef, n: number) => `${r(repo)}/issues/${n}`;
  const pullPath = (repo: RepoRef, n: number) => `${r(repo)}/pulls/${n}`;
  const ISSUE = '/repos/{owner}/{repo}/issues/{index}';
  const PULL = '/repos/{owner}/{repo}/pulls/{index}';

  const getPullRequest = (repo: RepoRef, number: number): Promise<ForgePullRequest> =>
    api.request({ method: 'GET', route: PULL, path: pullPath(repo, number) }, GiteaPullResponse);

  return {
    kind: 'gitea',

    cloneUrl: (repo) => `${base}/${repo.owner}/${repo.name}.git`,

    async getDefaultBranch(repo) {
      const data = await api.request(
        { method: 'GET', route: '/repos/{owner}/{repo}', path: r(repo) },
        GiteaRepoResponse,
      );
      return data.default_branch;
    },

    async getFile(repo, path, ref): Promise<ForgeFile | null> {
      const data = await notFoundAsNull(
        api.request(
          {
            method: 'GET',
            route: '/repos/{owner}/{repo}/contents/{filepath}',
            path: `${r(repo)}/contents/${path.split('/').map(seg).join('/')}`,
            ...(ref ? { query: { ref } } : {}),
          },
          z.union([GiteaContentsResponse, z.array(z.unknown())]),
        ),
      );
      if (
        !data ||
        Array.isArray(data) ||
        data.type !== 'file' ||
        typeof data.content !== 'string'
      ) {
        return null;
      }
      const content = Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
      return { path: data.path, sha: data.sha, content: content.toString('utf8') };
    },

    getIssue: (repo, number) =>
      api.request(
        { method: 'GET', route: ISSUE, path: issuePath(repo, number) },
        GiteaIssueResponse,
      ),

    async createIssue(repo, issue) {
      const labels = issue.labels?.length ? await labelIds(repo, named(issue.labels)) : [];
      return api.request(
        {
          method: 'POST',
          route: '/repos/{owner}/{repo}/issues',
          path: `${r(repo)}/issues`,
          body: { title: issue.title, body: issue.body, labels },
        },
        GiteaIssueResponse,
      );
    },

    updateIssue: (repo, number, update) =>
      api.request(
        { method: 'PATCH', route: ISSUE, path: issuePath(repo, number), body: update },
        GiteaIssueResponse,
      ),

    async closeIssue(repo, number) {
      await api.request(
        { method: 'PATCH', route: ISSUE, path: issuePath(repo, number), body: { state: 'closed' } },
        GiteaIssueResponse,
      );
    },

    async findIssueByMarker(repo, label, marker) {
      const issues = await api.paginate(
        {
          method: 'GET',
          route: '/repos/{owner}/{repo}/issues',
          path: `${r(repo)}/issues`,
          query: { labels: label, state: 'all', type: 'issues' },
        },
        GiteaIssueResponse,
      );
      const found = issues
        .filter((i) => hasMarker(marker, i.body))
        .sort((a, b) => a.number - b.number);
      return found[0] ?? null;
    },

    async ensureComment(repo, number, marker, body) {
      const text = withMarker(marker, body);
      // Gitea's issue comment list is not paginated (it returns every comment).
      const comments = await api.request(
        {
          method: 'GET',
          route: `${ISSUE}/comments`,
          path: `${issuePath(repo, number)}/comments`,
        },
        z.array(GiteaCommentResponse),
      );
      const existing = comments.find((c) => hasMarker(marker, c.body));
      if (existing?.body === text) {
        return { id: existing.id, action: 'unchanged' };
      }
      if (existing) {
        await api.request(
          {
            method: 'PATCH',
            route: '/repos/{owner}/{repo}/issues/comments/{id}',
            path: `${r(repo)}/issues/comments/${existing.id}`,
            body: { body: text },
          },
          GiteaCommentResponse,
        );
        return { id: existing.id, action: 'updated' };
      }
      const created = await api.request(
        {
          method: 'POST',
          route: `${ISSUE}/comments`,
          path: `${issuePath(repo, number)}/comments`,
          body: { body: text },
        },
        GiteaCommentResponse,
      );
      return { id: created.id, action: 'created' };
    },

    async ensureLabels(repo, labels) {
      await labelIds(repo, labels);
    },

    async addLabels(repo, number, names) {
      const ids = await labelIds(repo, named(names));
      await api.request(
        {
          method: 'POST',
          route: `${ISSUE}/labels`,
          path: `${issuePath(repo, number)}/labels`,
          body: { labels: ids },
        },
        z.array(GiteaLabelResponse),
      );
    },

    async removeLabel(repo, number, name) {
      const label = (await listLabels(repo)).find(
        (l) => l.name.toLowerCase() === name.toLowerCase(),
      );
      if (!label) {
        return;
      }
      await notFoundAsNull(
        api.request(
          {
            method: 'DELETE',
            route: `${ISSUE}/labels/{id}`,
            path: `${issuePath(repo, number)}/labels/${label.id}`,
          },
          z.unknown(),
        ),
      );
    },

    async findOrCreatePullRequest(repo, spec) {
      const open = await api.paginate(
        {
          method: 'GET',
          route: '/repos/{owner}/{repo}/pulls',
          path: `${r(repo)}/pulls`,
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
          path: `${r(repo)}/pulls`,
          body: { head: spec.head, base: spec.base, title, body: spec.body },
        },
        GiteaPullResponse,
      );
      return { pullRequest, created: true };
    },

    getPullRequest,

    updatePullRequest: (repo, number, update) =>
      api.request(
        { method: 'PATCH', route: PULL, path: pullPath(repo, number), body: update },
        GiteaPullResponse,
      ),

    async mergePullRequest(repo, number, mergeOptions = {}) {
      await api.request(
        {
          method: 'POST',
          route: `${PULL}/merge`,
          path: `${pullPath(repo, number)}/merge`,
          body: { Do: 'merge', ...(mergeOptions.sha ? { head_commit_id: mergeOptions.sha } : {}) },
        },
        z.unknown(),
      );
    },

    async listReviewComments(repo, number) {
      const reviews = await api.paginate(
        { method: 'GET', route: `${PULL}/reviews`, path: `${pullPath(repo, number)}/reviews` },
        GiteaReviewResponse,
      );
      const comments = [];
      for (const review of reviews) {
        const list = await api.request(
          {
            method: 'GET',
            route: `${PULL}/reviews/{id}/comments`,
            path: `${pullPath(repo, number)}/reviews/${review.id}/comments`,
          },
          z.array(GiteaReviewCommentResponse),
        );
        comments.push(...list.map((c) => ({ ...c, reviewId: c.reviewId ?? review.id })));
      }
      return comments.sort((a, b) => a.id - b.id);
    },

    async getPermission(repo, login) {
      const data = await notFoundAsNull(
        api.request(
          {
            method: 'GET',
            route: '/repos/{owner}/{repo}/collaborators/{collaborator}/permission',
            path: `${r(repo)}/collaborators/${seg(login)}/permission`,
          },
          GiteaPermissionResponse,
        ),
      );
      return data ? (PERMISSIONS[data.permission.toLowerCase()] ?? 'none') : 'none';
    },

    async setCommitStatus(repo, sha, status) {
      await api.request(
        {
          method: 'POST',
          route: '/repos/{owner}/{repo}/statuses/{sha}',
          path: `${r(repo)}/statuses/${seg(sha)}`,
          body: {
            state: status.state,
            context: status.context,
            description: status.description.slice(0, 140),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          },
        },
        z.unknown(),
      );
    },

    async pushCredentials() {
      botLogin ??= api
        .request({ method: 'GET', route: '/user', path: '/user' }, GiteaUserResponse)
        .then((u) => u.login);
      const login = await botLogin.catch((error: unknown) => {
        botLogin = undefined;
        throw error;
      });
      return { username: login, password: options.token };
    },
  };
}
