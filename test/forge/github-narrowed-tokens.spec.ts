/**
 * Installation tokens narrowed to one repository: the REST client of a repository and its push
 * credentials each get a token created with `repositories: [<name>]` and only the permissions they need
 * (`POST /app/installations/{installation_id}/access_tokens`, nock, every request checked against
 * GitHub's OpenAPI description). Two repositories of one installation never share a token.
 */
import { describe, expect, it } from 'vitest';
import { ForgeRequestError } from '../../src/errors/forge-request-error.js';
import { API_PERMISSIONS, PUSH_PERMISSIONS } from '../../src/forge/github/github-api.js';
import { generateKeyPairSync } from 'node:crypto';
import { createTandemProbot } from '../../src/forge/github/create-probot.js';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { createLogger } from '../../src/log/logger.js';
import { useHttpMock } from '../http-mock.js';
import { createTestProbot } from './test-probot.js';

const http = useHttpMock();
const widgets = { owner: 'octo', name: 'widgets', installationId: 77 };
const gadgets = { owner: 'octo', name: 'gadgets', installationId: 77 };

/** GitHub's answer to a narrowed token request (`installation-token` in the OpenAPI description). */
function tokenAnswer(token: string, name: string, permissions: object) {
  return {
    token,
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    permissions,
    repository_selection: 'selected',
    repositories: [
      {
        id: name.length,
        node_id: 'R_kgDOAAAAAA',
        name,
        full_name: `octo/${name}`,
        private: true,
        owner: { login: 'octo', id: 1, type: 'Organization' },
        html_url: `https://github.com/octo/${name}`,
      },
    ],
  };
}

const token = (tag: string) => `ghs_${tag.padEnd(36, '0')}`;

describe('GitHub installation tokens', () => {
  it('narrows the REST client of a repository to it and to the permissions Tandem uses', async () => {
    const probot = createTestProbot();
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    const bodies: unknown[] = [];
    const gh = http.github();
    gh.post('/app/installations/77/access_tokens', (b: unknown) => {
      bodies.push(b);
      return true;
    }).reply(201, tokenAnswer(token('widgetsapi'), 'widgets', API_PERMISSIONS));
    gh.get('/repos/octo/widgets')
      .twice()
      .matchHeader('authorization', `token ${token('widgetsapi')}`)
      .reply(200, { default_branch: 'main' });
    await expect(forge.getDefaultBranch(widgets)).resolves.toBe('main');
    // The token is cached: a second call asks GitHub for no new one.
    await expect(forge.getDefaultBranch(widgets)).resolves.toBe('main');
    expect(bodies).toEqual([{ repositories: ['widgets'], permissions: API_PERMISSIONS }]);
  });

  it('gives push credentials a token for the repository with contents: write only', async () => {
    const probot = createTestProbot();
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    http
      .github()
      .post(
        '/app/installations/77/access_tokens',
        (b: unknown) =>
          JSON.stringify(b) ===
          JSON.stringify({ repositories: ['widgets'], permissions: PUSH_PERMISSIONS }),
      )
      .reply(201, tokenAnswer(token('widgetspush'), 'widgets', PUSH_PERMISSIONS));
    expect(PUSH_PERMISSIONS).toEqual({ contents: 'write', metadata: 'read' });
    await expect(forge.pushCredentials(widgets)).resolves.toEqual({
      username: 'x-access-token',
      password: token('widgetspush'),
    });
  });

  it('never sends one repository’s token to another repository of the installation', async () => {
    const probot = createTestProbot();
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    const gh = http.github();
    for (const name of ['widgets', 'gadgets']) {
      gh.post(
        '/app/installations/77/access_tokens',
        (b: { repositories?: string[] }) => b.repositories?.[0] === name,
      ).reply(201, tokenAnswer(token(name), name, API_PERMISSIONS));
      gh.get(`/repos/octo/${name}`)
        .matchHeader('authorization', `token ${token(name)}`)
        .reply(200, { default_branch: name === 'widgets' ? 'main' : 'trunk' });
    }
    await expect(forge.getDefaultBranch(widgets)).resolves.toBe('main');
    await expect(forge.getDefaultBranch(gadgets)).resolves.toBe('trunk');
  });

  it('works on the Octokit the server uses (Probot defaults: throttling and retries on)', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const probot = createTandemProbot(
      { appId: 9, privateKey, webhookSecret: 'whsec-123456' },
      { log: createLogger({ level: 'silent' }) },
    );
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    const gh = http.github();
    gh.post('/app/installations/77/access_tokens', {
      repositories: ['widgets'],
      permissions: { ...API_PERMISSIONS },
    }).reply(201, tokenAnswer(token('probotdefault'), 'widgets', API_PERMISSIONS));
    gh.get('/repos/octo/widgets')
      .matchHeader('authorization', `token ${token('probotdefault')}`)
      .reply(200, { default_branch: 'main' });
    await expect(forge.getDefaultBranch(widgets)).resolves.toBe('main');
  });

  it('reports a permission the installation lacks as a forge error with GitHub’s status', async () => {
    const probot = createTestProbot();
    const forge = createGithubForge({ auth: (id) => probot.auth(id) });
    http.github().post('/app/installations/77/access_tokens').twice().reply(422, {
      message: 'The permissions requested are not granted to this installation.',
      documentation_url: 'https://docs.github.com/rest/apps/apps',
    });
    const viaClient = await forge.getDefaultBranch(widgets).catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(ForgeRequestError);
    expect(viaClient).toMatchObject({ status: 422 });
    const viaPush = await forge.pushCredentials(widgets).catch((e: unknown) => e);
    expect(viaPush).toBeInstanceOf(ForgeRequestError);
    expect(viaPush).toMatchObject({
      status: 422,
      path: '/app/installations/{installation_id}/access_tokens',
    });
  });
});
