import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeCommands } from '../../src/commands/authorize-commands.js';
import { createPermissionChecker } from '../../src/commands/permission-checker.js';
import { ForgeEvent } from '../../src/forge/forge-event.js';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { createOutboxRelay } from '../../src/ingest/outbox-relay.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/ingest/webhook-server.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestProbot, INSTALLATION_TOKEN } from '../forge/test-probot.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { useHttpMock } from '../http-mock.js';
import { postDelivery } from './post-delivery.js';

const http = useHttpMock();
const SECRET = 'refusal-secret';
const base = (
  createRequire(import.meta.url)('@octokit/webhooks-examples') as {
    name: string;
    examples: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  }[]
)
  .find((d) => d.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

let t: PgliteDatabaseHandle;
let server: RunningWebhookServer;
let queue: Queue;

beforeEach(async () => {
  t = await createTestDatabase();
  queue = new Queue(`test-${randomUUID()}`, { connection: { host: '127.0.0.1', port: 6379 } });
  server = await startWebhookServer(
    {
      log: createLogger({ level: 'silent' }),
      githubWebhookSecret: SECRET,
      botLogins: ['tandem[bot]'],
      recorder: createDeliveryRecorder(t.db),
    },
    { port: 0 },
  );
});

afterEach(async () => {
  await server.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await t.close();
});

describe('unauthorized /approve, end to end', () => {
  it('looks up the permission, posts one refusal comment and emits no approve command', async () => {
    const payload = structuredClone(base);
    payload.comment.body = 'Ship it!\n/approve';
    payload.comment.user.login = 'reader';
    payload.sender.login = 'reader';
    payload.installation = { id: 77, node_id: 'MDIz' };
    const owner = payload.repository.owner.login as string;
    const name = payload.repository.name as string;
    const number = payload.issue.number as number;

    const answer = await postDelivery(server.url, {
      forge: 'github',
      event: 'issue_comment',
      id: 'refusal-1',
      payload,
      secret: SECRET,
    });
    expect(answer.status).toBe(200);
    const relay = createOutboxRelay({
      db: t.db,
      queues: { [EVENTS_QUEUE]: queue },
      log: createLogger({ level: 'silent' }),
    });
    expect(await relay.drain()).toBe(1);
    const [job] = await queue.getJobs(['waiting']);
    const event = ForgeEvent.parse(job!.data);
    if (event.type !== 'comment.created') {
      throw new Error(`unexpected ${event.type}`);
    }

    const gh = http.github();
    const R = `/repos/${owner}/${name}`;
    gh.post('/app/installations/77/access_tokens').reply(201, {
      token: INSTALLATION_TOKEN,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    gh.get(`${R}/collaborators/reader/permission`)
      .once()
      .reply(200, { permission: 'read', role_name: 'read' });
    gh.get(`${R}/issues/${number}/comments`).query({ per_page: 100 }).reply(200, []);
    let refusal = '';
    gh.post(`${R}/issues/${number}/comments`, (b: { body: string }) => {
      refusal = b.body;
      return true;
    }).reply(201, { id: 500, body: 'x' });

    const forge = createGithubForge({ auth: (id) => createTestProbot().auth(id) });
    const result = await authorizeCommands(event, {
      forge,
      required: 'write',
      permissions: createPermissionChecker({ ttlMs: 60_000 }),
    });
    expect(result.accepted).toEqual([]);
    expect(result.refused).toEqual([{ name: 'approve', args: '' }]);
    expect(refusal).toContain('<!-- tandem:refusal-');
    expect(refusal).toContain("can't act on `/approve`");
  });
});
