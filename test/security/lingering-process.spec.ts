/**
 * A command that leaves something running (`setsid`, a double fork, `nohup … &`) must not outlive it:
 * otherwise it races the host's work on the workspace (a directory swapped for a symlink while the host
 * writes, git reading a tree that changes under it). Real Docker sandbox; each daemon would keep writing
 * into the workspace and swap a directory for a link to a host directory.
 */
import { lstat, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stage, type Stage } from './security-harness.js';

let s: Stage | undefined;

afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

/** A daemon body: after a moment, keep appending to a file and swapping `dir` for a host link. */
const daemon = (name: string, hostDir: string): string =>
  `sleep 0.5; while :; do echo tick >> /workspace/${name}.log; rm -rf /workspace/dir; ln -sfn ${hostDir} /workspace/dir; sleep 0.05; done`;

describe('no sandbox process outlives the command that started it', () => {
  it('setsid, a double fork and nohup &: all gone when exec returns', async () => {
    s = await stage();
    const hostDir = join(s.dir, 'host-dir');
    const started = await s.sh(
      [
        `setsid sh -c '${daemon('setsid', hostDir)}' >/dev/null 2>&1 < /dev/null &`,
        `(sh -c '${daemon('fork', hostDir)}' >/dev/null 2>&1 < /dev/null &) &`,
        `nohup sh -c '${daemon('nohup', hostDir)}' >/dev/null 2>&1 < /dev/null &`,
        'sleep 0.2',
        'echo started',
      ].join('\n'),
    );
    expect(started.stdout).toBe('started\n');
    // Long enough for a survivor to start writing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const names = await readdir(s.sandbox.spec.workspaceDir);
    expect(names.filter((n) => n.endsWith('.log') || n === 'dir')).toEqual([]);
    // And nothing of the sandbox user is left in the container.
    const ps = await s.sandbox.exec(['ps', '-eo', 'user:12,pid,args'], { timeoutMs: 10_000 });
    const mine = ps.stdout.split('\n').filter((line) => line.startsWith('sandbox '));
    expect(mine.filter((line) => !line.includes('ps -eo'))).toEqual([]);
  });

  it('a command that kills its own supervisor first still leaves nothing running', async () => {
    s = await stage();
    const result = await s.sh(
      [
        `setsid sh -c 'sleep 1; echo tick >> /workspace/late.log' >/dev/null 2>&1 < /dev/null &`,
        'sleep 0.2',
        // This shell's parent is `timeout`, whose parent is the supervisor.
        'kill -9 "$(ps -o ppid= -p "$PPID" | tr -d " ")"',
      ].join('\n'),
    );
    expect(result.exitCode).not.toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await readdir(s.sandbox.spec.workspaceDir)).not.toContain('late.log');
  });

  it('the host writes into a quiet workspace after a command that tried to linger', async () => {
    s = await stage();
    const hostDir = join(s.dir, 'host-dir');
    await mkdir(hostDir);
    await s.sh(
      `setsid sh -c 'while :; do mkdir -p /workspace/src; rm -rf /workspace/src; ln -sfn ${hostDir} /workspace/src; done' >/dev/null 2>&1 < /dev/null & sleep 0.2`,
    );
    // Wherever the loop was killed, the workspace no longer changes.
    const snapshot = async (): Promise<string> => {
      const info = await lstat(join(s!.sandbox.spec.workspaceDir, 'src')).catch(() => undefined);
      if (info === undefined) {
        return 'none';
      }
      return info.isSymbolicLink() ? 'link' : 'dir';
    };
    const first = await snapshot();
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await snapshot()).toBe(first);
    }
    await s.sh('rm -rf /workspace/src');
    for (let i = 0; i < 200; i++) {
      await s.sandbox.writeFile(`src/f${i % 5}.js`, `export const n = ${i};\n`);
    }
    // Every write went into the workspace: nothing was created through a swapped link.
    expect(await readdir(hostDir)).toEqual([]);
    expect(await readFile(join(s.sandbox.spec.workspaceDir, 'src', 'f4.js'), 'utf8')).toBe(
      'export const n = 199;\n',
    );
    expect((await stat(join(s.sandbox.spec.workspaceDir, 'src'))).isDirectory()).toBe(true);
  });
});
