import type Docker from 'dockerode';
import type { SandboxLimits } from './types.js';

/** Label keys on every sandbox container (reverse-DNS, as Docker recommends). */
export const LABELS = {
  /** Marks a Tandem sandbox container; value `1`. */
  sandbox: 'dev.tandem.sandbox',
  /** The worker (stable across restarts) that owns it: orphans are removed per worker. */
  worker: 'dev.tandem.worker',
  /** The provider instance (one per process) that created it. */
  instance: 'dev.tandem.instance',
  /** Job id, or `pool` while the container waits in the warm pool. */
  job: 'dev.tandem.job',
  /** Host directory mounted at /workspace when the provider made it (removed with the container). */
  ownedWorkspace: 'dev.tandem.owned-workspace',
} as const;

/**
 * The uid (and gid) of the container's own processes (`docker-init` and `sleep infinity`): `nobody`,
 * never the sandbox user, so a command's `kill -9 -1` at its end reaches every process the command
 * could have started and none that keeps the container alive. 65533 when the sandbox user is 65534.
 */
export function idleUid(sandboxUid: number): number {
  return sandboxUid === 65534 ? 65533 : 65534;
}

/** Default tmpfs sizes in MiB; tmpfs pages count against the memory limit. */
export const TMPFS_MB = { tmp: 1024, home: 256 } as const;

/** Everything a sandbox container is created from. */
export interface ContainerInput {
  image: string;
  /** Absolute host directory bind-mounted read-write at /workspace. */
  workspaceDir: string;
  limits: SandboxLimits;
  /** `none`: no network at all; `bridge`: the setup network (disconnected before the first offline exec). */
  networkMode: 'none' | 'bridge';
  /** uid and gid commands run as (`docker exec`); never 0. The container's own processes run as {@link idleUid}. */
  user: { uid: number; gid: number };
  /** Labels (the provider's keys from `LABELS` plus any extra). */
  labels: Record<string, string>;
  /** Container name (unique), e.g. `tandem-sbx-<uuid>`. */
  name: string;
}

/**
 * Builds the Docker create options of a hardened sandbox container:
 * no network (`NetworkMode: none`) unless the setup network is asked for, every capability dropped,
 * `no-new-privileges`, a read-only root with tmpfs `/tmp` and home, a non-root uid, memory (swap off:
 * memory-swap = memory), CPU (`NanoCpus` = cpus × 1e9) and pids limits, `docker-init` as PID 1 to reap
 * zombies, and `sleep infinity` as the main process (commands run through `docker exec` as `user`; the
 * main process runs as {@link idleUid} from `/`, so it needs no access to the workspace).
 * See https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerCreate.
 */
export function containerOptions(input: ContainerInput): Docker.ContainerCreateOptions {
  const { uid, gid } = input.user;
  if (uid === 0) {
    throw new Error('sandbox containers never run as root');
  }
  const memoryBytes = Math.floor(input.limits.memoryMb * 1024 * 1024);
  const idle = idleUid(uid);
  const tmpfs = 'rw,nosuid,nodev';
  return {
    name: input.name,
    Image: input.image,
    Cmd: ['sleep', 'infinity'],
    User: `${idle}:${idle}`,
    WorkingDir: '/',
    Hostname: 'sandbox',
    Labels: input.labels,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StopSignal: 'SIGKILL',
    HostConfig: {
      NetworkMode: input.networkMode,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: {
        '/tmp': `${tmpfs},mode=1777,size=${TMPFS_MB.tmp}m`,
        '/home/sandbox': `${tmpfs},mode=0700,uid=${uid},gid=${gid},size=${TMPFS_MB.home}m`,
      },
      Mounts: [{ Type: 'bind', Source: input.workspaceDir, Target: '/workspace', ReadOnly: false }],
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(input.limits.cpus * 1e9),
      PidsLimit: input.limits.pids,
      Init: true,
      IpcMode: 'private',
      Privileged: false,
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
