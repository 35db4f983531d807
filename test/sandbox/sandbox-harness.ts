/**
 * Shared set-up of the Docker sandbox suites: the image under test, default limits, a silent logger, and
 * a provider per test with its own worker id and workspace root, whose containers are all removed after.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createLogger } from '../../src/log/logger.js';
import { LABELS } from '../../src/sandbox/container-options.js';
import {
  DockerSandboxProvider,
  type DockerSandboxProviderOptions,
} from '../../src/sandbox/docker-sandbox-provider.js';
import type { SandboxLimits, SandboxRequest } from '../../src/sandbox/types.js';

/** The image the suites run against (built by `sandbox/build-image.sh`). */
export const IMAGE = process.env.TANDEM_SANDBOX_IMAGE ?? 'tandem-sandbox:latest';
export const LIMITS: SandboxLimits = { cpus: 1, memoryMb: 512, pids: 128 };
export const docker = new Docker();
export const logger = createLogger({ level: process.env.TANDEM_TEST_LOG ? 'debug' : 'silent' });

/** A request for `acquire` with the defaults above. */
export function request(overrides: Partial<SandboxRequest> = {}): SandboxRequest {
  return {
    image: IMAGE,
    limits: LIMITS,
    network: 'none',
    jobId: `job-${randomUUID()}`,
    ...overrides,
  };
}

/** A provider for one test; `cleanup()` removes every container of its worker and its temp dirs. */
export async function makeProvider(options: Partial<DockerSandboxProviderOptions> = {}): Promise<{
  provider: DockerSandboxProvider;
  workerId: string;
  workspaceRoot: string;
  cleanup: () => Promise<void>;
}> {
  const workerId = options.workerId ?? `test-${randomUUID()}`;
  const workspaceRoot = options.workspaceRoot ?? (await mkdtemp(join(tmpdir(), 'tandem-sbx-')));
  const provider = new DockerSandboxProvider({
    docker,
    logger,
    poolSize: 0,
    ...options,
    workerId,
    workspaceRoot,
  });
  return {
    provider,
    workerId,
    workspaceRoot,
    cleanup: async () => {
      await provider.close();
      await removeWorkerContainers(workerId);
      await rm(workspaceRoot, { recursive: true, force: true });
    },
  };
}

/** Ids of the containers of a worker id (all states). */
export async function workerContainers(workerId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.worker}=${workerId}`] },
  });
}

/** Force-removes every container of a worker id. */
export async function removeWorkerContainers(workerId: string): Promise<void> {
  for (const c of await workerContainers(workerId)) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}
