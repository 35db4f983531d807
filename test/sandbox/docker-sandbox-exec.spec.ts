/**
 * Commands in a real Docker sandbox: running, timeouts, abort, output caps, the pids and memory limits,
 * and what the hardening forbids (writes outside /workspace, capabilities, root).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxSpecError } from '../../src/errors/index.js';
import type { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { makeProvider, request } from './sandbox-harness.js';

let provider: DockerSandboxProvider;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ provider, cleanup } = await makeProvider());
});
afterAll(async () => {
  await cleanup();
});

async function withSandbox<T>(
  fn: (sandbox: Sandbox) => Promise<T>,
  overrides: Parameters<typeof request>[0] = {},
): Promise<T> {
  const sandbox = await provider.acquire(request(overrides));
  try {
    return await fn(sandbox);
  } finally {
    await sandbox.destroy();
  }
}

describe('DockerSandbox.exec', () => {
  it('runs a command as the non-root sandbox user and reports its output and exit code', async () => {
    await withSandbox(async (sandbox) => {
      const ok = await sandbox.exec(['sh', '-c', 'id -u; echo oops >&2; exit 3'], {
        timeoutMs: 10_000,
      });
      expect(ok).toMatchObject({
        exitCode: 3,
        stdout: '1000\n',
        stderr: 'oops\n',
        timedOut: false,
        truncated: false,
        oomKilled: false,
      });
      expect(ok.durationMs).toBeGreaterThan(0);
      const env = await sandbox.exec(['sh', '-c', 'echo "$GREETING $HOME $PWD"'], {
        timeoutMs: 10_000,
        env: { GREETING: 'hello' },
        cwd: '/workspace/',
      });
      expect(env.stdout).toBe('hello /home/sandbox /workspace\n');
      const missing = await sandbox.exec(['no-such-program'], { timeoutMs: 10_000 });
      expect(missing.exitCode).toBe(127);
    });
  });

  it("runs a Node project's and a Python project's tests with no network", async () => {
    await withSandbox(async (sandbox) => {
      await sandbox.writeFile(
        'node/package.json',
        JSON.stringify({ name: 'demo', version: '1.0.0', scripts: { test: 'node --test' } }),
      );
      await sandbox.writeFile(
        'node/add.test.js',
        "const test = require('node:test');\nconst assert = require('node:assert');\n" +
          "test('adds', () => assert.strictEqual(1 + 1, 2));\n",
      );
      await sandbox.writeFile(
        'py/test_add.py',
        'def test_add():\n    assert 1 + 1 == 2\n\ndef test_fails():\n    assert 1 + 1 == 3\n',
      );
      const npm = await sandbox.exec(['npm', 'test'], {
        timeoutMs: 60_000,
        cwd: '/workspace/node',
      });
      expect(npm.stdout).toContain('# pass 1');
      expect(npm.exitCode).toBe(0);
      const pytest = await sandbox.exec(['python3', '-m', 'pytest', '-q', 'py'], {
        timeoutMs: 60_000,
      });
      expect(pytest.stdout).toMatch(/1 failed, 1 passed/);
      expect(pytest.exitCode).toBe(1);
      // PYTEST_ADDOPTS/PYTHONDONTWRITEBYTECODE keep caches out of the workspace.
      expect(await sandbox.list()).toEqual([
        'node/add.test.js',
        'node/package.json',
        'py/test_add.py',
      ]);
    });
  });

  it('kills a command and its children at the timeout and reports it', async () => {
    await withSandbox(async (sandbox) => {
      const result = await sandbox.exec(['sh', '-c', 'sleep 300 & sleep 301; echo never'], {
        timeoutMs: 1_000,
      });
      expect(result.timedOut).toBe(true);
      expect(result.exitCode).toBe(137);
      expect(result.stdout).toBe('');
      expect(result.durationMs).toBeGreaterThanOrEqual(1_000);
      expect(result.durationMs).toBeLessThan(5_000);
      const ps = await sandbox.exec(['ps', '-eo', 'args'], { timeoutMs: 10_000 });
      expect(ps.stdout).not.toContain('sleep 30');
    });
  });

  it('kills a command when its AbortSignal fires', async () => {
    await withSandbox(async (sandbox) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      const result = await sandbox.exec(['sleep', '300'], {
        timeoutMs: 60_000,
        signal: controller.signal,
      });
      expect(result).toMatchObject({ exitCode: 137, timedOut: false });
      expect(result.durationMs).toBeLessThan(5_000);
    });
  });

  it('caps captured output while draining the rest', async () => {
    await withSandbox(async (sandbox) => {
      const result = await sandbox.exec(
        [
          'node',
          '-e',
          "process.stdout.write('x'.repeat(3e6)); process.stderr.write('e'.repeat(5000))",
        ],
        { timeoutMs: 30_000, maxOutputBytes: 1000 },
      );
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe('x'.repeat(1000));
      expect(result.stderr).toBe('e'.repeat(1000));
      expect(result.truncated).toBe(true);
    });
  });

  it('contains a fork bomb with the pids limit', async () => {
    await withSandbox(
      async (sandbox) => {
        const max = await sandbox.exec(['cat', '/sys/fs/cgroup/pids/pids.max'], {
          timeoutMs: 10_000,
        });
        expect(max.stdout.trim()).toBe('64');
        // A bomb whose command exits: what it left running in its process group is killed.
        const left = await sandbox.exec(['bash', '-c', 'f() { f | f & }; f; sleep 2'], {
          timeoutMs: 20_000,
        });
        expect(left.stderr).toMatch(/fork|Resource temporarily unavailable/);
        expect(left.timedOut).toBe(false);
        // A bomb that never exits: killed at the timeout.
        const bomb = await sandbox.exec(['bash', '-c', 'f() { f | f & }; f; sleep 300'], {
          timeoutMs: 2_000,
        });
        expect(bomb).toMatchObject({ timedOut: true, exitCode: 137 });
        // The host and the sandbox survive: the group is killed and the sandbox runs commands again.
        const after = await sandbox.exec(['echo', 'alive'], { timeoutMs: 10_000 });
        expect(after.stdout).toBe('alive\n');
      },
      { limits: { cpus: 1, memoryMb: 512, pids: 64 } },
    );
  });

  it('reports a memory bomb as OOM-killed, and only the command that hit the limit', async () => {
    await withSandbox(
      async (sandbox) => {
        const bomb = await sandbox.exec(['python3', '-c', "b = b'x' * (512 * 1024 * 1024)"], {
          timeoutMs: 30_000,
        });
        expect(bomb).toMatchObject({ exitCode: 137, oomKilled: true, timedOut: false });
        const next = await sandbox.exec(['sh', '-c', 'exit 1'], { timeoutMs: 10_000 });
        expect(next.oomKilled).toBe(false);
      },
      { limits: { cpus: 1, memoryMb: 128, pids: 128 } },
    );
  });

  it('refuses writes outside /workspace and runs without capabilities', async () => {
    await withSandbox(async (sandbox) => {
      for (const target of ['/etc/planted', '/usr/bin/planted', '/planted', '/var/planted']) {
        const result = await sandbox.exec(['touch', target], { timeoutMs: 10_000 });
        expect(result.exitCode, target).not.toBe(0);
        expect(result.stderr).toMatch(/Read-only file system|Permission denied/);
      }
      const inside = await sandbox.exec(
        ['sh', '-c', 'echo made > /workspace/made.txt && touch /tmp/x ~/y'],
        {
          timeoutMs: 10_000,
        },
      );
      expect(inside.exitCode).toBe(0);
      expect(await readFile(join(sandbox.spec.workspaceDir, 'made.txt'), 'utf8')).toBe('made\n');
      const status = await sandbox.exec(
        ['grep', '-E', '^(CapEff|CapBnd|NoNewPrivs)', '/proc/self/status'],
        {
          timeoutMs: 10_000,
        },
      );
      expect(status.stdout).toMatch(/CapEff:\s+0000000000000000/);
      expect(status.stdout).toMatch(/CapBnd:\s+0000000000000000/);
      expect(status.stdout).toMatch(/NoNewPrivs:\s+1/);
    });
  });

  it('rejects a cwd outside /workspace and an empty argv with SandboxSpecError', async () => {
    await withSandbox(async (sandbox) => {
      await expect(
        sandbox.exec(['true'], { timeoutMs: 1000, cwd: '/workspace/../etc' }),
      ).rejects.toThrow(SandboxSpecError);
      await expect(sandbox.exec([], { timeoutMs: 1000 })).rejects.toThrow(SandboxSpecError);
      await expect(sandbox.exec(['true'], { timeoutMs: 1000, network: true })).rejects.toThrow(
        SandboxSpecError,
      );
    });
  });
});
