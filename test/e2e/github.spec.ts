/**
 * GitHub end to end through the real ingestion path: real `@octokit/webhooks-examples` payloads
 * retargeted at `octo/app`, signed and POSTed to Tandem's HTTP server (src/ingest), recorded with the
 * outbox and relayed to the `events` queue on the local Redis, routed by the real workers (BullMQ), the
 * real GitHub forge (Probot installation auth) talking to a stateful nock fake of the GitHub API whose
 * every request is checked against `@octokit/openapi` (test/http-mock.ts), a real bare git remote,
 * PGlite and a scripted model. The flow itself is in `e2e-flow.ts`. Pair step: the stand-in runner
 * (real git commits, no sandbox); `engine-flow.spec.ts` runs the same flow on the real engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useHttpMock } from '../http-mock.js';
import { issueToDone, startTandem, type RunningTandem } from './e2e-flow.js';
import { githubUnderTest } from './github-side.js';

const http = useHttpMock();
const github = githubUnderTest(http);

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
