/**
 * The webhook server under hostile or careless clients: size limits answered from `Content-Length`
 * before the body is read and while a chunked body streams in (413, never a reset), signatures checked
 * without reading an unsigned body, a bound on unauthenticated bodies in flight (503 + Retry-After),
 * `Expect: 100-continue` answered without the body, and a client that aborts mid-body logged at debug.
 * Real server, real PGlite; raw sockets where `fetch` cannot send a partial request.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { outbox, webhookDeliveries } from '../../src/db/schema.js';
import { createDeliveryRecorder } from '../../src/ingest/delivery-recorder.js';
import { signBody } from '../../src/ingest/verify-signature.js';
import {
  startWebhookServer,
  type RunningWebhookServer,
  type WebhookServerOptions,
} from '../../src/ingest/webhook-server.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { rawRequest, type RawRequest } from './raw-request.js';

const SECRET = 'github-secret-for-limit-tests';
const MiB = 1024 * 1024;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];
const issueOpened = JSON.stringify(
  examples.find((d) => d.name === 'issues')!.examples.find((e) => e.action === 'opened'),
);

let t: PgliteDatabaseHandle | undefined;
let server: RunningWebhookServer | undefined;
let logs: { level: number; msg: string; [k: string]: unknown }[] = [];
const open: RawRequest[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.socket.destroy();
  }
  await server?.close();
  await t?.close();
  server = undefined;
  t = undefined;
});

async function start(extra: Partial<WebhookServerOptions> = {}): Promise<RunningWebhookServer> {
  t = await createTestDatabase();
  logs = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logs.push(JSON.parse(line) as (typeof logs)[number]);
      }
      done();
    },
  });
  server = await startWebhookServer(
    {
      log: createLogger({ level: 'debug', destination }),
      githubWebhookSecret: SECRET,
      botLogins: [],
      recorder: createDeliveryRecorder(t.db),
      ...extra,
    },
    { port: 0 },
  );
  return server;
}

const githubHeaders = (body: Buffer | string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-github-event': 'issues',
  'x-github-delivery': randomUUID(),
  'x-hub-signature-256': `sha256=${signBody(SECRET, body)}`,
  ...extra,
});

function raw(
  s: RunningWebhookServer,
  headers: Record<string, string>,
  body: Buffer | string = '',
): RawRequest {
  const r = rawRequest(s.url, '/api/github/webhooks', headers, body);
  open.push(r);
  return r;
}

async function nothingRecorded(): Promise<void> {
  expect(await t!.db.select().from(webhookDeliveries)).toEqual([]);
  expect(await t!.db.select().from(outbox)).toEqual([]);
}

describe('webhook limits', () => {
  it('answers 413 from Content-Length before a single body byte is sent', async () => {
    const s = await start();
    // Only the head: a server that read the body first would wait here forever.
    const r = raw(s, githubHeaders('{}', { 'content-length': String(30 * MiB) }));
    const answer = await r.answer;
    expect(answer.status).toBe(413);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'webhook rejected', status: 413 }),
    );
    await nothingRecorded();
  });

  it('answers a 30 MB body with 413, not a connection reset, with and without Content-Length', async () => {
    const s = await start();
    const body = Buffer.alloc(30 * MiB, 0x20);
    const whole = await fetch(`${s.url}/api/github/webhooks`, {
      method: 'POST',
      headers: githubHeaders(body),
      body,
    });
    expect(whole.status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 30; i++) {
          controller.enqueue(body.subarray(i * MiB, (i + 1) * MiB));
        }
        controller.close();
      },
    });
    const chunked = await fetch(`${s.url}/api/github/webhooks`, {
      method: 'POST',
      headers: githubHeaders(body),
      body: chunks,
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toEqual({ error: `body larger than ${25 * MiB} bytes` });
    await nothingRecorded();
  });

  it('refuses an unsigned delivery with 401 without reading its body', async () => {
    const s = await start();
    const { 'x-hub-signature-256': _signature, ...unsigned } = githubHeaders('{}');
    const r = raw(s, { ...unsigned, 'content-length': String(MiB) });
    expect((await r.answer).status).toBe(401);
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'webhook rejected',
        status: 401,
        reason: 'missing or malformed signature header',
      }),
    );
  });

  it('answers 413 to Expect: 100-continue without asking for the body', async () => {
    const s = await start();
    const r = raw(
      s,
      githubHeaders('{}', { 'content-length': String(26 * MiB), expect: '100-continue' }),
    );
    const answer = await r.answer;
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
  });

  it('bounds unauthenticated bodies in flight: 503 with Retry-After, then accepts again', async () => {
    const s = await start({ bodyBudget: { maxBodies: 2 } });
    const body = Buffer.from(issueOpened);
    // Two signed deliveries that send half of their body and stall.
    const stalled = [0, 1].map(() =>
      raw(s, githubHeaders(body, { 'content-length': String(body.length) }), body.subarray(0, 100)),
    );
    await new Promise((r) => setTimeout(r, 200));
    const third = await fetch(`${s.url}/api/github/webhooks`, {
      method: 'POST',
      headers: githubHeaders(body),
      body,
    });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');
    // One stalled client finishes its body: its slot is free again, and both are accepted.
    stalled[0]!.socket.write(body.subarray(100));
    expect((await stalled[0]!.answer).status).toBe(200);
    const fourth = await fetch(`${s.url}/api/github/webhooks`, {
      method: 'POST',
      headers: githubHeaders(body),
      body,
    });
    expect(fourth.status).toBe(200);
  });

  it('with the default budget, 8 announced 24 MiB bodies get at most 100 MiB of room', async () => {
    const s = await start();
    const requests = Array.from({ length: 8 }, () =>
      raw(s, githubHeaders('{}', { 'content-length': String(24 * MiB) }), 'x'),
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const r of requests) {
      r.socket.destroy();
    }
    const refused = logs.filter((l) => l.msg === 'webhook rejected' && l.status === 503);
    // 4 × 24 MiB fit in 100 MiB; the other 4 are refused before their bodies are read.
    expect(refused).toHaveLength(4);
  });

  it('logs a client that aborts mid-body at debug, never at error', async () => {
    const s = await start();
    const body = Buffer.from(issueOpened);
    const r = raw(
      s,
      githubHeaders(body, { 'content-length': String(body.length) }),
      body.subarray(0, 500),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    r.socket.destroy();
    const until = Date.now() + 5_000;
    while (!logs.some((l) => l.msg.includes('went away')) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 20,
        msg: 'webhook client went away before the end of the body',
      }),
    );
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
    await nothingRecorded();
  });
});
