/**
 * The one HTTP mock helper (after Renovate's `test/http-mock.ts`): wraps nock, forbids real network
 * (loopback stays allowed for our own server and Redis), and fails the test when a mock is left unused,
 * a request matches no mock, or a request to GitHub is not in GitHub's OpenAPI description
 * (`@octokit/openapi`, see `github-openapi.ts`).
 *
 * ```ts
 * const http = useHttpMock();
 * it('…', async () => {
 *   http.github().get('/repos/o/r/collaborators/bob/permission').reply(200, { permission: 'read' });
 *   …
 * });
 * ```
 */
import nock from 'nock';
import { afterEach, beforeEach } from 'vitest';
import { checkGithubRequest } from './github-openapi.js';

export const GITHUB_API = 'https://api.github.com';

export interface HttpMock {
  /** A nock scope on api.github.com whose requests are checked against the OpenAPI description. */
  github(): nock.Scope;
  /** A nock scope on any other base URL (e.g. a Gitea server). */
  scope(baseUrl: string): nock.Scope;
  /**
   * Returns and clears the problems seen so far (unmatched requests, OpenAPI violations), for tests
   * of the helper itself; whatever is not taken fails the test after it.
   */
  takeProblems(): string[];
}

interface RequestLike {
  method?: string;
  path?: string;
}

/**
 * Registers `beforeEach`/`afterEach` hooks in the calling test file and returns the helper.
 * After each test: every mock must have been used, no request may have gone unmatched, and every
 * GitHub request must be valid per OpenAPI; otherwise the test fails with the list of problems.
 */
export function useHttpMock(): HttpMock {
  const problems: string[] = [];
  const onNoMatch = (req: RequestLike & { href?: string; url?: string }): void => {
    const method = req.method ?? 'GET';
    const where = req.href ?? req.url ?? req.path ?? '(unknown)';
    if (!/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(where)) {
      problems.push(`unmatched request: ${method} ${where}`);
    }
  };

  beforeEach(() => {
    problems.length = 0;
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock.emitter.on('no match', onNoMatch);
  });

  afterEach(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    const all = [...problems, ...pending.map((p) => `unused mock: ${p}`)];
    if (all.length > 0) {
      throw new Error(`HTTP mock problems:\n  ${all.join('\n  ')}`);
    }
  });

  return {
    github() {
      const scope = nock(GITHUB_API);
      scope.on('request', (req: RequestLike, _interceptor: unknown, body: string) => {
        problems.push(...checkGithubRequest(req.method ?? 'GET', req.path ?? '/', body));
      });
      return scope;
    },
    scope(baseUrl: string) {
      return nock(baseUrl);
    },
    takeProblems: () => problems.splice(0, problems.length),
  };
}
