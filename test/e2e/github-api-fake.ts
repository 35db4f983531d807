/**
 * A stateful fake of the GitHub REST API on nock, for the end-to-end test: every request goes through
 * `test/http-mock.ts` (so it is checked against `@octokit/openapi`), and is answered from the state of a
 * {@link MemoryForge} (issues, pull requests, comments, labels, statuses, permissions) whose files,
 * branches and merges are real git operations on a bare repository. Answers have GitHub's shapes.
 * Only the routes Tandem's GitHub forge uses are served; anything else is a 404 recorded in `unknown`.
 */
import type nock from 'nock';
import type { ForgeIssue, ForgePullRequest } from '../../src/forge/types.js';
import type { MemoryForge } from '../workflow/memory-forge.js';
import { INSTALLATION_TOKEN } from '../forge/test-probot.js';

type Reply = [number, unknown];

/** The fake's own records, for assertions. */
export interface GithubApiFake {
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Requests no route served. */
  unknown: string[];
  labels: Set<string>;
}

const WEB = 'https://github.com';
const NO_ROUTE = 'no such route in the fake';
const str = (x: unknown): string => (typeof x === 'string' ? x : '');
/** GitHub's coarse `permission` for each role name. */
const COARSE: Record<string, string> = { maintain: 'write', triage: 'read' };

/** Serves `owner/name` from `forge` on the scope (persisted interceptors for every method). */
export function fakeGithubApi(
  scope: nock.Scope,
  forge: MemoryForge,
  owner: string,
  name: string,
): GithubApiFake {
  const fake: GithubApiFake = { requests: [], unknown: [], labels: new Set() };
  const repoPath = `/repos/${owner}/${name}`;
  const issueJson = (i: ForgeIssue) => ({
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((l) => ({ name: l })),
    user: { login: i.author },
    html_url: `${WEB}/${owner}/${name}/issues/${i.number}`,
  });
  const pullJson = (p: ForgePullRequest) => ({
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    merged: p.merged,
    merged_at: p.merged ? new Date().toISOString() : null,
    draft: p.draft,
    html_url: `${WEB}/${owner}/${name}/pull/${p.number}`,
    head: { ref: p.headRef, sha: p.headSha },
    base: { ref: p.baseRef },
  });
  const commentJson = (c: { id: number; body: string }) => ({ id: c.id, body: c.body });

  async function route(method: string, uri: string, body: unknown): Promise<Reply> {
    const url = new URL(uri, 'https://api.github.com');
    const q = url.searchParams;
    const path = decodeURIComponent(url.pathname);
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return [
        201,
        {
          token: INSTALLATION_TOKEN,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ];
    }
    if (!path.startsWith(repoPath)) {
      return [404, { message: 'Not Found' }];
    }
    const rest = path.slice(repoPath.length);
    if (method === 'GET' && rest === '') {
      return [200, { default_branch: 'main' }];
    }
    if (method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const file = await forge.getFile({ owner, name }, m[1]!, q.get('ref') ?? undefined);
      return file
        ? [
            200,
            {
              type: 'file',
              path: file.path,
              sha: file.sha,
              encoding: 'base64',
              content: Buffer.from(file.content).toString('base64'),
            },
          ]
        : [404, { message: 'Not Found' }];
    }
    if (rest === '/issues' && method === 'POST') {
      const created = await forge.createIssue(
        { owner, name },
        {
          title: str(b.title),
          body: str(b.body),
          labels: (b.labels as string[] | undefined) ?? [],
        },
      );
      return [201, issueJson(created)];
    }
    if (rest === '/issues' && method === 'GET') {
      const label = q.get('labels');
      const list = [...forge.issues.values()].filter((i) => !label || i.labels.includes(label));
      return [200, q.get('page') && q.get('page') !== '1' ? [] : list.map(issueJson)];
    }
    if ((m = /^\/issues\/(\d+)$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'PATCH') {
        return [200, issueJson(await forge.updateIssue({ owner, name }, n, b))];
      }
      const pr = forge.pulls.get(n);
      if (pr && !forge.issues.has(n)) {
        return [
          200,
          { ...issueJson({ ...pr, labels: [], author: 'tandem[bot]' }), pull_request: {} },
        ];
      }
      return forge.issues.has(n)
        ? [200, issueJson(await forge.getIssue({ owner, name }, n))]
        : [404, { message: 'Not Found' }];
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'GET') {
        return [200, forge.comments.filter((c) => c.number === n).map(commentJson)];
      }
      const c = { id: 900_000 + forge.comments.length, number: n, body: str(b.body) };
      forge.comments.push(c);
      return [201, commentJson(c)];
    }
    if (method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const c = forge.comments.find((x) => x.id === Number(m![1]));
      if (!c) {
        return [404, { message: 'Not Found' }];
      }
      c.body = str(b.body);
      return [200, commentJson(c)];
    }
    if (rest === '/labels') {
      if (method === 'GET') {
        return [200, [...fake.labels].map((l) => ({ name: l }))];
      }
      fake.labels.add(str(b.name));
      return [201, { name: b.name }];
    }
    if ((m = /^\/issues\/(\d+)\/labels(?:\/(.+))?$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'POST') {
        await forge.addLabels({ owner, name }, n, b.labels as string[]);
      } else if (method === 'DELETE' && m[2]) {
        await forge.removeLabel({ owner, name }, n, m[2]);
      }
      return [200, (forge.issues.get(n)?.labels ?? []).map((l) => ({ name: l }))];
    }
    if (rest === '/pulls' && method === 'GET') {
      const head = (q.get('head') ?? '').replace(/^[^:]+:/, '');
      const open = [...forge.pulls.values()].filter(
        (p) => p.state === 'open' && (!head || p.headRef === head),
      );
      return [200, open.map(pullJson)];
    }
    if (rest === '/pulls' && method === 'POST') {
      const { pullRequest } = await forge.findOrCreatePullRequest(
        { owner, name },
        {
          head: str(b.head),
          base: str(b.base),
          title: str(b.title),
          body: str(b.body),
        },
      );
      return [201, pullJson(pullRequest)];
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const n = Number(m[1]);
      if (!forge.pulls.has(n)) {
        return [404, { message: 'Not Found' }];
      }
      if (method === 'PATCH') {
        return [200, pullJson(await forge.updatePullRequest({ owner, name }, n, b))];
      }
      return [200, pullJson(await forge.getPullRequest({ owner, name }, n))];
    }
    if (method === 'PUT' && (m = /^\/pulls\/(\d+)\/merge$/.exec(rest))) {
      await forge.mergePullRequest({ owner, name }, Number(m[1]));
      return [200, { merged: true, sha: 'merged', message: 'Pull Request successfully merged' }];
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/comments$/.exec(rest))) {
      const list = await forge.listReviewComments({ owner, name }, Number(m[1]));
      return [
        200,
        list.map((c) => ({
          id: c.id,
          body: c.body,
          user: { login: c.author },
          path: c.path,
          line: c.line,
          pull_request_review_id: c.reviewId,
        })),
      ];
    }
    if (method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const p = await forge.getPermission({ owner, name }, m[1]!);
      return [200, { permission: COARSE[p] ?? p, role_name: p, user: { login: m[1] } }];
    }
    if (method === 'POST' && (m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest))) {
      await forge.setCommitStatus({ owner, name }, m[1]!, {
        state: b.state as 'success',
        context: str(b.context),
        description: str(b.description),
      });
      return [201, { id: 1, state: b.state, context: b.context }];
    }
    return [404, { message: NO_ROUTE }];
  }

  const persisted = scope.persist();
  for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const) {
    const interceptor = persisted[method](/.*/);
    interceptor.reply(async function (uri, body) {
      const verb = method.toUpperCase();
      fake.requests.push(`${verb} ${uri}`);
      const parsed = typeof body === 'string' && body ? (JSON.parse(body) as unknown) : body;
      const [status, json] = await route(verb, uri, parsed);
      if (status === 404 && (json as { message?: string }).message === NO_ROUTE) {
        fake.unknown.push(`${verb} ${uri}`);
      }
      return [status, json];
    });
  }
  return fake;
}
