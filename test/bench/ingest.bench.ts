/**
 * Ingestion bench (`npm run bench -- ingest`): signed GitHub deliveries (a real `issue_comment` payload
 * from @octokit/webhooks-examples, 12.7 KB) posted over loopback from a child process to the webhook
 * server, on an in-memory PGlite and the local Redis (`BENCH_REDIS_PORT`, default 6379), in two runs,
 * each on a fresh database and queue:
 *
 * - `saturation` (closed loop): 5,000 deliveries (`BENCH_INGEST_DELIVERIES`) with 32 connections that
 *   each send the next delivery as soon as the previous one was answered, so the server is always busy.
 *   It measures throughput; its latency is mostly the queue the load generator builds itself: with 32
 *   requests always in flight, mean latency = 32 / throughput (Little's law).
 * - `openLoop`: 5,000 deliveries (`BENCH_INGEST_OPEN_DELIVERIES`) at a fixed 500 per second
 *   (`BENCH_INGEST_RATE`): delivery i is due at start + i / rate whatever happened to the others (on as
 *   many keep-alive connections as it takes), and its latency is measured from that scheduled time, not
 *   from when it was actually sent. A closed-loop generator waits for slow answers before sending more,
 *   so the deliveries that would have queued behind a stall are never sent during it and a stall shows
 *   up as one slow request ("coordinated omission"); here every delivery due during a stall counts its
 *   wait. `sendLagP99Ms` (sent − scheduled) shows that the generator itself kept the schedule.
 *
 * Figures per run: latency to the 2xx answer and to the job being added to BullMQ (the job's
 * `timestamp`, set by the relay's add), deliveries per second (answered), the server process's CPU time
 * per delivery (server + recorder + relay), lost (answered 2xx but no job) and duplicated (jobs beyond
 * one per delivery). Targets (issue 3): ≥ 500 deliveries/s on 2 cores, 0 lost, 0 duplicated, and
 * p99 < 25 ms to 2xx at 500 deliveries/s (the open-loop run).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { createDatabase } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../../src/ingest/delivery-recorder.js';
import { createOutboxRelay } from '../../src/ingest/outbox-relay.js';
import { signBody } from '../../src/ingest/verify-signature.js';
import { startWebhookServer } from '../../src/ingest/webhook-server.js';
import { createLogger } from '../../src/log/logger.js';

const DELIVERIES = Number(process.env.BENCH_INGEST_DELIVERIES ?? 5_000);
const CONCURRENCY = 32;
const OPEN_DELIVERIES = Number(process.env.BENCH_INGEST_OPEN_DELIVERIES ?? 5_000);
const RATE = Number(process.env.BENCH_INGEST_RATE ?? 500);
const SECRET = 'bench-secret';
const REDIS = { host: '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT ?? 6379) };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, i)]! * 100) / 100;
}

/**
 * The load generator, run in a child process so the server's CPU time can be measured apart from its
 * client's (`process.cpuUsage()` of this process = server + relay + the `added` listener). Plain
 * JavaScript, no TypeScript loader needed. Times are absolute (`performance.timeOrigin + now()`), which
 * is comparable across processes on one machine. `concurrency` set: closed loop; `rate` set: open loop,
 * where each result's `scheduled` is when the delivery was due (closed loop: when it was sent).
 */
const CLIENT = `
const { Agent, request } = require('node:http');
const now = () => performance.timeOrigin + performance.now();
const post = (agent, port, body, signature, id) => new Promise((resolve) => {
  const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/api/github/webhooks',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      'x-github-event': 'issue_comment', 'x-github-delivery': id,
      'x-hub-signature-256': 'sha256=' + signature } },
    (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', () => resolve(0));
  req.end(body);
});
process.once('message', async ({ port, ids, body, signature, concurrency, rate }) => {
  const results = [];
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency ?? 256 });
  const start = now();
  if (concurrency) {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        const sent = now();
        const status = await post(agent, port, body, signature, id);
        results.push({ id, scheduled: sent, sent, answered: now(), status });
      }
    }));
  } else {
    const pending = [];
    for (let i = 0; i < ids.length; i++) {
      const scheduled = start + (i * 1000) / rate;
      const wait = scheduled - now();
      if (wait >= 1) {
        await new Promise((r) => setTimeout(r, wait));
      }
      const id = ids[i];
      const sent = now();
      pending.push(post(agent, port, body, signature, id).then((status) => {
        results.push({ id, scheduled, sent, answered: now(), status });
      }));
    }
    await Promise.all(pending);
  }
  agent.destroy();
  process.send({ results, start, end: now() }, () => process.exit(0));
});
`;

interface ClientResult {
  results: { id: string; scheduled: number; sent: number; answered: number; status: number }[];
  start: number;
  end: number;
}

/** How the child sends: a closed loop of `concurrency` connections, or an open loop at `rate` per second. */
type Load = { concurrency: number } | { rate: number };

/** The example payload, signed. */
function delivery(): { body: string; signature: string } {
  const example = (
    createRequire(import.meta.url)('@octokit/webhooks-examples') as {
      name: string;
      examples: Record<string, unknown>[];
    }[]
  )
    .find((d) => d.name === 'issue_comment')!
    .examples.find((e) => e.action === 'created')!;
  const body = JSON.stringify(example);
  return { body, signature: signBody(SECRET, body) };
}

/** One run on a fresh in-memory database, queue, relay and server. */
async function run(load: Load, count: number): Promise<Record<string, number>> {
  const { body, signature } = delivery();
  const handle = await createDatabase({ inMemory: true });
  await migrateDatabase(handle);
  const log = createLogger({ level: 'silent' });
  const queueName = `bench-ingest-${randomUUID()}`;
  const queue = new Queue(queueName, { connection: REDIS });
  await queue.waitUntilReady();

  const relay = createOutboxRelay({ db: handle.db, queues: { [EVENTS_QUEUE]: queue }, log });
  relay.start();
  const server = await startWebhookServer(
    {
      log,
      githubWebhookSecret: SECRET,
      botLogins: [],
      recorder: createDeliveryRecorder(handle.db, { onCommitted: (rows) => relay.offer(rows) }),
    },
    { port: 0 },
  );

  const ids = Array.from({ length: count }, () => randomUUID());
  const client = spawn(process.execPath, ['-e', CLIENT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const cpuBefore = process.cpuUsage();
  const result = await new Promise<ClientResult>((resolve, reject) => {
    client.once('message', (m) => resolve(m as ClientResult));
    client.once('error', reject);
    client.send({ port: server.address.port, ids, body, signature, ...load });
  });
  const accepted = result.results.filter((r) => r.status >= 200 && r.status < 300).length;
  const answeredMs = result.results.map((r) => r.answered - r.scheduled);
  const sendLagMs = result.results.map((r) => r.sent - r.scheduled);
  const scheduledAt = new Map(result.results.map((r) => [`github-${r.id}`, r.scheduled]));

  const deadline = Date.now() + 60_000;
  while ((await relay.pending()) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  // `timestamp` is set by the relay's Queue when it adds the job (ms since the epoch).
  const added = await queue.getJobs(['waiting'], 0, -1);
  const jobIds = new Set(added.map((j) => j.id));
  const lost = ids.filter((id) => !jobIds.has(`github-${id}`)).length;
  const enqueuedMs = added.flatMap((j) => {
    const at = scheduledAt.get(j.id ?? '');
    return at === undefined ? [] : [Math.max(0, j.timestamp - at)];
  });
  const enqueuedAllMs = Math.max(...added.map((j) => j.timestamp)) - result.start;

  await server.close();
  await relay.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  await handle.close();

  answeredMs.sort((a, b) => a - b);
  enqueuedMs.sort((a, b) => a - b);
  sendLagMs.sort((a, b) => a - b);
  return {
    deliveries: count,
    ...load,
    payloadBytes: Buffer.byteLength(body),
    accepted,
    failed: result.results.length - accepted,
    p50ToAnswerMs: percentile(answeredMs, 50),
    p99ToAnswerMs: percentile(answeredMs, 99),
    maxToAnswerMs: percentile(answeredMs, 100),
    p50ToEnqueuedMs: percentile(enqueuedMs, 50),
    p99ToEnqueuedMs: percentile(enqueuedMs, 99),
    deliveriesPerSecond: Math.round((accepted / (result.end - result.start)) * 1000),
    allEnqueuedAfterMs: Math.round(enqueuedAllMs),
    serverCpuMsPerDelivery: Math.round(((cpu.user + cpu.system) / 1000 / count) * 1000) / 1000,
    ...('rate' in load ? { sendLagP99Ms: percentile(sendLagMs, 99) } : {}),
    lost,
    duplicated: Math.max(0, jobs - jobIds.size) + Math.max(0, jobIds.size - count),
  };
}

export default async function ingestBench(): Promise<Record<string, unknown>> {
  const saturation = await run({ concurrency: CONCURRENCY }, DELIVERIES);
  const openLoop = await run({ rate: RATE }, OPEN_DELIVERIES);
  return { saturation, openLoop, goals: { openLoopP99ToAnswerMs: 25, deliveriesPerSecond: 500 } };
}
