import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/config/server-config.js';
import { saveGithubAppEnv, withGithubAppEnv } from '../../worker/github-app-env.js';

let dir = '';
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('github-app.env (credentials from the manifest flow)', () => {
  it('round-trips the app id, PEM key and secret into a 0600 file that loadServerConfig accepts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-appenv-'));
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const path = await saveGithubAppEnv(dir, {
      APP_ID: '1234',
      PRIVATE_KEY: pem,
      WEBHOOK_SECRET: 'abc123',
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const env = await withGithubAppEnv({ TANDEM_DATA_DIR: dir });
    expect(env.PRIVATE_KEY?.trim()).toBe(pem.trim());
    const config = loadServerConfig(env);
    expect(config.github).toMatchObject({ appId: 1234, webhookSecret: 'abc123' });
  });

  it('lets the real environment win and works without a file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-appenv-'));
    expect(await withGithubAppEnv({ TANDEM_DATA_DIR: dir, PORT: '1' })).toEqual({
      TANDEM_DATA_DIR: dir,
      PORT: '1',
    });
    await saveGithubAppEnv(dir, { APP_ID: '1', WEBHOOK_SECRET: 'file' });
    await saveGithubAppEnv(dir, { PRIVATE_KEY: 'k' });
    const env = await withGithubAppEnv({ TANDEM_DATA_DIR: dir, WEBHOOK_SECRET: 'real' });
    expect(env).toMatchObject({ APP_ID: '1', WEBHOOK_SECRET: 'real', PRIVATE_KEY: 'k' });
  });
});
