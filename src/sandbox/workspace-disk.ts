/**
 * The workspace's disk use, measured on the host with `du -s -k -x` (allocated blocks, so a sparse file
 * costs what it really takes; symlinks are never followed; one file system). There is no per-directory
 * quota on a plain host file system, so the limit is enforced by measuring: while a command runs (a
 * watcher that kills it once the workspace is over the limit) and after it (see `DockerSandbox.exec`).
 */
import { execa } from 'execa';

/** A measurement: bytes in use, or why the directory could not be measured completely. */
export type DiskUse = { bytes: number } | { error: string; bytes?: number };

/**
 * Measures `dir` once. `du` exits non-zero when it could not read part of the tree (a directory with
 * no read permission for the worker, an entry that vanished mid-walk): the result then carries `error`
 * and the partial total it printed, if any.
 */
export async function measureDiskUse(dir: string, timeoutMs = 60_000): Promise<DiskUse> {
  const result = await execa('du', ['-s', '-k', '-x', '--', dir], {
    reject: false,
    timeout: timeoutMs,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    stdin: 'ignore',
  });
  const kib = /^(\d+)\s/.exec(result.stdout)?.[1];
  const bytes = kib === undefined ? undefined : Number(kib) * 1024;
  if (result.exitCode === 0 && bytes !== undefined) {
    return { bytes };
  }
  const error = result.timedOut
    ? `du timed out after ${timeoutMs} ms`
    : (result.stderr.split('\n')[0] ?? '').slice(0, 300) || `du exited with ${result.exitCode}`;
  return bytes === undefined ? { error } : { error, bytes };
}

/** Options of {@link watchDiskUse}. */
export interface WatchDiskUseOptions {
  /** Shortest pause between two measurements, in ms (default 1,000). */
  minIntervalMs?: number;
  /** The pause is at least this many times the last measurement's duration (default 10: ≤ ~10 % busy). */
  costFactor?: number;
}

/**
 * Measures `dir` repeatedly until `stop()` and calls `onExceeded(bytes)` once when its use is over
 * `limitBytes` (a partial total from an incomplete walk counts: it only under-counts). The first
 * measurement comes after the first pause, so short commands cost nothing. `stop()` waits for a
 * measurement in flight.
 */
export function watchDiskUse(
  dir: string,
  limitBytes: number,
  onExceeded: (bytes: number) => void,
  options: WatchDiskUseOptions = {},
): { stop(): Promise<void> } {
  const minInterval = options.minIntervalMs ?? 1_000;
  const factor = options.costFactor ?? 10;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = (): void => {
    inFlight = (async () => {
      const started = Date.now();
      const use = await measureDiskUse(dir);
      if (stopped) {
        return;
      }
      if (use.bytes !== undefined && use.bytes > limitBytes) {
        stopped = true;
        onExceeded(use.bytes);
        return;
      }
      timer = setTimeout(tick, Math.max(minInterval, factor * (Date.now() - started)));
    })();
  };
  timer = setTimeout(tick, minInterval);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
