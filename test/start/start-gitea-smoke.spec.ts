/**
 * `tandem start` wires the whole chain in one process: a signed Gitea delivery (the `issues` opened
 * fixture) is accepted by the HTTP side, written to the outbox, relayed to the `events` queue on BullMQ's
 * PostgreSQL backend over the embedded PGlite, taken by the router in the worker side, which then asks
 * "Gitea" (a small HTTP server in this test) for the repository's policy with the bot token. A replayed
 * delivery is answered `duplicate` and never reaches the worker twice. With `GITEA_BOT_LOGIN` unset, the
 * bot's login is learnt from the token at start, so the bot's own comments (one ending in `/approve`, a
 * plain reply) are dropped at ingestion and can neither approve nor wake the PM.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { postDelivery } from '../ingest/post-delivery.js';
import { childEnv } from '../helpers/child-env.js';

const TOKEN = 'gitea-bot-token-0123456789';
const SECRET = 'gitea-hook-secret';

let dir = '';
let gitea: Server | undefined;
let child: ReturnType<typeof spawnStart> | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await child;
  }
  child = undefined;
  await new Promise((resolve) => (gitea ? gitea.close(resolve) : resolve(undefined)));
  gitea = undefined;
  await rm(dir, { recursive: true, force: true });
});

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

/** A stand-in Gitea API: the repository answers, every file is missing (default policy). */
async function startFakeGitea(seen: Seen[]): Promise<string> {
  gitea = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && path === '/api/v1/user') {
      res.end(JSON.stringify({ id: 3, login: 'tandem-bot', full_name: 'Tandem' }));
      return;
    }
    if (req.method === 'GET' && /^\/api\/v1\/repos\/[^/]+\/[^/]+$/.test(path)) {
      res.end(JSON.stringify({ default_branch: 'main' }));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ message: 'not found' }));
  });
  await new Promise<void>((resolve) => gitea!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(gitea.address() as AddressInfo).port}`;
}

/** `tandem start` as one node process with only `env` (plus PATH/HOME). */
function spawnStart(env: Record<string, string>) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    reject: false,
    extendEnv: false,
    all: true,
    env: childEnv(env),
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('tandem start: webhook to worker in one process', () => {
  it('routes a signed Gitea delivery to the worker, and drops the bot’s own comments (login learnt from the token)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-smoke-'));
    const seen: Seen[] = [];
    const giteaUrl = await startFakeGitea(seen);
    const port = await freePort();
    const proc = spawnStart({
      TANDEM_DATA_DIR: dir,
      PORT: String(port),
      GITEA_URL: giteaUrl,
      GITEA_TOKEN: TOKEN,
      GITEA_WEBHOOK_SECRET: SECRET,
      TANDEM_SANDBOX_POOL_SIZE: '0',
      TANDEM_SHUTDOWN_GRACE_SECONDS: '5',
    });
    child = proc;
    const url = `http://127.0.0.1:${port}`;
    const until = Date.now() + 90_000;
    for (;;) {
      const up = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) {
        break;
      }
      expect(Date.now()).toBeLessThan(until);
      await new Promise((r) => setTimeout(r, 250));
    }
    const payload = JSON.parse(
      await readFile('test/fixtures/gitea/issues-opened.json', 'utf8'),
    ) as unknown;
    const delivery = {
      forge: 'gitea' as const,
      event: 'issues',
      id: 'smoke-1',
      payload,
      secret: SECRET,
    };
    expect(await postDelivery(url, delivery)).toMatchObject({
      status: 200,
      body: { status: 'accepted' },
    });
    const policyRead = (s: Seen) =>
      s.method === 'GET' && s.path.startsWith('/api/v1/repos/alice/widgets/contents/');
    const deadline = Date.now() + 30_000;
    while (!seen.some(policyRead) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.filter(policyRead).length).toBeGreaterThan(0);
    expect(seen.every((s) => s.authorization === `token ${TOKEN}`)).toBe(true);
    expect(await postDelivery(url, delivery)).toMatchObject({
      status: 200,
      body: { status: 'duplicate' },
    });

    // The bot's own comments: a spec reply ending in `/approve`, and a plain reply.
    const comment = JSON.parse(
      await readFile('test/fixtures/gitea/issue_comment-created.json', 'utf8'),
    ) as { sender: object; comment: { user: object; body: string } };
    const bot = { id: 3, login: 'tandem-bot' };
    for (const [id, body] of [
      ['smoke-bot-approve', 'Here is the spec.\n/approve'],
      ['smoke-bot-reply', 'Thanks, I will revise the spec.'],
    ] as const) {
      const payload = {
        ...comment,
        sender: { ...comment.sender, ...bot },
        comment: { ...comment.comment, user: { ...comment.comment.user, ...bot }, body },
      };
      expect(
        await postDelivery(url, {
          forge: 'gitea',
          event: 'issue_comment',
          id,
          payload,
          secret: SECRET,
        }),
      ).toEqual({ status: 202, body: { status: 'ignored', reason: 'own_bot' } });
    }

    proc.kill('SIGTERM');
    const result = await proc;
    expect(result.exitCode).toBe(0);
    expect(String(result.all)).not.toContain(TOKEN);
    expect(String(result.all)).toContain('"login":"tandem-bot"');
  }, 150_000);
});
