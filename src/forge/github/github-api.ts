/**
 * The GitHub client underneath every forge operation: one Octokit per App installation, obtained
 * through Probot's `auth(installationId)` (Probot caches installation tokens and renews them before
 * they expire), and one `call` that runs a REST request, turns any failure into a `ForgeRequestError`
 * naming the route (never the token) and parses the answer with zod.
 */
import type { ProbotOctokit } from 'probot';
import type { z } from 'zod';
import { ForgeRequestError } from '../../errors/forge-request-error.js';
import type { RepoRef } from '../types.js';

/** An installation-authenticated Octokit as Probot returns it. */
export type GithubOctokit = InstanceType<typeof ProbotOctokit>;

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

/** Installation clients and the checked request runner shared by the GitHub forge's modules. */
export interface GithubApi {
  /**
   * The Octokit of `repo`'s installation, created once per installation (a failed creation is
   * forgotten so the next call tries again).
   * @throws ForgeRequestError (method `AUTH`, status 0) when `repo` has no installation id.
   */
  client: (repo: RepoRef) => Promise<GithubOctokit>;
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

/** Creates the client. Octokit instances are kept per installation for the client's lifetime. */
export function createGithubApi(options: GithubApiOptions): GithubApi {
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

  return { client, call };
}
