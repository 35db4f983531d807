/**
 * `npm run bench -- start`: `tandem start` as a process on a fresh data directory (first start: PGlite
 * created, migrations applied, BullMQ's schema installed) and again on the same directory (restart),
 * both with the embedded defaults (PGlite + BullMQ's PostgreSQL backend, no warm sandbox pool):
 *   firstStartMs / restartMs: spawn → first 200 from /healthz
 *   shutdownMs: SIGTERM → exit (idle process)
 * Figures in milliseconds, one run each (start-up is dominated by PGlite's WASM start, about 3–4 s).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from '../helpers/free-port.js';

async function once(dataDir: string): Promise<{ startMs: number; shutdownMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    reject: false,
    env: {
      TANDEM_DATA_DIR: dataDir,
      PORT: String(port),
      TANDEM_SANDBOX_POOL_SIZE: '0',
      LOG_LEVEL: 'warn',
    },
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      break;
    }
    if (child.exitCode !== null || performance.now() - started > 120_000) {
      throw new Error('tandem start did not come up');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startMs = performance.now() - started;
  const stopping = performance.now();
  child.kill('SIGTERM');
  const result = await child;
  if (result.exitCode !== 0) {
    throw new Error(`tandem start exited ${String(result.exitCode)}`);
  }
  return { startMs, shutdownMs: performance.now() - stopping };
}

export default async function bench(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-start-'));
  try {
    const first = await once(dir);
    const again = await once(dir);
    return {
      firstStartMs: Math.round(first.startMs),
      restartMs: Math.round(again.startMs),
      shutdownMs: Math.round((first.shutdownMs + again.shutdownMs) / 2),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
