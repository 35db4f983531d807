/**
 * The Gitea end-to-end flow of `gitea.spec.ts` with the real pair engine: `createEnginePairRunner` with
 * Docker sandboxes (`tandem-sandbox:latest`, warm pool of one) on the calc fixture (Python, pytest) and
 * the scripted turns of `test/fixtures/workflow/engine-e2e.yaml`, as `github-engine.spec.ts` does on
 * GitHub. Runs by default (skip with `TANDEM_E2E_ENGINE=0`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useHttpMock } from '../http-mock.js';
import { ENGINE_FLOW, issueToDone, startTandem, type RunningTandem } from './e2e-flow.js';
import { GITEA_TOKEN, giteaUnderTest } from './gitea-side.js';

const http = useHttpMock();
const gitea = giteaUnderTest(http);

describe.skipIf(process.env.TANDEM_E2E_ENGINE === '0')(
  'Gitea end to end with the real pair engine in Docker',
  () => {
    let tandem: RunningTandem | undefined;

    afterEach(async () => {
      await tandem?.close();
      tandem = undefined;
    });

    it('takes a labelled issue to engine-made, revised and merged PRs and a done request', async () => {
      tandem = await startTandem(gitea, 'engine');
      await issueToDone(gitea, tandem, ENGINE_FLOW);
      expect(gitea.authorizations()).toEqual([`token ${GITEA_TOKEN}`]);
      expect(tandem.api.requests).toContainEqual(
        expect.stringMatching(/^POST \/api\/v1\/repos\/alice\/widgets\/statuses\/[0-9a-f]{40}$/),
      );
    }, 300_000);
  },
);
