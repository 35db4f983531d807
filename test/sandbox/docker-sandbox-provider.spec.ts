/**
 * The provider against a real Docker engine: warm pool, orphans, the network modes, workspace rules,
 * typed errors, and file tools facing links planted from inside the container.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DockerUnavailableError,
  SandboxImageMissingError,
  SandboxSpecError,
  WorkspaceEscapeError,
} from '../../src/errors/index.js';
import { LABELS } from '../../src/sandbox/container-options.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import {
  IMAGE,
  LIMITS,
  docker,
  logger,
  makeProvider,
  request,
  workerContainers,
} from './sandbox-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) {
    await fn();
  }
});

async function provider(options: Parameters<typeof makeProvider>[0] = {}) {
  const made = await makeProvider(options);
  cleanups.push(made.cleanup);
  return made;
}

describe('DockerSandboxProvider', () => {
  it('serves acquire from a warm pool of fresh containers, each with its own workspace, and refills', async () => {
    const warm = { image: IMAGE, limits: LIMITS, network: 'none' as const };
    const { provider: p, workerId } = await provider({ poolSize: 2, warm: [warm] });
    await p.start();
    expect(p.readyCount(warm)).toBe(2);
    const pooledIds = (await workerContainers(workerId)).map((c) => c.Id);
    expect(pooledIds).toHaveLength(2);

    const a = await p.acquire(request());
    const b = await p.acquire(request());
    expect(pooledIds).toContain(a.id);
    expect(pooledIds).toContain(b.id);
    expect(a.spec.workspaceDir).not.toBe(b.spec.workspaceDir);
    await a.writeFile('only-in-a.txt', 'a');
    expect(await b.list()).toEqual([]);
    const seen = await b.exec(['ls', '-A', '/workspace'], { timeoutMs: 10_000 });
    expect(seen.stdout).toBe('');

    // Refilled in the background; a destroyed sandbox takes its container and workspace with it.
    await expect.poll(() => p.readyCount(warm), { timeout: 30_000 }).toBe(2);
    await a.destroy();
    await a.destroy(); // idempotent
    expect(existsSync(a.spec.workspaceDir)).toBe(false);
    await expect(docker.getContainer(a.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await b.destroy();

    await p.close();
    expect(await workerContainers(workerId)).toEqual([]);
  });

  it('removes orphans left by an earlier process of the same worker, and only those', async () => {
    const { provider: first, workerId, workspaceRoot } = await provider();
    const leftover = await first.acquire(request());
    const other = await provider(); // another worker on the same engine
    const kept = await other.provider.acquire(request());

    // A new process of the same worker starts: the earlier one's container is an orphan.
    const second = new DockerSandboxProvider({
      docker,
      logger,
      poolSize: 0,
      workerId,
      workspaceRoot,
    });
    const { orphansRemoved } = await second.start();
    expect(orphansRemoved).toBe(1);
    await expect(docker.getContainer(leftover.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(existsSync(leftover.spec.workspaceDir)).toBe(false);
    expect((await docker.getContainer(kept.id).inspect()).State.Running).toBe(true);
    expect(await second.removeOrphans()).toBe(0);
  });

  it('creates a cold sandbox over a caller-owned workspace and leaves it in place', async () => {
    const { provider: p } = await provider();
    const dir = await mkdtemp(join(tmpdir(), 'tandem-ws-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sandbox = await p.create({ ...request(), workspaceDir: dir });
    await sandbox.writeFile('hello.txt', 'hi\n');
    await sandbox.chownWorkspace();
    const result = await sandbox.exec(['sh', '-c', 'cat hello.txt && echo more >> hello.txt'], {
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    const info = await docker.getContainer(sandbox.id).inspect();
    expect(info.Config.Labels[LABELS.job]).toBe(sandbox.spec.jobId);
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    await sandbox.destroy();
    expect(await readFile(join(dir, 'hello.txt'), 'utf8')).toBe('hi\nmore\n');
  });

  it('refuses a workspace that holds the git directory, and bad requests', async () => {
    const { provider: p } = await provider();
    const dir = await mkdtemp(join(tmpdir(), 'tandem-ws-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, '.git'));
    await expect(p.create({ ...request(), workspaceDir: dir })).rejects.toThrow(SandboxSpecError);
    await expect(p.create({ ...request(), workspaceDir: 'relative/dir' })).rejects.toThrow(
      SandboxSpecError,
    );
    await expect(
      p.acquire(request({ limits: { cpus: 0, memoryMb: 512, pids: 64 } })),
    ).rejects.toThrow(SandboxSpecError);
  });

  it('has no network by default, and a setup network only until the first offline command', async () => {
    const { provider: p } = await provider();
    const setup = await p.acquire(request({ network: 'setup' }));
    const networks = (await docker.getContainer(setup.id).inspect()).NetworkSettings.Networks;
    const gateway = Object.values(networks)[0]?.Gateway;
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const server: Server = createServer((socket) => socket.end('pong\n'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const probe = [
      'node',
      '-e',
      `require('net').connect(${port}, '${gateway}').on('data', d => { process.stdout.write(d); process.exit(0) })` +
        `.on('error', e => { console.error(e.code); process.exit(2) })`,
    ];
    const offline = await p.acquire(request());
    const refused = await offline.exec(probe, { timeoutMs: 10_000 });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/ENETUNREACH|EHOSTUNREACH/);
    expect((await offline.exec(['ls', '/sys/class/net'], { timeoutMs: 10_000 })).stdout).toBe(
      'lo\n',
    );

    const online = await setup.exec(probe, { timeoutMs: 10_000, network: true });
    expect(online).toMatchObject({ exitCode: 0, stdout: 'pong\n' }); // the probe can succeed
    const cut = await setup.exec(probe, { timeoutMs: 10_000 });
    expect(cut.exitCode).toBe(2);
    await expect(setup.exec(probe, { timeoutMs: 10_000, network: true })).rejects.toThrow(
      SandboxSpecError,
    );
  });

  it('keeps file tools inside the workspace when the container plants links', async () => {
    const { provider: p } = await provider();
    const sandbox = await p.acquire(request());
    const planted = await sandbox.exec(
      [
        'sh',
        '-c',
        'ln -s /etc/passwd pw && ln -s / root && ln -s .. up && mkdir d && ln -s /tmp d/t',
      ],
      { timeoutMs: 10_000 },
    );
    expect(planted.exitCode).toBe(0);
    for (const path of ['pw', 'root/etc/passwd', 'up/anything', 'd/t/x']) {
      await expect(sandbox.readFile(path), path).rejects.toThrow(WorkspaceEscapeError);
      await expect(sandbox.writeFile(path, 'x'), path).rejects.toThrow(WorkspaceEscapeError);
    }
    await expect(sandbox.readFile('../../etc/passwd')).rejects.toThrow(WorkspaceEscapeError);
    expect(await sandbox.list()).toEqual(['d/t', 'pw', 'root', 'up']);
  });

  it('names the socket when the engine is unreachable, and the build command when the image is missing', async () => {
    const socketPath = join(tmpdir(), `no-docker-${process.pid}.sock`);
    const workspaceRoot = await mkdtemp(join(tmpdir(), 'tandem-sbx-'));
    cleanups.push(() => rm(workspaceRoot, { recursive: true, force: true }));
    const dead = new DockerSandboxProvider({
      docker: new Docker({ socketPath }),
      logger,
      poolSize: 0,
      workspaceRoot,
    });
    const unreachable = await dead.acquire(request()).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(DockerUnavailableError);
    expect((unreachable as Error).message).toContain(socketPath);
    await expect(dead.removeOrphans()).rejects.toThrow(DockerUnavailableError);

    const { provider: p } = await provider();
    const missing = await p
      .acquire(request({ image: 'tandem-sandbox:no-such-tag' }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SandboxImageMissingError);
    expect((missing as Error).message).toContain('sandbox/build-image.sh');
    // Another image: Tandem never pulls, so the fix is building or loading it on this host.
    const other = await p
      .acquire(request({ image: 'example.invalid/tandem-test-missing:1' }))
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(SandboxImageMissingError);
    expect((other as Error).message).toMatch(/Tandem never pulls images: build or load it here/);
  });

  it('start() leaves the pool of a missing image empty, names it, and still starts', async () => {
    const warm = {
      image: 'example.invalid/tandem-test-missing:1',
      limits: LIMITS,
      network: 'none' as const,
    };
    const { provider: p, workerId } = await provider({ poolSize: 1, warm: [warm] });
    expect(await p.start()).toEqual({
      orphansRemoved: 0,
      missingImages: ['example.invalid/tandem-test-missing:1'],
    });
    expect(await workerContainers(workerId)).toEqual([]);
  });
});
