import type Docker from 'dockerode';
import type { Logger } from '../log/logger.js';
import { SandboxError, SandboxSpecError } from '../errors/index.js';
import { execCommand } from './exec-command.js';
import { WorkspaceFiles, type FileOwner } from './workspace-files.js';
import type { ExecOptions, ExecResult, Sandbox, SandboxSpec, SearchMatch } from './types.js';

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
  logger: Logger;
  /** Called once after the container is removed (the provider removes a workspace it made). */
  afterDestroy?: () => Promise<void>;
}

/**
 * One job's sandbox over a running hardened container (see `containerOptions`). Commands run through
 * `execCommand`; the file tools are `WorkspaceFiles` on the host side of the bind mount. With
 * `network: 'setup'` the container starts on the bridge network; the first command run without
 * `{ network: true }` disconnects it for good, and a later `{ network: true }` throws `SandboxSpecError`.
 */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly spec: SandboxSpec;
  private readonly oom = { lastCount: 0 };
  private offline: Promise<void> | undefined;
  private destroying: Promise<void> | undefined;

  constructor(private readonly parts: DockerSandboxParts) {
    this.id = parts.container.id;
    this.spec = parts.spec;
    if (!parts.onSetupNetwork) {
      this.offline = Promise.resolve();
    }
  }

  /** The uid and gid the sandbox's processes run as. */
  get user(): FileOwner {
    return this.parts.user;
  }

  async exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
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
    return execCommand(
      { docker: this.parts.docker, container: this.parts.container, oom: this.oom },
      argv,
      options,
    );
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
    await this.parts.afterDestroy?.();
  }

  /** Disconnects every network (the setup network), leaving only the loopback interface. */
  private async disconnect(): Promise<void> {
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
