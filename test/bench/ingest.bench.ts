/**
 * Ingestion bench (`npm run bench -- ingest`): 5,000 signed GitHub deliveries (a real `issue_comment`
 * payload from @octokit/webhooks-examples, 12.7 KB) posted over loopback with 32 concurrent keep-alive
 * connections (from a child process) to the webhook server, on an in-memory PGlite and the local Redis
 * (`BENCH_REDIS_PORT`, default 6379; `BENCH_INGEST_DELIVERIES` overrides the count).
 *
 * Figures: latency to the 2xx answer and to the job being added to BullMQ (the job's `timestamp`, set
 * by the relay's add), both from the moment the request was sent; deliveries per second (answered);
 * the server process's CPU time per delivery (server + recorder + relay; load-independent-ish);
 * lost (answered 2xx but no job) and duplicated (jobs beyond one per delivery).
 * Targets (issue 3): p99 < 25 ms to 2xx, ≥ 500 deliveries/s on 2 cores, 0 lost, 0 duplicated.
 * With 32 requests always in flight, mean latency = 32 / throughput (Little's law): p99 < 25 ms needs
 * more than 1,280 deliveries/s.
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
 * is comparable across processes on one machine.
 */
const CLIENT = `
const { Agent, request } = require('node:http');
process.once('message', async ({ port, ids, body, signature, concurrency }) => {
const now = () => performance.timeOrigin + performance.now();
const post = (agent, port, body, signature, id) => new Promise((resolve, reject) => {
  const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/api/github/webhooks',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      'x-github-event': 'issue_comment', 'x-github-delivery': id,
      'x-hub-signature-256': 'sha256=' + signature } },
    (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', reject);
  req.end(body);
});
  const results = [];
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const start = now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const sent = now();
      const status = await post(agent, port, body, signature, id);
      results.push({ id, sent, answered: now(), status });
    }
  }));
  agent.destroy();
  process.send({ results, start, end: now() }, () => process.exit(0));
});
`;

interface ClientResult {
  results: { id: string; sent: number; answered: number; status: number }[];
  start: number;
  end: number;
}

export default async function ingestBench(): Promise<Record<string, unknown>> {
  const example = (
    createRequire(import.meta.url)('@octokit/webhooks-examples') as {
      name: string;
      examples: Record<string, unknown>[];
    }[]
  )
    .find((d) => d.name === 'issue_comment')!
    .examples.find((e) => e.action === 'created')!;
  const body = JSON.stringify(example);
  const signature = signBody(SECRET, body);

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

  const ids = Array.from({ length: DELIVERIES }, () => randomUUID());
  const client = spawn(process.execPath, ['-e', CLIENT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const cpuBefore = process.cpuUsage();
  const run = await new Promise<ClientResult>((resolve, reject) => {
    client.once('message', (m) => resolve(m as ClientResult));
    client.once('error', reject);
    client.send({ port: server.address.port, ids, body, signature, concurrency: CONCURRENCY });
  });
  const accepted = run.results.filter((r) => r.status >= 200 && r.status < 300).length;
  const failed = run.results.length - accepted;
  const answeredMs = run.results.map((r) => r.answered - r.sent);
  const sentAt = new Map(run.results.map((r) => [`github-${r.id}`, r.sent]));

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
    const sent = sentAt.get(j.id ?? '');
    return sent === undefined ? [] : [Math.max(0, j.timestamp - sent)];
  });
  const enqueuedAllMs = Math.max(...added.map((j) => j.timestamp)) - run.start;

  await server.close();
  await relay.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  await handle.close();

  answeredMs.sort((a, b) => a - b);
  enqueuedMs.sort((a, b) => a - b);
  return {
    deliveries: DELIVERIES,
    concurrency: CONCURRENCY,
    payloadBytes: Buffer.byteLength(body),
    accepted,
    failed,
    p50ToAnswerMs: percentile(answeredMs, 50),
    p99ToAnswerMs: percentile(answeredMs, 99),
    maxToAnswerMs: percentile(answeredMs, 100),
    p50ToEnqueuedMs: percentile(enqueuedMs, 50),
    p99ToEnqueuedMs: percentile(enqueuedMs, 99),
    deliveriesPerSecond: Math.round((accepted / (run.end - run.start)) * 1000),
    allEnqueuedAfterMs: Math.round(enqueuedAllMs),
    serverCpuMsPerDelivery: Math.round(((cpu.user + cpu.system) / 1000 / DELIVERIES) * 1000) / 1000,
    lost,
    duplicated: Math.max(0, jobs - jobIds.size) + Math.max(0, jobIds.size - DELIVERIES),
  };
}
