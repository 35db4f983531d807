/**
 * The GitHub client underneath every forge operation. Installation access is obtained through Probot's
 * `auth(installationId)` (Probot's token cache keeps and renews tokens), but every token Tandem uses is
 * narrowed (docs.github.com "Create an installation access token for an app": `repositories` and
 * `permissions` in the request body) to the one repository an operation is about, with only the
 * permissions it needs: {@link API_PERMISSIONS} for the REST client of a repository,
 * {@link PUSH_PERMISSIONS} for `git push`. A token leaked from a job (or a confused job) so reaches no
 * other repository of the installation, and no permission the App holds but Tandem does not use.
 * `call` runs a REST request, turns any failure into a `ForgeRequestError` naming the route (never the
 * token) and parses the answer with zod.
 */
import type { ProbotOctokit } from 'probot';
import type { z } from 'zod';
import { ForgeRequestError } from '../../errors/forge-request-error.js';
import type { RepoRef } from '../types.js';
import { GithubTokenResponse } from './github-api-schemas.js';

/** An installation-authenticated Octokit as Probot returns it. */
export type GithubOctokit = InstanceType<typeof ProbotOctokit>;

/** Installation permissions as GitHub names them (`app-permissions` in GitHub's OpenAPI description). */
export type GithubPermissions = Readonly<Record<string, 'read' | 'write'>>;

/**
 * What the REST client of a repository may do: the permissions of `app.yml` (read the policy and code,
 * comment and label, open and merge pull requests, set statuses; `metadata` also covers collaborator
 * permission lookups).
 */
export const API_PERMISSIONS: GithubPermissions = {
  contents: 'write',
  issues: 'write',
  pull_requests: 'write',
  statuses: 'write',
  metadata: 'read',
};

/** What `git push` of a ticket branch needs. */
export const PUSH_PERMISSIONS: GithubPermissions = { contents: 'write', metadata: 'read' };

/** Collaborators of {@link createGithubApi}. */
export interface GithubApiOptions {
  /** Returns an Octokit for the installation, e.g. `(id) => probot.auth(id)`. */
  auth: (installationId: number) => Promise<GithubOctokit>;
}

/** A REST route as errors name it: method and path template, e.g. `GET /repos/{owner}/{repo}`. */
export interface GithubRoute {
  method: string;
  route: string;
}

/** The `owner` / `repo` parameters every repository route of Octokit takes. */
export type GithubRepoParams = { owner: string; repo: string };

/** Repository clients, narrowed tokens and the checked request runner shared by the forge's modules. */
export interface GithubApi {
  /**
   * The Octokit of `repo`, authenticated with tokens narrowed to `repo` and {@link API_PERMISSIONS};
   * one per repository (a failed creation is forgotten so the next call tries again).
   * @throws ForgeRequestError (method `AUTH`, status 0) when `repo` has no installation id.
   */
  client: (repo: RepoRef) => Promise<GithubOctokit>;
  /**
   * An installation token for `repo` alone with `permissions` (cached and renewed by Probot's cache).
   * @throws ForgeRequestError naming `POST /app/installations/{installation_id}/access_tokens`, with
   *   GitHub's status (e.g. 422 when the installation lacks a permission or the repository).
   */
  token: (repo: RepoRef, permissions: GithubPermissions) => Promise<string>;
  /**
   * Runs one API call on `repo` and parses its `data` with `schema`.
   * @throws ForgeRequestError with the HTTP status (0 when none) when the call fails, or with status
   *   200 and `unexpected response` when the data does not match `schema`.
   */
  call: <T extends z.ZodType>(
    repo: RepoRef,
    what: GithubRoute,
    schema: T,
    run: (octokit: GithubOctokit, r: GithubRepoParams) => Promise<{ data: unknown }>,
  ) => Promise<z.infer<T>>;
}

/** The HTTP status of an Octokit `RequestError` (or anything with a numeric `status`), else 0. */
export function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : 0;
}

const TOKEN_ROUTE = '/app/installations/{installation_id}/access_tokens';

/** Octokit's request function as an auth hook receives it. */
type HookRequest = GithubOctokit['request'];

/**
 * An Octokit auth strategy (`authStrategy`) that puts a token from `token()` on every request, in the
 * shape of `@octokit/auth-token`; `octokit.auth()` returns the same token.
 */
function narrowedAuth(token: () => Promise<string>) {
  const auth = async () => ({ type: 'token', tokenType: 'installation', token: await token() });
  return Object.assign(auth, {
    // Octokit's `hook.wrap` passes endpoint options where this says `route`; `merge` takes either.
    hook: async (request: HookRequest, route: string, parameters?: Record<string, unknown>) => {
      const endpoint = request.endpoint.merge(route, parameters);
      endpoint.headers.authorization = `token ${await token()}`;
      // `merge` always yields the url; Octokit's types leave it optional.
      const { url = '', ...rest } = endpoint;
      return request({ ...rest, url });
    },
  });
}

/** Creates the client. Octokit instances are kept per installation and per repository. */
export function createGithubApi(options: GithubApiOptions): GithubApi {
  const installations = new Map<number, Promise<GithubOctokit>>();
  const clients = new Map<string, Promise<GithubOctokit>>();

  function installation(repo: RepoRef): Promise<GithubOctokit> {
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
    let c = installations.get(id);
    if (!c) {
      c = options.auth(id);
      c.catch(() => installations.delete(id));
      installations.set(id, c);
    }
    return c;
  }

  async function token(repo: RepoRef, permissions: GithubPermissions): Promise<string> {
    const octokit = await installation(repo);
    let auth: unknown;
    try {
      auth = await octokit.auth({
        type: 'installation',
        installationId: repo.installationId,
        repositoryNames: [repo.name],
        permissions,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ForgeRequestError('github', 'POST', TOKEN_ROUTE, statusOf(error), message, {
        cause: error,
      });
    }
    const parsed = GithubTokenResponse.safeParse(auth);
    if (!parsed.success) {
      throw new ForgeRequestError('github', 'POST', TOKEN_ROUTE, 0, 'no installation token');
    }
    return parsed.data.token;
  }

  function client(repo: RepoRef): Promise<GithubOctokit> {
    const key = `${repo.installationId}/${repo.owner}/${repo.name}`.toLowerCase();
    let c = clients.get(key);
    if (!c) {
      c = installation(repo).then((base) => {
        // Same class as Probot's clients (its plugins, log, base URL, retries), another auth strategy.
        const Octokit = base.constructor as new (o: object) => GithubOctokit;
        return new Octokit({
          authStrategy: () => narrowedAuth(() => token(repo, API_PERMISSIONS)),
          // Rate limits are per installation, so its repositories share one throttling group.
          throttle: { id: String(repo.installationId) },
        });
      });
      c.catch(() => clients.delete(key));
      clients.set(key, c);
    }
    return c;
  }

  async function call<T extends z.ZodType>(
    repo: RepoRef,
    what: GithubRoute,
    schema: T,
    run: (octokit: GithubOctokit, r: GithubRepoParams) => Promise<{ data: unknown }>,
  ): Promise<z.infer<T>> {
    const octokit = await client(repo);
    let data: unknown;
    try {
      ({ data } = await run(octokit, { owner: repo.owner, repo: repo.name }));
    } catch (error) {
      if (error instanceof ForgeRequestError) {
        throw error;
      }
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

  return { client, token, call };
}
