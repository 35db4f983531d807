/**
 * The HTTP side as `tandem server` starts it (a PGlite data directory, BullMQ's PostgreSQL backend on
 * it): the GitHub App setup routes exist only when `config.githubSetup` says so, never without the
 * one-time token printed in the log, and the side refuses to start while a configured forge's bot login
 * is unknown.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerConfig } from '../../src/config/server-config.js';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { ConfigError } from '../../src/errors/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createQueueBackend } from '../../src/queue/create-queue-backend.js';
import type { QueueBackend } from '../../src/queue/queue-backend.js';
import { startHttpSide, type HttpSide } from '../../worker/http-side.js';

let dir = '';
let database: DatabaseHandle;
let backend: QueueBackend;
let side: HttpSide | undefined;
let logs: string[] = [];

// One database and queue backend for the file: each test starts its own HTTP side on them.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-http-side-'));
  database = await createDatabase({ dataDir: dir });
  await migrateDatabase(database);
  backend = await createQueueBackend({}, { database });
});

afterAll(async () => {
  await backend.close();
  await database.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  logs = [];
});

afterEach(async () => {
  await side?.close();
  side = undefined;
});

async function freePort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return String(port);
}

async function start(env: Record<string, string>, patch: Partial<ServerConfig> = {}) {
  const config = {
    ...loadServerConfig({
      HOST: '127.0.0.1',
      PORT: await freePort(),
      TANDEM_DATA_DIR: dir,
      ...env,
    }),
    ...patch,
  };
  side = await startHttpSide({
    config,
    database,
    backend,
    logger: createLogger({ level: 'info', destination: { write: (l: string) => logs.push(l) } }),
    setupToken: 'printed-setup-token-0123456789',
  });
  return side.url;
}

const giteaEnv = {
  GITEA_URL: 'http://127.0.0.1:9',
  GITEA_TOKEN: 'gitea-token-0123456789',
  GITEA_WEBHOOK_SECRET: 'hook-secret-0123',
};

describe('HTTP side', () => {
  it('serves no setup route on a Gitea server, and writes nothing', async () => {
    const url = await start(giteaEnv, {
      gitea: { ...loadServerConfig(giteaEnv).gitea!, botLogin: 'tandem-bot' },
    });
    for (const path of ['/probot', '/probot/setup?code=x', '/probot/import']) {
      expect((await fetch(`${url}${path}`, { redirect: 'manual' })).status, path).toBe(404);
    }
    const posted = await fetch(`${url}/probot/import?token=printed-setup-token-0123456789`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: '1', pem: 'x', webhook_secret: 'y' }),
    });
    expect(posted.status).toBe(404);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({
      setup: false,
      forges: ['gitea'],
    });
    expect(await readdir(dir)).not.toContain('github-app.env');
  });

  it('with setup open, prints a link with the token and refuses requests without it', async () => {
    const url = await start({});
    const line = logs.find((l) => l.includes('GitHub App setup is open'));
    expect(line).toContain(`/probot?token=printed-setup-token-0123456789`);
    expect((await fetch(`${url}/probot`)).status).toBe(403);
    const page = await fetch(`${url}/probot`, {
      headers: { cookie: 'tandem_setup=printed-setup-token-0123456789' },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="manifest"');
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ setup: true, forges: [] });
  });

  it('refuses to start while a configured forge’s bot login is unknown', async () => {
    const error = await start(giteaEnv).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'GITEA_BOT_LOGIN', message: 'the bot login was not resolved at start' },
    ]);
    side = undefined;
  });
});
