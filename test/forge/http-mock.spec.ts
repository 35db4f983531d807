import { describe, expect, it } from 'vitest';
import { checkGithubRequest } from '../github-openapi.js';
import { GITHUB_API, useHttpMock } from '../http-mock.js';

const http = useHttpMock();

describe('checkGithubRequest (GitHub OpenAPI description)', () => {
  it('accepts documented requests, including encoded file paths and query strings', () => {
    expect(checkGithubRequest('GET', '/repos/o/r/issues/5/comments?per_page=100')).toEqual([]);
    expect(checkGithubRequest('GET', '/repos/o/r/contents/.github%2Ftandem.yml?ref=main')).toEqual(
      [],
    );
    expect(checkGithubRequest('POST', '/repos/o/r/issues', '{"title":"t","body":"b"}')).toEqual([]);
  });

  it('rejects an unknown path, a wrong method and unknown or missing body fields', () => {
    expect(checkGithubRequest('GET', '/repos/o/r/tickets')).toEqual([
      "GET /repos/o/r/tickets: no such path in GitHub's OpenAPI description",
    ]);
    expect(checkGithubRequest('DELETE', '/repos/o/r/issues/5')[0]).toMatch(/method not allowed/);
    expect(checkGithubRequest('POST', '/repos/o/r/issues', '{"title":"t","lables":["x"]}')).toEqual(
      ['POST /repos/{owner}/{repo}/issues: unknown body field "lables"'],
    );
    expect(checkGithubRequest('POST', '/repos/o/r/issues', '{"body":"b"}')[0]).toMatch(
      /missing required body field "title"/,
    );
  });
});

describe('useHttpMock', () => {
  it('records a GitHub request that is not in the OpenAPI description', async () => {
    http.github().get('/repos/o/r/tickets').reply(200, []);
    const res = await fetch(`${GITHUB_API}/repos/o/r/tickets`);
    expect(res.status).toBe(200);
    expect(http.takeProblems()).toEqual([
      "GET /repos/o/r/tickets: no such path in GitHub's OpenAPI description",
    ]);
  });

  it('records a request that matches no mock, and blocks real network', async () => {
    http.scope('https://gitea.example').get('/api/v1/version').reply(200, { version: '1.22.0' });
    await fetch('https://gitea.example/api/v1/version');
    await expect(fetch('https://gitea.example/api/v1/user')).rejects.toThrow();
    expect(http.takeProblems()).toEqual([
      expect.stringMatching(/^unmatched request: GET .*\/api\/v1\/user$/),
    ]);
  });
});
