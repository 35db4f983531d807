/**
 * Resident memory of a running process, read from Linux's `/proc` (the figures `ps` and `top` show):
 * `VmRSS` (resident now) and `VmHWM` (the kernel's high-water mark of `VmRSS`, so a peak between two
 * samples is not missed), in bytes. A {@link MemorySampler} also follows the process's children
 * (Tandem runs initdb and the model check in short-lived child processes): it samples the resident set of
 * the whole tree every `intervalMs`, which bounds what the machine needed at once to within a sample.
 */
import { readFile, readdir } from 'node:fs/promises';

/** One reading of a process, in bytes. */
export interface ProcessMemory {
  rssBytes: number;
  /** Peak `rssBytes` since the process started (`VmHWM`). */
  hwmBytes: number;
}

/** Reads `VmRSS` and `VmHWM` of `pid`; undefined once the process is gone. */
export async function readProcessMemory(pid: number): Promise<ProcessMemory | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = (field: string): number | undefined => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status ?? '');
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rssBytes = kb('VmRSS');
  const hwmBytes = kb('VmHWM');
  return rssBytes === undefined || hwmBytes === undefined ? undefined : { rssBytes, hwmBytes };
}

/** The pids of `pid`'s children (from every thread: node starts children from its main thread). */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(
    tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')),
  );
  return lists.flatMap((l) => l.split(/\s+/).filter(Boolean).map(Number));
}

/** What a {@link MemorySampler} saw. */
export interface MemorySamples {
  /** The process's own `VmHWM` at the last sample, in bytes. */
  peakBytes: number;
  /** Largest sum of the resident sets of the process and all its descendants at one sample, in bytes. */
  peakTreeBytes: number;
  /** Largest resident set of any one descendant (its `VmHWM`), in bytes; 0 when it started none. */
  peakChildBytes: number;
}

/** Samples a process tree until {@link MemorySampler.stop}. */
export class MemorySampler {
  private peakBytes = 0;
  private peakTreeBytes = 0;
  private peakChildBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, intervalMs);
  }

  /** The process's resident set now (bytes), after one more sample; undefined once it exited. */
  async now(): Promise<number | undefined> {
    await this.sample();
    return (await readProcessMemory(this.pid))?.rssBytes;
  }

  /** Stops sampling (take it before the process exits: `VmHWM` is gone with it). */
  async stop(): Promise<MemorySamples> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
    return {
      peakBytes: this.peakBytes,
      peakTreeBytes: this.peakTreeBytes,
      peakChildBytes: this.peakChildBytes,
    };
  }

  private async sample(): Promise<void> {
    const own = await readProcessMemory(this.pid);
    if (!own) {
      return;
    }
    this.peakBytes = Math.max(this.peakBytes, own.hwmBytes);
    let tree = own.rssBytes;
    const pending = await childrenOf(this.pid);
    while (pending.length > 0) {
      const child = pending.pop()!;
      const memory = await readProcessMemory(child);
      if (memory) {
        tree += memory.rssBytes;
        this.peakChildBytes = Math.max(this.peakChildBytes, memory.hwmBytes);
        pending.push(...(await childrenOf(child)));
      }
    }
    this.peakTreeBytes = Math.max(this.peakTreeBytes, tree);
  }
}

/** Bytes to MiB with one decimal (bench figures are `…MiB`). */
export function mib(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 10) / 10;
}
