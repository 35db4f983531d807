import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { DockerUnavailableError, SandboxImageMissingError } from '../errors/index.js';

/**
 * Where a client expects the Docker engine, for error messages: its Unix socket path, else its
 * `DOCKER_HOST`-style address (credentials in a URL are cut).
 */
export function dockerEndpoint(docker?: Docker, env: NodeJS.ProcessEnv = process.env): string {
  const modem = docker?.modem as
    { socketPath?: unknown; host?: unknown; port?: unknown } | undefined;
  if (typeof modem?.socketPath === 'string') {
    return `the socket ${modem.socketPath}`;
  }
  if (typeof modem?.host === 'string') {
    return `${modem.host}:${typeof modem.port === 'number' || typeof modem.port === 'string' ? modem.port : ''} (DOCKER_HOST)`;
  }
  const host = env.DOCKER_HOST;
  if (host) {
    return `DOCKER_HOST=${host.replace(/\/\/[^/@]*@/, '//')}`;
  }
  return 'the socket /var/run/docker.sock';
}

/**
 * Creates a dockerode client from the environment (`DOCKER_HOST`, or the default socket).
 * Node 20's global agent keeps idle sockets alive and the engine may close them on its side; a request
 * written to such a socket fails with `EPIPE` (dockerode#193). `execCommand` retries an exec start that
 * dies that way. (A private no-keep-alive agent would avoid it, but loses `socketPath` under test HTTP
 * interceptors such as nock's.)
 *
 * dockerode (with docker-modem, ssh2 and BuildKit's gRPC client, about 20 MB resident) is loaded by the
 * first call, not when this module is imported, so a process that never reaches Docker (`tandem server`)
 * never loads it. It is CommonJS, so `require` loads it synchronously and this stays a plain function.
 */
export function createDockerClient(): Docker {
  const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;
  return new DockerClient();
}

const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** True when an error from dockerode means the engine could not be reached at all. */
export function isEngineUnreachable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/**
 * Checks that the engine answers and that `image` exists locally (Tandem never pulls it).
 * Throws `DockerUnavailableError` or `SandboxImageMissingError`.
 */
export async function checkDockerImage(docker: Docker, image: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
  } catch (error) {
    throw toDockerError(error, docker, image);
  }
}

/**
 * Maps a dockerode failure to Tandem's typed errors where one fits: the engine unreachable
 * (`DockerUnavailableError`) or a missing image (HTTP 404 from a call about `image`: `SandboxImageMissingError`).
 * Anything else is returned unchanged.
 */
export function toDockerError(error: unknown, docker?: Docker, image?: string): unknown {
  if (isEngineUnreachable(error)) {
    return new DockerUnavailableError(dockerEndpoint(docker), { cause: error });
  }
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  if (image !== undefined && status === 404) {
    return new SandboxImageMissingError(image, { cause: error });
  }
  return error;
}
