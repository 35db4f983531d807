/**
 * A stateful fake of Gitea's REST API (`/api/v1`, token auth) on nock, for the Gitea end-to-end test:
 * answered from a {@link MemoryForge}'s state (files, branches and merges are real git operations on a
 * bare repository), in the shapes of Gitea's `modules/structs` (labels by id, reviews with their
 * comments, `{permission}` for collaborators, `POST …/merge` with `Do`). Only the routes Tandem's Gitea
 * forge uses are served; anything else is a 404 recorded in `unknown`.
 */
import type nock from 'nock';
import type { ForgeIssue, ForgePullRequest } from '../../src/forge/types.js';
import type { MemoryForge } from '../workflow/memory-forge.js';

type Reply = [number, unknown];

/** The fake's own records, for assertions. */
export interface GiteaApiFake {
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Requests no route served. */
  unknown: string[];
  /** Label ids by name. */
  labels: Map<string, number>;
  /** Authorization headers seen (to check the token is sent). */
  authorizations: Set<string>;
}

const NO_ROUTE = 'no such route in the fake';
const str = (x: unknown): string => (typeof x === 'string' ? x : '');

/** The fake's request handler, for nock or a real HTTP server. */
export interface GiteaRoutes {
  fake: GiteaApiFake;
  /** Answers one request (`uri` is path + query); records it. */
  handle(
    method: string,
    uri: string,
    body: unknown,
    authorization: string | undefined,
  ): Promise<[number, unknown]>;
}

/** Serves `owner/name` from `forge` on the scope (persisted interceptors for every method). */
export function fakeGiteaApi(
  scope: nock.Scope,
  forge: MemoryForge,
  owner: string,
  name: string,
  web: string,
): GiteaApiFake {
  const routes = giteaRoutes(forge, owner, name, web);
  const persisted = scope.persist();
  for (const method of ['get', 'post', 'patch', 'delete'] as const) {
    const interceptor = persisted[method](/^\/api\/v1\/.*/);
    interceptor.reply(async function (uri, body) {
      const auth = this.req.headers.authorization;
      const parsed = typeof body === 'string' && body ? (JSON.parse(body) as unknown) : body;
      return routes.handle(
        method.toUpperCase(),
        uri,
        parsed,
        typeof auth === 'string' ? auth : undefined,
      );
    });
  }
  return routes.fake;
}

/** The routes of the fake over `forge`'s state. */
export function giteaRoutes(
  forge: MemoryForge,
  owner: string,
  name: string,
  web: string,
): GiteaRoutes {
  const fake: GiteaApiFake = {
    requests: [],
    unknown: [],
    labels: new Map(),
    authorizations: new Set(),
  };
  const ref = { owner, name };
  const repoPath = `/api/v1/repos/${owner}/${name}`;
  const labelId = (label: string): number => {
    let id = fake.labels.get(label);
    if (id === undefined) {
      id = fake.labels.size + 1;
      fake.labels.set(label, id);
    }
    return id;
  };
  const labelName = (id: number): string =>
    [...fake.labels.entries()].find(([, v]) => v === id)?.[0] ?? `label-${id}`;
  const labelJson = (l: string) => ({ id: labelId(l), name: l, color: 'ededed' });
  const issueJson = (i: ForgeIssue) => ({
    id: 1000 + i.number,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map(labelJson),
    user: { login: i.author },
    html_url: `${web}/${owner}/${name}/issues/${i.number}`,
  });
  const pullJson = (p: ForgePullRequest) => ({
    id: 2000 + p.number,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    merged: p.merged,
    draft: false,
    html_url: `${web}/${owner}/${name}/pulls/${p.number}`,
    head: { ref: p.headRef, sha: p.headSha },
    base: { ref: p.baseRef },
  });
  const firstPage = (q: URLSearchParams, list: unknown[]): unknown[] =>
    (q.get('page') ?? '1') === '1' ? list : [];

  async function route(method: string, uri: string, body: unknown): Promise<Reply> {
    const url = new URL(uri, 'https://gitea.test');
    const q = url.searchParams;
    const path = decodeURIComponent(url.pathname);
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (!path.startsWith(repoPath)) {
      return [404, { message: NO_ROUTE }];
    }
    const rest = path.slice(repoPath.length);
    if (method === 'GET' && rest === '') {
      return [200, { id: 1, name, full_name: `${owner}/${name}`, default_branch: 'main' }];
    }
    if (method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const file = await forge.getFile(ref, m[1]!, q.get('ref') ?? undefined);
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
        : [404, { message: 'GetContentsOrList' }];
    }
    if (rest === '/labels') {
      if (method === 'GET') {
        return [200, firstPage(q, [...fake.labels.keys()].map(labelJson))];
      }
      return [201, labelJson(str(b.name))];
    }
    if (rest === '/issues' && method === 'POST') {
      const ids = (b.labels as number[] | undefined) ?? [];
      const created = await forge.createIssue(ref, {
        title: str(b.title),
        body: str(b.body),
        labels: ids.map(labelName),
      });
      return [201, issueJson(created)];
    }
    if (rest === '/issues' && method === 'GET') {
      const label = q.get('labels');
      const list = [...forge.issues.values()].filter((i) => !label || i.labels.includes(label));
      return [200, firstPage(q, list.map(issueJson))];
    }
    if ((m = /^\/issues\/(\d+)$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'PATCH') {
        return [200, issueJson(await forge.updateIssue(ref, n, b))];
      }
      const pr = forge.pulls.get(n);
      if (pr && !forge.issues.has(n)) {
        return [200, { ...issueJson({ ...pr, labels: [], author: 'tandem-bot' }) }];
      }
      return forge.issues.has(n)
        ? [200, issueJson(await forge.getIssue(ref, n))]
        : [404, { message: 'issue does not exist' }];
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'GET') {
        return [200, forge.comments.filter((c) => c.number === n)];
      }
      const c = { id: 800_000 + forge.comments.length, number: n, body: str(b.body) };
      forge.comments.push(c);
      return [201, c];
    }
    if (method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const c = forge.comments.find((x) => x.id === Number(m![1]));
      if (!c) {
        return [404, { message: 'comment does not exist' }];
      }
      c.body = str(b.body);
      return [200, c];
    }
    if ((m = /^\/issues\/(\d+)\/labels(?:\/(\d+))?$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'POST') {
        await forge.addLabels(ref, n, (b.labels as number[]).map(labelName));
      } else if (method === 'DELETE' && m[2]) {
        await forge.removeLabel(ref, n, labelName(Number(m[2])));
        return [204, ''];
      }
      return [200, (forge.issues.get(n)?.labels ?? []).map(labelJson)];
    }
    if (rest === '/pulls' && method === 'GET') {
      const state = q.get('state');
      const list = [...forge.pulls.values()].filter((p) => !state || p.state === state);
      return [200, firstPage(q, list.map(pullJson))];
    }
    if (rest === '/pulls' && method === 'POST') {
      const { pullRequest } = await forge.findOrCreatePullRequest(ref, {
        head: str(b.head),
        base: str(b.base),
        title: str(b.title),
        body: str(b.body),
      });
      return [201, pullJson(pullRequest)];
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const n = Number(m[1]);
      if (!forge.pulls.has(n)) {
        return [404, { message: 'pull request does not exist' }];
      }
      if (method === 'PATCH') {
        return [200, pullJson(await forge.updatePullRequest(ref, n, b))];
      }
      return [200, pullJson(await forge.getPullRequest(ref, n))];
    }
    if (method === 'POST' && (m = /^\/pulls\/(\d+)\/merge$/.exec(rest))) {
      if (b.Do !== 'merge') {
        return [422, { message: 'Do must be merge' }];
      }
      await forge.mergePullRequest(ref, Number(m[1]));
      return [200, ''];
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) {
      const list = await forge.listReviewComments(ref, Number(m[1]));
      const ids = [...new Set(list.map((c) => c.reviewId ?? 0))];
      return [
        200,
        firstPage(
          q,
          ids.map((id) => ({ id, state: 'REQUEST_CHANGES' })),
        ),
      ];
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/reviews\/(\d+)\/comments$/.exec(rest))) {
      const list = await forge.listReviewComments(ref, Number(m[1]));
      return [
        200,
        list
          .filter((c) => (c.reviewId ?? 0) === Number(m![2]))
          .map((c) => ({
            id: c.id,
            body: c.body,
            user: { login: c.author },
            path: c.path,
            position: c.line,
            pull_request_review_id: c.reviewId,
          })),
      ];
    }
    if (method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const p = await forge.getPermission(ref, m[1]!);
      return p === 'none'
        ? [404, { message: 'not a collaborator' }]
        : [200, { permission: p, role_name: p, user: { login: m[1] } }];
    }
    if (method === 'POST' && (m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest))) {
      await forge.setCommitStatus(ref, m[1]!, {
        state: b.state as 'success',
        context: str(b.context),
        description: str(b.description),
      });
      return [201, { id: 1, status: b.state, context: b.context }];
    }
    return [404, { message: NO_ROUTE }];
  }

  return {
    fake,
    async handle(verb, uri, body, authorization) {
      fake.requests.push(`${verb} ${uri}`);
      if (authorization !== undefined) {
        fake.authorizations.add(authorization);
      }
      const [status, json] = await route(verb, uri, body);
      if (status === 404 && (json as { message?: string }).message === NO_ROUTE) {
        fake.unknown.push(`${verb} ${uri}`);
      }
      return [status, json];
    },
  };
}
