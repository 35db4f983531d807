import type Docker from 'dockerode';
import type { Logger } from '../log/logger.js';
import { SandboxError, SandboxSpecError } from '../errors/index.js';
import { execCommand } from './exec-command.js';
import { measureDiskUse, watchDiskUse } from './workspace-disk.js';
import { WorkspaceFiles, type FileOwner } from './workspace-files.js';
import type { CaBundle } from './ca-bundle.js';
import { installCaBundle, removeCaBundle, sandboxCaEnv, type CaContext } from './sandbox-ca.js';
import type {
  CommandObserver,
  ExecOptions,
  ExecResult,
  Sandbox,
  SandboxObserver,
  SandboxSpec,
  SearchMatch,
} from './types.js';

/** What a `DockerSandbox` is made of; built by `DockerSandboxProvider`. */
export interface DockerSandboxParts {
  docker: Docker;
  container: Docker.Container;
  spec: SandboxSpec;
  files: WorkspaceFiles;
  /** uid/gid the container runs as (workspace files are handed to it by `chownWorkspace`). */
  user: FileOwner;
  /** True when the container was created on the setup network (`spec.network === 'setup'`). */
  onSetupNetwork: boolean;
  /** Default `ExecOptions.maxWorkspaceBytes`. */
  maxWorkspaceBytes: number;
  logger: Logger;
  /** Called once after the container is removed (the provider removes a workspace it made). */
  afterDestroy?: () => Promise<void>;
  /** Extra CA certificates for commands run with the setup network (`TANDEM_SANDBOX_CA_CERTS`). */
  caBundle?: CaBundle;
  /** Sees every command (live progress, logs). */
  observer?: SandboxObserver;
  /** Told when the sandbox starts and ends and how each command went (metrics); must not throw. */
  meter?: SandboxMeter;
  /** Whether the provider's warm pool served the container (default `cold`), for the meter. */
  source?: 'warm' | 'cold';
}

/** How a command ended, for metrics: `error` when `exec` threw. */
export type SandboxExecOutcome = 'ok' | 'nonzero' | 'timeout' | 'oom' | 'disk_limit' | 'error';

/** What a sandbox tells its meter (the metrics); none of these may throw. */
export interface SandboxMeter {
  /** A sandbox was handed out; `source` says whether the provider's warm pool served its container. */
  started?(source: 'warm' | 'cold'): void;
  /** The sandbox's container was removed (called once). */
  destroyed?(): void;
  /** One command ended after `durationMs` (its own run, not its wait behind another command). */
  exec?(durationMs: number, outcome: SandboxExecOutcome): void;
}

/**
 * One job's sandbox over a running hardened container (see `containerOptions`). Commands run through
 * `execCommand`, one at a time (a command that ends kills every other process of the sandbox user, so
 * two at once would kill each other); the file tools are `WorkspaceFiles` on the host side of the bind
 * mount. With `network: 'setup'` the container starts on the bridge network; the first command run
 * without `{ network: true }` disconnects it for good, and a later `{ network: true }` throws
 * `SandboxSpecError`. The workspace's disk use is watched while a command runs and measured after it
 * (`maxWorkspaceBytes`): over the limit, the command is killed and `diskLimitExceeded` set.
 * With a `caBundle`, the first network command finds it installed in the container's /tmp (see
 * `installCaBundle`) and gets `sandboxCaEnv()` in its environment; the bundle is removed, and checked
 * gone, before the network is cut, so no offline command ever sees it.
 */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly spec: SandboxSpec;
  private readonly oom = { lastCount: 0 };
  private offline: Promise<void> | undefined;
  private destroying: Promise<void> | undefined;
  /** The CA bundle's installation, once the first network command asked for it. */
  private caInstalled: Promise<void> | undefined;
  /** Commands started so far (the observer's `index`). */
  private commands = 0;
  /** The command running now (commands are serialised). */
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: DockerSandboxParts) {
    this.id = parts.container.id;
    this.spec = parts.spec;
    if (!parts.onSetupNetwork) {
      this.offline = Promise.resolve();
    }
    parts.meter?.started?.(parts.source ?? 'cold');
  }

  /** The uid and gid the sandbox's processes run as. */
  get user(): FileOwner {
    return this.parts.user;
  }

  exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const run = this.running.catch(() => undefined).then(() => this.metered(argv, options));
    this.running = run;
    return run;
  }

  /** `execNow`, timed for the meter. */
  private async metered(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const meter = this.parts.meter;
    if (!meter?.exec) {
      return this.execNow(argv, options);
    }
    const started = performance.now();
    try {
      const result = await this.execNow(argv, options);
      meter.exec(performance.now() - started, outcomeOf(result));
      return result;
    } catch (error) {
      meter.exec(performance.now() - started, 'error');
      throw error;
    }
  }

  private async execNow(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    if (this.destroying) {
      throw new SandboxError('the sandbox was destroyed', this.id);
    }
    if (options.network === true) {
      if (this.spec.network !== 'setup') {
        throw new SandboxSpecError('this sandbox has no network (its spec says network: none)');
      }
      if (this.offline) {
        throw new SandboxSpecError(
          'the setup network is gone: it is cut before the first command run without it',
        );
      }
    } else {
      this.offline ??= this.disconnect();
      await this.offline;
    }
    const observed = this.observe(argv, options.network === true);
    try {
      let env = options.env;
      if (options.network === true && this.parts.caBundle) {
        await this.installCa(this.parts.caBundle);
        env = { ...sandboxCaEnv(), ...options.env };
      }
      const result = await this.run(argv, {
        ...options,
        ...(env ? { env } : {}),
        ...(observed?.onOutput || options.onOutput
          ? { onOutput: both(options.onOutput, observed?.onOutput) }
          : {}),
      });
      quietly(() => observed?.onEnd?.({ result }));
      return result;
    } catch (error) {
      quietly(() => observed?.onEnd?.({ error }));
      throw error;
    }
  }

  /** Installs the CA bundle once, for the first network command. */
  private installCa(bundle: CaBundle): Promise<void> {
    this.caInstalled ??= installCaBundle(this.caContext(), bundle).then(() =>
      this.parts.logger.debug(
        { container: this.id.slice(0, 12), certificates: bundle.certificates },
        'CA certificates installed for the setup',
      ),
    );
    return this.caInstalled;
  }

  /** The observer's view of the next command, if it wants one. */
  private observe(argv: readonly string[], network: boolean): CommandObserver | undefined {
    const index = this.commands++;
    let observed: CommandObserver | undefined;
    quietly(() => {
      observed = this.parts.observer?.({ jobId: this.spec.jobId, argv, network, index });
    });
    return observed;
  }

  private async run(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const limit = options.maxWorkspaceBytes ?? this.parts.maxWorkspaceBytes;
    // One signal for the caller's abort and the disk watcher's kill.
    const stop = new AbortController();
    const forward = (): void => stop.abort();
    if (options.signal?.aborted) {
      stop.abort();
    }
    options.signal?.addEventListener('abort', forward, { once: true });
    let exceeded = false;
    const watcher = watchDiskUse(this.spec.workspaceDir, limit, (bytes) => {
      exceeded = true;
      this.parts.logger.warn(
        { container: this.id.slice(0, 12), bytes, limit },
        'workspace over its disk limit; command killed',
      );
      stop.abort();
    });
    let result;
    try {
      result = await execCommand(
        {
          docker: this.parts.docker,
          container: this.parts.container,
          user: this.parts.user,
          oom: this.oom,
        },
        argv,
        { ...options, maxWorkspaceBytes: limit, signal: stop.signal },
      );
    } finally {
      options.signal?.removeEventListener('abort', forward);
      await watcher.stop();
    }
    // The supervisor measured the quiet workspace from inside; when it could not read all of it, the
    // host measures (and a workspace it cannot measure either counts as over the limit).
    let bytes = result.workspaceBytes;
    if (bytes === undefined) {
      const use = await measureDiskUse(this.spec.workspaceDir);
      bytes = 'error' in use ? undefined : use.bytes;
    }
    return {
      ...result,
      ...(bytes === undefined ? {} : { workspaceBytes: bytes }),
      diskLimitBytes: limit,
      diskLimitExceeded: exceeded || bytes === undefined || bytes > limit,
    };
  }

  readFile(path: string): Promise<string> {
    return this.parts.files.readFile(path);
  }

  writeFile(path: string, content: string): Promise<void> {
    return this.parts.files.writeFile(path, content);
  }

  list(dir?: string, options?: { maxResults?: number }): Promise<string[]> {
    return this.parts.files.list(dir, options);
  }

  search(pattern: string, options?: { dir?: string; maxResults?: number }): Promise<SearchMatch[]> {
    return this.parts.files.search(pattern, options);
  }

  async chownWorkspace(): Promise<void> {
    if (process.getuid?.() === 0) {
      await WorkspaceFiles.chownTree(this.parts.files.root, this.parts.user);
    }
  }

  destroy(): Promise<void> {
    this.destroying ??= this.remove();
    return this.destroying;
  }

  private async remove(): Promise<void> {
    try {
      await this.parts.container.remove({ force: true, v: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) {
        throw new SandboxError('could not remove the sandbox container', this.id, { cause: error });
      }
    }
    this.parts.logger.debug({ container: this.id.slice(0, 12) }, 'sandbox destroyed');
    this.parts.meter?.destroyed?.();
    await this.parts.afterDestroy?.();
  }

  private caContext(): CaContext {
    return { container: this.parts.container, user: this.parts.user };
  }

  /**
   * Removes the setup's CA bundle (when one was installed), then disconnects every network (the setup
   * network), leaving only the loopback interface.
   */
  private async disconnect(): Promise<void> {
    if (this.caInstalled) {
      // Installed or not (a failed install may have left part of it), it must be gone now.
      await this.caInstalled.catch(() => undefined);
      await removeCaBundle(this.caContext());
    }
    try {
      const info = await this.parts.container.inspect();
      for (const name of Object.keys(info.NetworkSettings.Networks)) {
        await this.parts.docker.getNetwork(name).disconnect({ Container: this.id, Force: true });
      }
      this.parts.logger.debug({ container: this.id.slice(0, 12) }, 'setup network disconnected');
    } catch (error) {
      throw new SandboxError('could not disconnect the setup network', this.id, { cause: error });
    }
  }
}

/** How a finished command ended, worst first. */
function outcomeOf(result: ExecResult): SandboxExecOutcome {
  if (result.diskLimitExceeded) {
    return 'disk_limit';
  }
  if (result.oomKilled) {
    return 'oom';
  }
  if (result.timedOut) {
    return 'timeout';
  }
  return result.exitCode === 0 ? 'ok' : 'nonzero';
}

/** Calls `f`, ignoring what it throws (observers must never break a command). */
function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // ignored on purpose
  }
}

/** One output listener made of two optional ones. */
function both(
  a: ExecOptions['onOutput'],
  b: ExecOptions['onOutput'],
): NonNullable<ExecOptions['onOutput']> {
  return (line, stream) => {
    quietly(() => a?.(line, stream));
    quietly(() => b?.(line, stream));
  };
}
