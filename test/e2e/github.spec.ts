/**
 * GitHub end to end through the real ingestion path: real `@octokit/webhooks-examples` payloads
 * retargeted at `octo/app`, signed and POSTed to Tandem's HTTP server (src/ingest), recorded with the
 * outbox and relayed to the `events` queue on the local Redis, routed by the real workers (BullMQ), the
 * real GitHub forge (Probot installation auth) talking to a stateful nock fake of the GitHub API whose
 * every request is checked against `@octokit/openapi` (test/http-mock.ts), a real bare git remote,
 * PGlite and a scripted model. The flow itself is in `e2e-flow.ts`. The pair step is the stand-in runner
 * of test/workflow (real git commits, no sandbox); docs/deployment.md says why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { createTestProbot } from '../forge/test-probot.js';
import { useHttpMock } from '../http-mock.js';
import { issueToDone, startTandem, type ForgeUnderTest, type RunningTandem } from './e2e-flow.js';
import { fakeGithubApi } from './github-api-fake.js';
import {
  commentCreated,
  issueLabeled,
  NAME,
  OWNER,
  pullClosed,
  reviewSubmitted,
} from './github-payloads.js';

const http = useHttpMock();

const github: ForgeUnderTest = {
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

describe('GitHub end to end (webhooks → ingestion → workers → GitHub API)', () => {
  let tandem: RunningTandem | undefined;

  afterEach(async () => {
    await tandem?.close();
    tandem = undefined;
  });

  it('takes a labelled issue to reviewed, revised and merged PRs and a done request', async () => {
    tandem = await startTandem(github);
    await issueToDone(github, tandem);
    expect(tandem.api.requests).toContainEqual(
      expect.stringMatching(/^PUT \/repos\/octo\/app\/pulls\/\d+\/merge$/),
    );
  }, 120_000);
});
