import type Docker from 'dockerode';
import { SandboxError } from '../errors/index.js';
import type { CaBundle } from './ca-bundle.js';
import { idleUid } from './container-options.js';
import { startExec } from './exec-command.js';

/** Where the setup command finds the trusted certificates inside the container (a tmpfs). */
export const SANDBOX_CA_DIR = '/tmp/.tandem-ca';
/** The bundle file: the image's own CA bundle followed by the operator's certificates. */
export const SANDBOX_CA_FILE = `${SANDBOX_CA_DIR}/ca-certificates.crt`;

/**
 * The variables that point the usual clients at {@link SANDBOX_CA_FILE}: Node (`NODE_EXTRA_CA_CERTS`),
 * npm (`npm_config_cafile`), OpenSSL and what links it (`SSL_CERT_FILE`), Python requests and pip
 * (`REQUESTS_CA_BUNDLE`, `PIP_CERT`), git over HTTPS (`GIT_SSL_CAINFO`) and curl (`CURL_CA_BUNDLE`).
 * Several of them replace the default trust store rather than add to it, which is why the file also
 * holds the image's own bundle.
 */
export function sandboxCaEnv(): Record<string, string> {
  return Object.fromEntries(
    [
      'NODE_EXTRA_CA_CERTS',
      'npm_config_cafile',
      'SSL_CERT_FILE',
      'REQUESTS_CA_BUNDLE',
      'PIP_CERT',
      'GIT_SSL_CAINFO',
      'CURL_CA_BUNDLE',
    ].map((name) => [name, SANDBOX_CA_FILE]),
  );
}

/** What the CA helpers need from a sandbox. */
export interface CaContext {
  container: Docker.Container;
  /** The sandbox user; the files are written as the container's idle uid, which that user cannot change. */
  user: { uid: number; gid: number };
}

/**
 * Writes the bundle into the container at {@link SANDBOX_CA_FILE} (after the image's
 * `/etc/ssl/certs/ca-certificates.crt`, when it has one), through `docker exec` with the PEM on stdin,
 * as the container's idle uid: the root filesystem is read-only and `docker cp` cannot reach a tmpfs.
 * @throws SandboxError when the exec fails or exits non-zero.
 */
export async function installCaBundle(ctx: CaContext, bundle: CaBundle): Promise<void> {
  const script =
    'umask 022; mkdir -p "$1" && { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null; cat; } > "$2"';
  await runAsIdle(ctx, [script, SANDBOX_CA_DIR, SANDBOX_CA_FILE], bundle.pem, 'install');
}

/**
 * Removes {@link SANDBOX_CA_DIR} and checks it is gone.
 * @throws SandboxError when it cannot be removed.
 */
export async function removeCaBundle(ctx: CaContext): Promise<void> {
  await runAsIdle(ctx, ['rm -rf "$1" && ! test -e "$1"', SANDBOX_CA_DIR], undefined, 'remove');
}

async function runAsIdle(
  ctx: CaContext,
  [script, ...args]: readonly string[],
  stdin: string | undefined,
  what: 'install' | 'remove',
): Promise<void> {
  const idle = idleUid(ctx.user.uid);
  const id = ctx.container.id;
  let code: number | undefined;
  try {
    const { exec, stream } = await startExec(
      { container: ctx.container },
      {
        Cmd: ['/bin/sh', '-c', script!, 'tandem-ca', ...args],
        User: `${idle}:${idle}`,
        AttachStdin: stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      },
      stdin !== undefined,
    );
    const ended = new Promise<void>((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', reject);
    });
    stream.resume();
    // Ending our side closes the command's stdin (Docker half-closes the hijacked connection).
    stream.end(stdin);
    await ended;
    for (let i = 0; i < 50 && code === undefined; i++) {
      const info = await exec.inspect();
      code = info.Running || info.ExitCode === null ? undefined : info.ExitCode;
      if (code === undefined) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } catch (error) {
    throw new SandboxError(`could not ${what} the CA certificates in the sandbox`, id, {
      cause: error,
    });
  }
  if (code !== 0) {
    throw new SandboxError(
      `could not ${what} the CA certificates in the sandbox (exit ${code ?? 'unknown'})`,
      id,
    );
  }
}
