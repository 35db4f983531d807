import { TandemError } from './tandem-error.js';

/**
 * A forge API call failed (non-2xx answer, or a response that does not parse).
 * `status` is the HTTP status (0 when none was received). The message names the method and the path
 * template, never a token, and is passed through `redactSecrets` by the caller's logger anyway.
 */
export class ForgeRequestError extends TandemError {
  readonly code = 'forge_request_failed';

  constructor(
    readonly forge: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${forge} ${method} ${path} failed (${status}): ${detail}`, options);
  }
}
