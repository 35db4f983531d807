/**
 * The GitHub App manifest flow's last step (GitHub redirects the operator back to
 * `/probot/setup?code=…`): Probot's setup app, served by `createGithubSetupHandler`, exchanges the code
 * with `POST /app-manifests/{code}/conversions` (nock, checked against `@octokit/openapi`), Tandem keeps
 * the app id, private key and webhook secret in `<data dir>/github-app.env` (0600, nothing else), logs
 * none of them, and a restarted Tandem loads them as its GitHub configuration. A code GitHub rejects
 * writes nothing. Every setup route needs the one-time setup token (query parameter, then cookie):
 * without it nothing is exchanged or written.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/config/server-config.js';
import { createLogger } from '../../src/log/logger.js';
import { withGithubAppEnv } from '../../worker/github-app-env.js';
import { createGithubSetupHandler } from '../../worker/github-setup.js';
import { useHttpMock } from '../http-mock.js';

const http = useHttpMock();
const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
const PEM_BODY_LINE = PEM.split('\n')[1]!;
const TOKEN = 'one-time-setup-token-for-tests';
const COOKIE = { cookie: `tandem_setup=${TOKEN}` };

/** GitHub's answer to the code exchange (fields as in GitHub's "Create a GitHub App from a manifest"). */
const conversion = {
  id: 4242,
  slug: 'tandem-acme',
  node_id: 'A_kwHOAAAAAAA',
  owner: { login: 'acme', id: 1, type: 'Organization' },
  name: 'Tandem (acme)',
  description: 'Issues to tested pull requests',
  external_url: 'https://tandem.acme.test',
  html_url: 'https://github.com/apps/tandem-acme',
  created_at: '2026-11-21T09:00:00Z',
  updated_at: '2026-11-21T09:00:00Z',
  permissions: { issues: 'write', pull_requests: 'write', contents: 'write' },
  events: ['issues', 'issue_comment', 'pull_request'],
  client_id: 'Iv1.0123456789abcdef',
  client_secret: 'client-secret-never-kept-0123456789abcdef',
  webhook_secret: 'webhook-secret-from-github-0123456789',
  pem: PEM,
};

describe('GitHub App manifest flow: the code exchange', () => {
  let dir = '';
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function serveSetup(): Promise<{ url: string; logs: string[]; created: Promise<string> }> {
    dir = await mkdtemp(join(tmpdir(), 'tandem-setup-'));
    const logs: string[] = [];
    let created!: (path: string) => void;
    const createdPromise = new Promise<string>((r) => (created = r));
    const handler = await createGithubSetupHandler({
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      publicUrl: 'https://tandem.acme.test',
      logger: createLogger({ level: 'debug', destination: { write: (l: string) => logs.push(l) } }),
      token: TOKEN,
      onCreated: created,
    });
    server = createServer((req, res) => {
      handler(req, res).then(
        (handled) => handled || res.writeHead(404).end(),
        () => res.writeHead(500).end('setup failed'),
      );
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, logs, created: createdPromise };
  }

  it('keeps the app id, key and webhook secret in a 0600 file a restart loads, and logs none of them', async () => {
    const { url, logs, created } = await serveSetup();
    http.github().post('/app-manifests/code-from-github/conversions').reply(201, conversion);

    const res = await fetch(`${url}/probot/setup?code=code-from-github`, {
      redirect: 'manual',
      headers: COOKIE,
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(
      'https://github.com/apps/tandem-acme/installations/new',
    );

    const path = await created;
    expect(path).toBe(join(dir, 'github-app.env'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(conversion.client_secret);
    expect(text).not.toContain(conversion.client_id);

    const env = await withGithubAppEnv({ TANDEM_DATA_DIR: dir });
    expect(env.APP_ID).toBe('4242');
    expect(env.PRIVATE_KEY?.trim()).toBe(PEM.trim());
    expect(env.WEBHOOK_SECRET).toBe(conversion.webhook_secret);
    expect(loadServerConfig(env).github).toMatchObject({
      appId: 4242,
      webhookSecret: conversion.webhook_secret,
    });

    const logged = logs.join('\n');
    expect(logged).toContain('restart Tandem');
    for (const secret of [PEM_BODY_LINE, conversion.webhook_secret, conversion.client_secret]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('writes nothing when GitHub rejects the code', async () => {
    const { url } = await serveSetup();
    http
      .github()
      .post('/app-manifests/expired-code/conversions')
      .reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

    const res = await fetch(`${url}/probot/setup?code=expired-code`, {
      redirect: 'manual',
      headers: COOKIE,
    });
    expect(res.status).toBe(500);
    await expect(stat(join(dir, 'github-app.env'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await withGithubAppEnv({ TANDEM_DATA_DIR: dir })).toEqual({ TANDEM_DATA_DIR: dir });
  });

  it('refuses a setup request without a code', async () => {
    const { url } = await serveSetup();
    const res = await fetch(`${url}/probot/setup`, { redirect: 'manual', headers: COOKIE });
    expect(res.status).toBe(400);
  });

  it('refuses every setup route without the setup token, exchanging and writing nothing', async () => {
    const { url } = await serveSetup();
    // No mock for the code exchange: a request to GitHub would fail the test (http-mock).
    const wrong = { cookie: 'tandem_setup=guessed-token' };
    const attempts = [
      fetch(`${url}/probot/setup?code=code-from-github`, { redirect: 'manual' }),
      fetch(`${url}/probot/setup?code=code-from-github`, { redirect: 'manual', headers: wrong }),
      fetch(`${url}/probot/setup?code=code-from-github&token=${TOKEN.slice(0, -1)}`, {
        redirect: 'manual',
      }),
      fetch(`${url}/probot`),
      fetch(`${url}/probot/static/probot-head.svg`),
      fetch(`${url}/probot/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId: '1', pem: PEM, webhook_secret: 'imported-secret-123' }),
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
    }
    await expect(stat(join(dir, 'github-app.env'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes the token from the link once, then from its cookie, and writes an App only once', async () => {
    const { url, created } = await serveSetup();
    const link = await fetch(`${url}/probot?token=${TOKEN}`, { redirect: 'manual' });
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('/probot');
    const cookie = link.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^tandem_setup=${TOKEN}; Path=/; HttpOnly; SameSite=Lax`));
    const jar = { cookie: cookie.split(';')[0]! };
    const page = await fetch(`${url}/probot`, { headers: jar });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="manifest"');
    expect((await fetch(`${url}/probot/static/probot-head.svg`, { headers: jar })).status).toBe(
      200,
    );
    const imported = await fetch(`${url}/probot/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...jar },
      body: JSON.stringify({ appId: '77', pem: PEM, webhook_secret: 'imported-secret-123' }),
    });
    expect(imported.status).toBe(200);
    await created;
    expect((await withGithubAppEnv({ TANDEM_DATA_DIR: dir })).APP_ID).toBe('77');
    const again = await fetch(`${url}/probot/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...jar },
      body: JSON.stringify({ appId: '78', pem: PEM, webhook_secret: 'imported-secret-456' }),
    });
    expect(again.status).toBe(409);
    expect((await withGithubAppEnv({ TANDEM_DATA_DIR: dir })).APP_ID).toBe('77');
  });
});
