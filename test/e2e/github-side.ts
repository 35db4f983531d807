/** The GitHub side of the end-to-end flow: the real GitHub forge, its nock fake and webhook payloads. */
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { createTestProbot } from '../forge/test-probot.js';
import type { HttpMock } from '../http-mock.js';
import type { ForgeUnderTest } from './e2e-flow.js';
import { fakeGithubApi } from './github-api-fake.js';
import {
  commentCreated,
  issueLabeled,
  NAME,
  OWNER,
  pullClosed,
  reviewSubmitted,
} from './github-payloads.js';

/** GitHub under test; the fake is installed on `http.github()` (OpenAPI-checked). */
export function githubUnderTest(http: HttpMock): ForgeUnderTest {
  return {
    kind: 'github',
    repo: { owner: OWNER, name: NAME },
    createForge: () => {
      const probot = createTestProbot();
      return createGithubForge({ auth: (id) => probot.auth(id) });
    },
    fake: (store) => fakeGithubApi(http.github(), store, OWNER, NAME),
    botLogins: ['tandem-e2e[bot]'],
    payloads: {
      labeled: (n, title) => ['issues', issueLabeled(n, title, 'tandem')],
      comment: (n, author, body, onPull) => [
        'issue_comment',
        commentCreated(n, author, body, onPull),
      ],
      changesRequested: (pr, id, body) => [
        'pull_request_review',
        reviewSubmitted({ ...pr, merged: false }, id, body),
      ],
      merged: (pr) => ['pull_request', pullClosed({ ...pr, merged: true })],
    },
  };
}
