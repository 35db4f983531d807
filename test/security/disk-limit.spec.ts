/**
 * A command in the sandbox writes far more than the workspace may hold (the workspace is a host
 * directory, so every byte lands on the host's disk). Real Docker sandbox with a 64 MiB workspace
 * limit: one huge file is stopped at the limit (`ulimit -f`), many files by the watcher that kills the
 * command, and the result says the limit was exceeded so the engine can block the ticket.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { measureDiskUse } from '../../src/sandbox/workspace-disk.js';
import { stage, type Stage } from './security-harness.js';

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;

let s: Stage | undefined;

afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

describe('the workspace disk limit', () => {
  it('a 1 GiB file stops at the limit and the command is reported over it', async () => {
    s = await stage({ provider: { maxWorkspaceBytes: LIMIT } });
    const result = await s.sh('dd if=/dev/zero of=/workspace/big bs=1M count=1024', 60_000);
    const use = await measureDiskUse(s.sandbox.spec.workspaceDir);
    expect('bytes' in use && use.bytes).toBeLessThanOrEqual(LIMIT + MiB);
    expect(result.diskLimitExceeded).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(result.diskLimitBytes).toBe(LIMIT);
  });

  it('many files under the per-file limit: the watcher kills the command while it runs', async () => {
    s = await stage({ provider: { maxWorkspaceBytes: LIMIT } });
    // 100 × 10 MiB, slowly enough that the command would run for more than 5 s.
    const result = await s.sh(
      'i=0; while [ $i -lt 100 ]; do dd if=/dev/zero of=/workspace/f$i bs=1M count=10 2>/dev/null; sleep 0.05; i=$((i+1)); done; echo finished',
      60_000,
    );
    expect(result.diskLimitExceeded).toBe(true);
    expect(result.stdout).not.toContain('finished');
    expect(result.exitCode).toBe(137);
    const files = (await readdir(s.sandbox.spec.workspaceDir)).filter((f) => /^f\d+$/.test(f));
    expect(files.length).toBeLessThan(100);
    expect(result.workspaceBytes).toBeGreaterThan(LIMIT);
  });

  it('a command within the limit is measured and not flagged', async () => {
    s = await stage({ provider: { maxWorkspaceBytes: LIMIT } });
    const result = await s.sh('dd if=/dev/zero of=/workspace/small bs=1M count=8 2>/dev/null');
    expect(result).toMatchObject({ exitCode: 0, diskLimitExceeded: false });
    expect(result.workspaceBytes).toBeGreaterThanOrEqual(8 * MiB);
    // A limit given for one command wins over the sandbox's default.
    const tighter = await s.sandbox.exec(['true'], { timeoutMs: 10_000, maxWorkspaceBytes: MiB });
    expect(tighter.diskLimitExceeded).toBe(true);
  });
});
