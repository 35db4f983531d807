/**
 * `npm run bench -- sandbox`: the Docker sandbox measured side by side with the bare docker CLI on the
 * same image in the same run.
 *   cold:  provider.acquire with no pool (create + start) + first exec of `true`, vs `docker run --rm IMAGE true`
 *          (goal: p95 ≤ 2× bare)
 *   warm:  provider.acquire from a full warm pool (goal: p95 < 50 ms)
 *   exec:  sandbox.exec(['true']) vs `docker exec CONTAINER true` on the same container (goal: p95 ≤ 1.5× bare)
 * Figures are milliseconds; `ratio` figures are ours / bare at p95.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { createLogger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import type { SandboxLimits } from '../../src/sandbox/types.js';

const IMAGE = process.env.TANDEM_SANDBOX_IMAGE ?? 'tandem-sandbox:latest';
const LIMITS: SandboxLimits = { cpus: 1, memoryMb: 512, pids: 256 };
const ROUNDS = Number(process.env.SANDBOX_BENCH_ROUNDS ?? 15);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 10) / 10;
}

function stats(values: readonly number[]): { p50Ms: number; p95Ms: number } {
  return { p50Ms: percentile(values, 50), p95Ms: percentile(values, 95) };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export default async (): Promise<Record<string, unknown>> => {
  const docker = new Docker();
  const logger = createLogger({ level: 'silent' });
  const workerId = `bench-${randomUUID()}`;
  const workspaceRoot = await mkdtemp(join(tmpdir(), 'tandem-bench-'));
  const request = { image: IMAGE, limits: LIMITS, network: 'none' as const };
  const cold = new DockerSandboxProvider({ docker, logger, poolSize: 0, workerId, workspaceRoot });
  const warm = new DockerSandboxProvider({
    docker,
    logger,
    poolSize: 2,
    workerId,
    workspaceRoot,
    warm: [request],
  });
  try {
    await execa('docker', ['run', '--rm', IMAGE, 'true']); // warm the image's layers in the page cache

    const bareRun: number[] = [];
    const coldStart: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bareRun.push(
        await time(() => execa('docker', ['run', '--rm', '--network', 'none', IMAGE, 'true'])),
      );
      let sandbox: Awaited<ReturnType<typeof cold.acquire>> | undefined;
      coldStart.push(
        await time(async () => {
          sandbox = await cold.acquire({ ...request, jobId: `cold-${i}` });
          await sandbox.exec(['true'], { timeoutMs: 10_000 });
        }),
      );
      await sandbox?.destroy();
    }

    await warm.start();
    const warmAcquire: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      while (warm.readyCount(request) < 2) {
        await new Promise((r) => setTimeout(r, 50));
      }
      let sandbox: Awaited<ReturnType<typeof warm.acquire>> | undefined;
      warmAcquire.push(
        await time(async () => {
          sandbox = await warm.acquire({ ...request, jobId: `warm-${i}` });
        }),
      );
      await sandbox?.destroy();
    }

    const sandbox = await cold.acquire({ ...request, jobId: 'exec' });
    const bareExec: number[] = [];
    const ourExec: number[] = [];
    for (let i = 0; i < ROUNDS * 2; i++) {
      bareExec.push(await time(() => execa('docker', ['exec', sandbox.id, 'true'])));
      ourExec.push(await time(() => sandbox.exec(['true'], { timeoutMs: 10_000 })));
    }
    await sandbox.destroy();

    const coldStats = stats(coldStart);
    const bareRunStats = stats(bareRun);
    const execStats = stats(ourExec);
    const bareExecStats = stats(bareExec);
    return {
      rounds: ROUNDS,
      image: IMAGE,
      coldCreateStartFirstExec: coldStats,
      bareDockerRun: bareRunStats,
      coldRatioP95: Math.round((coldStats.p95Ms / bareRunStats.p95Ms) * 100) / 100,
      warmAcquire: stats(warmAcquire),
      execTrue: execStats,
      bareDockerExecTrue: bareExecStats,
      execRatioP95: Math.round((execStats.p95Ms / bareExecStats.p95Ms) * 100) / 100,
    };
  } finally {
    await warm.close();
    await cold.removeOrphans().catch(() => undefined);
    for (const c of await docker.listContainers({
      all: true,
      filters: { label: [`dev.tandem.worker=${workerId}`] },
    })) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    await rm(workspaceRoot, { recursive: true, force: true });
  }
};
