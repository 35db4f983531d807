/**
 * `Forge.findIssueByMarker` on both forges (added for the plan job's idempotency): GitHub lists the
 * label's issues in every state and skips pull requests; Gitea asks for issues only. Lowest number
 * wins; no match is null. nock with the GitHub OpenAPI check (test/http-mock.ts).
 */
import { describe, expect, it } from 'vitest';
import { withMarker } from '../../src/forge/comment-marker.js';
import { createGiteaForge } from '../../src/forge/gitea/gitea-forge.js';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { createTestProbot, INSTALLATION_TOKEN } from '../forge/test-probot.js';
import { useHttpMock } from '../http-mock.js';

const http = useHttpMock();
const marker = 'ticket-4-T1';

const ghIssue = (n: number, body: string | null, extra: object = {}) => ({
  number: n,
  title: `Ticket ${n}`,
  body,
  state: 'closed',
  labels: [{ name: 'tandem:ticket' }],
  user: { login: 'tandem[bot]' },
  html_url: `https://github.com/octo/widgets/issues/${n}`,
  ...extra,
});

describe('findIssueByMarker', () => {
  it('GitHub: finds the lowest-numbered issue with the marker among all states, never a PR', async () => {
    const probot = createTestProbot();
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    const gh = http.github();
    gh.post('/app/installations/77/access_tokens').reply(201, {
      token: INSTALLATION_TOKEN,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: {},
      repository_selection: 'all',
    });
    const query = { labels: 'tandem:ticket', state: 'all', per_page: '100' };
    gh.get('/repos/octo/widgets/issues')
      .query(query)
      .twice()
      .reply(200, [
        ghIssue(12, withMarker(marker, 'pr'), { pull_request: { url: 'x' } }),
        ghIssue(11, withMarker(marker, 'second')),
        ghIssue(9, withMarker(marker, 'first')),
        ghIssue(8, null),
        ghIssue(7, withMarker('ticket-4-T10', 'other key')),
      ]);
    const repo = { owner: 'octo', name: 'widgets', installationId: 77 };
    const found = await forge.findIssueByMarker(repo, 'tandem:ticket', marker);
    expect(found?.number).toBe(9);
    expect(await forge.findIssueByMarker(repo, 'tandem:ticket', 'ticket-4-T3')).toBeNull();
  });

  it('Gitea: asks for issues with the label in every state', async () => {
    const forge = createGiteaForge({ baseUrl: 'https://gitea.test', token: 'tok-123456789' });
    http
      .scope('https://gitea.test')
      .get('/api/v1/repos/alice/widgets/issues')
      .query({ labels: 'tandem:ticket', state: 'all', type: 'issues', page: '1', limit: '50' })
      .reply(200, [
        { number: 3, title: 'a', body: 'no marker', state: 'open', labels: [], html_url: 'u' },
        {
          number: 5,
          title: 'b',
          body: withMarker(marker, 'x'),
          state: 'open',
          labels: [],
          html_url: 'u',
        },
      ]);
    const found = await forge.findIssueByMarker(
      { owner: 'alice', name: 'widgets' },
      'tandem:ticket',
      marker,
    );
    expect(found?.number).toBe(5);
  });
});
