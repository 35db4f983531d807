import { TandemError } from './tandem-error.js';

/**
 * A provider call failed (HTTP error, connection refused, timeout, provider-side error).
 * `transient` says whether a retry may help (connection errors, timeouts, HTTP 408/409/429/5xx);
 * `status` is the HTTP status when there was one. The message is redacted by the provider before it
 * gets here and never contains credentials.
 */
export class ModelCallError extends TandemError {
  readonly code = 'model_call_failed';

  constructor(
    readonly alias: string,
    message: string,
    readonly transient: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`model alias ${alias}: ${message}`, options);
  }
}
