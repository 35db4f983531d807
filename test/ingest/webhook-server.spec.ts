import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { outbox, webhookDeliveries } from '../../src/db/schema.js';
import { ForgeEvent } from '../../src/forge/forge-event.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { createOutboxRelay } from '../../src/ingest/outbox-relay.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/ingest/webhook-server.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { postDelivery } from './post-delivery.js';

const GITHUB_SECRET = 'github-secret-for-tests';
const GITEA_SECRET = 'gitea-secret-for-tests';
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];
const example = (name: string, action: string) =>
  examples.find((d) => d.name === name)!.examples.find((e) => e.action === action)!;
const giteaFixture = (name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/gitea/${name}.json`, import.meta.url), 'utf8'),
  ) as unknown;

let t: PgliteDatabaseHandle;
let server: RunningWebhookServer;
let logLines: string[];

beforeEach(async () => {
  t = await createTestDatabase();
  logLines = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  server = await startWebhookServer(
    {
      log: createLogger({ level: 'debug', destination }),
      githubWebhookSecret: GITHUB_SECRET,
      giteaWebhookSecret: GITEA_SECRET,
      botLogins: ['tandem-bot', 'tandem[bot]'],
      recorder: createDeliveryRecorder(t.db),
    },
    { port: 0 },
  );
});

afterEach(async () => {
  await server.close();
  await t.close();
});

async function recorded() {
  const deliveries = await t.db.select().from(webhookDeliveries);
  const rows = await t.db.select().from(outbox);
  return { deliveries, rows };
}

const github = (event: string, payload: unknown, id: string = randomUUID()) =>
  postDelivery(server.url, { forge: 'github', event, id, payload, secret: GITHUB_SECRET });

describe('webhook server', () => {
  it('accepts a signed GitHub delivery: delivery row + normalized event in the outbox', async () => {
    const res = await github('issues', example('issues', 'opened'), 'gh-1');
    expect(res).toEqual({ status: 200, body: { status: 'accepted' } });
    const { deliveries, rows } = await recorded();
    expect(deliveries).toMatchObject([
      { id: 'github-gh-1', forge: 'github', event: 'issues', action: 'opened' },
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ deliveryId: 'github-gh-1', queue: EVENTS_QUEUE });
    expect(ForgeEvent.parse(rows[0]!.payload).type).toBe('issue.opened');
  });

  it('records a redelivered id once and enqueues one job', async () => {
    const payload = example('issue_comment', 'created');
    const first = await github('issue_comment', payload, 'same-id');
    const second = await github('issue_comment', payload, 'same-id');
    expect([first.body.status, second.body.status]).toEqual(['accepted', 'duplicate']);
    const { deliveries, rows } = await recorded();
    expect(deliveries).toHaveLength(1);
    expect(rows).toHaveLength(1);

    const queue = new Queue(`test-${randomUUID()}`, {
      connection: { host: '127.0.0.1', port: 6379 },
    });
    try {
      const relay = createOutboxRelay({
        db: t.db,
        queues: { [EVENTS_QUEUE]: queue },
        log: createLogger({ level: 'silent' }),
      });
      expect(await relay.drain()).toBe(1);
      // A relay that crashed before marking the row re-adds it: still one job.
      await t.db.update(outbox).set({ relayedAt: null });
      expect(await relay.drain()).toBe(1);
      const jobs = await queue.getJobs(['waiting']);
      expect(jobs.map((j) => [j.id, j.name])).toEqual([['github-same-id', 'comment.created']]);
      expect(await relay.pending()).toBe(0);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('answers 401 to a bad or missing signature and records nothing', async () => {
    const res = await postDelivery(server.url, {
      forge: 'github',
      event: 'issues',
      id: 'x',
      payload: example('issues', 'opened'),
      secret: GITHUB_SECRET,
      signWith: 'wrong-secret',
    });
    expect(res.status).toBe(401);
    const unsigned = await fetch(`${server.url}/api/gitea/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'issues',
        'x-gitea-delivery': 'y',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    expect(await recorded()).toEqual({ deliveries: [], rows: [] });
  });

  it('answers 400 to truncated JSON and to a payload missing its fields', async () => {
    const text = JSON.stringify(example('issues', 'opened'));
    const truncated = await postDelivery(server.url, {
      forge: 'github',
      event: 'issues',
      id: 'a',
      raw: text.slice(0, text.length / 2),
      secret: GITHUB_SECRET,
    });
    expect(truncated.status).toBe(400);
    const malformed = await github('issues', { action: 'opened', sender: { login: 'x' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('malformed payload');
    expect(await recorded()).toEqual({ deliveries: [], rows: [] });
  });

  it('answers 415 to a form-encoded Gitea hook and tells the admin to switch to JSON', async () => {
    const form = `payload=${encodeURIComponent(JSON.stringify(giteaFixture('issues-opened')))}`;
    const res = await postDelivery(server.url, {
      forge: 'gitea',
      event: 'issues',
      id: 'f-1',
      raw: form,
      secret: GITEA_SECRET,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(415);
    expect(logLines.join('')).toMatch(/set the webhook content type to application\/json/);
    const plain = await postDelivery(server.url, {
      forge: 'gitea',
      event: 'issues',
      id: 'f-2',
      payload: giteaFixture('issues-opened'),
      secret: GITEA_SECRET,
      contentType: 'text/plain',
    });
    expect(plain.status).toBe(400);
    expect(await recorded()).toEqual({ deliveries: [], rows: [] });
  });

  it('answers 202 ignored to unknown events, ping and the own bot, recording nothing', async () => {
    expect((await github('star', { action: 'created' })).status).toBe(202);
    expect((await github('ping', { zen: 'Keep it logically awesome.' })).body).toEqual({
      status: 'ignored',
      reason: 'ping',
    });
    const own = await postDelivery(server.url, {
      forge: 'gitea',
      event: 'pull_request',
      id: 'g-bot',
      payload: giteaFixture('pull_request-opened'),
      secret: GITEA_SECRET,
    });
    expect(own).toEqual({ status: 202, body: { status: 'ignored', reason: 'own_bot' } });
    expect(await recorded()).toEqual({ deliveries: [], rows: [] });
  });

  it('accepts a Gitea delivery signed with X-Gitea-Signature', async () => {
    const res = await postDelivery(server.url, {
      forge: 'gitea',
      event: 'issue_comment',
      id: '6c2e3f4a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
      payload: giteaFixture('issue_comment-created'),
      secret: GITEA_SECRET,
    });
    expect(res.status).toBe(200);
    const { rows } = await recorded();
    expect(ForgeEvent.parse(rows[0]!.payload)).toMatchObject({
      type: 'comment.created',
      forge: 'gitea',
      deliveryId: 'gitea-6c2e3f4a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
      comment: { commands: [{ name: 'approve', args: '' }] },
    });
  });

  it('never answers 400 to a real payload of an event the App subscribes to (app.yml)', async () => {
    const manifest = parseYaml(readFileSync('app.yml', 'utf8')) as { default_events: string[] };
    // GitHub always sends installation events to an App, and ping when a hook is created.
    const names = [...manifest.default_events, 'installation', 'installation_repositories', 'ping'];
    const answers: string[] = [];
    for (const name of names) {
      const definition = examples.find((d) => d.name === name);
      expect(definition, name).toBeDefined();
      for (const payload of definition!.examples) {
        const res = await github(name, payload);
        answers.push(`${name}.${String(payload.action)} ${res.status}`);
      }
    }
    expect(answers.filter((a) => !/ 20[02]$/.test(a))).toEqual([]);
    expect(answers).toContain('issues.pinned 202');
    expect(answers).toContain('issues.unpinned 202');
    expect(answers.length).toBeGreaterThan(80);
  });

  it('logs one info line per accepted, ignored and duplicate delivery, and a reason for every 4xx', async () => {
    const payload = example('issue_comment', 'created');
    await github('issue_comment', payload, 'log-1');
    await github('issue_comment', payload, 'log-1');
    await github('issues', example('issues', 'pinned'), 'log-2');
    await postDelivery(server.url, {
      forge: 'github',
      event: 'issues',
      id: 'log-3',
      payload: {},
      secret: GITHUB_SECRET,
      contentType: 'text/plain',
    });
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const info = lines.filter((l) => l.level === 30);
    const repo = 'codertocat/hello-world';
    expect(info).toEqual([
      expect.objectContaining({
        msg: 'webhook accepted',
        deliveryId: 'log-1',
        event: 'issue_comment',
        action: 'created',
        repo,
      }),
      expect.objectContaining({ msg: 'webhook duplicate', deliveryId: 'log-1', action: 'created' }),
      expect.objectContaining({
        msg: 'webhook ignored',
        deliveryId: 'log-2',
        event: 'issues',
        action: 'pinned',
        reason: 'unsupported',
        repo,
      }),
      expect.objectContaining({
        msg: 'webhook rejected',
        deliveryId: 'log-3',
        status: 400,
        reason: 'content type must be application/json',
      }),
    ]);
  });

  it('rejects a missing delivery header, wrong methods and unknown paths', async () => {
    const body = JSON.stringify({});
    const { signBody } = await import('../../src/ingest/verify-signature.js');
    const noId = await fetch(`${server.url}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-hub-signature-256': `sha256=${signBody(GITHUB_SECRET, body)}`,
      },
      body,
    });
    expect(noId.status).toBe(400);
    expect(logLines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({
        level: 30,
        msg: 'webhook rejected',
        status: 400,
        reason: 'missing or invalid x-github-event / x-github-delivery',
      }),
    );
    expect((await fetch(`${server.url}/api/github/webhooks`)).status).toBe(405);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', ok: true });
  });
});
