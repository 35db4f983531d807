import { TandemError } from './tandem-error.js';

/**
 * The `scripted` model provider has no response left that matches the request (role, step, alias,
 * message text). A test or demo script is shorter than the session it drives.
 */
export class ScriptExhaustedError extends TandemError {
  readonly code = 'script_exhausted';

  constructor(
    readonly alias: string,
    /** What the unmatched request looked like, e.g. `role=developer step=green`. */
    readonly request: string,
    options?: { cause?: unknown },
  ) {
    super(`scripted model ${alias} has no response left for ${request}`, options);
  }
}
