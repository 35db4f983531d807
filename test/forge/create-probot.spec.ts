import { describe, expect, it } from 'vitest';
import { createTandemProbot, githubBotLogin } from '../../src/forge/github/create-probot.js';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { createLogger } from '../../src/log/logger.js';
import { useHttpMock } from '../http-mock.js';
import { ProbotOctokit } from 'probot';
import { generateKeyPairSync } from 'node:crypto';

const http = useHttpMock();
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({
  ...o,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

describe('createTandemProbot', () => {
  it('authenticates as the App to learn its bot login', async () => {
    const probot = createTandemProbot(
      { appId: 42, privateKey, webhookSecret: 'secret-1' },
      { log: createLogger({ level: 'silent' }), Octokit },
    );
    http
      .github()
      .get('/app')
      .matchHeader('authorization', /^bearer /i)
      .reply(200, { id: 42, slug: 'tandem-dev', name: 'Tandem dev' });
    await expect(githubBotLogin(probot)).resolves.toBe('tandem-dev[bot]');
  });

  it('feeds installation tokens to the GitHub forge', async () => {
    const probot = createTandemProbot(
      { appId: 42, privateKey, webhookSecret: 'secret-1' },
      { log: createLogger({ level: 'silent' }), Octokit },
    );
    const gh = http.github();
    gh.post('/app/installations/5/access_tokens').reply(201, {
      token: 'ghs_fromprobot000000000000000000000000000',
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    gh.get('/repos/o/r')
      .matchHeader('authorization', 'token ghs_fromprobot000000000000000000000000000')
      .reply(200, { default_branch: 'trunk' });
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    await expect(
      forge.getDefaultBranch({ owner: 'o', name: 'r', installationId: 5 }),
    ).resolves.toBe('trunk');
  });
});
