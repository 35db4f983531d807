/**
 * Per-repository Gitea webhook secrets: a repository listed with its own secret is accepted only when
 * signed with that secret, so neither the shared secret (known to every repository admin whose hook
 * uses it) nor another repository's secret can forge its events; repositories without one still use
 * the shared secret. Real server and PGlite; payloads from the Gitea fixtures.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../src/db/schema.js';
import { createDeliveryRecorder } from '../../src/ingest/delivery-recorder.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/ingest/webhook-server.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { postDelivery } from './post-delivery.js';

const SHARED = 'shared-gitea-secret';
const ALICE = 'alice-widgets-own-secret';
const CAROL = 'carol-gadgets-own-secret';

/** The comment fixture (repository alice/widgets), or the same comment naming another repository. */
function comment(owner = 'alice', name = 'widgets'): Record<string, unknown> {
  const payload = JSON.parse(
    readFileSync(new URL('../fixtures/gitea/issue_comment-created.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown> & { repository: Record<string, unknown> };
  return {
    ...payload,
    repository: {
      ...payload.repository,
      name,
      full_name: `${owner}/${name}`,
      owner: { ...(payload.repository.owner as object), login: owner },
    },
  };
}

let t: PgliteDatabaseHandle;
let server: RunningWebhookServer | undefined;

beforeEach(async () => {
  t = await createTestDatabase();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await t.close();
});

async function start(shared: string | undefined): Promise<string> {
  server = await startWebhookServer(
    {
      log: createLogger({ level: 'silent' }),
      ...(shared ? { giteaWebhookSecret: shared } : {}),
      // Keys are lower-case; the payload's `Alice/Widgets` must still find alice's secret.
      giteaRepositorySecrets: new Map([
        ['alice/widgets', ALICE],
        ['carol/gadgets', CAROL],
      ]),
      botLogins: ['tandem-bot'],
      recorder: createDeliveryRecorder(t.db),
    },
    { port: 0 },
  );
  return server.url;
}

let n = 0;
const send = (url: string, payload: unknown, secret: string) =>
  postDelivery(url, { forge: 'gitea', event: 'issue_comment', id: `d-${++n}`, payload, secret });

describe('Gitea per-repository webhook secrets', () => {
  it('refuses a listed repository signed with the shared or another repository’s secret', async () => {
    const url = await start(SHARED);
    expect((await send(url, comment(), SHARED)).status).toBe(401);
    expect((await send(url, comment(), CAROL)).status).toBe(401);
    expect((await send(url, comment('Alice', 'Widgets'), SHARED)).status).toBe(401);
    expect(await t.db.select().from(webhookDeliveries)).toEqual([]);
  });

  it('accepts a listed repository signed with its own secret, and others with the shared one', async () => {
    const url = await start(SHARED);
    expect((await send(url, comment('Alice', 'Widgets'), ALICE)).status).toBe(200);
    expect((await send(url, comment('bob', 'tools'), SHARED)).status).toBe(200);
    // A repository admin who knows only their own secret cannot speak for an unlisted repository.
    expect((await send(url, comment('bob', 'tools'), ALICE)).status).toBe(401);
    const ids = (await t.db.select().from(webhookDeliveries)).map((d) => d.id).sort();
    expect(ids).toEqual([`gitea-d-${n - 2}`, `gitea-d-${n - 1}`].sort());
  });

  it('without a shared secret, serves only the listed repositories', async () => {
    const url = await start(undefined);
    expect((await send(url, comment(), ALICE)).status).toBe(200);
    expect((await send(url, comment('bob', 'tools'), ALICE)).status).toBe(401);
    expect((await send(url, comment('bob', 'tools'), SHARED)).status).toBe(401);
  });
});
