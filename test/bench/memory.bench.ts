/**
 * `npm run bench -- memory`: resident memory (RSS) of Tandem's processes against a bare Probot app
 * (`probot-baseline.ts`) measured in the same run, each process alone on the machine in turn.
 *
 * Tandem runs from its `tsc` build (`tsc -p tsconfig.build.json`, what `npm start` and the image run), so
 * no TypeScript loader is counted. Every process gets the same GitHub App settings (a generated key,
 * `GHE_HOST` pointing at the forge-API stand-in of deploy/stand-ins on a local port, which answers the
 * bot identity start asks for, so nothing leaves the machine), `LOG_LEVEL=warn`, and for
 * Tandem `TANDEM_SANDBOX_POOL_SIZE=0` (no warm sandbox; no model is loaded by an idle process).
 *
 * Per process:
 *   readyMs:          spawn → first HTTP answer (`/healthz`, or any answer from the baseline)
 *   rssAt10sMiB:      RSS 10 s after ready (start-up work done, nothing queued)
 *   idleRssMiB:       median RSS over the last 10 s of 60 s after ready (`BENCH_MEMORY_IDLE_SECONDS`);
 *                     by then V8's memory reducer has shrunk the heap it grew during start-up (it runs
 *                     after some seconds without much allocation: 20–50 s in, measured here)
 *   peakRssMiB:       the process's own peak RSS from spawn to the end of idle (the kernel's `VmHWM`)
 *   peakTreeRssMiB:   the largest sum of the RSS of the process and its children at one 50 ms sample
 *                     (initdb and the model check run in short-lived children)
 *   peakChildRssMiB:  the largest child's peak RSS (0 when it started none)
 * Runs:
 *   probot:               the baseline app
 *   start.first / again:  `tandem start` (embedded PGlite, BullMQ's PostgreSQL backend on it) on a fresh
 *                         data directory (initdb, migrations, BullMQ's schema), then again on it
 *   server.first / again: `tandem server` with `REDIS_URL` (`BENCH_REDIS_URL`, default the local Redis)
 *                         and `DATABASE_URL` = `TANDEM_BENCH_DATABASE_URL` (a database the bench may
 *                         migrate); `{ skipped: "no server …" }` without it
 *   *.idleRatioToProbot:  idle RSS of the second start over the baseline's
 * Goals: `tandem start` idle < 250 MiB; `tandem server` (Redis + PostgreSQL) idle < 2× the baseline.
 * MiB = 2^20 bytes.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { MemorySampler, mib } from './process-memory.js';
import { probotBaselineArgs } from './probot-baseline.js';
import { freePort } from '../helpers/free-port.js';
import { childEnv } from '../helpers/child-env.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const IDLE_MS = Number(process.env.BENCH_MEMORY_IDLE_SECONDS ?? 60) * 1000;
const IDLE_WINDOW_MS = 10_000;
const READY_TIMEOUT_MS = 180_000;

/** One process's figures (see the module comment). */
interface ProcessFigures {
  readyMs: number;
  rssAt10sMiB: number;
  idleRssMiB: number;
  peakRssMiB: number;
  peakTreeRssMiB: number;
  peakChildRssMiB: number;
}

/**
 * Runs `node args…` with exactly `env` (plus PATH and HOME), waits for an HTTP answer on `port`, samples
 * its memory through the idle window, then stops it with SIGTERM.
 * @throws when it exits or does not answer within READY_TIMEOUT_MS, or exits non-zero after SIGTERM
 */
async function measure(
  args: string[],
  env: Record<string, string>,
  port: number,
): Promise<ProcessFigures> {
  const started = performance.now();
  const child = execa(process.execPath, args, {
    cwd: ROOT,
    reject: false,
    extendEnv: false,
    env: childEnv(env),
    stdin: 'ignore',
  });
  const sampler = new MemorySampler(child.pid!);
  try {
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
      if (answered) {
        break;
      }
      if (child.exitCode !== null || performance.now() - started > READY_TIMEOUT_MS) {
        const result = await child;
        throw new Error(
          `${args.slice(-2).join(' ')} did not come up: ${String(result.stderr).slice(-2000)}`,
        );
      }
      await sleep(50);
    }
    const ready = performance.now();
    const readyMs = ready - started;
    let at10s = NaN;
    const idle: number[] = [];
    for (let elapsed = 0; elapsed < IDLE_MS; elapsed = performance.now() - ready) {
      await sleep(1_000);
      const rss = (await sampler.now()) ?? NaN;
      if (Number.isNaN(at10s) && performance.now() - ready >= 10_000) {
        at10s = rss;
      }
      if (performance.now() - ready >= IDLE_MS - IDLE_WINDOW_MS) {
        idle.push(rss);
      }
    }
    const peaks = await sampler.stop();
    child.kill('SIGTERM');
    const result = await child;
    if (result.exitCode !== 0) {
      throw new Error(`exited ${String(result.exitCode)}: ${String(result.stderr).slice(-2000)}`);
    }
    idle.sort((a, b) => a - b);
    return {
      readyMs: Math.round(readyMs),
      rssAt10sMiB: mib(at10s),
      idleRssMiB: mib(idle[Math.floor(idle.length / 2)] ?? NaN),
      peakRssMiB: mib(peaks.peakBytes),
      peakTreeRssMiB: mib(peaks.peakTreeBytes),
      peakChildRssMiB: mib(peaks.peakChildBytes),
    };
  } finally {
    await sampler.stop();
    child.kill('SIGKILL');
  }
}

/** The GitHub App settings every process gets (Probot's variable names). */
function githubAppEnv(forgePort: number): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    APP_ID: '1',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: 'bench-secret',
    GHE_HOST: `127.0.0.1:${forgePort}`,
    GHE_PROTOCOL: 'http',
    LOG_LEVEL: 'warn',
  };
}

async function tandem(
  mode: 'start' | 'server',
  env: Record<string, string>,
): Promise<ProcessFigures> {
  const port = await freePort();
  return measure(
    [join(ROOT, 'dist/src/cli/main.js'), mode],
    { ...env, PORT: String(port), HOST: '127.0.0.1', TANDEM_SANDBOX_POOL_SIZE: '0' },
    port,
  );
}

export default async function memoryBench(): Promise<Record<string, unknown>> {
  process.stderr.write('  building (tsc -p tsconfig.build.json)…\n');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await execa(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT });
  const forgePort = await freePort();
  const forge = execa(
    process.execPath,
    [join(ROOT, 'deploy/stand-ins/forge-api/forge-api.mjs'), String(forgePort)],
    { stdout: 'ignore', stderr: 'ignore' },
  );
  await waitForForge(forgePort);
  try {
    return await benchAll(githubAppEnv(forgePort));
  } finally {
    forge.kill('SIGTERM');
    await forge.catch(() => undefined);
  }
}

/** Resolves once the forge stand-in answers on `port`. @throws after 10 s without an answer */
async function waitForForge(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const answered = await fetch(`http://127.0.0.1:${port}/api/v3/app`).then(
      () => true,
      () => false,
    );
    if (answered) {
      return;
    }
    await sleep(100);
  }
  throw new Error(`the forge stand-in did not answer on port ${port} within 10 s`);
}

async function benchAll(app: Record<string, string>): Promise<Record<string, unknown>> {
  process.stderr.write('  probot baseline…\n');
  const probotPort = await freePort();
  const probot = await measure(probotBaselineArgs(probotPort), app, probotPort);

  const dataDir = await mkdtemp(join(tmpdir(), 'tandem-bench-memory-'));
  let startFirst: ProcessFigures;
  let startAgain: ProcessFigures;
  try {
    process.stderr.write('  tandem start (fresh data directory, then again)…\n');
    const env = { ...app, TANDEM_DATA_DIR: dataDir };
    startFirst = await tandem('start', env);
    startAgain = await tandem('start', env);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  const databaseUrl = process.env.TANDEM_BENCH_DATABASE_URL;
  let server: Record<string, unknown> = { skipped: 'no server (set TANDEM_BENCH_DATABASE_URL)' };
  if (databaseUrl) {
    process.stderr.write('  tandem server (Redis + PostgreSQL; first start, then again)…\n');
    const serverDir = await mkdtemp(join(tmpdir(), 'tandem-bench-memory-'));
    try {
      const env = {
        ...app,
        TANDEM_DATA_DIR: serverDir,
        DATABASE_URL: databaseUrl,
        REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
      };
      const serverFirst = await tandem('server', env);
      const serverAgain = await tandem('server', env);
      server = {
        first: serverFirst,
        again: serverAgain,
        idleRatioToProbot: Math.round((serverAgain.idleRssMiB / probot.idleRssMiB) * 100) / 100,
      };
    } finally {
      await rm(serverDir, { recursive: true, force: true });
    }
  }
  return {
    probot,
    start: {
      first: startFirst,
      again: startAgain,
      idleRatioToProbot: Math.round((startAgain.idleRssMiB / probot.idleRssMiB) * 100) / 100,
    },
    server,
    goals: { startIdleRssMiB: 250, serverIdleRatioToProbot: 2 },
  };
}
