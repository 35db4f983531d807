/**
 * The same end-to-end flow on Gitea: Gitea webhook bodies (test/fixtures/gitea, with `X-Gitea-*` and
 * GitHub-style headers and the bare-hex signature) POSTed to the real ingestion server, the real Gitea
 * forge (REST `/api/v1`, token auth) against a stateful nock fake of Gitea's API (labels by id, reviews
 * without ids in webhooks, `POST …/merge`), a bare git remote, PGlite, BullMQ on Redis, a scripted model
 * and the stand-in pair runner; `engine-flow.spec.ts` runs it on the real engine. The flow itself is in
 * `e2e-flow.ts`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useHttpMock } from '../http-mock.js';
import { issueToDone, startTandem, type RunningTandem } from './e2e-flow.js';
import { GITEA_TOKEN, giteaUnderTest } from './gitea-side.js';

const http = useHttpMock();
const gitea = giteaUnderTest(http);

describe('Gitea end to end (webhooks → ingestion → workers → Gitea API)', () => {
  let tandem: RunningTandem | undefined;

  afterEach(async () => {
    await tandem?.close();
    tandem = undefined;
  });

  it('takes a labelled issue to reviewed, revised and merged PRs and a done request', async () => {
    tandem = await startTandem(gitea);
    await issueToDone(gitea, tandem);
    expect(gitea.authorizations()).toEqual([`token ${GITEA_TOKEN}`]);
    expect(tandem.api.requests).toContainEqual(
      expect.stringMatching(/^POST \/api\/v1\/repos\/alice\/widgets\/pulls\/\d+\/merge$/),
    );
  }, 120_000);
});
