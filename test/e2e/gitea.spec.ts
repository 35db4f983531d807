/**
 * The same end-to-end flow on Gitea: Gitea webhook bodies (test/fixtures/gitea, with `X-Gitea-*` and
 * GitHub-style headers and the bare-hex signature) POSTed to the real ingestion server, the real Gitea
 * forge (REST `/api/v1`, token auth) against a stateful nock fake of Gitea's API (labels by id, reviews
 * without ids in webhooks, `POST …/merge`), a bare git remote, PGlite, BullMQ on Redis, a scripted model
 * and the stand-in pair runner. The flow itself is in `e2e-flow.ts`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGiteaForge } from '../../src/forge/gitea/gitea-forge.js';
import { useHttpMock } from '../http-mock.js';
import { issueToDone, startTandem, type ForgeUnderTest, type RunningTandem } from './e2e-flow.js';
import { fakeGiteaApi } from './gitea-api-fake.js';
import {
  GITEA_NAME,
  GITEA_OWNER,
  giteaComment,
  giteaIssueLabeled,
  giteaPullMerged,
  giteaReviewRejected,
} from './gitea-payloads.js';

const http = useHttpMock();
const GITEA = 'https://gitea.test';
const TOKEN = 'gitea-bot-token-0123456789';
let authorizations = new Set<string>();

const gitea: ForgeUnderTest = {
  kind: 'gitea',
  repo: { owner: GITEA_OWNER, name: GITEA_NAME },
  createForge: () => createGiteaForge({ baseUrl: GITEA, token: TOKEN, botLogin: 'tandem-bot' }),
  fake: (store) => {
    const fake = fakeGiteaApi(http.scope(GITEA), store, GITEA_OWNER, GITEA_NAME, GITEA);
    authorizations = fake.authorizations;
    return fake;
  },
  botLogins: ['tandem-bot'],
  payloads: {
    labeled: (n, title) => ['issues', giteaIssueLabeled(n, title, 'tandem')],
    comment: (n, author, body, onPull) => ['issue_comment', giteaComment(n, author, body, onPull)],
    changesRequested: (pr, _id, body) => ['pull_request_rejected', giteaReviewRejected(pr, body)],
    merged: (pr) => ['pull_request', giteaPullMerged(pr)],
  },
};

describe('Gitea end to end (webhooks → ingestion → workers → Gitea API)', () => {
  let tandem: RunningTandem | undefined;

  afterEach(async () => {
    await tandem?.close();
    tandem = undefined;
  });

  it('takes a labelled issue to reviewed, revised and merged PRs and a done request', async () => {
    tandem = await startTandem(gitea);
    await issueToDone(gitea, tandem);
    expect([...authorizations]).toEqual([`token ${TOKEN}`]);
    expect(tandem.api.requests).toContainEqual(
      expect.stringMatching(/^POST \/api\/v1\/repos\/alice\/widgets\/pulls\/\d+\/merge$/),
    );
  }, 120_000);
});
