/**
 * The Gitea side of the end-to-end flow: the real Gitea forge (REST `/api/v1`, token auth), a stateful
 * nock fake of Gitea's API and Gitea's webhook bodies.
 */
import { createGiteaForge } from '../../src/forge/gitea/gitea-forge.js';
import type { HttpMock } from '../http-mock.js';
import type { ForgeUnderTest } from './e2e-flow.js';
import { fakeGiteaApi } from './gitea-api-fake.js';
import {
  GITEA_NAME,
  GITEA_OWNER,
  giteaComment,
  giteaIssueLabeled,
  giteaPullMerged,
  giteaReviewRejected,
} from './gitea-payloads.js';

/** The fake Gitea's base URL. */
export const GITEA = 'https://gitea.test';
/** The bot user's API token. */
export const GITEA_TOKEN = 'gitea-bot-token-0123456789';

/** Gitea under test, plus every `Authorization` header its fake received. */
export function giteaUnderTest(http: HttpMock): ForgeUnderTest & { authorizations(): string[] } {
  let authorizations = new Set<string>();
  return {
    kind: 'gitea',
    repo: { owner: GITEA_OWNER, name: GITEA_NAME },
    createForge: () =>
      createGiteaForge({ baseUrl: GITEA, token: GITEA_TOKEN, botLogin: 'tandem-bot' }),
    fake: (store) => {
      const fake = fakeGiteaApi(http.scope(GITEA), store, GITEA_OWNER, GITEA_NAME, GITEA);
      authorizations = fake.authorizations;
      return fake;
    },
    authorizations: () => [...authorizations],
    botLogins: ['tandem-bot'],
    payloads: {
      labeled: (n, title) => ['issues', giteaIssueLabeled(n, title, 'tandem')],
      comment: (n, author, body, onPull) => [
        'issue_comment',
        giteaComment(n, author, body, onPull),
      ],
      changesRequested: (pr, _id, body) => ['pull_request_rejected', giteaReviewRejected(pr, body)],
      merged: (pr) => ['pull_request', giteaPullMerged(pr)],
    },
  };
}
