/**
 * The GitHub and Gitea end-to-end flows of `github.spec.ts` and `gitea.spec.ts` with the real pair
 * engine: `createEnginePairRunner` with Docker sandboxes (`tandem-sandbox:latest`, warm pool of one)
 * on the calc fixture (Python, pytest) and the scripted turns of
 * `test/fixtures/workflow/engine-e2e.yaml`. The PR histories show red before green from the engine's
 * own verified runs; the revision after "changes requested" proves the first criterion already met and
 * adds a red/green cycle for the review's point.
 *
 * Runs by default (skip with `TANDEM_E2E_ENGINE=0`). Under nock's HTTP interceptor a hijacked
 * `docker exec` start can die on the socket with EPIPE; `execCommand` retries such a start, and a job
 * that still fails is retried by BullMQ and resumes its phase attempt, hearing the same scripted turns
 * (`ModelRequest.conversation`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useHttpMock } from '../http-mock.js';
import {
  ENGINE_FLOW,
  issueToDone,
  startTandem,
  type ForgeUnderTest,
  type RunningTandem,
} from './e2e-flow.js';
import { GITEA_TOKEN, giteaUnderTest } from './gitea-side.js';
import { githubUnderTest } from './github-side.js';

const http = useHttpMock();
const gitea = giteaUnderTest(http);

const forges: { name: string; side: ForgeUnderTest; status: RegExp; check?: () => void }[] = [
  {
    name: 'GitHub',
    side: githubUnderTest(http),
    status: /^POST \/repos\/octo\/app\/statuses\/[0-9a-f]{40}$/,
  },
  {
    name: 'Gitea',
    side: gitea,
    status: /^POST \/api\/v1\/repos\/alice\/widgets\/statuses\/[0-9a-f]{40}$/,
    check: () => expect(gitea.authorizations()).toEqual([`token ${GITEA_TOKEN}`]),
  },
];

describe.skipIf(process.env.TANDEM_E2E_ENGINE === '0')(
  'end to end with the real pair engine in Docker',
  () => {
    let tandem: RunningTandem | undefined;

    afterEach(async () => {
      await tandem?.close();
      tandem = undefined;
    });

    it.each(forges)(
      '$name: a labelled issue becomes engine-made, revised and merged PRs and a done request',
      async ({ side, status, check }) => {
        tandem = await startTandem(side, 'engine');
        await issueToDone(side, tandem, ENGINE_FLOW);
        expect(tandem.api.requests).toContainEqual(expect.stringMatching(status));
        check?.();
      },
      300_000,
    );
  },
);
