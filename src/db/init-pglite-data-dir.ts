/**
 * Creates a new PGlite data directory (Postgres' `initdb`) in a short-lived child process, the way
 * PostgreSQL itself runs initdb apart from the server.
 *
 * Why a child: PGlite 0.5 runs initdb inside the creating process with a second PGlite instance plus
 * initdb's own WASM module, and what they allocate stays with the process after `close()` (measured:
 * a process that created its data directory idled at about 470 MB, the same process reopening an existing
 * directory at about 300 MB; `gc()` after `close()` did not give it back). In a child it is returned to
 * the system when the child exits; the caller then opens the finished directory like any later start.
 *
 * The directory is built under a sibling temporary name and renamed into place when initdb succeeded, so
 * a start killed half-way never leaves a directory that the next start would take for a database.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatabaseInitError } from '../errors/index.js';

/**
 * The child's program: argv is `[pglite module URL, data directory, JSON PGlite options]`. Plain
 * JavaScript run with `node -e`, so it needs no TypeScript loader; PGlite is imported by absolute URL so
 * it resolves from Tandem's own install whatever the working directory is.
 */
const CHILD = `
const [url, dataDir, options] = process.argv.slice(1);
import(url)
  .then(async ({ PGlite }) => {
    const pglite = await PGlite.create({ ...JSON.parse(options), dataDir });
    await pglite.close();
  })
  .catch((error) => {
    process.stderr.write(String(error && error.message ? error.message : error));
    process.exit(1);
  });
`;

/** Options of {@link initPgliteDataDir}. */
export interface InitPgliteDataDirOptions {
  /** Postgres start parameters of the instance that opens the directory (PGlite's `startParams`). */
  startParams: readonly string[];
  /** Extra initdb arguments (PGlite's `initDbStartParams`). */
  initDbStartParams: readonly string[];
  /** node flags for the child (the V8 flags PGlite runs with in this process). */
  nodeFlags?: readonly string[];
  /** Wall-clock limit of the child, in ms (default 300 000: initdb takes 3–20 s on a loaded 2-core host). */
  timeoutMs?: number;
}

/**
 * Makes sure `dataDir` holds a Postgres cluster. A directory with `PG_VERSION` is left alone; so is a
 * directory with other content (PGlite decides what to do with it, as before); a missing or empty one
 * is created by initdb in a child process.
 * @returns true when a new cluster was created.
 * @throws DatabaseInitError when the child fails (its stderr is in the message) or the rename fails;
 *   the temporary directory is removed.
 */
export async function initPgliteDataDir(
  dataDir: string,
  options: InitPgliteDataDirOptions,
): Promise<boolean> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    return false;
  }
  const entries = await readdir(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      return [];
    }
    throw new DatabaseInitError(dataDir, error.message, { cause: error });
  });
  if (entries.length > 0) {
    return false;
  }
  const scratch = join(
    dirname(dataDir),
    `.${basename(dataDir)}.initdb-${randomBytes(4).toString('hex')}`,
  );
  const pgliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  try {
    const args = [
      ...(options.nodeFlags ?? []),
      '-e',
      CHILD,
      pgliteUrl.href,
      scratch,
      JSON.stringify({
        startParams: options.startParams,
        initDbStartParams: options.initDbStartParams,
      }),
    ];
    // node's own execFile (argv array, no shell) rather than execa: this module is on the path of every
    // process that opens a database, `tandem server` included, which otherwise never loads execa.
    const failure = await new Promise<string | undefined>((done) => {
      const child = execFile(
        process.execPath,
        args,
        { timeout: options.timeoutMs ?? 300_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
        (error, _stdout, stderr) => {
          if (!error) {
            done(undefined);
          } else if (error.killed) {
            done('initdb did not finish in time');
          } else {
            done(
              stderr.trim().split('\n').slice(-3).join(' ') ||
                `initdb exited with ${String(error.code ?? error.signal)}`,
            );
          }
        },
      );
      child.stdin?.end();
    });
    if (failure !== undefined || !existsSync(join(scratch, 'PG_VERSION'))) {
      throw new DatabaseInitError(dataDir, failure ?? 'initdb left no PG_VERSION');
    }
    try {
      // rename(2) replaces an empty directory, and fails on one that gained content meanwhile.
      await rename(scratch, dataDir);
    } catch (error) {
      if (existsSync(join(dataDir, 'PG_VERSION'))) {
        // Another process created it first: use theirs.
        return false;
      }
      throw new DatabaseInitError(dataDir, (error as Error).message, { cause: error });
    }
    return true;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
