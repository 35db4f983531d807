/**
 * Start-up's bot identity step against the forges' HTTP APIs (nock; GitHub requests checked against
 * GitHub's OpenAPI description): Gitea's `GET /api/v1/user` with the bot token fills in the login when
 * `GITEA_BOT_LOGIN` is unset and must match it when set; a refused token or a mismatch fails at once;
 * an unreachable forge is retried, then fails naming the variable; the GitHub App's `<slug>[bot]`
 * comes from `GET /app`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/config/server-config.js';
import { ConfigError } from '../../src/errors/index.js';
import { createLogger } from '../../src/log/logger.js';
import { ownBotLogins } from '../../worker/http-side.js';
import { resolveBotIdentities } from '../../worker/resolve-bot-identities.js';
import { useHttpMock } from '../http-mock.js';

const http = useHttpMock();
const GITEA = 'https://gitea.example.test';
const TOKEN = 'gitea-bot-token-0123456789';
const logger = createLogger({ level: 'silent' });
const gitea = (extra: Record<string, string> = {}) =>
  loadServerConfig({
    GITEA_URL: GITEA,
    GITEA_TOKEN: TOKEN,
    GITEA_WEBHOOK_SECRET: 'hook-secret',
    ...extra,
  });
/** Gitea's `GET /api/v1/user` answer (`modules/structs/user.go`, the fields Gitea 1.22 sends). */
const user = (login: string) => ({
  id: 3,
  login,
  login_name: '',
  full_name: 'Tandem',
  email: `${login}@noreply.gitea.example.test`,
  avatar_url: `${GITEA}/avatars/3`,
  is_admin: false,
  restricted: false,
  active: true,
  prohibit_login: false,
  visibility: 'public',
  created: '2026-11-01T10:00:00Z',
});

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('resolveBotIdentities', () => {
  it('learns the Gitea bot login from the token when GITEA_BOT_LOGIN is unset', async () => {
    http
      .scope(GITEA)
      .get('/api/v1/user')
      .matchHeader('authorization', `token ${TOKEN}`)
      .reply(200, user('tandem-bot'));
    const config = gitea();
    expect(config.gitea?.botLogin).toBeUndefined();
    expect(() => ownBotLogins(config)).toThrow(ConfigError);
    const resolved = await resolveBotIdentities(config, { logger });
    expect(resolved.gitea?.botLogin).toBe('tandem-bot');
    expect(ownBotLogins(resolved)).toEqual(['tandem-bot']);
  });

  it('accepts GITEA_BOT_LOGIN when it is the token’s user, and refuses it otherwise', async () => {
    http.scope(GITEA).get('/api/v1/user').twice().reply(200, user('Tandem-Bot'));
    const ok = await resolveBotIdentities(gitea({ GITEA_BOT_LOGIN: 'tandem-bot' }), { logger });
    expect(ok.gitea?.botLogin).toBe('Tandem-Bot');
    const error = await failure(
      resolveBotIdentities(gitea({ GITEA_BOT_LOGIN: 'someone-else' }), { logger }),
    );
    expect(error.issues).toEqual([
      {
        path: 'GITEA_BOT_LOGIN',
        message: 'is "someone-else", but GITEA_TOKEN belongs to "Tandem-Bot"',
      },
    ]);
  });

  it('fails at once on a refused token, naming GITEA_TOKEN and never its value', async () => {
    http.scope(GITEA).get('/api/v1/user').reply(401, { message: 'token is required' });
    const error = await failure(resolveBotIdentities(gitea(), { logger, retryDelaysMs: [1, 1] }));
    expect(error.issues).toEqual([
      { path: 'GITEA_TOKEN', message: 'Gitea refused the token (GET /api/v1/user: 401)' },
    ]);
    expect(error.message).not.toContain(TOKEN);
  });

  it('retries an unreachable Gitea, then gives up naming GITEA_URL', async () => {
    http.scope(GITEA).get('/api/v1/user').twice().reply(502, 'bad gateway');
    http.scope(GITEA).get('/api/v1/user').reply(200, user('tandem-bot'));
    const resolved = await resolveBotIdentities(gitea(), { logger, retryDelaysMs: [1, 1] });
    expect(resolved.gitea?.botLogin).toBe('tandem-bot');

    http.scope(GITEA).get('/api/v1/user').times(3).reply(503, 'starting');
    const error = await failure(resolveBotIdentities(gitea(), { logger, retryDelaysMs: [1, 1] }));
    expect(error.issues.map((i) => i.path)).toEqual(['GITEA_URL']);
  });

  it('learns the GitHub App’s <slug>[bot] from GET /app', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    http
      .github()
      .get('/app')
      .matchHeader('authorization', /^bearer /i)
      .reply(200, {
        id: 42,
        slug: 'tandem-acme',
        node_id: 'A_kwHOAAAAAAA',
        owner: { login: 'acme', id: 1, type: 'Organization' },
        name: 'Tandem (acme)',
        description: null,
        external_url: 'https://tandem.acme.test',
        html_url: 'https://github.com/apps/tandem-acme',
        created_at: '2026-11-21T09:00:00Z',
        updated_at: '2026-11-21T09:00:00Z',
        permissions: { contents: 'write', issues: 'write', metadata: 'read' },
        events: ['issues', 'issue_comment'],
      });
    const config = loadServerConfig({
      APP_ID: '42',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: 'whsec-1',
    });
    const resolved = await resolveBotIdentities(config, { logger });
    expect(resolved.github?.botLogin).toBe('tandem-acme[bot]');
    expect(ownBotLogins(resolved)).toEqual(['tandem-acme[bot]']);
  });
});
