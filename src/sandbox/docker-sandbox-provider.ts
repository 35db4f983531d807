import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, chown } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { SandboxError, SandboxImageMissingError, SandboxSpecError } from '../errors/index.js';
import type { CaBundle } from './ca-bundle.js';
import { LABELS, containerOptions } from './container-options.js';
import { checkDockerImage, createDockerClient, toDockerError } from './docker-client.js';
import { DockerSandbox, type SandboxMeter } from './docker-sandbox.js';
import { WarmPool } from './warm-pool.js';
import { WorkspaceFiles, type FileOwner } from './workspace-files.js';
import { isInside } from './workspace-path.js';
import type {
  Sandbox,
  SandboxObserver,
  SandboxProvider,
  SandboxRequest,
  SandboxSpec,
} from './types.js';

/** Limits as accepted at the boundary (Docker's own minimums: 6 MiB memory; pids ≥ 1). */
export const SandboxLimitsInput = z.strictObject({
  cpus: z.number().positive().max(256),
  memoryMb: z.number().int().min(16).max(1_048_576),
  pids: z.number().int().min(8).max(1_000_000),
});
export type SandboxLimitsInput = z.infer<typeof SandboxLimitsInput>;

/** A `SandboxRequest` as accepted at the boundary. */
export const SandboxRequestInput = z.object({
  image: z.string().min(1).max(256),
  limits: SandboxLimitsInput,
  network: z.enum(['none', 'setup']),
  jobId: z.string().min(1).max(200),
  keepWorkspace: z.boolean().optional(),
});
export type SandboxRequestInput = z.infer<typeof SandboxRequestInput>;

/** Options of {@link DockerSandboxProvider}. */
export interface DockerSandboxProviderOptions {
  /** dockerode client; default from the environment (`DOCKER_HOST` or the Unix socket). */
  docker?: Docker;
  logger: Logger;
  /** Fresh containers kept started per (image, limits, network); default 2, 0 disables the pool. */
  poolSize?: number;
  /** Extra labels on every container. */
  labels?: Record<string, string>;
  /** Stable name of this worker; orphans are containers of the same worker from another process. Default: host name. */
  workerId?: string;
  /** Where `acquire` makes workspaces (`<root>/<container name>`); default `<tmpdir>/tandem-workspaces`. */
  workspaceRoot?: string;
  /** uid/gid of the sandbox's processes; default the worker's own when it is not root, else 1000:1000. */
  user?: FileOwner;
  /** Pools to fill at `start()`, e.g. the default image with the default limits. */
  warm?: ReadonlyArray<Omit<SandboxRequest, 'jobId'>>;
  /**
   * Disk a workspace may use, in bytes, when a command does not say (`ExecOptions.maxWorkspaceBytes`);
   * default {@link DEFAULT_MAX_WORKSPACE_BYTES}.
   */
  maxWorkspaceBytes?: number;
  /**
   * Extra CA certificates (`loadCaBundle`, the operator's `TANDEM_SANDBOX_CA_CERTS`) for the commands a
   * `network: 'setup'` sandbox runs with the network: installed in the container for them only.
   */
  caBundle?: CaBundle;
  /** Sees the commands of every sandbox (live progress, setup output in the log). */
  observer?: SandboxObserver;
  /** Told when sandboxes start and end and how their commands went (metrics). */
  meter?: SandboxMeter;
}

/** Default disk limit of a workspace: 2 GiB. */
export const DEFAULT_MAX_WORKSPACE_BYTES = 2 * 1024 * 1024 * 1024;

interface PooledContainer {
  container: Docker.Container;
  name: string;
  workspaceDir: string;
  request: Omit<SandboxRequest, 'jobId'>;
}

/**
 * `SandboxProvider` over the local Docker engine (dockerode). `acquire` serves from a warm pool of fresh
 * containers keyed by image, limits and network, each with its own empty host workspace directory; `create`
 * cold-starts a container over a directory the caller owns. Containers are never reused across jobs.
 * Every container carries `LABELS` (worker, instance, job); `start()`/`removeOrphans()` remove this
 * worker's containers left by an earlier process, and the workspaces the provider made for them.
 * The provider keeps track of every container it made until it is destroyed: `close()` removes them
 * all, including those of sandboxes still in use and those still being created, so a process that
 * shuts down mid-job leaves none behind.
 */
export class DockerSandboxProvider implements SandboxProvider {
  readonly instance = randomUUID();
  private readonly docker: Docker;
  private readonly log: Logger;
  private readonly workerId: string;
  private readonly workspaceRoot: string;
  private readonly user: FileOwner;
  private readonly pool: WarmPool<PooledContainer>;
  private readonly poolRequests = new Map<string, Omit<SandboxRequest, 'jobId'>>();
  /** Sandboxes handed out and not destroyed yet. */
  private readonly live = new Set<DockerSandbox>();
  /** Container creations in flight (each removes its container itself when the provider closed meanwhile). */
  private readonly starting = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: DockerSandboxProviderOptions) {
    this.docker = options.docker ?? createDockerClient();
    this.log = options.logger.child({ component: 'sandbox' });
    this.workerId = options.workerId ?? hostname();
    this.workspaceRoot = resolve(options.workspaceRoot ?? join(tmpdir(), 'tandem-workspaces'));
    const uid = process.getuid?.() ?? 1000;
    const gid = process.getgid?.() ?? 1000;
    this.user = options.user ?? (uid === 0 ? { uid: 1000, gid: 1000 } : { uid, gid });
    if (this.user.uid === 0) {
      throw new SandboxSpecError('the sandbox user must not be root (uid 0)');
    }
    this.pool = new WarmPool<PooledContainer>({
      size: options.poolSize ?? 2,
      logger: this.log,
      create: (key) => this.makePooled(key),
      dispose: (item) => this.removeContainer(item.container, item.workspaceDir),
    });
  }

  /**
   * Removes orphans, then fills the pools listed in `warm`. Resolves when the pools are full. A pool whose
   * image is missing is left empty with one warning naming the fix (jobs needing it fail with
   * `SandboxImageMissingError` until it exists); `missingImages` lists those images.
   * @throws DockerUnavailableError when the engine cannot be reached.
   */
  async start(): Promise<{ orphansRemoved: number; missingImages: string[] }> {
    const orphansRemoved = await this.removeOrphans();
    const missingImages: string[] = [];
    await Promise.all(
      (this.options.warm ?? []).map(async (request) => {
        try {
          await checkDockerImage(this.docker, request.image);
        } catch (error) {
          if (!(error instanceof SandboxImageMissingError)) {
            throw error;
          }
          missingImages.push(request.image);
          this.log.warn(
            { image: request.image, fix: error.message },
            'sandbox image missing: jobs that need it fail until it is built',
          );
          return;
        }
        const key = this.keyOf(request);
        this.poolRequests.set(key, request);
        await this.pool.fill(key);
      }),
    );
    return { orphansRemoved, missingImages };
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    this.checkOpen();
    const { keepWorkspace: _unused, ...request } = parseRequest(spec);
    const dir = await checkWorkspace(spec.workspaceDir);
    const name = `tandem-${safeName(request.jobId)}-${randomUUID().slice(0, 8)}`;
    const container = await this.startContainer(request, dir, name, request.jobId, false);
    return this.sandboxOf(container, { ...request, workspaceDir: dir }, undefined);
  }

  async acquire(request: SandboxRequest): Promise<Sandbox> {
    this.checkOpen();
    const parsed = parseRequest(request);
    const { jobId, keepWorkspace, ...template } = parsed;
    const key = this.keyOf(template);
    if (!this.poolRequests.has(key)) {
      this.poolRequests.set(key, template);
    }
    let pooled: PooledContainer | undefined;
    const taken = this.pool.take(key);
    if (taken) {
      pooled = await taken.catch((error: unknown) => {
        this.log.warn({ err: error }, 'warm pool item failed; starting a container cold');
        return undefined;
      });
    }
    pooled ??= await this.makeContainer(template, jobId);
    const { container, name, workspaceDir } = pooled;
    void container
      .rename({ name: `${name}-${safeName(jobId)}` })
      .catch((error: unknown) => this.log.debug({ err: error }, 'could not rename a sandbox'));
    this.log.debug(
      { jobId, container: container.id.slice(0, 12), warm: taken !== undefined },
      'sandbox acquired',
    );
    return this.sandboxOf(
      container,
      { ...template, jobId, workspaceDir },
      keepWorkspace === true ? undefined : workspaceDir,
      taken ? 'warm' : 'cold',
    );
  }

  async removeOrphans(): Promise<number> {
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.sandbox}=1`, `${LABELS.worker}=${this.workerId}`] },
      });
    } catch (error) {
      throw toDockerError(error, this.docker);
    }
    const orphans = containers.filter((c) => c.Labels[LABELS.instance] !== this.instance);
    await Promise.all(
      orphans.map((c) =>
        this.removeContainer(this.docker.getContainer(c.Id), c.Labels[LABELS.ownedWorkspace]),
      ),
    );
    if (orphans.length > 0) {
      this.log.info(
        { removed: orphans.length, workerId: this.workerId },
        'removed orphan sandboxes',
      );
    }
    return orphans.length;
  }

  /**
   * Removes every container this provider made: the pooled ones (and their workspaces), those being
   * created, and the sandboxes handed out and not destroyed yet (destroyed here; their commands fail).
   * Idempotent; later `create`/`acquire` throw `SandboxError`.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.pool.close();
      await Promise.allSettled([...this.starting]);
      const left = [...this.live];
      if (left.length > 0) {
        this.log.info({ sandboxes: left.length }, 'removing sandboxes still in use');
      }
      const results = await Promise.allSettled(left.map((sandbox) => sandbox.destroy()));
      for (const r of results) {
        if (r.status === 'rejected') {
          this.log.warn({ err: r.reason }, 'could not remove a sandbox');
        }
      }
    })();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing) {
      throw new SandboxError('the sandbox provider is closed');
    }
  }

  /** Pooled containers of every request shape: `ready`, and `starting` (being made), for metrics. */
  poolCounts(): { ready: number; starting: number } {
    let ready = 0;
    let all = 0;
    for (const key of this.poolRequests.keys()) {
      ready += this.pool.readyCount(key);
      all += this.pool.count(key);
    }
    return { ready, starting: all - ready };
  }

  /** Number of pooled containers ready for a request shape (for tests and metrics). */
  readyCount(request: Omit<SandboxRequest, 'jobId'>): number {
    return this.pool.readyCount(this.keyOf(request));
  }

  private keyOf(request: Omit<SandboxRequest, 'jobId'>): string {
    const { image, limits, network } = request;
    return JSON.stringify([image, limits.cpus, limits.memoryMb, limits.pids, network]);
  }

  private async makePooled(key: string): Promise<PooledContainer> {
    const request = this.poolRequests.get(key);
    if (!request) {
      throw new SandboxError(`no pool request for key ${key}`);
    }
    return this.makeContainer(request, 'pool');
  }

  /** A fresh container over a fresh provider-owned workspace. */
  private async makeContainer(
    request: Omit<SandboxRequest, 'jobId'>,
    jobId: string,
  ): Promise<PooledContainer> {
    const name = `tandem-${randomUUID().slice(0, 12)}`;
    const workspaceDir = join(this.workspaceRoot, name);
    await mkdir(workspaceDir, { recursive: true, mode: 0o755 });
    if (process.getuid?.() === 0) {
      await chown(workspaceDir, this.user.uid, this.user.gid);
    }
    try {
      const container = await this.startContainer(request, workspaceDir, name, jobId, true);
      return { container, name, workspaceDir, request };
    } catch (error) {
      await rm(workspaceDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Creates and starts one container, tracked while in flight; one that comes up after `close()` began
   * is removed at once (`SandboxError`).
   */
  private async startContainer(
    request: Omit<SandboxRequest, 'jobId'>,
    workspaceDir: string,
    name: string,
    jobId: string,
    ownedWorkspace: boolean,
  ): Promise<Docker.Container> {
    const started = this.createAndStart(request, workspaceDir, name, jobId, ownedWorkspace);
    this.starting.add(started);
    try {
      const container = await started;
      if (this.closing && jobId !== 'pool') {
        await container.remove({ force: true, v: true }).catch(() => undefined);
        throw new SandboxError('the sandbox provider is closed', container.id);
      }
      return container;
    } finally {
      this.starting.delete(started);
    }
  }

  private async createAndStart(
    request: Omit<SandboxRequest, 'jobId'>,
    workspaceDir: string,
    name: string,
    jobId: string,
    ownedWorkspace: boolean,
  ): Promise<Docker.Container> {
    const labels: Record<string, string> = {
      ...this.options.labels,
      [LABELS.sandbox]: '1',
      [LABELS.worker]: this.workerId,
      [LABELS.instance]: this.instance,
      [LABELS.job]: jobId,
      ...(ownedWorkspace ? { [LABELS.ownedWorkspace]: workspaceDir } : {}),
    };
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(
        containerOptions({
          image: request.image,
          workspaceDir,
          limits: request.limits,
          networkMode: request.network === 'setup' ? 'bridge' : 'none',
          user: this.user,
          labels,
          name,
        }),
      );
    } catch (error) {
      throw toDockerError(error, this.docker, request.image);
    }
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new SandboxError(
        `could not start a sandbox container from ${request.image}`,
        container.id,
        {
          cause: toDockerError(error, this.docker),
        },
      );
    }
    return container;
  }

  private async sandboxOf(
    container: Docker.Container,
    spec: SandboxSpec,
    ownedWorkspace: string | undefined,
    source: 'warm' | 'cold' = 'cold',
  ): Promise<Sandbox> {
    let files: WorkspaceFiles;
    try {
      files = await WorkspaceFiles.open(spec.workspaceDir, { owner: this.user });
    } catch (error) {
      await this.removeContainer(container, ownedWorkspace);
      throw error;
    }
    const { caBundle, observer, meter } = this.options;
    const sandbox: DockerSandbox = new DockerSandbox({
      docker: this.docker,
      container,
      spec,
      files,
      user: this.user,
      onSetupNetwork: spec.network === 'setup',
      maxWorkspaceBytes: this.options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES,
      logger: this.log.child({ jobId: spec.jobId }),
      ...(caBundle && spec.network === 'setup' ? { caBundle } : {}),
      ...(observer ? { observer } : {}),
      ...(meter ? { meter, source } : {}),
      afterDestroy: async () => {
        this.live.delete(sandbox);
        if (ownedWorkspace !== undefined) {
          await rm(ownedWorkspace, { recursive: true, force: true });
        }
      },
    });
    this.live.add(sandbox);
    if (this.closing) {
      // close() took its list of live sandboxes before this one was made.
      await sandbox.destroy();
      throw new SandboxError('the sandbox provider is closed', container.id);
    }
    return sandbox;
  }

  /** Force-removes a container and, when it lies under `workspaceRoot`, the workspace made for it. */
  private async removeContainer(container: Docker.Container, workspaceDir?: string): Promise<void> {
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) {
        this.log.warn(
          { err: error, container: container.id.slice(0, 12) },
          'could not remove a sandbox',
        );
        return;
      }
    }
    if (
      workspaceDir &&
      isInside(this.workspaceRoot, resolve(workspaceDir)) &&
      resolve(workspaceDir) !== this.workspaceRoot
    ) {
      await rm(workspaceDir, { recursive: true, force: true });
    }
  }
}

function parseRequest(request: SandboxRequest | SandboxSpec): SandboxRequestInput {
  const { workspaceDir: _ignored, ...rest } = request as SandboxSpec;
  const parsed = SandboxRequestInput.safeParse(rest);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SandboxSpecError(`invalid sandbox request: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Checks a caller's workspace: an absolute existing directory without a `.git` entry. Returns it. */
async function checkWorkspace(dir: string): Promise<string> {
  if (typeof dir !== 'string' || !isAbsolute(dir) || dir.includes('\0')) {
    throw new SandboxSpecError(
      `workspaceDir must be an absolute host path, not ${JSON.stringify(dir)}`,
    );
  }
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new SandboxSpecError(`workspaceDir ${dir} is not an existing directory`);
  }
  if ((await readdir(dir)).includes('.git')) {
    throw new SandboxSpecError(
      `workspaceDir ${dir} contains .git: keep the git directory outside the workspace (git --git-dir)`,
    );
  }
  return resolve(dir);
}

/** A container-name-safe form of a job id. */
function safeName(jobId: string): string {
  return jobId.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 60) || 'job';
}
