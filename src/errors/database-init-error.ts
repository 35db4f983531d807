import { TandemError } from './tandem-error.js';

/**
 * The embedded database's data directory could not be created (PGlite's initdb failed, timed out, or the
 * finished directory could not be moved into place). The message names the directory and the reason;
 * nothing half-made is left at the directory's path.
 */
export class DatabaseInitError extends TandemError {
  readonly code = 'database_init_failed';

  constructor(
    /** The PGlite data directory that was being created. */
    readonly dataDir: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot create the embedded database in ${dataDir}: ${reason}`, options);
  }
}
