/**
 * `tandem start|server|worker` as real processes (node + tsx, no npx wrapper, so signals reach Tandem
 * itself): a temp data directory (PGlite + BullMQ's PostgreSQL backend, or Redis), a free port, Docker
 * for the worker side. GET /healthz answers 200; without GitHub App credentials the Probot setup page
 * (manifest form pointing the hook at /api/github/webhooks) is served; SIGTERM exits 0 within the grace;
 * a bad environment exits 1 with one error naming every bad variable and never echoing a value.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/sandbox/container-options.js';
import { sandboxWorkerId } from '../../worker/worker-side.js';
import { childEnv } from '../helpers/child-env.js';

let dir = '';
let child: Spawned | undefined;
let gitea: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (gitea ? gitea.close(resolve) : resolve(undefined)));
  gitea = undefined;
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await child.catch(() => undefined);
  }
  child = undefined;
  if (dir) {
    // A process killed by a failing test leaves its warm sandbox behind: remove it by its worker label.
    const ids = await execa('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=${LABELS.worker}=${sandboxWorkerId(dir)}`,
    ]);
    const list = ids.stdout.split('\n').filter(Boolean);
    if (list.length > 0) {
      await execa('docker', ['rm', '-f', ...list]);
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Spawned = ReturnType<typeof tandem>;

/** A stand-in Gitea that only knows who the bot token belongs to (`GET /api/v1/user`). */
async function startFakeGitea(): Promise<string> {
  gitea = createHttpServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1/user') {
      res.end(JSON.stringify({ id: 3, login: 'tandem-bot' }));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => gitea!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(gitea.address() as { port: number }).port}`;
}

/** Spawns `tandem <mode>` with only `env` (plus PATH/HOME) in its environment. */
function tandem(mode: string, env: Record<string, string>) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', mode], {
    reject: false,
    extendEnv: false,
    env: childEnv(env),
    all: true,
  });
}

async function waitForHealth(url: string, timeoutMs: number): Promise<Response> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      return res;
    } catch (error) {
      if (Date.now() > until || child?.exitCode !== null) {
        throw new Error(`no /healthz within ${timeoutMs} ms`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('tandem start / server / worker (spawned)', () => {
  it('start: /healthz 200, the GitHub App setup page, SIGTERM → exit 0 within the grace', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-start-'));
    const port = await freePort();
    child = tandem('start', {
      TANDEM_DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      TANDEM_SANDBOX_POOL_SIZE: '1',
      TANDEM_SHUTDOWN_GRACE_SECONDS: '10',
      LOG_LEVEL: 'info',
    });
    let seen = '';
    child.all?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    const url = `http://127.0.0.1:${port}`;
    const health = await waitForHealth(url, 90_000);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', setup: true, forges: [] });

    // The setup routes need the one-time token printed in the log.
    expect((await fetch(`${url}/probot`)).status).toBe(403);
    for (let i = 0; i < 100 && !seen.includes('"setupUrl"'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const setupUrl = /"setupUrl":"([^"]+)"/.exec(seen)?.[1];
    expect(setupUrl).toMatch(new RegExp(`^${url}/probot\\?token=[A-Za-z0-9_-]{32}$`));
    const link = await fetch(setupUrl!, { redirect: 'manual' });
    expect(link.status).toBe(303);
    const cookie = (link.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await fetch(`${url}/probot`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const manifest = /name="manifest"[^>]*value='([^']*)'/.exec(html)?.[1];
    expect(JSON.parse(manifest!)).toMatchObject({
      hook_attributes: { url: `${url}/api/github/webhooks` },
      redirect_url: `${url}/probot/setup`,
    });
    // No GitHub secret configured: the GitHub webhook route does not exist yet.
    expect((await fetch(`${url}/api/github/webhooks`, { method: 'POST' })).status).toBe(404);

    // The start-up model check loads node-llama-cpp (and signal-exit with it): SIGTERM after that
    // must still shut down gracefully rather than be re-raised by signal-exit.
    const until = Date.now() + 30_000;
    while (!seen.includes('embedded model not downloaded yet') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toContain('"alias":"local-coder"');
    const started = Date.now();
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.all).toContain('GitHub App');
    expect(result.all).toContain('"msg":"stopped"');
  }, 150_000);

  it('SIGTERM during start-up, once the warm sandbox exists: stops once started, no container left', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-early-'));
    const label = `label=${LABELS.worker}=${sandboxWorkerId(dir)}`;
    const containers = async () =>
      (await execa('docker', ['ps', '-aq', '--filter', label])).stdout.split('\n').filter(Boolean);
    child = tandem('start', {
      TANDEM_DATA_DIR: dir,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      TANDEM_SANDBOX_POOL_SIZE: '1',
      TANDEM_SHUTDOWN_GRACE_SECONDS: '5',
      LOG_LEVEL: 'info',
    });
    const until = Date.now() + 90_000;
    while ((await containers()).length === 0 && child.exitCode === null && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await containers()).toHaveLength(1);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('"msg":"stopped"');
    expect(await containers()).toEqual([]);
    // Which side of "started" the signal fell on depends on the machine's speed; both must clean up.
    if (!result.all.includes('"msg":"workers started"')) {
      expect(result.all).toContain('SIGTERM during start-up: stopping once started');
    }
  }, 150_000);

  it('server and worker run apart on Redis; the worker serves no HTTP', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-split-'));
    const port = await freePort();
    const env = {
      TANDEM_DATA_DIR: dir,
      PORT: String(port),
      REDIS_URL: 'redis://127.0.0.1:6379',
      GITEA_URL: await startFakeGitea(),
      GITEA_TOKEN: 'gitea-token-not-echoed',
      GITEA_WEBHOOK_SECRET: 'hook-secret',
      GITEA_BOT_LOGIN: 'tandem-bot',
      TANDEM_SANDBOX_POOL_SIZE: '0',
      TANDEM_SHUTDOWN_GRACE_SECONDS: '5',
    };
    // The server migrates the database first; the worker then opens the same PGlite directory.
    child = tandem('server', env);
    const health = await waitForHealth(`http://127.0.0.1:${port}`, 90_000);
    // A Gitea server: no GitHub App setup routes unless TANDEM_GITHUB_SETUP asks for them.
    expect(await health.json()).toMatchObject({ status: 'ok', forges: ['gitea'], setup: false });
    expect((await fetch(`http://127.0.0.1:${port}/probot`)).status).toBe(404);
    child.kill('SIGTERM');
    const server = await child;
    expect(server.exitCode).toBe(0);

    child = tandem('worker', { ...env, PORT: String(port) });
    let seen = '';
    child.all?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    const until = Date.now() + 90_000;
    while (!seen.includes('workers started') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    child.kill('SIGTERM');
    const worker = await child;
    expect(worker.exitCode).toBe(0);
    expect(worker.all).toContain('workers started');
    expect(worker.all).not.toContain('gitea-token-not-echoed');
  }, 200_000);

  it('a bad environment exits 1 with one error naming the variables, no value echoed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-bad-'));
    const key = join(dir, 'missing.pem');
    await writeFile(join(dir, 'note'), 'x');
    const result = await tandem('start', {
      TANDEM_DATA_DIR: dir,
      PORT: 'eighty',
      REDIS_URL: 'http://secret-host-value:6379',
      APP_ID: '42',
      PRIVATE_KEY_PATH: key,
    });
    expect(result.exitCode).toBe(1);
    const out = String(result.all);
    expect(out).toContain('invalid environment');
    for (const name of ['PORT', 'REDIS_URL', 'WEBHOOK_SECRET', 'PRIVATE_KEY_PATH']) {
      expect(out).toContain(name);
    }
    expect(out).not.toContain('secret-host-value');
    expect(out).not.toContain('eighty');
    expect(out.match(/invalid environment/g)).toHaveLength(1);
  }, 60_000);

  it('a bad model catalog exits 1 naming the file and the problem, before anything is opened', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-badcat-'));
    const catalog = join(dir, 'catalog.yaml');
    await writeFile(
      catalog,
      'models:\n  cloud:\n    provider: openai\n    model: m\n    apiKey: ${NO_SUCH_KEY}\n',
    );
    const result = await tandem('worker', { TANDEM_DATA_DIR: dir, TANDEM_MODEL_CATALOG: catalog });
    expect(result.exitCode).toBe(1);
    const out = String(result.all);
    expect(out).toContain('tandem worker: cannot start');
    expect(out).toContain(catalog);
    expect(out).toContain('NO_SUCH_KEY');
    expect(out).not.toContain('storage ready');
  }, 60_000);
});
