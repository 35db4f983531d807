/**
 * How the embedded PGlite is run so that an idle Tandem stays small (docs/deployment.md, "Memory";
 * docs/decisions.md). Two settings, both measured on the 2-core build machine:
 *
 * - Postgres `shared_buffers=16MB`, given to PGlite as a `-c` start parameter (it wins over
 *   `postgresql.conf`, so directories made by earlier versions get it too) and to initdb as `--set` (written
 *   into a new directory's `postgresql.conf`). Postgres' default of 128 MB is allocated and written in
 *   full inside PGlite's WASM memory at start, so it was resident whether used or not: 151 MB of that
 *   memory resident after start against 29 MB with 16 MB. Tandem's tables are small, and a page that is
 *   not in the buffer cache is read from the data directory through the operating system's page cache.
 * - V8's `--liftoff-only` for WebAssembly: PGlite's code runs as compiled by Liftoff, V8's baseline
 *   compiler, and is never recompiled by TurboFan. TurboFan's tier-up of hot Postgres functions runs on
 *   V8's background threads, whose allocator keeps the memory it freed: a process with PGlite alone
 *   idled at 170–187 MB with the flag against 233–263 MB without, and `tandem start` at 177 MB against
 *   230 MB. Liftoff code is slower per instruction, but the compile work it saves made a PGlite insert
 *   workload faster on two busy cores (5.3–9.9 s against 9.3–13.7 s for 3,000 inserts).
 *   V8 describes the flag as "for testing": with it, a function Liftoff cannot compile ends the process
 *   instead of falling back to TurboFan. Every function of PGlite's modules (`pglite.wasm`, `initdb.wasm`,
 *   pgvector's `vector.so`) compiles with Liftoff, which `test/db/pglite-tuning.spec.ts` checks by
 *   compiling each module eagerly under the flag; they use neither SIMD nor exception-handling
 *   instructions, the parts where Liftoff depends on CPU features.
 *   The flag is process-wide and applies to modules compiled after it is set; it is set before the
 *   first PGlite is created. A process started with its own choice on node's command line (any
 *   `--liftoff…`, `--wasm-…tier…` or `--turbo…` flag, e.g. `node --no-liftoff-only`) keeps it.
 */
import v8 from 'node:v8';
import { PGlite } from '@electric-sql/pglite';

/** Postgres settings of the embedded database (see the module comment). */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
};

/** V8 flags for PGlite's WebAssembly (see the module comment). */
export const PGLITE_V8_FLAGS: readonly string[] = ['--liftoff-only'];

/** What {@link pgliteTuning} gives `PGlite.create` and the initdb child process. */
export interface PgliteTuning {
  /** PGlite's `startParams`: its defaults plus {@link PGLITE_SETTINGS} as `-c name=value`. */
  startParams: string[];
  /** PGlite's `initDbStartParams`: {@link PGLITE_SETTINGS} as `--set name=value`. */
  initDbStartParams: string[];
  /** The V8 flags in effect for PGlite in this process, for a child process that runs PGlite too. */
  nodeFlags: string[];
}

/**
 * The tuning for the next `PGlite.create`; sets {@link PGLITE_V8_FLAGS} in this process first (once,
 * unless node's command line chose a WebAssembly tier itself).
 */
export function pgliteTuning(): PgliteTuning {
  const operatorChose = process.execArgv.some((a) =>
    /^--(no-)?(liftoff|wasm-.*tier|turbo)/.test(a),
  );
  const nodeFlags = operatorChose ? [] : [...PGLITE_V8_FLAGS];
  for (const flag of nodeFlags) {
    v8.setFlagsFromString(flag);
  }
  const settings = Object.entries(PGLITE_SETTINGS);
  return {
    startParams: [
      ...PGlite.defaultStartParams,
      ...settings.flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    initDbStartParams: settings.flatMap(([name, value]) => ['--set', `${name}=${value}`]),
    nodeFlags,
  };
}
